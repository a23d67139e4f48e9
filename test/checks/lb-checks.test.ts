import { evaluateDataplane } from '../../harness/checks/dataplane.js';
import type { CheckResult } from '../../harness/checks/check-result.js';
import { buildNodeModel } from '../../harness/inspect/lb-model.js';
import { clusterFixture, type ClusterFixture } from '../fixtures/load.js';

// Captured from web-api (web 1, api 2 replicas) on a 1+2 cluster of Docker
// 20.10.24 nodes (Debian bookworm) in swarmlab's bookworm VM; see test/fixtures/README.md.
const dir = 'docker-20.10.24-web-api';
const nodes = ['m1', 'w1', 'w2'];

function evaluate(fixture: ClusterFixture): CheckResult[] {
  return evaluateDataplane({ swarm: fixture.swarm, models: fixture.dumps.map((d) => buildNodeModel(d, fixture.swarm)) });
}

const failures = (results: CheckResult[]) => results.filter((r) => r.status === 'fail');

/** Edits one node's lb namespace section of the dump, as a fault injected into the kernel would change it. */
function editLb(node: string, edit: (section: string) => string) {
  return (file: string, text: string): string => {
    if (file !== `${node}.node-dump.txt`) return text;
    return text.replace(/(=== (?:iptables|ipvs) lb_\S+\n)([\s\S]*?)(?==== )/g, (_, header: string, body: string) => header + edit(body));
  };
}

describe('dataplane checks on a healthy Docker 20.10.24 web-api', () => {
  const results = evaluate(clusterFixture(dir, nodes));

  it('builds a model with the VIP, the node-local fwmark and the backends', () => {
    const fixture = clusterFixture(dir, nodes);
    const m1 = buildNodeModel(fixture.dumps[0]!, fixture.swarm);
    const backend = m1.networks.find((n) => n.network === 'backend');
    const api = backend?.services.find((s) => s.service === 'api');
    expect(backend?.locations.map((l) => l.namespace)).toEqual(['lb_jyt6q7s6v']);
    expect(api).toMatchObject({ vip: '10.0.2.5', fwmark: 258, endpointMode: 'vip' });
    expect(api?.expected.map((b) => b.ip).sort()).toEqual(['10.0.2.6', '10.0.2.7']);
  });

  it('passes every check on every node', () => {
    expect(failures(results)).toEqual([]);
    const checks = new Set(results.map((r) => r.check));
    for (const id of ['lb.state-present', 'lb.fwmark-known', 'lb.mark-rule', 'lb.ipvs-service', 'lb.backends', 'lb.draining', 'lb.pool-overlap', 'lb.unknown-vip', 'net.addresses', 'lb.sysctls']) {
      expect(checks).toContain(id);
    }
    expect(new Set(results.map((r) => r.node))).toEqual(new Set(nodes.map((n) => `web-api-${n}`)));
  });
});

describe('dataplane checks catch injected faults', () => {
  it('a deleted MARK rule', () => {
    const found = failures(evaluate(clusterFixture(dir, nodes, editLb('w1', (s) => s.replace(/^-A INPUT -d 10\.0\.2\.5\/32 .*\n/m, '')))));
    expect(found.map((f) => [f.check, f.node, f.service])).toEqual([['lb.mark-rule', 'web-api-w1', 'api']]);
    expect(found[0]?.seen).toBe('no rule');
  });

  it('an extra real server that is no task (stale)', () => {
    const found = failures(evaluate(clusterFixture(dir, nodes, editLb('m1', (s) => s.replace(/(FWM  258 rr\n)/, '$1  -> 10.0.2.99:0                  Masq    1      0          0\n')))));
    expect(found.map((f) => [f.check, f.node, f.service, f.seen])).toEqual([['lb.backends', 'web-api-m1', 'api', 'missing none; stale 10.0.2.99']]);
  });

  it('a removed real server (missing)', () => {
    const found = failures(evaluate(clusterFixture(dir, nodes, editLb('m1', (s) => s.replace(/^ {2}-> 10\.0\.2\.7:0 .*\n/m, '')))));
    expect(found.map((f) => [f.check, f.seen])).toEqual([['lb.backends', 'missing 10.0.2.7; stale none']]);
  });

  it("a real server of another service added to this pool", () => {
    const found = failures(evaluate(clusterFixture(dir, nodes, editLb('m1', (s) => s.replace(/(FWM  258 rr\n)/, '$1  -> 10.0.2.3:0                   Masq    1      0          0\n')))));
    expect(found.map((f) => f.check).sort()).toEqual(['lb.backends', 'lb.pool-overlap']);
    expect(found.find((f) => f.check === 'lb.pool-overlap')?.seen).toBe('10.0.2.3 in FWM 258 and 259');
  });

  it('a weight left at 0 for a running task', () => {
    const found = failures(evaluate(clusterFixture(dir, nodes, editLb('m1', (s) => s.replace(/(-> 10\.0\.2\.7:0\s+Masq\s+)1/, '$10')))));
    expect(found.map((f) => f.check).sort()).toEqual(['lb.backends', 'lb.draining']);
  });

  it('a MARK rule whose mark differs from the fwmark', () => {
    const found = failures(evaluate(clusterFixture(dir, nodes, editLb('w2', (s) => s.replace(/(-d 10\.0\.2\.5\/32 -j MARK --set-xmark )0x\w+/, '$10x1ff')))));
    expect(found.map((f) => [f.check, f.node])).toEqual([['lb.mark-rule', 'web-api-w2']]);
  });

  it('a MARK rule for an address that is no VIP', () => {
    const found = failures(evaluate(clusterFixture(dir, nodes, editLb('w2', (s) => s.replace(/(\*mangle\n(?::.*\n)*)/, '$1-A INPUT -d 10.0.2.200/32 -j MARK --set-xmark 0x120/0xffffffff\n')))));
    expect(found.map((f) => f.check)).toEqual(['lb.unknown-vip']);
  });
});
