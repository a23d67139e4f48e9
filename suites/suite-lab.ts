import { evaluateDataplane, snapshotDataplane, type DataplaneSnapshot } from '../harness/checks/dataplane.js';
import type { CheckResult } from '../harness/checks/check-result.js';
import type { Logger } from '../harness/core/log.js';
import { bringUpCluster } from '../harness/cluster/bring-up.js';
import { Cluster } from '../harness/cluster/cluster.js';
import { dockerSequenceIn } from '../harness/cluster/swarm-node.js';
import { dockerClient } from '../harness/engine/engine-facts.js';
import type { RunningEngine } from '../harness/engine/engine.js';
import { ensureImage } from '../harness/images/image-source.js';
import { probeImage } from '../harness/images/probe-image.js';
import { clusterProvider } from '../harness/providers/select-cluster.js';
import { topologyLabel, undeployTopology } from '../harness/topology/deploy.js';
import { loadTopology } from '../harness/topology/load-topology.js';
import { deployLab, type Lab } from '../harness/topology/lab.js';
import type { Topology } from '../harness/topology/topology.js';
import { sharedEngine, suiteNodeImage } from './shared-engine.js';

/** Twenty minutes: a cold cache builds the node image before the first cluster. */
const deployTimeoutMs = 20 * 60_000;

/**
 * Why a cluster an earlier suite left cannot be reused, or undefined when it can: every node Ready and Active,
 * and nothing of a topology left on it (a suite that failed half-way may leave a node drained or a service).
 */
async function unfitForReuse(cluster: Cluster): Promise<string | undefined> {
  const listing = await cluster.onManager((m) =>
    dockerSequenceIn(m, [
      ['node', 'ls', '--format', 'node {{.Hostname}} {{.Status}} {{.Availability}}'],
      ['service', 'ls', '--format', 'service {{.Name}}'],
      ['network', 'ls', '--filter', `label=${topologyLabel}`, '--format', 'network {{.Name}}'],
    ]),
  );
  const lines = listing.trim().split('\n');
  const nodes = lines.filter((l) => l.startsWith('node '));
  const unfit = [
    ...nodes.filter((l) => !l.endsWith(' Ready Active')),
    ...lines.filter((l) => l.startsWith('service ') || l.startsWith('network ')),
  ];
  if (nodes.length !== cluster.nodes.length) unfit.push(`${nodes.length} of ${cluster.nodes.length} nodes listed`);
  return unfit.length > 0 ? unfit.join('; ') : undefined;
}

/**
 * The suites that deploy a topology and look at it share one cluster per shape (managers, workers, node image):
 * bringing a cluster up costs 60-90 s under emulation, and a deploy onto a fresh cluster proves nothing more than
 * one onto a clean used one. The first suite brings it up; the next ones reuse it when it is clean (see
 * unfitForReuse) and build it again when not; the global teardown stops the engine and the cluster with it.
 * Fresh bring-ups stay covered by the cluster and interrupt suites and by `npm start`.
 */
async function sharedCluster(engine: RunningEngine, topology: Topology, log: Logger): Promise<string> {
  const { managers, workers } = topology.cluster;
  const name = `e2e-${managers}m${workers}w-${suiteNodeImage.replace(/[^a-z0-9]/g, '')}`.slice(0, 24);
  const provider = clusterProvider(engine);
  if ((await provider.list()).includes(name)) {
    const unfit = await unfitForReuse(await Cluster.attach(provider, name));
    if (unfit === undefined) {
      log.info(`reusing cluster ${name}, left clean by an earlier suite`);
      return name;
    }
    log.warn(`cluster ${name} is not as an earlier suite should have left it (${unfit}): building it again`);
    await provider.remove(log, name);
  }
  const probe = await probeImage(log);
  await ensureImage(engine.dockerHost, probe, log);
  await bringUpCluster({ name, managers, workers, nodeImage: suiteNodeImage }, provider, log, {
    sideLoad: { from: dockerClient(engine.dockerHost), images: [probe.ref] },
  });
  return name;
}

/**
 * Registers the suite's lab: the topology from topologies/, optionally edited, deployed on the shared cluster of
 * its shape before the suite's tests, and removed from it (by label) after them.
 * Returns the getter the tests use; it throws when the deployment failed.
 */
export function labPerSuite(file: string, log: Logger, edit: (t: Topology) => Topology = (t) => t): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    const engine = await sharedEngine(log);
    const topology = edit(await loadTopology(file));
    lab = await deployLab(engine, topology, { existingCluster: await sharedCluster(engine, topology, log) }, log);
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
