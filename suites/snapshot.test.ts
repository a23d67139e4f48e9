import { runIn } from '../harness/cluster/swarm-node.js';
import type { RunningEngine } from '../harness/engine/engine.js';
import { undeployTopology } from '../harness/topology/deploy.js';
import { deployLab } from '../harness/topology/lab.js';
import { loadTopology } from '../harness/topology/load-topology.js';
import { cleanCluster } from '../harness/topology/reusable-cluster.js';
import { defaultSpreadRequest, measureSpread } from '../harness/traffic/spread.js';
import { sharedEngine, sharedSuiteCluster, suiteLogger } from './shared-engine.js';
import { checkLab } from './suite-lab.js';

// A restored snapshot must be as good as a fresh cluster: the shared engine is stopped and started again, which
// restores the snapshot of the shared cluster (saving it first when this VM was booted without one), and on it
// web-api deploys with every check clean, the spread test passes and every node's clock is the host's.
const log = suiteLogger('snapshot');

/** The shared engine restored from its snapshot: started again until it is (at most twice: save, then restore). */
async function restoredSharedEngine(): Promise<RunningEngine> {
  let engine = await sharedEngine(log);
  for (let attempt = 0; attempt < 2 && !engine.restored; attempt++) {
    // Booted without a snapshot: building the cluster saves it (an engine found running cannot, so restart it).
    if (engine.snapshotWanted) await cleanCluster(engine, sharedSuiteCluster, log);
    await engine.stop();
    engine = await sharedEngine(log);
  }
  return engine;
}

describe('a cluster restored from a snapshot', () => {
  it('is Ready within seconds, its clocks are the host’s, web-api deploys clean and spreads evenly', async () => {
    const engine = await restoredSharedEngine();
    expect(engine.restored).toBeDefined();
    const started = Date.now();
    const cluster = await cleanCluster(engine, sharedSuiteCluster, log);
    const seconds = engine.restored?.seconds ?? 0;
    log.info(`restored in ${seconds.toFixed(1)} s, the cluster proven clean ${(Date.now() - started) / 1000} s later`);
    expect(engine.restored?.seconds).toBeLessThan(30);

    for (const node of cluster.nodes) {
      const before = Date.now();
      const guest = Number((await runIn(node, ['date', '+%s.%N'])).trim()) * 1000;
      const skew = guest - (before + Date.now()) / 2;
      log.info(`${node.hostname}: clock ${Math.round(skew)} ms off the host's`);
      expect(Math.abs(skew)).toBeLessThan(2000);
    }

    const topology = await loadTopology('topologies/web-api.yaml');
    const lab = await deployLab(engine, topology, { existingCluster: cluster.name }, log);
    try {
      const { results, failures } = await checkLab(lab);
      expect(results.length).toBeGreaterThan(0);
      expect(failures).toEqual([]);
      const spread = await measureSpread(lab.cluster, defaultSpreadRequest('web', 'api', 300), log);
      expect(spread.verdict.silent).toEqual([]);
      expect(spread.verdict.pass).toBe(true);
    } finally {
      await undeployTopology(lab.cluster, lab.topology, log);
    }
  }, 900_000);
});
