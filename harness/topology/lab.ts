import { Cluster } from '../cluster/cluster.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { cleanupOnInterrupt, sharedCleanup } from '../core/interrupt.js';
import type { Logger } from '../core/log.js';
import { dockerClient } from '../engine/engine-facts.js';
import type { RunningEngine } from '../engine/engine.js';
import { probeImage } from '../images/probe-image.js';
import { clusterProvider } from '../providers/select-cluster.js';
import { readyCluster } from '../snapshot/ready-cluster.js';
import { deployTopology } from './deploy.js';
import type { Topology } from './topology.js';

/** A topology deployed on a cluster: what checks and traffic work on. */
export interface Lab {
  cluster: Cluster;
  topology: Topology;
  /** The probe image: what services that name no image run. */
  probeRef: string;
  /** Removes the cluster it brought up (not one it was given). */
  destroy(): Promise<void>;
}

export interface LabOptions {
  /** Deploy onto this existing cluster instead of bringing one up. */
  existingCluster?: string;
  /** Name of the cluster to bring up (default: the topology's name). */
  clusterName?: string;
  /** Overrides the topology's node image (--node-image). */
  nodeImage?: string;
}

/** The cluster a lab brings up for a topology (when it is given none). */
export function labClusterSpec(
  topology: Topology,
  options: Pick<LabOptions, 'clusterName' | 'nodeImage'>,
): ClusterSpec {
  return {
    name: options.clusterName ?? topology.name,
    ...topology.cluster,
    nodeImage: options.nodeImage ?? topology.cluster.nodeImage,
  };
}

/**
 * Brings up the cluster a topology asks for (or takes an existing one) and
 * deploys the topology; on failure or Ctrl-C, what it brought up is removed.
 */
export async function deployLab(
  engine: RunningEngine,
  topology: Topology,
  options: LabOptions,
  log: Logger,
): Promise<Lab> {
  const docker = dockerClient(engine.dockerHost);
  const probe = await probeImage(log);
  const provider = clusterProvider(engine);
  const owned = options.existingCluster === undefined;
  const cluster = owned
    ? await readyCluster(engine, labClusterSpec(topology, options), log)
    : await Cluster.attach(provider, options.existingCluster ?? '');
  const destroy = sharedCleanup(async () => {
    if (owned) await provider.remove(log, cluster.name);
  });
  const unregister = cleanupOnInterrupt(destroy);
  try {
    await deployTopology(
      docker,
      cluster,
      topology,
      { probeRef: probe.ref, ...(owned ? { onNodes: [probe.ref] } : {}) },
      log,
    );
  } catch (error) {
    await destroy();
    throw error;
  } finally {
    unregister();
  }
  return { cluster, topology, probeRef: probe.ref, destroy };
}
