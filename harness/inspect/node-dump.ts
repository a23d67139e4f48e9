import { type SwarmNode, runIn } from '../cluster/swarm-node.js';
import { nodeScript } from '../cluster/node-script.js';
import { splitSections } from './dump-sections.js';
import { classifyNamespace, netnsDir, type NodeNamespace } from './namespaces.js';
import { deadline } from '../core/deadlines.js';

/**
 * Everything the dataplane checks need from one node, read in a single exec:
 * per network namespace its iptables rules (with the node's own iptables,
 * legacy or nf_tables), its IPVS table (ipvsadm, or /proc/net/ip_vs on images
 * without it), the IPVS sysctls, its IPv4 addresses and routes; the node's own iptables rules; the node's verbose
 * view of its overlay
 * networks; and which container each sandbox belongs to.
 */
const nodeDumpScript = nodeScript(new URL('./node-dump.sh', import.meta.url));

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
  /** `ip -o -4 addr show` and `ip -4 route show`; undefined in dumps from before swarmlab read them. */
  addresses?: string;
  routes?: string;
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
  /** iptables-save in the node's own namespace; undefined in dumps from before swarmlab read it. */
  hostIptables?: string;
  /** `ip xfrm state` and `ip xfrm policy` in the node's own namespace; read only where an overlay is encrypted. */
  xfrmStates?: string;
  xfrmPolicies?: string;
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
  let hostIptables: string | undefined;
  let xfrmStates: string | undefined;
  let xfrmPolicies: string | undefined;
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
          if (key && value !== undefined && /^\d+$/.test(value.trim()))
            ns(section.arg).sysctls[key.trim()] = Number(value);
        }
        break;
      case 'addr':
        ns(section.arg).addresses = section.text;
        break;
      case 'route':
        ns(section.arg).routes = section.text;
        break;
      case 'host-iptables':
        hostIptables = section.text;
        break;
      case 'xfrm-state':
        xfrmStates = section.text;
        break;
      case 'xfrm-policy':
        xfrmPolicies = section.text;
        break;
      case 'network':
        if (section.text.trim()) networksJson.push(section.text.trim());
        break;
      case 'containers':
        for (const line of section.text.split('\n').filter(Boolean)) {
          const [containerId = '', key = '', taskId = '', service = ''] = line.split(' ');
          containers.push({
            containerId,
            sandbox: key.split('/').pop() ?? '',
            taskId: taskId === '<no' ? '' : taskId,
            service,
          });
        }
        break;
      case 'version':
        dockerVersion = versionOf(section.text.trim());
        break;
      default:
        break;
    }
  }
  return {
    hostname,
    dockerVersion,
    namespaces: [...namespaces.values()],
    networksJson,
    containers,
    ...(hostIptables === undefined ? {} : { hostIptables }),
    ...(xfrmStates === undefined ? {} : { xfrmStates }),
    ...(xfrmPolicies === undefined ? {} : { xfrmPolicies }),
  };
}

/** The version alone (the API's Server header, the CLI), or /version's JSON (earlier dumps; no Server header). */
function versionOf(text: string): string {
  if (!text.startsWith('{')) return text;
  try {
    return String((JSON.parse(text) as { Version?: unknown }).Version ?? '');
  } catch {
    return text;
  }
}

/** The node dump's raw text (what the captures under test/fixtures hold). */
export function nodeDumpText(node: SwarmNode): Promise<string> {
  return runIn(node, ['sh', '-c', nodeDumpScript, 'sh', netnsDir], { timeoutMs: deadline('nodeExec') });
}

export async function dumpNode(node: SwarmNode): Promise<NodeDump> {
  return parseNodeDump(node.hostname, await nodeDumpText(node));
}
