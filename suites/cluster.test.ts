import type Docker from 'dockerode';
import { bringUpCluster } from '../harness/cluster/bring-up.js';
import { Cluster } from '../harness/cluster/cluster.js';
import { describeCluster } from '../harness/cluster/describe-cluster.js';
import { leftoversOf, teardownByLabel } from '../harness/cluster/teardown.js';
import { ConfigError, SwarmlabError } from '../harness/core/errors.js';
import { dockerClient } from '../harness/engine/engine-facts.js';
import type { RunningEngine } from '../harness/engine/engine.js';
import { debianSuite, defaultNodeSuite } from '../harness/images/debian-suites.js';
import { ensureImage } from '../harness/images/image-source.js';
import { probeImage } from '../harness/images/probe-image.js';
import { sharedEngine, suiteLogger } from './shared-engine.js';

const log = suiteLogger('cluster');
const name = 'e2e-cluster';

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

  it(
    'brings up a mixed-version 1+2 cluster: all Ready, each node on its own Docker version',
    async () => {
      // An upgrade test's starting point: the manager on the default node image, the workers a release behind.
      const started = Date.now();
      const cluster = await bringUpCluster(
        { name, managers: 1, workers: 2, nodeImage: defaultNodeSuite, workerImage: 'bookworm' },
        engine,
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
    const before = await leftoversOf(docker, name);
    await expect(
      bringUpCluster({ name, managers: 1, workers: 0, nodeImage: defaultNodeSuite }, engine, log),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(await leftoversOf(docker, name)).toEqual(before);
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
        engine,
        log,
        { nodeStartTimeoutMs: 20_000 },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SwarmlabError);
      expect((error as Error).message).toMatch(
        /inner Docker engine did not start[\s\S]*last log lines[\s\S]*probe: serving on/,
      );
      expect(await leftoversOf(docker, broken)).toEqual([]);
    },
    3 * 60_000,
  );

  it('leaves no container, volume or network after down', async () => {
    expect((await Cluster.attach(docker, name)).nodes).toHaveLength(3);
    await teardownByLabel(docker, log, name);
    expect(await leftoversOf(docker, name)).toEqual([]);
  }, 120_000);
});
