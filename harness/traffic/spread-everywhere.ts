import type { Cluster } from '../cluster/cluster.js';
import type { TaskContainer } from '../cluster/task-container.js';
import { dockerIn } from '../cluster/swarm-node.js';
import { cancellationReason } from '../core/cancel.js';
import { deadline } from '../core/deadlines.js';
import { errorMessage, SwarmlabError } from '../core/errors.js';
import { cleanupOnInterrupt, sharedCleanup } from '../core/interrupt.js';
import type { Logger } from '../core/log.js';
import { probeImage } from '../images/probe-image.js';
import { waitUntilResolves } from '../inspect/dns-view.js';
import { readSwarmState, type SwarmNodeState, type SwarmState, taskContainersOf } from '../inspect/swarm-state.js';
import { serviceCreateArgs, undeployTopology, waitForConvergence } from '../topology/deploy.js';
import type { Topology } from '../topology/topology.js';
import { measureSpread, type SpreadMeasurement, type SpreadRequest } from './spread.js';

/**
 * Spread from every node. A client task on one node only sees that node's load-balancer state: a fault on any other
 * node is invisible to its traffic. So a global service of probe clients (dnsrr, so that it adds no VIP state of its
 * own) joins the services' networks, each of its tasks sends the requests in turn, each node's spread is judged on
 * its own, and the service is removed afterwards (also on Ctrl-C; it carries a topology label, so that `down` and
 * the removal of a cluster take it too).
 */
export const everyNodeClient = 'swarmlab-client';
const clientTopologyName = 'swarmlab-clients';

export interface NodeSpread {
  node: string;
  measurement?: SpreadMeasurement;
  /** Why this node's client could not measure (its task never resolved the target, the probe failed). */
  error?: string;
  /** Why this node has no client to measure from (drained, paused, down): not a failure of its load balancer. */
  skipped?: string;
}

/** The client tasks, sorted by node, and the nodes Swarm gave none, each with why. */
export interface EveryNodeClients {
  clients: TaskContainer[];
  withoutClient: { node: string; why: string }[];
}

export interface SpreadFromEveryNode {
  to: string;
  perNode: NodeSpread[];
  pass: boolean;
}

/**
 * The overlay networks of the cluster's services (by their VIPs, or their tasks' addresses for dnsrr), not ingress;
 * of every service when none is named.
 */
function serviceNetworks(swarm: SwarmState, services: readonly string[] | undefined): string[] {
  const found = swarm.services.filter((s) => services === undefined || services.includes(s.name));
  const byVip = found.flatMap((s) => s.vips.map((v) => swarm.networks.find((n) => n.id === v.networkId)?.name));
  const byTask = swarm.tasks
    .filter((t) => found.some((s) => s.id === t.serviceId))
    .flatMap((t) => t.addresses.map((a) => a.networkName));
  return [...new Set([...byVip, ...byTask])].filter((n): n is string => n !== undefined && n !== 'ingress').sort();
}

function clientTopology(networks: string[]): Topology {
  return {
    name: clientTopologyName,
    source: 'spread --from all',
    cluster: { managers: 0, workers: 0, nodeImage: '' },
    networks: [],
    services: [
      { name: everyNodeClient, replicas: 'global', endpointMode: 'dnsrr', networks, ports: [], constraints: [] },
    ],
  };
}

/** A node without a task of a global service: Swarm starts none on a node that is drained, paused or not ready. */
function whyNoTask(node: SwarmNodeState): string {
  if (node.status !== 'ready') return `node ${node.status}`;
  if (node.availability !== 'active') return `availability ${node.availability}`;
  return 'no client task';
}

/**
 * Runs `use` with a client task on every node that can run one, on the networks of `services` (of every service when
 * undefined): the global client service is created first and removed afterwards whatever `use` did (and on Ctrl-C).
 */
export async function withClientOnEveryNode<T>(
  cluster: Cluster,
  services: readonly string[] | undefined,
  log: Logger,
  use: (everyNode: EveryNodeClients) => Promise<T>,
): Promise<T> {
  const networks = serviceNetworks(await readSwarmState(cluster), services);
  if (networks.length === 0) throw new SwarmlabError('spread', 'no overlay network for a client task to join');
  const topology = clientTopology(networks);
  const [service] = topology.services;
  if (!service) throw new Error('the client topology has its service');
  const image = (await probeImage(log)).ref;
  const remove = sharedCleanup(() => undeployTopology(cluster, topology, log));
  const unregister = cleanupOnInterrupt(remove);
  try {
    await log.step(
      `start a client task on every node (${everyNodeClient}, global, on ${networks.join(', ')})`,
      async () => {
        await cluster.onManager((m) => dockerIn(m, serviceCreateArgs(topology, service, image)));
        await waitForConvergence(cluster, topology, deadline('converge'));
      },
    );
    // One read of the managers' state gives both the clients and the nodes without one.
    const swarm = await readSwarmState(cluster);
    const clients = taskContainersOf(cluster, swarm, everyNodeClient);
    const withClient = new Set(clients.map((c) => c.node.hostname));
    const withoutClient = swarm.nodes
      .filter((n) => !withClient.has(n.hostname))
      .map((n) => ({ node: n.hostname, why: whyNoTask(n) }));
    if (withoutClient.length) log.info(`no client on ${withoutClient.map((n) => `${n.node} (${n.why})`).join(', ')}`);
    return await use({
      clients: clients.sort((a, b) => a.node.hostname.localeCompare(b.node.hostname)),
      withoutClient: withoutClient.sort((a, b) => a.node.localeCompare(b.node)),
    });
  } finally {
    await remove();
    unregister();
  }
}

/**
 * The spread test from each client in turn (side by side they would share the engine's CPU and skew each other); a
 * node without a client is listed as skipped, and passes or fails nothing.
 */
export async function measureSpreadFrom(
  cluster: Cluster,
  { clients, withoutClient }: EveryNodeClients,
  request: Omit<SpreadRequest, 'from'>,
  log: Logger,
): Promise<SpreadFromEveryNode> {
  const perNode: NodeSpread[] = withoutClient.map((n) => ({ node: n.node, skipped: n.why }));
  for (const client of clients) {
    try {
      await waitUntilResolves(client, request.to.replace(/:\d+$/, ''));
      const measurement = await measureSpread(
        cluster,
        { ...request, from: client.service, clientTask: client.taskId },
        log,
      );
      perNode.push({ node: client.node.hostname, measurement });
    } catch (error) {
      if (cancellationReason()) throw error;
      perNode.push({ node: client.node.hostname, error: errorMessage(error) });
    }
  }
  return judgeEveryNode(request.to, perNode);
}

/** Passes when every node with a client passed, and there is one; a node without a client decides nothing. */
export function judgeEveryNode(to: string, perNode: readonly NodeSpread[]): SpreadFromEveryNode {
  const measured = perNode.filter((n) => n.skipped === undefined);
  const pass = measured.length > 0 && measured.every((n) => n.measurement?.verdict.pass === true);
  return { to, perNode: [...perNode].sort((a, b) => a.node.localeCompare(b.node)), pass };
}
