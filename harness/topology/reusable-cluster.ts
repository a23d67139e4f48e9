import { Cluster } from '../cluster/cluster.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { dockerSequenceIn } from '../cluster/swarm-node.js';
import type { Logger } from '../core/log.js';
import type { RunningEngine } from '../engine/engine.js';
import { clusterProvider } from '../providers/select-cluster.js';
import { readyCluster } from '../snapshot/ready-cluster.js';
import { topologyLabel } from './deploy.js';
import type { Topology } from './topology.js';

/**
 * The cluster a topology of this shape runs on when clusters are shared: named by shape and node image
 * (`<prefix>-<managers>m<workers>w-<image>`, cut to the 24 characters a cluster name may have), so the next
 * topology of that shape finds it.
 */
export function sharedClusterSpec(
  prefix: string,
  shape: Pick<Topology['cluster'], 'managers' | 'workers'>,
  nodeImage: string,
): ClusterSpec {
  const { managers, workers } = shape;
  const name = `${prefix}-${managers}m${workers}w-${nodeImage.replace(/[^a-z0-9]/g, '')}`.slice(0, 24);
  return { name, managers, workers, nodeImage };
}

/**
 * Why a cluster cannot take the next topology as if it were fresh, or undefined when it can: every node Ready and
 * Active, and no service and no topology network left (a run that failed half-way may leave a node drained or
 * stopped, or a service behind).
 */
export async function unfitForReuse(cluster: Cluster): Promise<string | undefined> {
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
 * A clean cluster of this spec, for several topologies one after another: the one of that name when it is there
 * and fit (see unfitForReuse), otherwise brought up anew (removing an unfit one first, saying why), with the
 * probe side-loaded. Bringing a cluster up costs 60-90 s under emulation; removing a topology by label costs
 * 10-35 s and leaves a cluster a deploy cannot tell from a fresh one.
 */
export async function cleanCluster(engine: RunningEngine, spec: ClusterSpec, log: Logger): Promise<Cluster> {
  const provider = clusterProvider(engine);
  if ((await provider.list()).includes(spec.name)) {
    const cluster = await Cluster.attach(provider, spec.name);
    const unfit = await unfitForReuse(cluster);
    if (unfit === undefined) {
      log.info(`reusing cluster ${spec.name}: every node Ready and Active, nothing deployed`);
      return cluster;
    }
    log.warn(`cluster ${spec.name} is not clean (${unfit}): building it again`);
    await provider.remove(log, spec.name);
  }
  return readyCluster(engine, spec, log);
}
