import { CommandError, SwarmlabError, errorMessage } from '../core/errors.js';
import type { ClusterProvider } from './cluster-provider.js';
import { NodeUnreachableError, type SwarmNode } from './swarm-node.js';

/**
 * What a manager says when it cannot speak for the Swarm, where another
 * manager may: its daemon is down, it was demoted, or it lost the leader.
 */
const managerCannotAnswer = new RegExp(
  [
    'Cannot connect to the Docker daemon',
    'not a swarm manager',
    'does not have a leader',
    'rpc error: code = (Unavailable|DeadlineExceeded)',
    'context deadline exceeded',
  ].join('|'),
);

function anotherManagerMayAnswer(error: unknown): boolean {
  if (error instanceof NodeUnreachableError) return true;
  return error instanceof CommandError && managerCannotAnswer.test(error.output);
}

/** A running cluster: its nodes, from the provider that holds them. */
export class Cluster {
  /** The manager that answered last: the first asked next time. */
  private answering: SwarmNode | undefined;

  constructor(
    readonly name: string,
    readonly nodes: readonly SwarmNode[],
    readonly provider: ClusterProvider,
  ) {}

  static async attach(provider: ClusterProvider, name: string): Promise<Cluster> {
    return new Cluster(name, await provider.nodes(name), provider);
  }

  get managers(): SwarmNode[] {
    return this.nodes.filter((n) => n.role === 'manager');
  }

  node(hostnameOrId: string): SwarmNode {
    const found = this.nodes.find((n) => n.id === hostnameOrId || n.hostname === hostnameOrId);
    if (!found) {
      const known = this.nodes.map((n) => n.hostname).join(', ');
      throw new SwarmlabError('cluster', `cluster "${this.name}" has no node ${hostnameOrId} (nodes: ${known})`);
    }
    return found;
  }

  /**
   * Runs a Swarm-wide read or command on a manager that answers: the one that
   * answered last, else each other manager in turn. A manager that is stopped,
   * has no daemon or lost the leader is passed over; any other failure is the
   * command's own and is thrown as it is.
   */
  async onManager<T>(use: (manager: SwarmNode) => Promise<T>): Promise<T> {
    const managers = this.managers;
    if (managers.length === 0) throw new SwarmlabError('cluster', `cluster "${this.name}" has no manager node`);
    const first = this.answering && managers.includes(this.answering) ? this.answering : managers[0];
    const order = [...managers.filter((m) => m === first), ...managers.filter((m) => m !== first)];
    const passedOver: string[] = [];
    for (const manager of order) {
      try {
        const result = await use(manager);
        this.answering = manager;
        return result;
      } catch (error) {
        if (!anotherManagerMayAnswer(error)) throw error;
        passedOver.push(`${manager.hostname}: ${errorMessage(error).split('\n')[0]}`);
      }
    }
    throw new SwarmlabError(
      'no-manager',
      `no manager of cluster "${this.name}" answers:\n  ${passedOver.join('\n  ')}`,
      {
        cluster: this.name,
      },
    );
  }
}
