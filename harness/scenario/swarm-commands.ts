import { SwarmlabError } from '../core/errors.js';
import { publishSpec, serviceCreateArgs } from '../topology/deploy.js';
import type { PublishedPort, Topology, TopologyService } from '../topology/topology.js';
import type { ScenarioAction } from './scenario.js';

/**
 * The docker CLI commands of the actions a manager carries out, and what Swarm should run after each: the scenario
 * runner executes them, and a reproduction script (known-bugs/bundle.ts) writes them out, from this one place.
 */

/** The actions a manager carries out with one docker command. */
export type ManagerAction = Extract<
  ScenarioAction,
  { kind: 'scale' | 'update' | 'remove' | 'create' | 'drain' | 'activate' | 'pause' | 'exec' }
>;

export function isManagerAction(action: ScenarioAction): action is ManagerAction {
  return ['scale', 'update', 'remove', 'create', 'drain', 'activate', 'pause', 'exec'].includes(action.kind);
}

/**
 * Docker withdraws a published port by its target port and protocol (every published port with that target goes):
 * a scenario names the published port, the one a user sees, and it is looked up here.
 */
function withdrawnPorts(action: Extract<ScenarioAction, { kind: 'update' }>, desired: Topology): PublishedPort[] {
  const current = desired.services.find((s) => s.name === action.service)?.ports ?? [];
  return action.unpublish.map((published) => {
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
}

function deployedService(deployed: Topology, name: string): TopologyService {
  const service = deployed.services.find((s) => s.name === name);
  if (!service) throw new SwarmlabError('scenario', `${name} is not a service of ${deployed.source}`);
  return service;
}

/**
 * The command's arguments (after `docker`). `image` names the image of a service the topology gives none (the
 * probe); `node` is the hostname a node action works on.
 */
export function managerArgs(
  action: ManagerAction,
  topologies: { desired: Topology; deployed: Topology },
  image: (service: TopologyService) => string,
  node: string,
): string[] {
  switch (action.kind) {
    case 'scale':
      return ['service', 'scale', '--detach', `${action.service}=${action.replicas}`];
    case 'update': {
      const args = ['service', 'update', '--detach'];
      if (action.endpointMode) args.push('--endpoint-mode', action.endpointMode);
      for (const [key, value] of Object.entries(action.env)) args.push('--env-add', `${key}=${value}`);
      for (const port of action.publish) args.push('--publish-add', publishSpec(port));
      for (const port of withdrawnPorts(action, topologies.desired))
        args.push('--publish-rm', `${port.target}/${port.protocol}`);
      for (const network of action.networksAdd) args.push('--network-add', network);
      for (const network of action.networksRemove) args.push('--network-rm', network);
      if (action.force) args.push('--force');
      return [...args, action.service];
    }
    case 'remove':
      return ['service', 'rm', action.service];
    case 'create': {
      const service = deployedService(topologies.deployed, action.service);
      return serviceCreateArgs(topologies.deployed, service, image(service));
    }
    case 'exec':
      return action.args;
    default:
      // Swarm's availabilities are active, pause and drain; the step says activate.
      return ['node', 'update', '--availability', action.kind === 'activate' ? 'active' : action.kind, node];
  }
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

/** What Swarm should run after an action: replicas, endpoint modes, ports, networks, services removed or created. */
export function desiredAfter(action: ScenarioAction, topologies: { desired: Topology; deployed: Topology }): Topology {
  const { desired } = topologies;
  switch (action.kind) {
    case 'scale':
      return withService(desired, action.service, () => ({ replicas: action.replicas }));
    case 'update': {
      const withdrawn = withdrawnPorts(action, desired);
      const withdraws = (p: PublishedPort) => withdrawn.some((w) => w.target === p.target && w.protocol === p.protocol);
      return withService(desired, action.service, (s) => ({
        ...(action.endpointMode ? { endpointMode: action.endpointMode } : {}),
        ports: [...s.ports.filter((p) => !withdraws(p) && !action.publish.some(samePublished(p))), ...action.publish],
        networks: [
          ...s.networks.filter((n) => !action.networksRemove.includes(n)),
          ...action.networksAdd.filter((n) => !s.networks.includes(n)),
        ],
      }));
    }
    case 'remove':
      return { ...desired, services: desired.services.filter((s) => s.name !== action.service) };
    case 'create':
      return { ...desired, services: [...desired.services, deployedService(topologies.deployed, action.service)] };
    default:
      return desired;
  }
}
