import type { Cluster } from '../cluster/cluster.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import { CommandError } from '../core/errors.js';
import { isRunningTask, readSwarmState, taskHostname, taskName, type SwarmState } from '../inspect/swarm-state.js';

/** A running task's container, reached through the node that runs it. */
export interface TaskContainer {
  service: string;
  taskId: string;
  taskName: string;
  node: ClusterNode;
  containerId: string;
}

/** The running tasks of a service with their containers, as the managers' state has them. */
export function taskContainersOf(cluster: Cluster, swarm: SwarmState, serviceName: string): TaskContainer[] {
  const service = swarm.services.find((s) => s.name === serviceName);
  if (!service) return [];
  return swarm.tasks
    .filter((t) => t.serviceId === service.id && isRunningTask(t) && t.containerId)
    .flatMap((task) => {
      const hostname = taskHostname(swarm, task);
      return hostname ? [{ service: service.name, taskId: task.id, taskName: taskName(service, task), node: cluster.node(hostname), containerId: task.containerId }] : [];
    });
}

/** The running tasks of a service, read with one exec on the leader (not one per node). */
export async function runningTaskContainers(cluster: Cluster, service: string): Promise<TaskContainer[]> {
  return taskContainersOf(cluster, await readSwarmState(cluster), service);
}

/**
 * Runs a command in a task container's namespaces (network, mount, UTS, IPC)
 * with nsenter from its node, rather than with a nested `docker exec`: the
 * same resolver, addresses and files (the probe binary is at /probe), about a
 * second less per call under emulation. The container's PID comes from the
 * node's API through curl, or its docker CLI on images without curl.
 */
const nsenterTaskScript = `
id=$1; shift
if command -v curl >/dev/null 2>&1; then
  pid=$(curl -s --unix-socket /var/run/docker.sock "http://docker/containers/$id/json" | grep -o '"Pid":[0-9]*' | cut -d: -f2)
else
  pid=$(docker inspect --format '{{.State.Pid}}' "$id")
fi
[ -n "$pid" ] && [ "$pid" -gt 0 ] || { echo "container $id is not running on this node" >&2; exit 125; }
exec nsenter -t "$pid" -n -m -u -i "$@"
`;

export async function execInTask(task: TaskContainer, command: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await task.node.exec(['sh', '-c', nsenterTaskScript, 'sh', task.containerId, ...command], timeoutMs);
  if (result.exitCode !== 0) throw new CommandError(`task ${task.taskName} on ${task.node.hostname}`, command, result.exitCode, `${result.stdout}${result.stderr}`);
  return result.stdout;
}
