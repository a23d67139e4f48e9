import type Docker from 'dockerode';
import { deadline } from '../core/deadlines.js';
import { CommandError, SwarmlabError, errorMessage } from '../core/errors.js';
import { withDeadline } from '../core/wait.js';
import { demuxDockerStream } from './docker-stream.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  /** Where, for error messages; defaults to the container id. */
  where?: string;
}

/**
 * Runs a command in a container through the Docker API and waits for it with
 * a deadline. It works on any container by id, so a later process (down, logs,
 * check) can reach nodes it did not start.
 */
export async function execIn(
  docker: Docker,
  containerId: string,
  command: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? deadline('nodeExec');
  const where = options.where ?? containerId.slice(0, 12);
  const run = async (): Promise<ExecResult> => {
    const exec = await docker
      .getContainer(containerId)
      .exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    const { stdout, stderr } = demuxDockerStream(Buffer.concat(chunks));
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, stdout, stderr };
  };
  const what = `\`${command.join(' ')}\` in ${where}`;
  try {
    return await withDeadline(what, timeoutMs, run());
  } catch (error) {
    if (error instanceof SwarmlabError) throw error;
    // A socket error alone ("connect ECONNREFUSED") says neither which engine nor which node.
    throw new SwarmlabError(
      'docker-api',
      `${what}: the Docker API at ${apiAddress(docker)} failed: ${errorMessage(error)}`,
      { where, command },
      { cause: error },
    );
  }
}

/** Where a dockerode client talks to, for error messages. */
export function apiAddress(docker: Docker): string {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number | string };
  return modem.socketPath ? `unix://${modem.socketPath}` : `tcp://${modem.host ?? '?'}:${modem.port ?? '?'}`;
}

/** Like execIn, but a non-zero exit is a CommandError carrying the output. */
export async function execOk(
  docker: Docker,
  containerId: string,
  command: readonly string[],
  options: ExecOptions = {},
): Promise<string> {
  const result = await execIn(docker, containerId, command, options);
  if (result.exitCode !== 0) {
    throw new CommandError(
      options.where ?? containerId.slice(0, 12),
      command,
      result.exitCode,
      `${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}
