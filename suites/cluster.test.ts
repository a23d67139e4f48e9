import type Docker from 'dockerode';
import { bringUpCluster } from '../harness/cluster/bring-up.js';
import { Cluster } from '../harness/cluster/cluster.js';
import { describeCluster } from '../harness/cluster/describe-cluster.js';
import { teardownByLabel } from '../harness/cluster/teardown.js';
import { ConfigError } from '../harness/core/errors.js';
import { clusterFilter } from '../harness/core/labels.js';
import { dockerClient } from '../harness/engine/engine-facts.js';
import type { RunningEngine } from '../harness/engine/engine.js';
import { sharedEngine, suiteLogger } from './shared-engine.js';

const log = suiteLogger('cluster');
const name = 'e2e-cluster';

async function leftovers(docker: Docker, cluster: string): Promise<number> {
  const filters = clusterFilter(cluster);
  const containers = await docker.listContainers({ all: true, filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  const networks = await docker.listNetworks({ filters });
  return containers.length + volumes.length + networks.length;
}

describe('a 1+2 Swarm of dind nodes on the embedded engine', () => {
  let engine: RunningEngine;
  let docker: Docker;

  beforeAll(async () => {
    engine = await sharedEngine(log);
    docker = dockerClient(engine.dockerHost);
    await teardownByLabel(docker, log, name);
  }, 15 * 60_000);

  afterAll(async () => {
    if (docker) await teardownByLabel(docker, log, name);
  }, 120_000);

  it('brings up three nodes that are all Ready, on the expected Docker version', async () => {
    const started = Date.now();
    const cluster = await bringUpCluster({ name, managers: 1, workers: 2, nodeImage: 'bookworm' }, engine, log);
    log.info(`1+2 cluster Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const description = await describeCluster(cluster);
    expect(description.nodes.map((n) => [n.hostname, n.role])).toEqual([
      [`${name}-m1`, 'manager'],
      [`${name}-w1`, 'worker'],
      [`${name}-w2`, 'worker'],
    ]);
    for (const node of description.nodes) {
      expect(node.state).toBe('Ready Active');
      expect(node.dockerVersion).toMatch(/^20\.10\.24/);
    }
  }, 5 * 60_000);

  it('refuses a second cluster with the same name and creates nothing', async () => {
    const before = await leftovers(docker, name);
    await expect(bringUpCluster({ name, managers: 1, workers: 0, nodeImage: 'bookworm' }, engine, log)).rejects.toBeInstanceOf(ConfigError);
    expect(await leftovers(docker, name)).toBe(before);
  }, 60_000);

  it('leaves no container, volume or network after down', async () => {
    expect((await Cluster.attach(docker, name)).nodes).toHaveLength(3);
    await teardownByLabel(docker, log, name);
    expect(await leftovers(docker, name)).toBe(0);
  }, 120_000);
});
