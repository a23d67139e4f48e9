import type Docker from 'dockerode';
import { deadline } from '../../core/deadlines.js';
import { SwarmlabError, errorMessage } from '../../core/errors.js';
import { withDeadline } from '../../core/wait.js';
import { execInRunningContainer } from '../../engine/container-exec.js';
import { type ExecOptions, type ExecResult, NodeUnreachableError } from '../../cluster/swarm-node.js';

/**
 * Runs argv in a node container through the engine's Docker API and waits for
 * it with a deadline. It works on any container by id, so a later process
 * (down, logs, check) reaches nodes it did not start.
 */
export async function execInContainer(
  docker: Docker,
  containerId: string,
  where: string,
  argv: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const run = (): Promise<ExecResult> => execInRunningContainer(docker, containerId, argv, options.stdin);
  const what = `\`${argv.join(' ')}\` in ${where}`;
  try {
    return await withDeadline(what, options.timeoutMs ?? deadline('nodeExec'), run());
  } catch (error) {
    if (error instanceof SwarmlabError) throw error;
    // 409: the container is not running; 404: it is gone. Either way the node is down, not the command wrong.
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 409 || status === 404) throw new NodeUnreachableError(where, errorMessage(error), { cause: error });
    // A socket error alone ("connect ECONNREFUSED") says neither which engine nor which node.
    throw new SwarmlabError(
      'docker-api',
      `${what}: the Docker API at ${apiAddress(docker)} failed: ${errorMessage(error)}`,
      { where, argv },
      { cause: error },
    );
  }
}

/** Where a dockerode client talks to, for error messages. */
export function apiAddress(docker: Docker): string {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number | string };
  return modem.socketPath ? `unix://${modem.socketPath}` : `tcp://${modem.host ?? '?'}:${modem.port ?? '?'}`;
}
