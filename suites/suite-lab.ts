import { evaluateDataplane, snapshotDataplane, type DataplaneSnapshot } from '../harness/checks/dataplane.js';
import type { CheckResult } from '../harness/checks/check-result.js';
import type { Logger } from '../harness/core/log.js';
import { undeployTopology } from '../harness/topology/deploy.js';
import { loadTopology } from '../harness/topology/load-topology.js';
import { deployLab, type Lab } from '../harness/topology/lab.js';
import { cleanCluster, sharedClusterSpec } from '../harness/topology/reusable-cluster.js';
import type { Topology } from '../harness/topology/topology.js';
import { sharedEngine, suiteNodeImage } from './shared-engine.js';

/** Twenty minutes: a cold cache builds the node image before the first cluster. */
const deployTimeoutMs = 20 * 60_000;

/**
 * Registers the suite's lab: the topology from topologies/, optionally edited, deployed on the shared cluster of
 * its shape before the suite's tests, and removed from it (by label) after them. The suites that deploy a topology
 * and look at it share one cluster per shape: the first brings it up, the next reuse it when it is clean and
 * build it again when not (see cleanCluster); the global teardown stops the engine and the cluster with it. Fresh
 * bring-ups stay covered by the cluster and interrupt suites and by `npm start`.
 * Returns the getter the tests use; it throws when the deployment failed.
 */
export function labPerSuite(file: string, log: Logger, edit: (t: Topology) => Topology = (t) => t): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    const engine = await sharedEngine(log);
    const topology = edit(await loadTopology(file));
    const cluster = await cleanCluster(engine, sharedClusterSpec('e2e', topology.cluster, suiteNodeImage), log);
    lab = await deployLab(engine, topology, { existingCluster: cluster.name }, log);
  }, deployTimeoutMs);
  afterAll(async () => {
    if (lab) await undeployTopology(lab.cluster, lab.topology, log);
  }, 120_000);
  return () => {
    if (!lab) throw new Error(`${file} is not deployed (see the beforeAll error above)`);
    return lab;
  };
}

/** Every check over a fresh snapshot of the lab, and the failed ones alone. */
export async function checkLab(
  lab: Lab,
): Promise<{ snapshot: DataplaneSnapshot; results: CheckResult[]; failures: CheckResult[] }> {
  const snapshot = await snapshotDataplane(lab.cluster);
  const results = evaluateDataplane(snapshot);
  return { snapshot, results, failures: results.filter((r) => r.status === 'fail') };
}
