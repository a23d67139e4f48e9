import type { Cluster } from '../cluster/cluster.js';
import { nodeScript } from '../cluster/node-script.js';
import { runIn } from '../cluster/swarm-node.js';
import type { TaskContainer } from '../cluster/task-container.js';
import { deadline } from '../core/deadlines.js';
import { SwarmlabError } from '../core/errors.js';
import { record } from './json-shape.js';
import { splitSections } from './dump-sections.js';

/**
 * The cluster's intended state, from the managers' Raft store: services with
 * their VIPs and published ports, tasks with their addresses and states. This
 * is what every node's kernel state is checked against.
 */
export interface SwarmService {
  id: string;
  name: string;
  endpointMode: 'vip' | 'dnsrr';
  image: string;
  vips: { networkId: string; address: string }[];
  publishedPorts: { protocol: string; targetPort: number; publishedPort: number; mode: string }[];
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  slot: number;
  nodeId: string;
  state: string;
  desiredState: string;
  /** The task's container on its node; empty until the node has created one. */
  containerId: string;
  /** Why the task failed or was rejected (Status.Err); empty otherwise. */
  error: string;
  addresses: { networkId: string; networkName: string; address: string }[];
}

export interface SwarmNodeState {
  id: string;
  hostname: string;
  /** Its role now, which may differ from the one it was created for. */
  role: 'manager' | 'worker';
  /** The address it advertises. */
  address: string;
  /** Spec.Availability: active, pause or drain. */
  availability: string;
  /** Status.State: ready, down, unknown or disconnected. */
  status: string;
}

/** Swarm starts new tasks only on a node that is ready and active: a global service has none on the others. */
export function takesNewTasks(node: SwarmNodeState): boolean {
  return node.status === 'ready' && node.availability === 'active';
}

export interface SwarmState {
  /** Each node as the managers see it. */
  nodes: SwarmNodeState[];
  networks: { id: string; name: string }[];
  services: SwarmService[];
  tasks: SwarmTask[];
}

const swarmStateScript = nodeScript(new URL('./swarm-state.sh', import.meta.url));

/** A task's name as `docker service ps` prints it and as probe replies start: service.slot, or service.nodeid for global tasks. */
export function taskName(service: SwarmService, task: SwarmTask): string {
  return `${service.name}.${task.slot || task.nodeId}`;
}

/** The hostname of the node a task is assigned to; undefined before the scheduler assigned one. */
export function taskHostname(swarm: SwarmState, task: SwarmTask): string | undefined {
  return swarm.nodes.find((n) => n.id === task.nodeId)?.hostname;
}

/** The addresses on one network of a service's tasks that Swarm wants running and that run. */
export function runningTaskIps(swarm: SwarmState, serviceId: string, networkId: string | undefined): string[] {
  return swarm.tasks
    .filter((t) => t.serviceId === serviceId && isRunningTask(t))
    .flatMap((t) => t.addresses.filter((a) => a.networkId === networkId).map((a) => a.address));
}

/** Tasks Swarm wants running that are running. */
export function isRunningTask(task: SwarmTask): boolean {
  return task.state === 'running' && task.desiredState === 'running';
}

function jsonArray(text: string, what: string): unknown[] {
  try {
    const value: unknown = JSON.parse(text.trim() || '[]');
    if (Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw new SwarmlabError('parse', `${what}: expected a JSON array: ${text.slice(0, 200)}`);
}

const strip = (a: unknown): string => (typeof a === 'string' ? a.replace(/\/\d+$/, '') : '');

export function parseSwarmState(text: string): SwarmState {
  const sections = new Map(splitSections(text, 'swarm state').map((s) => [s.kind, s.text]));
  const nodes = jsonArray(sections.get('nodes') ?? '[]', 'nodes').map((raw) => {
    const n = record(raw);
    return {
      id: String(n['ID'] ?? ''),
      hostname: String(record(n['Description'])['Hostname'] ?? ''),
      role: record(n['Spec'])['Role'] === 'manager' ? ('manager' as const) : ('worker' as const),
      address: String(record(n['Status'])['Addr'] ?? ''),
      availability: String(record(n['Spec'])['Availability'] ?? ''),
      status: String(record(n['Status'])['State'] ?? ''),
    };
  });
  const networks = new Map<string, string>();
  const services = jsonArray(sections.get('services') ?? '[]', 'docker service inspect').map((raw): SwarmService => {
    const s = record(raw);
    const spec = record(s['Spec']);
    const endpoint = record(s['Endpoint']);
    const mode = record(spec['EndpointSpec'])['Mode'];
    return {
      id: String(s['ID'] ?? ''),
      name: String(spec['Name'] ?? ''),
      endpointMode: mode === 'dnsrr' ? 'dnsrr' : 'vip',
      image: String(record(record(spec['TaskTemplate'])['ContainerSpec'])['Image'] ?? ''),
      vips: ((endpoint['VirtualIPs'] as unknown[] | undefined) ?? []).map((v) => ({
        networkId: String(record(v)['NetworkID'] ?? ''),
        address: strip(record(v)['Addr']),
      })),
      publishedPorts: ((endpoint['Ports'] as unknown[] | undefined) ?? []).map((p) => {
        const port = record(p);
        return {
          protocol: String(port['Protocol'] ?? 'tcp'),
          targetPort: Number(port['TargetPort'] ?? 0),
          publishedPort: Number(port['PublishedPort'] ?? 0),
          mode: String(port['PublishMode'] ?? 'ingress'),
        };
      }),
    };
  });
  const tasks = jsonArray(sections.get('tasks') ?? '[]', 'docker inspect (tasks)').map((raw): SwarmTask => {
    const t = record(raw);
    const attachments = (t['NetworksAttachments'] as unknown[] | undefined) ?? [];
    return {
      id: String(t['ID'] ?? ''),
      serviceId: String(t['ServiceID'] ?? ''),
      slot: Number(t['Slot'] ?? 0),
      nodeId: String(t['NodeID'] ?? ''),
      state: String(record(t['Status'])['State'] ?? ''),
      desiredState: String(t['DesiredState'] ?? ''),
      containerId: String(record(record(t['Status'])['ContainerStatus'])['ContainerID'] ?? ''),
      error: String(record(t['Status'])['Err'] ?? ''),
      addresses: attachments.flatMap((a) => {
        const network = record(record(a)['Network']);
        const networkId = String(network['ID'] ?? '');
        const networkName = String(record(network['Spec'])['Name'] ?? '');
        networks.set(networkId, networkName);
        return ((record(a)['Addresses'] as unknown[] | undefined) ?? []).map((addr) => ({
          networkId,
          networkName,
          address: strip(addr),
        }));
      }),
    };
  });
  return { nodes, networks: [...networks].map(([id, name]) => ({ id, name })), services, tasks };
}

/** The managers' state as raw text (what the captures under test/fixtures hold). */
export function swarmStateText(cluster: Cluster): Promise<string> {
  return cluster.onManager((m) => runIn(m, ['sh', '-c', swarmStateScript], { timeoutMs: deadline('nodeExec') }));
}

export async function readSwarmState(cluster: Cluster): Promise<SwarmState> {
  return parseSwarmState(await swarmStateText(cluster));
}

/** The running tasks of a service with their containers, as the managers' state has them. */
export function taskContainersOf(cluster: Cluster, swarm: SwarmState, serviceName: string): TaskContainer[] {
  const service = swarm.services.find((s) => s.name === serviceName);
  if (!service) return [];
  return swarm.tasks
    .filter((t) => t.serviceId === service.id && isRunningTask(t) && t.containerId)
    .flatMap((task) => {
      const hostname = taskHostname(swarm, task);
      return hostname
        ? [
            {
              service: service.name,
              taskId: task.id,
              taskName: taskName(service, task),
              node: cluster.node(hostname),
              containerId: task.containerId,
            },
          ]
        : [];
    });
}

/** The running tasks of a service, read with one exec on a manager (not one per node). */
export async function runningTaskContainers(cluster: Cluster, service: string): Promise<TaskContainer[]> {
  return taskContainersOf(cluster, await readSwarmState(cluster), service);
}
