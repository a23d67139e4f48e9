import { createLogger, type Logger } from '../harness/core/log.js';
import type { RunningEngine } from '../harness/engine/engine.js';
import { startEngine } from '../harness/engine/select-engine.js';
import { defaultNodeSuite, defaultVmSuite } from '../harness/images/debian-suites.js';
import { clusterSnapshotRequest } from '../harness/snapshot/ready-cluster.js';
import { cleanCluster, sharedClusterSpec } from '../harness/topology/reusable-cluster.js';

/**
 * The suites share one embedded VM engine: the first suite boots it (or finds
 * it running), the global teardown (global-teardown.mjs) stops it. Booting per suite would cost
 * ~35 s each under emulation for no extra coverage.
 */
export const sharedEngineName = 'e2e-suites';

export const suiteNodeImage = process.env['SWARMLAB_NODE_IMAGE'] ?? defaultNodeSuite;

export function suiteLogger(suite: string): Logger {
  return createLogger(`e2e/${suite}`);
}

/** The cluster most suites deploy on (every topology of 1 manager and 2 workers): see suite-lab.ts. */
export const sharedSuiteCluster = sharedClusterSpec('e2e', { managers: 1, workers: 2 }, suiteNodeImage);

/**
 * The engine, restored from the snapshot of the shared cluster when one is saved (it is saved the first time the
 * cluster is built in a VM booted for it), so the first suite finds the cluster Ready in seconds.
 */
export async function sharedEngine(log: Logger): Promise<RunningEngine> {
  // SWARMLAB_NODE_IMAGE runs the suites on another node image (e.g. sid for Docker 28.5.2); it is baked into the VM disk,
  // with bookworm (20.10.24), which the cluster suite's mixed-version cluster uses for its workers.
  return startEngine(
    {
      choice: 'vm',
      name: sharedEngineName,
      suite: defaultVmSuite,
      nodeImages: [suiteNodeImage, 'bookworm'],
      snapshot: await clusterSnapshotRequest(sharedSuiteCluster),
    },
    log,
  );
}

/**
 * The shared engine restored from its snapshot: started again until it is (at most twice: when it was booted without
 * a snapshot, building the cluster saves one, which the next start restores; an engine found running cannot save).
 */
export async function restoredSharedEngine(log: Logger): Promise<RunningEngine> {
  let engine = await sharedEngine(log);
  for (let attempt = 0; attempt < 2 && !engine.restored; attempt++) {
    if (engine.snapshotWanted) await cleanCluster(engine, sharedSuiteCluster, log);
    await engine.stop();
    engine = await sharedEngine(log);
  }
  return engine;
}
