import { bringUpCluster } from '../harness/cluster/bring-up.js';
import { Cluster } from '../harness/cluster/cluster.js';
import type { ClusterProvider } from '../harness/cluster/cluster-provider.js';
import { describeCluster } from '../harness/cluster/describe-cluster.js';
import { dockerIn, runIn } from '../harness/cluster/swarm-node.js';
import { ConfigError, SwarmlabError } from '../harness/core/errors.js';
import { waitFor } from '../harness/core/wait.js';
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

  /** Polls a manager until the node's Swarm status is the one wanted. */
  const untilStatus = (cluster: Cluster, hostname: string, status: string) =>
    waitFor(
      { what: `${hostname} to be ${status} in docker node ls`, timeoutMs: 120_000, intervalMs: 2000 },
      async () => {
        const seen = (
          await cluster.onManager((m) => dockerIn(m, ['node', 'inspect', '-f', '{{.Status.State}}', hostname]))
        ).trim();
        return seen === status ? { done: true, value: undefined } : { done: false, seen };
      },
    );

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

  it(
    "a worker's Docker daemon restarts alone: a new dockerd, the same address, and the node Ready again",
    async () => {
      const cluster = await Cluster.attach(provider, name);
      const worker = cluster.node('w1');
      const dockerdPid = async () => (await runIn(worker, ['cat', '/var/run/docker.pid'])).trim();
      // PID 1 (the entry point) keeps its start time unless the whole node restarted.
      const initStart = async () => (await runIn(worker, ['cut', '-d', ' ', '-f', '22', '/proc/1/stat'])).trim();
      const logLines = (await worker.logs()).split('\n').length;
      const before = await dockerdPid();
      const initBefore = await initStart();
      const started = Date.now();
      await worker.restartDaemon();
      log.info(`daemon of ${worker.hostname} answered again in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(await dockerdPid()).not.toBe(before);
      expect(await initStart()).toBe(initBefore);
      const logs = await worker.logs();
      expect(logs).toMatch(/swarmlab: dockerd exited \(\d+\) for a restart/);
      expect(logs.split('\n').length).toBeGreaterThan(logLines);
      await untilStatus(cluster, worker.hostname, 'ready');
    },
    5 * 60_000,
  );

  it(
    'a stopped worker is down for Swarm and its exec says it does not answer; started again it is Ready',
    async () => {
      const cluster = await Cluster.attach(provider, name);
      const worker = cluster.node('w2');
      await worker.stop();
      await expect(worker.exec(['true'])).rejects.toThrow(/does not answer/);
      await untilStatus(cluster, worker.hostname, 'down');
      await worker.start();
      await untilStatus(cluster, worker.hostname, 'ready');
      expect((await Cluster.attach(provider, name)).node('w2').address).toBe(worker.address);
    },
    5 * 60_000,
  );

  it('leaves no container, volume or network after down', async () => {
    expect((await Cluster.attach(provider, name)).nodes).toHaveLength(3);
    await provider.remove(log, name);
    expect(await provider.leftovers(name)).toEqual([]);
  }, 120_000);
});
