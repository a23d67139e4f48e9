import type { CheckResult } from '../../harness/checks/check-result.js';
import { runIpsecChecks, vxlanIdOf } from '../../harness/checks/ipsec-checks.js';
import { buildNodeModel } from '../../harness/inspect/lb-model.js';
import { parseNodeDump } from '../../harness/inspect/node-dump.js';
import { parseSwarmState } from '../../harness/inspect/swarm-state.js';
import { parseXfrmStates } from '../../harness/inspect/xfrm.js';
import { fixtureText } from '../fixtures/load.js';

// known-bugs/topologies/encrypted-web-api.yaml (web x1, api x2 on an encrypted overlay) on Docker 28.5.2 sid nodes,
// captured during `repro matrix` (test/fixtures/README.md): m1 is 172.18.0.4, w1 172.18.0.3, w2 172.18.0.2; the
// network's VXLAN id is 4104.
const dir = 'docker-28.5.2-encrypted';
const nodes = ['m1', 'w1', 'w2'];

function results(edit: (node: string, text: string) => string = (_, t) => t): CheckResult[] {
  const swarm = parseSwarmState(fixtureText(dir, 'swarm-state.txt'));
  return nodes.flatMap((n) => {
    const dump = parseNodeDump(`scn-1m2w-sid-${n}`, edit(n, fixtureText(dir, `${n}.node-dump.txt`)));
    return runIpsecChecks(buildNodeModel(dump, swarm), swarm);
  });
}

const failed = (rs: CheckResult[]) => rs.filter((r) => r.status === 'fail').map((r) => [r.check, r.node, r.seen]);
const onW1 = (edit: (text: string) => string) => (node: string, text: string) => (node === 'w1' ? edit(text) : text);

describe('IPsec checks on a captured encrypted overlay (Docker 28.5.2)', () => {
  it('reads one SA out and one per key back for each peer, with the keys withheld', () => {
    const states = parseXfrmStates(
      /=== xfrm-state\n([\s\S]*?)=== /.exec(fixtureText(dir, 'm1.node-dump.txt'))?.[1] ?? '',
      'm1',
    );
    expect(states.filter((s) => s.src === '172.18.0.4').map((s) => s.dst)).toEqual(['172.18.0.3', '172.18.0.2']);
    expect(states.filter((s) => s.dst === '172.18.0.4')).toHaveLength(6);
    expect(states[0]).toMatchObject({
      proto: 'esp',
      spi: 0xb5d994f0,
      reqid: 0xd0c4e3,
      mode: 'transport',
      aead: { name: 'rfc4106(gcm(aes))', icvBits: 64 },
      packets: 0,
    });
  });

  it('pass on every node: states and a policy per peer, the rules of VXLAN id 4104, nothing left over', () => {
    const healthy = results();
    expect(failed(healthy)).toEqual([]);
    const count = (id: string) => healthy.filter((r) => r.check === id && r.status === 'pass').length;
    expect([count('ipsec.states'), count('ipsec.policy'), count('ipsec.leftovers'), count('ipsec.rules')]).toEqual([
      6, 6, 3, 3,
    ]);
  });

  it("reads the VXLAN id of libnetwork's bpf match", () => {
    const rule = fixtureText(dir, 'm1.node-dump.txt')
      .split('\n')
      .find((l) => l.startsWith('-A OUTPUT -p udp -m udp --dport 4789'));
    expect(
      rule && vxlanIdOf({ table: 'mangle', chain: 'OUTPUT', target: 'MARK', destinationNegated: false, text: rule }),
    ).toBe(4104);
  });

  it("catch a deleted policy, a missing SA back from a peer, and a policy through another SA's SPI", () => {
    const noPolicy = results(
      onW1((t) => t.replace(/^src 172\.18\.0\.3\/32 dst 172\.18\.0\.2\/32[\s\S]*?(?=^src |^=== )/m, '')),
    );
    expect(failed(noPolicy)).toEqual([
      ['ipsec.policy', 'scn-1m2w-sid-w1', '0 outbound policies 172.18.0.3/32 -> 172.18.0.2/32'],
    ]);
    // Every SA from w2 (172.18.0.2) to w1 gone from w1: nothing can decrypt what w2 sends.
    const noInbound = results(onW1((t) => t.replace(/^src 172\.18\.0\.2 dst 172\.18\.0\.3\n(?:\t.*\n)+/gm, '')));
    expect(failed(noInbound)).toEqual([['ipsec.states', 'scn-1m2w-sid-w1', 'no SA 172.18.0.2 -> 172.18.0.3']]);
    const wrongSpi = results(
      onW1((t) =>
        t.replace('spi 0xe94d8a8d reqid 13681891 mode transport', 'spi 0x8591abe5 reqid 13681891 mode transport'),
      ),
    );
    expect(failed(wrongSpi)).toEqual([
      ['ipsec.policy', 'scn-1m2w-sid-w1', "template spi 0x8591abe5 is not the outbound SA's 0xe94d8a8d"],
    ]);
  });

  it('catch the clear-VXLAN drop rule gone, and an SA left for a node that is no peer', () => {
    const noDrop = results(onW1((t) => t.replace(/^-A INPUT -p udp -m policy --dir in --pol none .*-j DROP\n/m, '')));
    expect(failed(noDrop)).toEqual([
      ['ipsec.rules', 'scn-1m2w-sid-w1', '0 filter INPUT DROP rules for clear VXLAN id 4104'],
    ]);
    // w1's policy to w2, copied for an address that is no peer (as if a node had left without its state going).
    const leftover = results(
      onW1((t) => {
        const policy = /^src 172\.18\.0\.3\/32 dst 172\.18\.0\.2\/32[\s\S]*?(?=^src |^=== )/m.exec(t)?.[0] ?? '';
        return t.replace('=== xfrm-policy\n', `=== xfrm-policy\n${policy.replaceAll('172.18.0.2', '172.18.0.9')}`);
      }),
    );
    expect(failed(leftover)).toEqual([
      ['ipsec.leftovers', 'scn-1m2w-sid-w1', 'policy src 172.18.0.3/32 dst 172.18.0.9/32 proto udp dport 4789'],
    ]);
  });
});
