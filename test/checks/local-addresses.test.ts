import type { CheckResult } from '../../harness/checks/check-result.js';
import { runIngressChecks } from '../../harness/checks/ingress-checks.js';
import { runLbChecks } from '../../harness/checks/lb-checks.js';
import { parseIpAddresses, parseRoutes } from '../../harness/inspect/ip-addr.js';
import { buildNodeModel } from '../../harness/inspect/lb-model.js';
import { clusterFixture, fixtureText } from '../fixtures/load.js';

// topologies/ingress.yaml (web x1, api x3 publishing 8080) on Docker 26.1.5 trixie nodes, captured with the
// namespaces' addresses and routes and the nodes' own iptables (test/fixtures/README.md): web's VIP 10.0.1.2 and
// api's 10.0.1.5 on backend, api's ingress VIP 10.0.0.5; ingress_sbox is 172.19.0.2 on docker_gwbridge everywhere.
const dir = 'docker-26.1.5-ingress-addresses';
const nodes = ['m1', 'w1', 'w2'];
const watched = /local-addresses|host-rules/;

function results(edit?: (file: string, text: string) => string, from = dir): CheckResult[] {
  const fixture = clusterFixture(from, nodes, edit);
  return fixture.dumps
    .flatMap((d) => {
      const model = buildNodeModel(d, fixture.swarm);
      return [...runLbChecks(model), ...runIngressChecks(model, fixture.swarm)];
    })
    .filter((r) => watched.test(r.check));
}

/** Edits one section (`=== <kind> <arg>`, or `=== host-iptables`) of w1's dump. */
function onW1(section: string, edit: (body: string) => string) {
  return (file: string, text: string): string => {
    if (file !== 'w1.node-dump.txt') return text;
    const start = text.indexOf(`=== ${section}\n`);
    if (start < 0) throw new Error(`no section ${section} in w1's dump`);
    const bodyStart = start + section.length + 5;
    const next = text.indexOf('\n=== ', bodyStart);
    const end = next < 0 ? text.length : next + 1;
    return text.slice(0, bodyStart) + edit(text.slice(bodyStart, end)) + text.slice(end);
  };
}

const lbNamespace = 'lb_q3ezofoks';
const failed = (rs: CheckResult[]) => rs.filter((r) => r.status === 'fail').map((r) => [r.check, r.node, r.seen]);

describe('addresses and routes of a namespace (ip -o -4 addr, ip -4 route)', () => {
  it('read every IPv4 address with its interface and prefix, and every route with its device', () => {
    const text = fixtureText(dir, 'w1.node-dump.txt');
    const section = (name: string) => text.split(`=== ${name}\n`)[1]?.split('\n=== ')[0] ?? '';
    expect(parseIpAddresses(section('addr ingress_sbox'), 'w1')).toEqual([
      { iface: 'lo', address: '127.0.0.1', prefix: 8 },
      { iface: 'eth0', address: '10.0.0.3', prefix: 24 },
      { iface: 'eth0', address: '10.0.0.5', prefix: 32 },
      { iface: 'eth1', address: '172.19.0.2', prefix: 16 },
    ]);
    expect(parseRoutes(section('route ingress_sbox')).map((r) => [r.destination, r.dev])).toEqual([
      ['default', 'eth1'],
      ['10.0.0.0/24', 'eth0'],
      ['172.19.0.0/16', 'eth1'],
    ]);
  });

  it('quote a line that is no address', () => {
    expect(() => parseIpAddresses('4: eth0    inet6 fe80::1/64 scope link', 'ip addr in lb_x')).toThrow(
      /ip addr in lb_x, line 1: expected "N: IFACE inet A\.B\.C\.D\/P \.\.\.": "4: eth0 {4}inet6 fe80::1\/64 scope link"/,
    );
  });
});

describe('local addresses and the host side of the routing mesh, on captured ingress deployments', () => {
  it('pass on every node: the lb and ingress_sbox addresses, one alias per VIP, the routes, DOCKER-INGRESS', () => {
    const healthy = results();
    expect(healthy.map((r) => [r.check, r.node, r.status])).toEqual(
      nodes.flatMap((n) => [
        ['lb.local-addresses', `web-api-${n}`, 'pass'],
        ['ingress.host-rules', `web-api-${n}`, 'pass'],
        ['ingress.local-addresses', `web-api-${n}`, 'pass'],
      ]),
    );
    expect(healthy[0]?.seen).toBe(
      'eth0: 10.0.1.4/24, aliases 10.0.1.2, 10.0.1.5; 10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.4',
    );
  });

  it('pass on Docker 28.5.2, whose FORWARD reaches DOCKER-INGRESS through DOCKER-FORWARD', () => {
    const newer = 'docker-28.5.2-ingress-addresses';
    expect(results(undefined, newer).map((r) => r.status)).toEqual(nodes.flatMap(() => ['pass', 'pass', 'pass']));
    const dump = fixtureText(newer, 'w1.node-dump.txt');
    expect(dump).toContain('-A FORWARD -j DOCKER-FORWARD\n');
    expect(dump).toContain('-A DOCKER-FORWARD -j DOCKER-INGRESS\n');
    expect(dump).not.toContain('-A FORWARD -j DOCKER-INGRESS');
  });

  it('catch a FORWARD that no longer reaches DOCKER-INGRESS on Docker 28.5.2', () => {
    const cut = results(
      (file, text) => (file === 'w1.node-dump.txt' ? text.replace('-A DOCKER-FORWARD -j DOCKER-INGRESS\n', '') : text),
      'docker-28.5.2-ingress-addresses',
    );
    expect(failed(cut)).toEqual([
      ['ingress.host-rules', 'web-api-w1', 'no jump from filter FORWARD to DOCKER-INGRESS'],
    ]);
  });

  it.each(['docker-20.10.5-ingress-addresses', 'docker-20.10.24-ingress-addresses'])(
    'pass on %s too, whose rule for the replies matches with `-m state` instead of conntrack',
    (older) => {
      expect(results(undefined, older).map((r) => r.status)).toEqual(nodes.flatMap(() => ['pass', 'pass', 'pass']));
      expect(fixtureText(older, 'w1.node-dump.txt')).toContain(
        '-A DOCKER-INGRESS -p tcp -m state --state RELATED,ESTABLISHED -m tcp --sport 8080 -j ACCEPT',
      );
    },
  );

  it("catch a VIP's alias gone from the lb interface, and an alias left for no VIP", () => {
    const edited = results(
      onW1(`addr ${lbNamespace}`, (body) =>
        body
          .replace(/^.*inet 10\.0\.1\.5\/32.*\n/m, '')
          .concat('11: eth0    inet 10.0.1.99/32 scope global eth0\\       valid_lft forever preferred_lft forever\n'),
      ),
    );
    expect(failed(edited)).toEqual([
      [
        'lb.local-addresses',
        'web-api-w1',
        'no alias for 10.0.1.5; aliases for 10.0.1.99, no VIP with an IPVS service here',
      ],
    ]);
  });

  it("catch the subnet's route gone from the lb namespace", () => {
    const edited = results(onW1(`route ${lbNamespace}`, () => ''));
    expect(failed(edited)).toEqual([
      ['lb.local-addresses', 'web-api-w1', 'no route 10.0.1.0/24 dev eth0 (routes: none)'],
    ]);
  });

  it('catch ingress_sbox without its address on the ingress network', () => {
    const edited = results(onW1('addr ingress_sbox', (body) => body.replace(/^.*inet 10\.0\.0\.3\/24.*\n/m, '')));
    expect(failed(edited)).toEqual([
      [
        'ingress.local-addresses',
        'web-api-w1',
        'no 10.0.0.3: 127.0.0.1/8 on lo, 10.0.0.5/32 on eth0, 172.19.0.2/16 on eth1',
      ],
    ]);
  });

  it('catch a DNAT of the port gone, or sent elsewhere, and a jump to DOCKER-INGRESS gone, on that node alone', () => {
    const dnat = '-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.19.0.2:8080';
    const gone = results(onW1('host-iptables', (body) => body.replace(`${dnat}\n`, '')));
    expect(failed(gone)).toEqual([['ingress.host-rules', 'web-api-w1', 'nat DNAT rules for 8080/tcp: none']]);
    const elsewhere = results(onW1('host-iptables', (body) => body.replace('172.19.0.2:8080', '172.19.0.9:8080')));
    expect(failed(elsewhere)).toEqual([
      ['ingress.host-rules', 'web-api-w1', `nat DNAT rules for 8080/tcp: ${dnat.replace('0.2:', '0.9:')}`],
    ]);
    const noJump = results(onW1('host-iptables', (body) => body.replace('-A FORWARD -j DOCKER-INGRESS\n', '')));
    expect(failed(noJump)).toEqual([
      ['ingress.host-rules', 'web-api-w1', 'no jump from filter FORWARD to DOCKER-INGRESS'],
    ]);
  });

  it('catch the ACCEPT of the port and of its replies gone', () => {
    const edited = results(
      onW1('host-iptables', (body) =>
        body.replace(/^-A DOCKER-INGRESS -p tcp -m tcp --[ds]port 8080 .*-j ACCEPT\n/gm, ''),
      ),
    );
    expect(failed(edited)).toEqual([
      ['ingress.host-rules', 'web-api-w1', 'no filter ACCEPT --dport 8080; no filter ACCEPT of replies --sport 8080'],
    ]);
  });
});
