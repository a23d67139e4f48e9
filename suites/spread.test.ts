import { snapshotDataplane } from '../harness/checks/dataplane.js';
import { runIn } from '../harness/cluster/swarm-node.js';
import type { RunningEngine } from '../harness/engine/engine.js';
import { withLbFault } from '../harness/faults/lb-faults.js';
import type { Topology } from '../harness/topology/topology.js';
import { runningTaskContainers } from '../harness/inspect/swarm-state.js';
import { measureSpreadFrom, withClientOnEveryNode } from '../harness/traffic/spread-everywhere.js';
import { defaultSpreadRequest, measureSpread } from '../harness/traffic/spread.js';
import { restoredSharedEngine, suiteLogger } from './shared-engine.js';
import { checkLab, labPerSuite } from './suite-lab.js';

// Request spread through the api VIP (3 replicas), on a cluster restored from its snapshot (the shared engine is
// stopped and started again, which restores it): a restored cluster must be as good as a fresh one, its clocks the
// host's, every check clean, and a healthy round robin from the web task passes. Then from a client on every node:
// all pass, and one real server's weight raised to 3 in the lb namespace of a node that holds no web task (with the
// scheduler switched to wrr, since Swarm's rr ignores weights; invisible to a test from the web task) fails that node
// alone, naming the replica.
const log = suiteLogger('spread');

const request = defaultSpreadRequest('web', 'api', 600);

describe('spread of 600 requests from web over 3 api replicas', () => {
  const threeApis = (t: Topology): Topology => ({
    ...t,
    services: t.services.map((s) => (s.name === 'api' ? { ...s, replicas: 3 } : s)),
  });
  let engine: RunningEngine;
  // Before the lab's own beforeAll (hooks run in the order they are declared): the lab deploys on the restored cluster.
  beforeAll(async () => {
    engine = await restoredSharedEngine(log);
  }, 20 * 60_000);
  const lab = labPerSuite('topologies/web-api.yaml', log, threeApis);

  it('runs on a cluster restored within seconds, with every node clock the host’s and every check clean', async () => {
    expect(engine.restored?.seconds).toBeLessThan(30);
    log.info(`restored in ${engine.restored?.seconds.toFixed(1)} s`);
    for (const node of lab().cluster.nodes) {
      const before = Date.now();
      const guest = Number((await runIn(node, ['date', '+%s.%N'])).trim()) * 1000;
      const skew = guest - (before + Date.now()) / 2;
      log.info(`${node.hostname}: clock ${Math.round(skew)} ms off the host's`);
      expect(Math.abs(skew)).toBeLessThan(2000);
    }
    const { results, failures } = await checkLab(lab());
    expect(results.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  }, 120_000);

  it('every replica answers and the spread test passes', async () => {
    const m = await measureSpread(lab().cluster, request, log);
    log.info(
      `600 requests in ${(m.durationMs / 1000).toFixed(1)} s (${m.requestsPerSecond.toFixed(0)} req/s): ` +
        `${m.verdict.replicas.map((r) => `${r.replica} ${r.count}`).join(', ')}, p=${m.verdict.pValue.toPrecision(3)}`,
    );
    expect(m.verdict.replicas).toHaveLength(3);
    expect(m.verdict.silent).toEqual([]);
    expect(m.verdict.underpowered).toBe(false);
    expect(m.verdict.pass).toBe(true);
  }, 180_000);

  it('from a client on every node: each node passes; a skew on a node without the web task fails that node alone', async () => {
    const { cluster } = lab();
    const { from: _from, ...toApi } = request;
    await withClientOnEveryNode(cluster, ['web', 'api'], log, async (everyNode) => {
      const started = Date.now();
      const healthy = await measureSpreadFrom(cluster, everyNode, toApi, log);
      log.info(`spread from ${everyNode.clients.length} nodes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(healthy.perNode.map((n) => [n.node, n.measurement?.verdict.pass])).toEqual(
        cluster.nodes.map((n) => [n.hostname, true]),
      );
      // A node the one-client test never sees: not the web task's.
      const [webTask] = await runningTaskContainers(cluster, 'web');
      const node = cluster.nodes.find((n) => n !== webTask?.node);
      const model = (await snapshotDataplane(cluster, { dns: false })).models.find((m) => m.node === node?.hostname);
      const backend = model?.networks.find((n) => n.network === 'backend');
      const api = backend?.services.find((s) => s.service === 'api');
      const namespace = backend?.locations[0]?.namespace;
      const victim = api?.expected[0];
      if (!node || !api?.fwmark || !victim || !namespace) throw new Error('no lb state for api off the web node');
      const skew = { kind: 'skew-weight', fwmark: api.fwmark, ip: victim.ip, weight: 3 } as const;
      const skewed = await withLbFault(node, namespace, skew, log, () =>
        measureSpreadFrom(cluster, everyNode, toApi, log),
      );
      expect(skewed.perNode.map((n) => [n.node, n.measurement?.verdict.pass])).toEqual(
        cluster.nodes.map((n) => [n.hostname, n !== node]),
      );
      expect(skewed.pass).toBe(false);
      // The failing node's report names the replica that got more than its share.
      const replicas = skewed.perNode.find((n) => n.node === node.hostname)?.measurement?.verdict.replicas ?? [];
      const heaviest = replicas.reduce((x, y) => (y.deviation > x.deviation ? y : x));
      expect([heaviest.replica, heaviest.share > 0.5]).toEqual([victim.task, true]);
    });
  }, 600_000);
});
