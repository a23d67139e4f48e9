import { type InterfaceAddress, parseIpAddresses, parseRoutes, type Route } from './ip-addr.js';
import { type IptablesRule, type MarkRule, markRulesOf, parseIptablesRules } from './iptables.js';
import { parseIpvs, type IpvsService } from './ipvs.js';
import { parseNetworkInspect, type NodeNetworkView, type NodeServiceView } from './network-inspect.js';
import type { NamespaceDump, NodeDump } from './node-dump.js';
import { parseXfrmPolicies, parseXfrmStates, type XfrmPolicy, type XfrmState } from './xfrm.js';
import { isRunningTask, taskName, type SwarmService, type SwarmState, type SwarmTask } from './swarm-state.js';

/** A namespace's load-balancer state as the kernel holds it. */
export interface KernelLbState {
  namespace: string;
  kind: NamespaceDump['kind'];
  markRules: MarkRule[];
  /** Every iptables rule of the namespace, in order: what a packet to a VIP passes on its way. */
  rules: IptablesRule[];
  ipvs: IpvsService[];
  sysctls: Record<string, number>;
  /** Undefined when the dump did not read them (captures from before). */
  addresses?: InterfaceAddress[];
  routes?: Route[];
}

export interface Backend {
  ip: string;
  task: string;
}

/** One service on one network, seen from one node: what should be, and where the kernel state is. */
export interface ServiceLbView {
  service: string;
  network: string;
  endpointMode: 'vip' | 'dnsrr';
  /** From the managers (service inspect). */
  vip?: string;
  /** From this node's network database (LocalLBIndex); undefined if the node does not know the service. */
  fwmark?: number;
  /** Running tasks' addresses on this network: the real servers IPVS must hold with weight > 0. */
  expected: Backend[];
  /** Addresses of tasks on their way out: allowed in IPVS only with weight 0. */
  leaving: Backend[];
}

export interface NetworkLbView {
  network: string;
  networkId: string;
  ingress: boolean;
  /**
   * Where this node keeps the network's VIP state: its lb_<id> namespace on
   * Docker 18.09 and later, or, on older engines, each attached container's own
   * sandbox (mangle OUTPUT). Empty when neither exists.
   */
  locations: KernelLbState[];
  services: ServiceLbView[];
  /** The node's own view of the network (tasks per service, LocalLBIndex). */
  nodeView: NodeNetworkView;
}

export interface NodeLbModel {
  node: string;
  dockerVersion: string;
  networks: NetworkLbView[];
  /** The routing mesh namespace, when present. */
  ingress?: KernelLbState;
  /** Every namespace's state, for the checks that look across pools. */
  all: KernelLbState[];
  /** The node's own iptables rules (the host side of the routing mesh); undefined when the dump did not read them. */
  hostRules?: IptablesRule[];
  /** The node's IPsec state; undefined when the dump did not read it (no encrypted overlay). */
  ipsec?: { states: XfrmState[]; policies: XfrmPolicy[] };
}

function kernelState(ns: NamespaceDump): KernelLbState {
  const rules = ns.iptablesSave ? parseIptablesRules(ns.iptablesSave, `iptables-save in ${ns.name}`) : [];
  return {
    namespace: ns.name,
    kind: ns.kind,
    markRules: markRulesOf(rules),
    rules,
    ipvs: ns.ipvs ? parseIpvs(ns.ipvs, `IPVS table in ${ns.name}`) : [],
    sysctls: ns.sysctls,
    ...(ns.addresses === undefined ? {} : { addresses: parseIpAddresses(ns.addresses, `ip addr in ${ns.name}`) }),
    ...(ns.routes === undefined ? {} : { routes: parseRoutes(ns.routes) }),
  };
}

const leavingStates = new Set(['shutdown', 'complete', 'failed', 'rejected', 'orphaned', 'remove']);

function backendsOf(tasks: SwarmTask[], service: SwarmService, networkId: string, running: boolean): Backend[] {
  return tasks
    .filter((t) => t.serviceId === service.id)
    .filter((t) => (running ? isRunningTask(t) : t.state === 'running' && leavingStates.has(t.desiredState)))
    .flatMap((t) =>
      t.addresses.filter((a) => a.networkId === networkId).map((a) => ({ ip: a.address, task: taskName(service, t) })),
    );
}

function serviceView(
  swarm: SwarmState,
  service: SwarmService,
  network: NodeNetworkView,
  nodeService?: NodeServiceView,
): ServiceLbView {
  const vip = service.vips.find((v) => v.networkId === network.id)?.address;
  return {
    service: service.name,
    network: network.name,
    endpointMode: service.endpointMode,
    ...(vip ? { vip } : {}),
    ...(nodeService ? { fwmark: nodeService.localLbIndex } : {}),
    expected: backendsOf(swarm.tasks, service, network.id, true),
    leaving: backendsOf(swarm.tasks, service, network.id, false),
  };
}

/**
 * Joins one node's kernel state with the managers' intended state: for each
 * overlay network on the node, each service attached to it, the VIP, the
 * node's fwmark, the expected backends, and the namespaces holding the state.
 */
export function buildNodeModel(dump: NodeDump, swarm: SwarmState): NodeLbModel {
  const states = new Map(
    dump.namespaces.filter((ns) => ns.kind !== 'overlay' && ns.entered).map((ns) => [ns.name, kernelState(ns)]),
  );
  const views = parseNetworkInspect(dump.networksJson, `docker network inspect --verbose on ${dump.hostname}`);
  const ingress = [...states.values()].find((s) => s.kind === 'ingress');
  const networks: NetworkLbView[] = views.map((view) => {
    const lb = [...states.values()].find((s) => s.kind === 'lb' && view.id.startsWith(s.namespace.slice(3)));
    const sandboxes = view.containers
      .map((c) => dump.containers.find((d) => d.containerId === c.key)?.sandbox)
      .map((sandbox) => (sandbox ? states.get(sandbox) : undefined))
      .filter((s): s is KernelLbState => s !== undefined);
    const attached = swarm.services.filter(
      (s) =>
        s.vips.some((v) => v.networkId === view.id) ||
        swarm.tasks.some((t) => t.serviceId === s.id && t.addresses.some((a) => a.networkId === view.id)),
    );
    return {
      network: view.name,
      networkId: view.id,
      ingress: view.ingress,
      // The routing mesh keeps its state in ingress_sbox rather than an lb_ namespace.
      locations: view.ingress ? (ingress ? [ingress] : []) : lb ? [lb] : sandboxes,
      services: attached.map((s) =>
        serviceView(
          swarm,
          s,
          view,
          view.services.find((n) => n.name === s.name),
        ),
      ),
      nodeView: view,
    };
  });
  return {
    node: dump.hostname,
    dockerVersion: dump.dockerVersion,
    networks,
    ...(ingress ? { ingress } : {}),
    all: [...states.values()],
    ...(dump.hostIptables === undefined
      ? {}
      : { hostRules: parseIptablesRules(dump.hostIptables, `iptables-save on ${dump.hostname}`) }),
    ...(dump.xfrmStates === undefined
      ? {}
      : {
          ipsec: {
            states: parseXfrmStates(dump.xfrmStates, `ip xfrm state on ${dump.hostname}`),
            policies: parseXfrmPolicies(dump.xfrmPolicies ?? '', `ip xfrm policy on ${dump.hostname}`),
          },
        }),
  };
}
