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
# Every process costs about 0.1 s under emulation (curl 0.3 s), so the script
# forks as little as it can: one curl per round of API calls, shell globs
# instead of ls, one nsenter per namespace, builtins (read) for files.
# The Docker API through curl when the image has it (a tenth of the docker CLI's
# start-up cost); the docker CLI otherwise (official dind images).
if command -v curl >/dev/null 2>&1; then
  # Docker answers each call with one line of JSON; curl prints them in URL order.
  api() { curl -s --unix-socket /var/run/docker.sock "$@"; }
  api http://docker/version 'http://docker/networks?filters=%7B%22driver%22%3A%5B%22overlay%22%5D%7D' | {
    read -r version; read -r list
    echo "=== version"; echo "$version"
    urls=$(echo "$list" | awk '{ while (match($0, /"Id":"[0-9a-z]+"/)) {
      printf "http://docker/networks/%s?verbose=true\\n", substr($0, RSTART + 6, RLENGTH - 7); $0 = substr($0, RSTART + RLENGTH) } }')
    if [ -n "$urls" ]; then api $urls | awk '{ print "=== network"; print }'; fi
  }
else
  echo "=== version"; docker version --format '{{.Server.Version}}'
  ids=$(docker network ls -q --filter driver=overlay)
  if [ -n "$ids" ]; then echo "=== network all"; docker network inspect --verbose $ids; fi
fi
set -- ${netnsDir}/lb_*
[ -e "$1" ] && lbs=1 || lbs=0
for p in ${netnsDir}/*; do
  [ -e "$p" ] || continue
  ns=\${p##*/}
  echo "=== netns $ns"
  case "$ns" in
    [0-9]-*) continue ;;
    lb_*|ingress_sbox) ;;
    # Container sandboxes hold VIP state only on engines without lb_ namespaces (before 18.09).
    *) [ "$lbs" -eq 1 ] && continue ;;
  esac
  nsenter --net=$p sh -c 'echo "=== iptables '$ns'"; iptables-save 2>&1
    echo "=== ipvs '$ns'"; if command -v ipvsadm >/dev/null 2>&1; then ipvsadm -Ln; else cat /proc/net/ip_vs; fi
    echo "=== sysctl '$ns'"; for f in conn_reuse_mode expire_nodest_conn expire_quiescent_template; do
      # read returns 1 on these files (no newline after a 1-byte read) yet sets v.
      v=; { read -r v < /proc/sys/net/ipv4/vs/$f; } 2>/dev/null; [ -n "$v" ] && echo "$f:$v"; done' 2>&1
done
if [ "$lbs" -eq 0 ]; then
  cids=$(docker ps -q)
  echo "=== containers"
  # if, not &&: a node without containers must not make the script exit 1.
  if [ -n "$cids" ]; then docker inspect --format '{{.Id}} {{.NetworkSettings.SandboxKey}} {{index .Config.Labels "com.docker.swarm.task.id"}} {{index .Config.Labels "com.docker.swarm.service.name"}}' $cids; fi
fi
`;

export interface NamespaceDump extends NodeNamespace {
  /**
   * Whether nsenter got in. Docker leaves the file of an lb_ namespace behind
   * when the network leaves the node; nsenter then fails ("Invalid argument")
   * and the namespace holds nothing to check.
   */
  entered: boolean;
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
  /** Raw `docker network inspect --verbose` JSON of the node's overlay networks: one array, or one object per network. */
  networksJson: string[];
  containers: ContainerSandbox[];
}

export function parseNodeDump(hostname: string, text: string): NodeDump {
  const sections = splitSections(text, `inspection output of ${hostname}`);
  const namespaces = new Map<string, NamespaceDump>();
  const ns = (name: string): NamespaceDump => {
    let found = namespaces.get(name);
    if (!found) {
      found = { ...classifyNamespace(name), entered: false, iptablesSave: '', ipvs: '', sysctls: {} };
      namespaces.set(name, found);
    }
    return found;
  };
  const networksJson: string[] = [];
  let dockerVersion = '';
  const containers: ContainerSandbox[] = [];
  for (const section of sections) {
    switch (section.kind) {
      case 'netns':
        ns(section.arg);
        break;
      case 'iptables':
        // The first thing printed from inside the namespace.
        ns(section.arg).entered = true;
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
      case 'network':
        if (section.text.trim()) networksJson.push(section.text.trim());
        break;
      case 'containers':
        for (const line of section.text.split('\n').filter(Boolean)) {
          const [containerId = '', key = '', taskId = '', service = ''] = line.split(' ');
          containers.push({ containerId, sandbox: key.split('/').pop() ?? '', taskId: taskId === '<no' ? '' : taskId, service });
        }
        break;
      case 'version':
        dockerVersion = versionOf(section.text.trim());
        break;
      default:
        break;
    }
  }
  return { hostname, dockerVersion, namespaces: [...namespaces.values()], networksJson, containers };
}

/** The API answers {"Version": ...}; the CLI fallback prints the version alone. */
function versionOf(text: string): string {
  if (!text.startsWith('{')) return text;
  try {
    return String((JSON.parse(text) as { Version?: unknown }).Version ?? '');
  } catch {
    return text;
  }
}

export async function dumpNode(node: ClusterNode): Promise<NodeDump> {
  const out = await node.run(['sh', '-c', nodeDumpScript], 60_000);
  return parseNodeDump(node.hostname, out);
}
