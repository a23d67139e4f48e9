import { runIngressChecks } from '../../harness/checks/ingress-checks.js';
import type { CheckResult } from '../../harness/checks/check-result.js';
import { buildNodeModel } from '../../harness/inspect/lb-model.js';
import { clusterFixture, type ClusterFixture } from '../fixtures/load.js';

// topologies/ingress.yaml (api x3 publishing 8080 through the routing mesh) on
// Docker 26.1.5 trixie nodes, captured healthy and after api was scaled to 0
// (test/fixtures/README.md). Marks are node-local: 0x104 (260) on m1, 0x105 (261) on w1 and w2.
const nodes = ['m1', 'w1', 'w2'];

function ingressResults(fixture: ClusterFixture): CheckResult[] {
  return fixture.dumps.flatMap((d) => runIngressChecks(buildNodeModel(d, fixture.swarm), fixture.swarm));
}

/** Edits one node's ingress_sbox sections, as a fault in the routing mesh would change them. */
function editSbox(node: string, edit: (section: string) => string) {
  return (file: string, text: string): string =>
    file === `${node}.node-dump.txt`
      ? text.replace(
          /(=== (?:iptables|ipvs) ingress_sbox\n)([\s\S]*?)(?==== )/g,
          (_, header: string, body: string) => header + edit(body),
        )
      : text;
}

const failed = (results: CheckResult[]) =>
  results.filter((r) => r.status === 'fail').map((r) => [r.check, r.node, r.seen]);

describe('routing-mesh checks on a captured ingress deployment (Docker 26.1.5)', () => {
  it('pass on every node: one MARK rule for 8080 and the three api tasks behind it', () => {
    const results = ingressResults(clusterFixture('docker-26.1.5-ingress', nodes));
    expect(results.map((r) => [r.check, r.status])).toEqual(
      nodes.flatMap(() => [
        ['ingress.port-mark', 'pass'],
        ['ingress.ipvs-attributes', 'pass'],
        ['ingress.backends', 'pass'],
        ['ingress.snat', 'pass'],
      ]),
    );
    expect(results[2]?.expected).toBe('FWM 260 with real servers 10.0.0.10, 10.0.0.11, 10.0.0.9');
  });

  it('catch persistence on the ingress pool, and a deleted masquerading rule', () => {
    const fixture = clusterFixture(
      'docker-26.1.5-ingress',
      nodes,
      editSbox('w1', (s) =>
        s
          .replace(/^FWM {2}(\d+) rr$/m, 'FWM  $1 rr persistent 360')
          .replace(/^-A POSTROUTING -d 10\.0\.0\.0\/24 -m ipvs --ipvs -j SNAT .*\n/m, ''),
      ),
    );
    expect(failed(ingressResults(fixture))).toEqual([
      ['ingress.ipvs-attributes', 'web-api-w1', 'flags persistent 360'],
      ['ingress.snat', 'web-api-w1', 'no SNAT rule in nat POSTROUTING'],
    ]);
  });

  it('catch a real server removed from the ingress pool', () => {
    const fixture = clusterFixture(
      'docker-26.1.5-ingress',
      nodes,
      editSbox('w1', (s) => s.replace(/^ {2}-> 10\.0\.0\.10:0 .*\n/m, '')),
    );
    expect(failed(ingressResults(fixture))).toEqual([
      ['ingress.backends', 'web-api-w1', 'missing 10.0.0.10; stale none'],
    ]);
  });

  it('catch a published port that lost its MARK rule', () => {
    const fixture = clusterFixture(
      'docker-26.1.5-ingress',
      nodes,
      editSbox('m1', (s) => s.replace(/^-A PREROUTING -p tcp -m tcp --dport 8080 .*\n/m, '')),
    );
    expect(failed(ingressResults(fixture))).toEqual([['ingress.port-mark', 'web-api-m1', 'no rule']]);
  });

  it('pass after api was scaled to 0: the port left the routing mesh on every node', () => {
    const results = ingressResults(clusterFixture('docker-26.1.5-ingress-scaled-to-zero', nodes));
    expect(results.map((r) => [r.check, r.status, r.seen])).toEqual(
      nodes.map(() => ['ingress.port-mark', 'pass', 'no rule']),
    );
    expect(results[0]?.expected).toBe('no PREROUTING MARK rule for --dport 8080: no task of api runs');
  });

  it('catch a MARK rule left for the port of a service with no running task', () => {
    const stale = '-A PREROUTING -p tcp -m tcp --dport 8080 -j MARK --set-xmark 0x105/0xffffffff\n';
    const fixture = clusterFixture(
      'docker-26.1.5-ingress-scaled-to-zero',
      nodes,
      editSbox('w2', (s) => s.replace(/(\*mangle\n(?::.*\n)*)/, `$1${stale}`)),
    );
    expect(failed(ingressResults(fixture))).toEqual([['ingress.port-mark', 'web-api-w2', stale.trim()]]);
  });
});
