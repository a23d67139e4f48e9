import { CommandError } from '../core/errors.js';
import type { SwarmNode } from './swarm-node.js';
import { nodeScript } from './node-script.js';

/** A running task's container, reached through the node that runs it. */
export interface TaskContainer {
  service: string;
  taskId: string;
  taskName: string;
  node: SwarmNode;
  containerId: string;
}

const nsenterTaskScript = nodeScript(new URL('./scripts/nsenter-task.sh', import.meta.url));

/**
 * Runs a command in a task container's namespaces with nsenter from its node,
 * rather than with a nested `docker exec`: the same resolver, addresses and
 * files (the probe binary is at /probe), about a second less per call under
 * emulation.
 */
export async function execInTask(task: TaskContainer, command: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await task.node.exec(['sh', '-c', nsenterTaskScript, 'sh', task.containerId, ...command], {
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  if (result.exitCode !== 0)
    throw new CommandError(
      `task ${task.taskName} on ${task.node.hostname}`,
      command,
      result.exitCode,
      `${result.stdout}${result.stderr}`,
    );
  return result.stdout;
}
