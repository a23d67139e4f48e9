import type { ClusterNode } from '../cluster/cluster-node.js';
import { splitSections } from './dump-sections.js';
import { classifyNamespace, netnsDir, type NodeNamespace } from './namespaces.js';

/**
 * Everything the dataplane checks need from one node, read in a single exec:
 * per network namespace its iptables rules (with the node's own iptables,
 * legacy or nf_tables), its IPVS table (ipvsadm, or /proc/net/ip_vs on images
 * without it) and the IPVS sysctls; the node's verbose view of its overlay
 * networks; and which container each sandbox belongs to.
 */
export const nodeDumpScript = `
for ns in $(ls -1 ${netnsDir} 2>/dev/null); do
  p=${netnsDir}/$ns
  echo "=== netns $ns"
  case "$ns" in 1-*) continue ;; esac
  echo "=== iptables $ns"
  nsenter --net=$p iptables-save 2>&1
  echo "=== ipvs $ns"
  if command -v ipvsadm >/dev/null 2>&1; then nsenter --net=$p ipvsadm -Ln 2>&1; else nsenter --net=$p cat /proc/net/ip_vs 2>&1; fi
  echo "=== sysctl $ns"
  nsenter --net=$p sh -c 'cd /proc/sys/net/ipv4/vs 2>/dev/null && grep . conn_reuse_mode expire_nodest_conn expire_quiescent_template' 2>/dev/null
done
echo "=== networks"
ids=$(docker network ls -q --filter driver=overlay)
[ -n "$ids" ] && docker network inspect --verbose $ids
echo "=== containers"
cids=$(docker ps -q)
[ -n "$cids" ] && docker inspect --format '{{.Id}} {{.NetworkSettings.SandboxKey}} {{index .Config.Labels "com.docker.swarm.task.id"}} {{index .Config.Labels "com.docker.swarm.service.name"}}' $cids
echo "=== version"
docker version --format '{{.Server.Version}}'
`;

export interface NamespaceDump extends NodeNamespace {
  iptablesSave: string;
  ipvs: string;
  sysctls: Record<string, number>;
}

export interface ContainerSandbox {
  containerId: string;
  /** Namespace file name (last part of SandboxKey). */
  sandbox: string;
  taskId: string;
  service: string;
}

export interface NodeDump {
  hostname: string;
  dockerVersion: string;
  namespaces: NamespaceDump[];
  /** Raw `docker network inspect --verbose` JSON of the node's overlay networks. */
  networksJson: string;
  containers: ContainerSandbox[];
}

export function parseNodeDump(hostname: string, text: string): NodeDump {
  const sections = splitSections(text, `inspection output of ${hostname}`);
  const namespaces = new Map<string, NamespaceDump>();
  const ns = (name: string): NamespaceDump => {
    let found = namespaces.get(name);
    if (!found) {
      found = { ...classifyNamespace(name), iptablesSave: '', ipvs: '', sysctls: {} };
      namespaces.set(name, found);
    }
    return found;
  };
  let networksJson = '[]';
  let dockerVersion = '';
  const containers: ContainerSandbox[] = [];
  for (const section of sections) {
    switch (section.kind) {
      case 'netns':
        ns(section.arg);
        break;
      case 'iptables':
        ns(section.arg).iptablesSave = section.text;
        break;
      case 'ipvs':
        ns(section.arg).ipvs = section.text;
        break;
      case 'sysctl':
        for (const line of section.text.split('\n')) {
          const [key, value] = line.split(':');
          if (key && value !== undefined && /^\d+$/.test(value.trim())) ns(section.arg).sysctls[key.trim()] = Number(value);
        }
        break;
      case 'networks':
        networksJson = section.text.trim() || '[]';
        break;
      case 'containers':
        for (const line of section.text.split('\n').filter(Boolean)) {
          const [containerId = '', key = '', taskId = '', service = ''] = line.split(' ');
          containers.push({ containerId, sandbox: key.split('/').pop() ?? '', taskId: taskId === '<no' ? '' : taskId, service });
        }
        break;
      case 'version':
        dockerVersion = section.text.trim();
        break;
      default:
        break;
    }
  }
  return { hostname, dockerVersion, namespaces: [...namespaces.values()], networksJson, containers };
}

export async function dumpNode(node: ClusterNode): Promise<NodeDump> {
  const out = await node.run(['sh', '-c', nodeDumpScript], 60_000);
  return parseNodeDump(node.hostname, out);
}
