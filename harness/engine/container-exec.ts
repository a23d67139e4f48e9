import type Docker from 'dockerode';
import { demuxDockerStream } from './docker-stream.js';

export interface ContainerExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs argv in a running container through the engine's Docker API and collects its output, feeding `stdin` when
 * given. No deadline and no error mapping: callers add both, since only they know what the container is.
 */
export async function execInRunningContainer(
  docker: Docker,
  containerId: string,
  argv: readonly string[],
  stdin?: Buffer | string,
): Promise<ContainerExecResult> {
  const exec = await docker
    .getContainer(containerId)
    .exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true, AttachStdin: stdin !== undefined });
  const stream = await exec.start({ hijack: true, stdin: stdin !== undefined });
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  // Ending our side closes the command's standard input (the engine half-closes the exec).
  if (stdin !== undefined) stream.end(stdin);
  await ended;
  const { stdout, stderr } = demuxDockerStream(Buffer.concat(chunks));
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout, stderr };
}
