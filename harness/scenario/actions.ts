import type { Cluster } from '../cluster/cluster.js';
import { nodeScript } from '../cluster/node-script.js';
import { dockerIn, runIn, type SwarmNode } from '../cluster/swarm-node.js';
import { SwarmlabError } from '../core/errors.js';
import { cleanupOnInterrupt, sharedCleanup } from '../core/interrupt.js';
import { sleep } from '../core/wait.js';
import { runningTaskContainers } from '../inspect/swarm-state.js';
import type { Topology } from '../topology/topology.js';
import type { NodeRef, ScenarioAction } from './scenario.js';
import { desiredAfter, isManagerAction, type ManagerAction, managerArgs } from './swarm-commands.js';

/** What a scenario has changed so far: what Swarm should now run, and which nodes are stopped. */
export interface ScenarioState {
  cluster: Cluster;
  /**
   * The topology as the steps so far have changed it (replicas, endpoint modes, ports, networks, services removed):
   * what convergence waits for.
   */
  desired: Topology;
  /** The topology as deployed: what `create` brings a removed service back as. */
  deployed: Topology;
  /** The probe image, for a service created again that names no image. */
  probeRef: string;
  /** Nodes a step stopped: not read until a step starts them again. */
  stopped: Set<SwarmNode>;
  /** The node the latest step with a node worked on (`node: previous`). */
  lastNode?: SwarmNode;
}

/** The nodes no step has stopped: the ones to read. */
export function runningNodes(state: ScenarioState): SwarmNode[] {
  return state.cluster.nodes.filter((n) => !state.stopped.has(n));
}

/** The node a node action works on (undefined for the other actions), chosen before the action runs. */
export async function targetNode(state: ScenarioState, action: ScenarioAction): Promise<SwarmNode | undefined> {
  return 'node' in action ? resolveNode(state, action.node) : undefined;
}

async function resolveNode(state: ScenarioState, ref: NodeRef): Promise<SwarmNode> {
  if ('id' in ref) return state.cluster.node(ref.id);
  if ('taskOf' in ref) {
    const [task] = await runningTaskContainers(state.cluster, ref.taskOf);
    if (!task) throw new SwarmlabError('scenario', `no running task of ${ref.taskOf} to find its node by`);
    return task.node;
  }
  if (!state.lastNode) throw new SwarmlabError('scenario', 'no earlier step worked on a node');
  return state.lastNode;
}

const underlayScript = nodeScript(new URL('./scripts/underlay.sh', import.meta.url));

/**
 * A fault on a node's underlay for a while. It is always healed: after the wait, after a failure, and on Ctrl-C
 * (registered as interrupt clean-up, which the process waits for before it exits; the action's own `finally`
 * alone would be cut off by that exit).
 */
async function underlayFault(node: SwarmNode, cut: string[], heal: string[], seconds: number): Promise<void> {
  const healOnce = sharedCleanup(async () => {
    await runIn(node, ['sh', '-c', underlayScript, 'sh', ...heal]);
  });
  const unregister = cleanupOnInterrupt(healOnce);
  try {
    await runIn(node, ['sh', '-c', underlayScript, 'sh', ...cut]);
    await sleep(seconds * 1000);
  } finally {
    await healOnce();
    unregister();
  }
}

const onManager = (state: ScenarioState, args: readonly string[]) => state.cluster.onManager((m) => dockerIn(m, args));

/** What a manager action did, naming the service or node (and, for a command of the scenario's own, its first line). */
function describeManagerAction(action: ManagerAction, args: string[], answer: string, node?: SwarmNode): string {
  switch (action.kind) {
    case 'scale':
      return `scaled ${action.service} to ${action.replicas}`;
    case 'update':
      return `docker ${args.join(' ')}`;
    case 'remove':
      return `removed ${action.service}`;
    case 'create':
      return `created ${action.service} again, as the topology defines it`;
    case 'exec':
      return `docker ${args.join(' ')}: ${answer.trim().split('\n')[0] ?? ''}`;
    default:
      return `${args[3]} ${node?.hostname ?? ''}`;
  }
}

/**
 * Carries out one action and returns what it did, naming the node or task it
 * chose. Swarm-wide changes go to a manager that answers; node changes go to
 * the node through the provider (stop, start, daemon restart).
 */
export async function applyAction(state: ScenarioState, action: ScenarioAction, target?: SwarmNode): Promise<string> {
  if (isManagerAction(action)) {
    const node = 'node' in action ? (target ?? (await resolveNode(state, action.node))) : undefined;
    if (node) state.lastNode = node;
    const args = managerArgs(action, state, (s) => s.image ?? state.probeRef, node?.hostname ?? '');
    const answer = await onManager(state, args);
    state.desired = desiredAfter(action, state);
    return describeManagerAction(action, args, answer, node);
  }
  switch (action.kind) {
    case 'kill': {
      const [task] = await runningTaskContainers(state.cluster, action.service);
      if (!task) throw new SwarmlabError('scenario', `no running task of ${action.service} to kill`);
      await dockerIn(task.node, ['kill', task.containerId]);
      return `killed ${task.taskName} on ${task.node.hostname}`;
    }
    case 'wait':
      await sleep(action.seconds * 1000);
      return `waited ${action.seconds} s`;
    default: {
      const node = target ?? (await resolveNode(state, action.node));
      state.lastNode = node;
      switch (action.kind) {
        case 'restart-daemon':
          await node.restartDaemon();
          return `restarted the Docker daemon of ${node.hostname}`;
        case 'stop-node':
          state.stopped.add(node);
          await node.stop();
          return `stopped ${node.hostname}`;
        case 'start-node':
          await node.start();
          state.stopped.delete(node);
          return `started ${node.hostname}`;
        case 'partition': {
          const peers = state.cluster.nodes.filter((n) => n !== node).map((n) => n.address);
          await underlayFault(node, ['partition', ...peers], ['heal-partition'], action.seconds);
          return `cut ${node.hostname} off from ${peers.join(', ')} for ${action.seconds} s, then healed`;
        }
        case 'netem': {
          const delay = `${action.delayMs}ms`;
          const loss = `${action.lossPercent}%`;
          await underlayFault(node, ['netem', node.address, delay, loss], ['heal-netem', node.address], action.seconds);
          return `delay ${delay} and loss ${loss} on the underlay of ${node.hostname} for ${action.seconds} s, then removed`;
        }
      }
    }
  }
}
