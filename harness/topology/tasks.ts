import type { Cluster } from '../cluster/cluster.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import { SwarmlabError } from '../core/errors.js';

/** One task of a service as Swarm reports it, with the container that runs it when it runs. */
export interface ServiceTask {
  id: string;
  /** service.slot (replicated) or service.nodeid (global). */
  name: string;
  nodeHostname: string;
  desiredState: string;
  currentState: string;
  error: string;
}

export async function serviceTasks(cluster: Cluster, service: string): Promise<ServiceTask[]> {
  const format = '{{.ID}}\t{{.Name}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}';
  const out = await cluster.leader.dockerCli(['service', 'ps', '--no-trunc', '--format', format, service]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', name = '', node = '', desired = '', current = '', error = ''] = line.split('\t');
      return { id, name: name.replace(/^\\_\s*/, ''), nodeHostname: node, desiredState: desired, currentState: current, error };
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

export async function runningTaskContainers(cluster: Cluster, service: string): Promise<TaskContainer[]> {
  const tasks = (await serviceTasks(cluster, service)).filter((t) => t.desiredState === 'Running' && t.currentState.startsWith('Running'));
  return Promise.all(
    tasks.map(async (task) => {
      const node = cluster.node(task.nodeHostname);
      const id = (await node.dockerCli(['ps', '-q', '--no-trunc', '--filter', `label=com.docker.swarm.task.id=${task.id}`])).trim();
      if (!id) throw new SwarmlabError('task', `task ${task.name} (${task.id}) is Running on ${node.hostname} but has no container there`);
      return { service, taskId: task.id, taskName: task.name, node, containerId: id };
    }),
  );
}

/** Runs a command inside a task's container (the probe binary is at /probe). */
export function execInTask(task: TaskContainer, command: readonly string[], timeoutMs?: number): Promise<string> {
  return task.node.dockerCli(['exec', task.containerId, ...command], timeoutMs);
}
