import type { Cluster } from '../cluster/cluster.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import { SwarmlabError } from '../core/errors.js';

/** One task of a service as Swarm reports it, with the container that runs it when it runs. */
export interface ServiceTask {
  id: string;
  service: string;
  /** service.slot (replicated) or service.nodeid (global). */
  name: string;
  nodeHostname: string;
  desiredState: string;
  currentState: string;
  error: string;
}

/** The tasks of several services in one exec (each exec costs seconds under emulation). */
export async function serviceTasks(cluster: Cluster, services: readonly string[]): Promise<ServiceTask[]> {
  const format = '{{.ID}}\t{{.Name}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}';
  const out = await cluster.leader.dockerCli(['service', 'ps', '--no-trunc', '--format', format, ...services]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', rawName = '', node = '', desired = '', current = '', error = ''] = line.split('\t');
      const name = rawName.replace(/^\\_\s*/, '');
      const service = name.split('.')[0] ?? '';
      return { id, service, name, nodeHostname: node, desiredState: desired, currentState: current, error };
    });
}

/** A running task's container, reached through the node that runs it. */
export interface TaskContainer {
  service: string;
  taskId: string;
  taskName: string;
  node: ClusterNode;
  containerId: string;
}

export function isRunning(task: ServiceTask): boolean {
  return task.desiredState === 'Running' && task.currentState.startsWith('Running');
}

export async function runningTaskContainers(cluster: Cluster, service: string): Promise<TaskContainer[]> {
  const tasks = (await serviceTasks(cluster, [service])).filter(isRunning);
  const byNode = new Map<string, ServiceTask[]>();
  for (const task of tasks) byNode.set(task.nodeHostname, [...(byNode.get(task.nodeHostname) ?? []), task]);
  const perNode = await Promise.all(
    [...byNode].map(async ([hostname, nodeTasks]) => {
      const node = cluster.node(hostname);
      const format = '{{.ID}} {{.Label "com.docker.swarm.task.id"}}';
      const lines = (await node.dockerCli(['ps', '--no-trunc', '--filter', `label=com.docker.swarm.service.name=${service}`, '--format', format])).trim();
      const containerOf = new Map(lines.split('\n').filter(Boolean).map((l) => [l.split(' ')[1] ?? '', l.split(' ')[0] ?? '']));
      return nodeTasks.map((task): TaskContainer => {
        const id = containerOf.get(task.id);
        if (!id) throw new SwarmlabError('task', `task ${task.name} (${task.id}) is Running on ${hostname} but has no container there`);
        return { service, taskId: task.id, taskName: task.name, node, containerId: id };
      });
    }),
  );
  return perNode.flat();
}

/** Runs a command inside a task's container (the probe binary is at /probe). */
export function execInTask(task: TaskContainer, command: readonly string[], timeoutMs?: number): Promise<string> {
  return task.node.dockerCli(['exec', task.containerId, ...command], timeoutMs);
}
