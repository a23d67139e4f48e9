import type { Logger } from '../core/log.js';
import type { ClusterSpec } from './cluster-spec.js';
import type { SwarmNode } from './swarm-node.js';

/**
 * Where a cluster's nodes come from. A provider creates nodes whose Docker
 * daemons answer, finds them again in a later process, and removes them; the
 * Swarm itself (init, joins, reads) is the cluster code's, the same on every
 * provider. Logs are collected through the nodes (SwarmNode.logs).
 */
export interface ClusterProvider {
  /** What and where, for messages: "docker-in-docker on tcp://127.0.0.1:23750". */
  readonly description: string;
  /**
   * Creates the nodes of a validated spec, each with its Docker daemon
   * answering and no Swarm yet. On failure or cancellation it leaves nothing.
   */
  provision(spec: ClusterSpec, log: Logger): Promise<SwarmNode[]>;
  /** Names of the clusters this provider holds, sorted. */
  list(): Promise<string[]>;
  /** The nodes of a cluster, sorted by id (m1, m2, w1, ...); a SwarmlabError when there is no such cluster. */
  nodes(cluster: string): Promise<SwarmNode[]>;
  /** Removes one cluster, or every cluster (and leftover) of this provider, and logs what it removed. */
  remove(log: Logger, cluster?: string): Promise<void>;
  /** What is left of a cluster, e.g. `container /x`; empty when nothing is. */
  leftovers(cluster: string): Promise<string[]>;
}
