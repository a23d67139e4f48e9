import { loadTopology } from '../../harness/topology/load-topology.js';
import { pendingServices } from '../../harness/topology/convergence.js';
import type { Topology } from '../../harness/topology/topology.js';
import { clusterFixture } from '../fixtures/load.js';

// The convergence wait of deploy, on managers' states captured from live clusters (test/fixtures/README.md).
const withReplicas = (topology: Topology, name: string, replicas: number | 'global'): Topology => ({
  ...topology,
  services: topology.services.map((s) => (s.name === name ? { ...s, replicas } : s)),
});

describe('deploy convergence', () => {
  let webApi: Topology;
  beforeAll(async () => {
    webApi = await loadTopology('topologies/web-api.yaml');
  });

  it.each([
    'docker-26.1.5-mixed-web-api',
    'docker-28.5.2-web-api',
    'docker-20.10.5-web-api',
    'docker-26.1.5-rejected-task',
  ])('sees the web-api of %s as converged', (dir) => {
    const { swarm } = clusterFixture(dir, []);
    expect(pendingServices(swarm, webApi)).toEqual([]);
  });

  it('names the service short of replicas, with its tasks, nodes and states', () => {
    const { swarm } = clusterFixture('docker-26.1.5-mixed-web-api', []);
    const [pending, ...rest] = pendingServices(swarm, withReplicas(webApi, 'api', 3));
    expect(rest).toEqual([]);
    expect(pending).toMatch(/^api 2\/3 \[api\.\d@mixed-w\d: running; api\.\d@mixed-w\d: running\]$/);
  });

  it('expects a global service without constraints on every node', () => {
    const { swarm } = clusterFixture('docker-26.1.5-mixed-web-api', []);
    expect(pendingServices(swarm, withReplicas(webApi, 'web', 'global'))).toEqual([
      expect.stringMatching(/^web 1\/3 \[web\.\S+@mixed-\w+: running\]$/),
    ]);
  });

  it('expects no global task on a drained node (w2 drained, captured on Docker 26.1.5)', () => {
    const { swarm } = clusterFixture('docker-26.1.5-drained-node', []);
    expect(swarm.nodes.map((n) => [n.hostname, n.status, n.availability]).sort()).toEqual([
      ['cap-m1', 'ready', 'active'],
      ['cap-w1', 'ready', 'active'],
      ['cap-w2', 'ready', 'drain'],
    ]);
    expect(pendingServices(swarm, withReplicas(webApi, 'web', 'global'))).toEqual([
      expect.stringMatching(/^web 1\/2 \[web\.\S+@cap-m1: running\]$/),
    ]);
    expect(pendingServices(swarm, webApi)).toEqual([]);
  });

  it('says why a task failed: every task of broken was rejected for want of its image', () => {
    const { swarm } = clusterFixture('docker-26.1.5-rejected-task', []);
    const withBroken: Topology = {
      ...webApi,
      services: [...webApi.services, { ...webApi.services[0]!, name: 'broken', image: 'swarmlab/missing:none' }],
    };
    const [pending, ...rest] = pendingServices(swarm, withBroken);
    expect(rest).toEqual([]);
    expect(pending).toMatch(
      /^broken 0\/1 \[broken\.1@web-api-(m1|w2): rejected \(No such image: swarmlab\/missing:none\);/,
    );
  });

  it('reports a service the managers do not know', () => {
    const { swarm } = clusterFixture('docker-26.1.5-mixed-web-api', []);
    const extra: Topology = { ...webApi, services: [...webApi.services, { ...webApi.services[0]!, name: 'cache' }] };
    expect(pendingServices(swarm, extra)).toEqual(['cache: no such service']);
  });
});
