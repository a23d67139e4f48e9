import type { SwarmNode } from '../cluster/swarm-node.js';

/** Where Docker bind-mounts its network namespaces inside a node. */
export const netnsDir = '/var/run/docker/netns';

/** lb: a network's load balancer; ingress: the routing mesh; overlay: a network's vxlan bridge; sandbox: a container's. */
export type NamespaceKind = 'lb' | 'ingress' | 'overlay' | 'sandbox';

export interface NodeNamespace {
  /** File name under netnsDir: lb_<net id prefix>, ingress_sbox, or a sandbox id. */
  name: string;
  path: string;
  kind: NamespaceKind;
  /** For lb namespaces: the first characters of the network id they serve. */
  networkIdPrefix?: string;
}

export function classifyNamespace(name: string): NodeNamespace {
  const path = `${netnsDir}/${name}`;
  if (name.startsWith('lb_')) return { name, path, kind: 'lb', networkIdPrefix: name.slice(3) };
  if (name === 'ingress_sbox') return { name, path, kind: 'ingress' };
  if (/^\d+-/.test(name)) return { name, path, kind: 'overlay' };
  return { name, path, kind: 'sandbox' };
}

export async function listNamespaces(node: SwarmNode): Promise<NodeNamespace[]> {
  const result = await node.exec(['ls', '-1', netnsDir]);
  if (result.exitCode !== 0) return [];
  return result.stdout.split('\n').filter(Boolean).map(classifyNamespace);
}

/** Runs a command inside a namespace of the node, with the node's own binaries. */
export function inNamespace(ns: NodeNamespace, command: readonly string[]): string[] {
  return ['nsenter', `--net=${ns.path}`, ...command];
}
