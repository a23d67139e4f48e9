import type { Cluster } from '../cluster/cluster.js';
import { nodeScript } from '../cluster/node-script.js';
import { dockerSequenceIn, runIn, type SwarmNode } from '../cluster/swarm-node.js';
import { cleanupScope } from '../core/cancel.js';
import { deadline } from '../core/deadlines.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { waitFor } from '../core/wait.js';
import type Docker from 'dockerode';
import { sideLoadImage } from '../cluster/side-load.js';
import { parseResolveOutput, resolveInTask } from '../inspect/dns-view.js';
import { readSwarmState, taskContainersOf, type SwarmState } from '../inspect/swarm-state.js';
import { pendingServices } from './convergence.js';
import type { PublishedPort, Topology, TopologyNetwork, TopologyService } from './topology.js';

const removeLabelledScript = nodeScript(new URL('./scripts/remove-labelled.sh', import.meta.url));

export const topologyLabel = 'io.swarmlab.topology';

export interface DeployOptions {
  /** The image of services that name none: swarmlab's probe. */
  probeRef: string;
  /** Images every node is known to hold (side-loaded as the cluster came up): not asked of the nodes again. */
  onNodes?: readonly string[];
  convergeTimeoutMs?: number;
}

export function networkCreateArgs(topology: Topology, network: TopologyNetwork): string[] {
  const args = ['network', 'create', '--driver', network.driver, '--label', `${topologyLabel}=${topology.name}`];
  if (network.subnet) args.push('--subnet', network.subnet);
  if (network.gateway) args.push('--gateway', network.gateway);
  if (network.ipRange) args.push('--ip-range', network.ipRange);
  if (network.attachable) args.push('--attachable');
  if (network.encrypted) args.push('--opt', 'encrypted');
  for (const [key, value] of Object.entries(network.options)) args.push('--opt', `${key}=${value}`);
  return [...args, network.name];
}

/**
 * The `docker service create` arguments for a service. Every task learns its
 * identity from Swarm's templates, so each probe answer says which replica,
 * task slot and node gave it. --no-resolve-image: nodes have no registry.
 */
export function serviceCreateArgs(topology: Topology, service: TopologyService, image: string): string[] {
  const args = [
    'service',
    'create',
    '--detach',
    '--no-resolve-image',
    '--name',
    service.name,
    '--label',
    `${topologyLabel}=${topology.name}`,
  ];
  if (service.replicas === 'global') args.push('--mode', 'global');
  else args.push('--replicas', String(service.replicas));
  args.push('--endpoint-mode', service.endpointMode);
  for (const network of service.networks) args.push('--network', network);
  for (const port of service.ports) args.push('--publish', publishSpec(port));
  for (const constraint of service.constraints) args.push('--constraint', constraint);
  if (service.update?.parallelism !== undefined) args.push('--update-parallelism', String(service.update.parallelism));
  if (service.update?.delay) args.push('--update-delay', service.update.delay);
  if (service.update?.order) args.push('--update-order', service.update.order);
  args.push(
    '--env',
    'SWARMLAB_SERVICE={{.Service.Name}}',
    '--env',
    'SWARMLAB_TASK={{.Task.Name}}',
    '--env',
    'SWARMLAB_SLOT={{.Task.Slot}}',
    '--env',
    'SWARMLAB_NODE={{.Node.Hostname}}',
  );
  return [...args, image, ...(service.command ?? [])];
}

/** A published port as `--publish` and `--publish-add` take it. */
export function publishSpec(port: PublishedPort): string {
  return `mode=${port.mode},target=${port.target},published=${port.published},protocol=${port.protocol}`;
}

export function serviceImage(service: TopologyService, options: DeployOptions): string {
  return service.image ?? options.probeRef;
}

/**
 * Deploys a topology: networks on a manager, images side-loaded into every
 * node, services created, then a wait until every desired task runs and every
 * service name resolves from the tasks that share a network with it.
 */
export async function deployTopology(
  docker: Docker,
  cluster: Cluster,
  topology: Topology,
  options: DeployOptions,
  log: Logger,
): Promise<void> {
  const images = [...new Set(topology.services.map((s) => serviceImage(s, options)))].filter(
    (i) => !options.onNodes?.includes(i),
  );
  if (images.length > 0) {
    await log.step(`make sure ${cluster.nodes.length} nodes have ${images.join(', ')}`, async () => {
      for (const image of images) await sideLoadImage(docker, cluster.nodes, image, log);
    });
  }
  try {
    await log.step(`create ${topology.networks.length} networks and ${topology.services.length} services`, () =>
      // One exec for all: each docker CLI start costs seconds under emulation.
      cluster.onManager((manager) =>
        dockerSequenceIn(
          manager,
          [
            ...topology.networks.map((n) => networkCreateArgs(topology, n)),
            ...topology.services.map((s) => serviceCreateArgs(topology, s, serviceImage(s, options))),
          ],
          { timeoutMs: deadline('createTopology') },
        ),
      ),
    );
  } catch (error) {
    // Docker can accept the first networks and refuse a later object: leave nothing of the topology behind.
    log.error(`creating ${topology.name} failed; removing what was created of it`);
    await cleanupScope(() => undeployTopology(cluster, topology, log)).catch((e: unknown) =>
      log.warn(`removing ${topology.name} failed: ${errorMessage(e)}`),
    );
    throw error;
  }
  await log.step(`wait for ${topology.name} to converge`, () =>
    waitForConvergence(cluster, topology, options.convergeTimeoutMs ?? deadline('converge')),
  );
}

/**
 * Polls the managers' state (one exec) until every service has its tasks
 * running, then waits for DNS, asked from tasks on the reachable nodes.
 */
export async function waitForConvergence(
  cluster: Cluster,
  topology: Topology,
  timeoutMs: number,
  reachable: readonly SwarmNode[] = cluster.nodes,
): Promise<void> {
  const convergeBy = Date.now() + timeoutMs;
  const swarm = await waitFor(
    {
      what: `every task of ${topology.services.map((s) => s.name).join(', ')} to be running`,
      timeoutMs,
      intervalMs: 1500,
    },
    async () => {
      const state = await readSwarmState(cluster);
      const pending = pendingServices(state, topology);
      return pending.length === 0 ? { done: true, value: state } : { done: false, seen: pending.join(' | ') };
    },
  );
  await waitForDns(
    cluster,
    topology,
    swarm,
    Math.max(convergeBy - Date.now(), deadline('dnsAfterConverge')),
    reachable,
  );
}

/**
 * Embedded DNS lags task start: wait until every service name resolves from a
 * probe task on a running node that shares a network with it (one exec per
 * client per poll). The client task is looked up at each poll: after a node
 * stopped, Swarm may still have to start the client elsewhere.
 */
async function waitForDns(
  cluster: Cluster,
  topology: Topology,
  swarm: SwarmState,
  timeoutMs: number,
  reachable: readonly SwarmNode[],
): Promise<void> {
  // A service scaled to 0 has no name to resolve (its DNS entries go with its last task), nor a task to ask from.
  const running = topology.services.filter((s) => s.replicas !== 0);
  const probes = running.filter((s) => s.image === undefined);
  const assigned = new Map<string, string[]>();
  for (const target of running) {
    const client = probes.find((p) => p.networks.some((n) => target.networks.includes(n)));
    if (client) assigned.set(client.name, [...(assigned.get(client.name) ?? []), target.name]);
  }
  for (const [client, targets] of assigned) {
    let state = swarm;
    await waitFor(
      { what: `${targets.join(', ')} to resolve from a task of ${client}`, timeoutMs, intervalMs: 1000 },
      async () => {
        const task = taskContainersOf(cluster, state, client).find((t) => reachable.includes(t.node));
        if (!task) {
          state = await readSwarmState(cluster);
          return { done: false, seen: `no running task of ${client} on a running node` };
        }
        const out = await resolveInTask(task, targets).catch((e: unknown) => errorMessage(e));
        const unresolved = parseResolveOutput(out, targets).filter(
          (a) => a.error !== undefined || a.addresses.length === 0,
        );
        return unresolved.length === 0
          ? { done: true, value: undefined }
          : { done: false, seen: `${task.taskName}: ${out.trim()}` };
      },
    );
  }
}

/**
 * Removes the services, then the networks, that carry the topology's label
 * (the tasks must be gone before their network can go): everything a deploy
 * created, also when it stopped half-way.
 */
export async function undeployTopology(cluster: Cluster, topology: Topology, log: Logger): Promise<void> {
  const filter = `label=${topologyLabel}=${topology.name}`;
  await log.step(`remove ${topology.name}`, async () => {
    const removeLabelled = (kind: 'services' | 'networks') =>
      cluster.onManager((m) => runIn(m, ['sh', '-c', removeLabelledScript, 'sh', kind, filter]));
    await removeLabelled('services');
    await waitFor(
      { what: `the networks of ${topology.name} to be gone`, timeoutMs: deadline('networksGone'), intervalMs: 1000 },
      async () => {
        const left = (await removeLabelled('networks')).trim();
        return left === ''
          ? { done: true, value: undefined }
          : { done: false, seen: `still listed: ${left.split('\n').join(', ')}` };
      },
    );
  });
}
