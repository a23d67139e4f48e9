import { deadline } from '../core/deadlines.js';
import { errorMessage } from '../core/errors.js';
import type { Cluster } from './cluster.js';
import type { NodeRole } from './cluster-spec.js';
import { dockerIn } from './swarm-node.js';

export interface NodeDescription {
  hostname: string;
  role: NodeRole;
  address: string;
  dockerVersion: string;
  /** Swarm's view (Ready/Down + availability), or why it could not be read. */
  state: string;
}

export interface ClusterDescription {
  name: string;
  nodes: NodeDescription[];
}

/** Each node's Docker version and Swarm state, as the node and a manager see them. */
export async function describeCluster(cluster: Cluster): Promise<ClusterDescription> {
  let states = new Map<string, string>();
  try {
    const lines = await cluster.onManager((m) =>
      dockerIn(m, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.Availability}}'], {
        timeoutMs: deadline('nodeCliQuick'),
      }),
    );
    states = new Map(
      lines
        .trim()
        .split('\n')
        .map((l) => {
          const [host = '', ...rest] = l.split(' ');
          return [host, rest.join(' ')];
        }),
    );
  } catch (error) {
    states.set('*', `unknown (${errorMessage(error).split('\n')[0]})`);
  }
  const nodes = await Promise.all(
    cluster.nodes.map(async (node): Promise<NodeDescription> => {
      // Docker 20.10.24 workers took over 15 s to answer this just after joining (CI, trixie VM under emulation).
      const version = await dockerIn(node, ['version', '--format', '{{.Server.Version}}'], {
        timeoutMs: deadline('nodeExec'),
      }).catch(() => 'not answering');
      return {
        hostname: node.hostname,
        role: node.role,
        address: node.address,
        dockerVersion: version.trim(),
        state: states.get(node.hostname) ?? states.get('*') ?? 'not in swarm',
      };
    }),
  );
  return { name: cluster.name, nodes };
}
