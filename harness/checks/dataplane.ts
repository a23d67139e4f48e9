import type { Cluster } from '../cluster/cluster.js';
import type { SwarmNode } from '../cluster/swarm-node.js';
import { buildNodeModel, type NodeLbModel } from '../inspect/lb-model.js';
import { readDnsAnswers, type DnsAnswer } from '../inspect/dns-view.js';
import { dumpNode } from '../inspect/node-dump.js';
import { readSwarmState, type SwarmState } from '../inspect/swarm-state.js';
import type { CheckResult } from './check-result.js';
import { familySelected, selected, type TestFilter } from './check-filter.js';
import { runDnsChecks } from './dns-checks.js';
import { runIngressChecks } from './ingress-checks.js';
import { runIpsecChecks } from './ipsec-checks.js';
import { runLbChecks } from './lb-checks.js';

export interface DataplaneSnapshot {
  swarm: SwarmState;
  models: NodeLbModel[];
  /** Names resolved from client tasks; absent when the snapshot was taken without DNS. */
  dns?: DnsAnswer[];
}

export interface SnapshotOptions {
  /** Read the DNS answers too (default true). */
  dns?: boolean;
  /** The nodes to read (default every node): a scenario leaves out the nodes it stopped. */
  nodes?: readonly SwarmNode[];
}

/**
 * Reads every node (in parallel, one exec each), the managers' state and,
 * unless no DNS check is wanted, the DNS answers seen by client tasks.
 */
export async function snapshotDataplane(cluster: Cluster, options: SnapshotOptions = {}): Promise<DataplaneSnapshot> {
  const nodes = options.nodes ?? cluster.nodes;
  // DNS needs the managers' view (which networks, which names) but not the node dumps: run it beside them.
  const withDns = readSwarmState(cluster).then(async (swarm) => ({
    swarm,
    dns: options.dns === false ? undefined : await readDnsAnswers(cluster, swarm, nodes),
  }));
  const [{ swarm, dns }, dumps] = await Promise.all([withDns, Promise.all(nodes.map(dumpNode))]);
  return { swarm, models: dumps.map((d) => buildNodeModel(d, swarm)), ...(dns ? { dns } : {}) };
}

export function evaluateDataplane(snapshot: DataplaneSnapshot): CheckResult[] {
  return [
    ...snapshot.models.flatMap((model) => [
      ...runLbChecks(model),
      ...runIngressChecks(model, snapshot.swarm),
      ...runIpsecChecks(model, snapshot.swarm),
    ]),
    ...runDnsChecks(snapshot.dns ?? [], snapshot.swarm),
  ];
}

/** Each node's Docker version, as its dump reported it. */
export function dockerVersions(snapshot: DataplaneSnapshot): Record<string, string> {
  return Object.fromEntries(snapshot.models.map((m) => [m.node, m.dockerVersion]));
}

/**
 * `swarmlab check` on a cluster: reads what the selected checks need (no DNS
 * reads when no dns check is selected) and returns the selected results, with
 * each node's Docker version (what the known-bug diagnosis needs).
 */
export async function checkCluster(
  cluster: Cluster,
  filter: TestFilter,
): Promise<{ results: CheckResult[]; dockerVersions: Record<string, string> }> {
  const snapshot = await snapshotDataplane(cluster, { dns: familySelected(filter, 'dns') });
  return {
    results: evaluateDataplane(snapshot).filter((r) => selected(filter, r.check)),
    dockerVersions: dockerVersions(snapshot),
  };
}
