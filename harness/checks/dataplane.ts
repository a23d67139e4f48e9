import type { Cluster } from '../cluster/cluster.js';
import { buildNodeModel, type NodeLbModel } from '../inspect/lb-model.js';
import { dumpNode } from '../inspect/node-dump.js';
import { readSwarmState, type SwarmState } from '../inspect/swarm-state.js';
import type { CheckDefinition, CheckResult } from './check-result.js';
import { ingressChecks, runIngressChecks } from './ingress-checks.js';
import { lbChecks, runLbChecks } from './lb-checks.js';

export const dataplaneChecks: readonly CheckDefinition[] = [...lbChecks, ...ingressChecks];

export interface DataplaneSnapshot {
  swarm: SwarmState;
  models: NodeLbModel[];
}

/** Reads every node (in parallel, one exec each) and the managers' state, and joins them. */
export async function snapshotDataplane(cluster: Cluster): Promise<DataplaneSnapshot> {
  const [swarm, dumps] = await Promise.all([readSwarmState(cluster), Promise.all(cluster.nodes.map(dumpNode))]);
  return { swarm, models: dumps.map((d) => buildNodeModel(d, swarm)) };
}

export function evaluateDataplane(snapshot: DataplaneSnapshot): CheckResult[] {
  return snapshot.models.flatMap((model) => [...runLbChecks(model), ...runIngressChecks(model, snapshot.swarm)]);
}
