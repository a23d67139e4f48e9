import type { Cluster } from '../cluster/cluster.js';
import { nodeScript } from '../cluster/node-script.js';
import { dockerIn, runIn, type SwarmNode } from '../cluster/swarm-node.js';
import { SwarmlabError } from '../core/errors.js';
import { cleanupOnInterrupt, sharedCleanup } from '../core/interrupt.js';
import { sleep } from '../core/wait.js';
import { runningTaskContainers } from '../inspect/swarm-state.js';
import { publishSpec, serviceCreateArgs } from '../topology/deploy.js';
import type { PublishedPort, Topology, TopologyService } from '../topology/topology.js';
import type { NodeRef, ScenarioAction } from './scenario.js';

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

function withService(
  topology: Topology,
  name: string,
  change: (s: TopologyService) => Partial<TopologyService>,
): Topology {
  return { ...topology, services: topology.services.map((s) => (s.name === name ? { ...s, ...change(s) } : s)) };
}

const samePublished = (a: PublishedPort) => (b: PublishedPort) =>
  a.published === b.published && a.protocol === b.protocol;

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

/**
 * Carries out one action and returns what it did, naming the node or task it
 * chose. Swarm-wide changes go to a manager that answers; node changes go to
 * the node through the provider (stop, start, daemon restart).
 */
export async function applyAction(state: ScenarioState, action: ScenarioAction, target?: SwarmNode): Promise<string> {
  switch (action.kind) {
    case 'scale':
      await onManager(state, ['service', 'scale', '--detach', `${action.service}=${action.replicas}`]);
      state.desired = withService(state.desired, action.service, () => ({ replicas: action.replicas }));
      return `scaled ${action.service} to ${action.replicas}`;
    case 'update': {
      // Docker withdraws a published port by its target port and protocol (every published port with that target
      // goes): the scenario names the published port, the one a user sees, and it is looked up here.
      const current = state.desired.services.find((s) => s.name === action.service)?.ports ?? [];
      const withdrawn = action.unpublish.map((published) => {
        const port = current.find((p) => p.published === published);
        if (!port) {
          const list = current.map((p) => p.published).join(', ') || 'none';
          throw new SwarmlabError(
            'scenario',
            `${action.service} does not publish port ${published} (it publishes ${list})`,
          );
        }
        return port;
      });
      const withdraws = (p: PublishedPort) => withdrawn.some((w) => w.target === p.target && w.protocol === p.protocol);
      const args = ['service', 'update', '--detach'];
      if (action.endpointMode) args.push('--endpoint-mode', action.endpointMode);
      for (const [key, value] of Object.entries(action.env)) args.push('--env-add', `${key}=${value}`);
      for (const port of action.publish) args.push('--publish-add', publishSpec(port));
      for (const port of withdrawn) args.push('--publish-rm', `${port.target}/${port.protocol}`);
      for (const network of action.networksAdd) args.push('--network-add', network);
      for (const network of action.networksRemove) args.push('--network-rm', network);
      if (action.force) args.push('--force');
      await onManager(state, [...args, action.service]);
      state.desired = withService(state.desired, action.service, (s) => ({
        ...(action.endpointMode ? { endpointMode: action.endpointMode } : {}),
        ports: [...s.ports.filter((p) => !withdraws(p) && !action.publish.some(samePublished(p))), ...action.publish],
        networks: [
          ...s.networks.filter((n) => !action.networksRemove.includes(n)),
          ...action.networksAdd.filter((n) => !s.networks.includes(n)),
        ],
      }));
      return `docker ${args.join(' ')} ${action.service}`;
    }
    case 'remove':
      await onManager(state, ['service', 'rm', action.service]);
      state.desired = {
        ...state.desired,
        services: state.desired.services.filter((s) => s.name !== action.service),
      };
      return `removed ${action.service}`;
    case 'create': {
      const service = state.deployed.services.find((s) => s.name === action.service);
      if (!service)
        throw new SwarmlabError('scenario', `${action.service} is not a service of ${state.deployed.source}`);
      const image = service.image ?? state.probeRef;
      await onManager(state, serviceCreateArgs(state.deployed, service, image));
      state.desired = { ...state.desired, services: [...state.desired.services, service] };
      return `created ${action.service} again, as ${state.deployed.source} defines it`;
    }
    case 'kill': {
      const [task] = await runningTaskContainers(state.cluster, action.service);
      if (!task) throw new SwarmlabError('scenario', `no running task of ${action.service} to kill`);
      await dockerIn(task.node, ['kill', task.containerId]);
      return `killed ${task.taskName} on ${task.node.hostname}`;
    }
    case 'wait':
      await sleep(action.seconds * 1000);
      return `waited ${action.seconds} s`;
    case 'exec':
      return `docker ${action.args.join(' ')}: ${(await onManager(state, action.args)).trim().split('\n')[0] ?? ''}`;
    default: {
      const node = target ?? (await resolveNode(state, action.node));
      state.lastNode = node;
      switch (action.kind) {
        case 'drain':
        case 'activate':
        case 'pause': {
          // Swarm's availabilities are active, pause and drain; the step says activate.
          const availability = action.kind === 'activate' ? 'active' : action.kind;
          await onManager(state, ['node', 'update', '--availability', availability, node.hostname]);
          return `${availability} ${node.hostname}`;
        }
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
