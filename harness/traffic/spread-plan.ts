import type { Cluster } from '../cluster/cluster.js';
import { probePort } from '../images/probe-image.js';
import { runningTaskContainers } from '../inspect/swarm-state.js';
import type { Topology } from '../topology/topology.js';

/** One spread test of a run: requests from a probe service to a service, by its name or through the routing mesh. */
export interface SpreadPlan {
  check: string;
  from: string;
  service: string;
  /** A port published in ingress mode: entered on another node's address, so the requests cross the mesh. */
  meshPort?: number;
}

/**
 * The spread tests of a run: each probe service (vip or dnsrr) reached by name
 * from a probe service on a shared network, and each port it publishes through
 * the routing mesh, from any other probe service.
 */
export function spreadPlans(topology: Topology): SpreadPlan[] {
  const probes = topology.services.filter((s) => s.image === undefined && s.replicas !== 0);
  return probes.flatMap((target) => {
    const byName = probes.find((c) => c !== target && c.networks.some((n) => target.networks.includes(n)));
    const meshClient = probes.find((c) => c !== target);
    return [
      ...(byName ? [{ check: `spread.${target.name}`, from: byName.name, service: target.name }] : []),
      ...target.ports
        .filter((p) => p.mode === 'ingress' && p.protocol === 'tcp' && p.target === probePort && meshClient)
        .map((p) => ({
          check: `spread.${target.name}.mesh-${p.published}`,
          from: meshClient?.name ?? '',
          service: target.name,
          meshPort: p.published,
        })),
    ];
  });
}

/** Where a plan's requests go: the service name, or another node's address and the published port. */
export async function spreadTarget(cluster: Cluster, plan: SpreadPlan): Promise<string> {
  if (plan.meshPort === undefined) return plan.service;
  const [client] = await runningTaskContainers(cluster, plan.from);
  // Another node than the client's, so the requests cross the mesh; a one-node cluster has only its own.
  const entry = cluster.nodes.find((n) => n.hostname !== client?.node.hostname) ?? client?.node ?? cluster.node('m1');
  return `${entry.address}:${plan.meshPort}`;
}
