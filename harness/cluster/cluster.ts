import type Docker from 'dockerode';
import { SwarmlabError } from '../core/errors.js';
import { clusterFilter, labels } from '../core/labels.js';
import { ClusterNode } from './cluster-node.js';
import type { NodeRole } from './cluster-spec.js';

export function networkName(cluster: string): string {
  return `swarmlab-${cluster}`;
}

export function containerName(cluster: string, nodeId: string): string {
  return `swarmlab-${cluster}-${nodeId}`;
}

/** A running cluster, found by its labels on the engine. */
export class Cluster {
  constructor(
    readonly name: string,
    readonly nodes: readonly ClusterNode[],
  ) {}

  get managers(): ClusterNode[] {
    return this.nodes.filter((n) => n.role === 'manager');
  }

  /** The first manager: where Swarm-wide commands (service create, node ls) run. */
  get leader(): ClusterNode {
    const first = this.managers[0];
    if (!first) throw new SwarmlabError('cluster', `cluster "${this.name}" has no manager node`);
    return first;
  }

  node(hostnameOrId: string): ClusterNode {
    const found = this.nodes.find((n) => n.id === hostnameOrId || n.hostname === hostnameOrId);
    if (!found)
      throw new SwarmlabError(
        'cluster',
        `cluster "${this.name}" has no node ${hostnameOrId} (nodes: ${this.nodes.map((n) => n.hostname).join(', ')})`,
      );
    return found;
  }

  static async attach(docker: Docker, name: string): Promise<Cluster> {
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`${labels.cluster}=${name}`, `${labels.kind}=node`] },
    });
    if (containers.length === 0)
      throw new SwarmlabError('no-cluster', `no cluster named "${name}" on this engine (see swarmlab ls)`);
    const network = networkName(name);
    const nodes = containers
      .map(
        (c) =>
          new ClusterNode(
            docker,
            name,
            c.Labels[labels.node] ?? '?',
            (c.Labels[labels.role] ?? 'worker') as NodeRole,
            c.Id,
            c.NetworkSettings?.Networks?.[network]?.IPAddress ?? '',
            c.Image,
          ),
      )
      .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    return new Cluster(name, nodes);
  }

  /** Names of the clusters that have at least one container on the engine. */
  static async names(docker: Docker): Promise<string[]> {
    const containers = await docker.listContainers({ all: true, filters: clusterFilter() });
    return [...new Set(containers.map((c) => c.Labels[labels.cluster]).filter((n): n is string => Boolean(n)))].sort();
  }
}
