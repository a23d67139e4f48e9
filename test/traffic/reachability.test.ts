import { formatReachability } from '../../harness/report/spread-report.js';
import { reachabilityPaths, type ReachCell } from '../../harness/traffic/reachability.js';
import { clusterFixture } from '../fixtures/load.js';

// The paths come from a captured swarm state: topologies/ingress.yaml (web x1, api x3 publishing 8080) on Docker
// 26.1.5 trixie nodes (test/fixtures/README.md).
describe('reachability paths', () => {
  const { swarm } = clusterFixture('docker-26.1.5-ingress', ['m1']);

  it('reach each probe service by name, VIP and tasks.<name>, and each published port on every node', () => {
    const paths = reachabilityPaths(swarm, 'swarmlab-client');
    const api = swarm.services.find((s) => s.name === 'api');
    const backendVip = api?.vips.find((v) => swarm.networks.find((n) => n.id === v.networkId)?.name === 'backend');
    expect(paths.map((p) => [p.service, p.via])).toEqual([
      ['api', 'name'],
      ['api', 'vip'],
      ['api', 'tasks'],
      ...['m1', 'w1', 'w2'].map((n) => ['api', `mesh ingress-${n}`]),
      ['web', 'name'],
      ['web', 'vip'],
      ['web', 'tasks'],
    ]);
    // The VIP on the overlay, never the ingress network's; tasks.<name> and dnsrr names are looked up per request.
    expect(paths.find((p) => p.service === 'api' && p.via === 'vip')?.target).toBe(`${backendVip?.address}:80`);
    expect(paths.filter((p) => p.resolveEach).map((p) => p.via)).toEqual(['tasks', 'tasks']);
    expect(paths.filter((p) => p.via.startsWith('mesh')).map((p) => p.target)).toEqual(
      ['m1', 'w1', 'w2'].map((n) => `${swarm.nodes.find((x) => x.hostname === `ingress-${n}`)?.address}:8080`),
    );
  });

  it('leave out the client service itself', () => {
    expect(reachabilityPaths(swarm, 'web').some((p) => p.service === 'web')).toBe(false);
  });
});

describe('the reachability table', () => {
  const cell = (from: string, via: string, answered: number, error?: string): ReachCell => ({
    from,
    service: 'api',
    via,
    target: `api:80`,
    answered,
    sent: 3,
    ...(error ? { error } : {}),
  });

  it('has a row per path and a column per client node, and names each path that failed', () => {
    const text = formatReachability({
      cells: [
        cell('m1', 'name', 3),
        cell('w1', 'name', 0, 'connect: timed out'),
        cell('m1', 'vip', 3),
        cell('w1', 'vip', 3),
      ],
      pass: false,
    });
    expect(text.split('\n')).toEqual([
      'reachability (answered/sent, from a client on each node):',
      '  service  via   m1     w1',
      '  api      name  3/3    0/3',
      '  api      vip   3/3    3/3',
      '  from w1 to api by name (api:80): connect: timed out',
      'FAIL: 1 of 4 paths not answered every time',
    ]);
  });
});
