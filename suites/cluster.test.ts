import { bringUpCluster } from '../harness/cluster/bring-up.js';
import { Cluster } from '../harness/cluster/cluster.js';
import type { ClusterProvider } from '../harness/cluster/cluster-provider.js';
import { describeCluster } from '../harness/cluster/describe-cluster.js';
import { ConfigError, SwarmlabError } from '../harness/core/errors.js';
import type { RunningEngine } from '../harness/engine/engine.js';
import { debianSuite, defaultNodeSuite } from '../harness/images/debian-suites.js';
import { ensureImage } from '../harness/images/image-source.js';
import { probeImage } from '../harness/images/probe-image.js';
import { DindProvider } from '../harness/providers/dind/dind-provider.js';
import { clusterProvider } from '../harness/providers/select-cluster.js';
import { sharedEngine, suiteLogger } from './shared-engine.js';

const log = suiteLogger('cluster');
const name = 'e2e-cluster';

describe('a 1+2 Swarm of dind nodes on the embedded engine', () => {
  let engine: RunningEngine;
  let provider: ClusterProvider;

  beforeAll(async () => {
    engine = await sharedEngine(log);
    provider = clusterProvider(engine);
    await provider.remove(log, name);
  }, 15 * 60_000);

  afterAll(async () => {
    await provider?.remove(log, name);
  }, 120_000);

  it(
    'brings up a mixed-version 1+2 cluster: all Ready, each node on its own Docker version',
    async () => {
      // An upgrade test's starting point: the manager on the default node image, the workers a release behind.
      const started = Date.now();
      const cluster = await bringUpCluster(
        { name, managers: 1, workers: 2, nodeImage: defaultNodeSuite, workerImage: 'bookworm' },
        provider,
        log,
      );
      log.info(`1+2 cluster Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const description = await describeCluster(cluster);
      expect(description.nodes.map((n) => [n.hostname, n.role, n.state, n.dockerVersion.split('+')[0]])).toEqual([
        [`${name}-m1`, 'manager', 'Ready Active', debianSuite(defaultNodeSuite).dockerVersion],
        [`${name}-w1`, 'worker', 'Ready Active', debianSuite('bookworm').dockerVersion],
        [`${name}-w2`, 'worker', 'Ready Active', debianSuite('bookworm').dockerVersion],
      ]);
    },
    5 * 60_000,
  );

  it('refuses a second cluster with the same name and creates nothing', async () => {
    const before = await provider.leftovers(name);
    await expect(
      bringUpCluster({ name, managers: 1, workers: 0, nodeImage: defaultNodeSuite }, provider, log),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(await provider.leftovers(name)).toEqual(before);
  }, 60_000);

  it(
    'a node whose inner engine never starts: the error shows its last log lines, and nothing is left',
    async () => {
      // The probe image as a node image: it runs, but no dockerd ever says "API listen on".
      const broken = 'e2e-cluster-broken';
      const probe = await probeImage(log);
      await ensureImage(engine.dockerHost, probe, log);
      const error: unknown = await bringUpCluster(
        { name: broken, managers: 1, workers: 1, nodeImage: probe.ref },
        new DindProvider(engine.dockerHost, 20_000),
        log,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SwarmlabError);
      expect((error as Error).message).toMatch(
        /inner Docker engine did not start[\s\S]*last log lines[\s\S]*probe: serving on/,
      );
      expect(await provider.leftovers(broken)).toEqual([]);
    },
    3 * 60_000,
  );

  it('leaves no container, volume or network after down', async () => {
    expect((await Cluster.attach(provider, name)).nodes).toHaveLength(3);
    await provider.remove(log, name);
    expect(await provider.leftovers(name)).toEqual([]);
  }, 120_000);
});
