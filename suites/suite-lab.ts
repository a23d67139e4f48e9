import { evaluateDataplane, snapshotDataplane, type DataplaneSnapshot } from '../harness/checks/dataplane.js';
import type { CheckResult } from '../harness/checks/check-result.js';
import type { Logger } from '../harness/core/log.js';
import { loadTopology } from '../harness/topology/load-topology.js';
import { deployLab, type Lab } from '../harness/topology/lab.js';
import type { Topology } from '../harness/topology/topology.js';
import { sharedEngine, suiteNodeImage } from './shared-engine.js';

/** Twenty minutes: a cold cache builds the node image before the first cluster. */
const deployTimeoutMs = 20 * 60_000;

/**
 * One suite file, one cluster: the topology from topologies/, optionally
 * edited, deployed on the shared engine with the suites' node image. The
 * cluster name carries the node image so runs on two images never collide.
 */
async function deploySuiteLab(
  file: string,
  clusterPrefix: string,
  log: Logger,
  edit: (t: Topology) => Topology = (t) => t,
): Promise<Lab> {
  const engine = await sharedEngine(log);
  const topology = edit(await loadTopology(file));
  const clusterName = `${clusterPrefix}-${suiteNodeImage.replace(/[^a-z0-9]/g, '')}`.slice(0, 24);
  return deployLab(engine, topology, { clusterName, nodeImage: suiteNodeImage }, log);
}

/**
 * Registers the suite's lab: deployed before its tests, removed after them.
 * Returns the getter the tests use; it throws when the deployment failed.
 */
export function labPerSuite(
  file: string,
  clusterPrefix: string,
  log: Logger,
  edit?: (t: Topology) => Topology,
): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await deploySuiteLab(file, clusterPrefix, log, edit);
  }, deployTimeoutMs);
  afterAll(async () => {
    await lab?.destroy();
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
