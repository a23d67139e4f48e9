import { execa } from 'execa';
import { currentSignal } from './cancel.js';
import { CommandError } from './errors.js';
import type { Logger } from './log.js';

/** A word for `sh -c`, taken literally (quotes, spaces and Go templates such as {{.Task.Name}} included). */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface HostCommandOptions {
  /** Where the command runs, for error messages ("host", "node swarmlab-a-m1"). */
  where?: string;
  /** Log the latest output line this often while the command runs (long builds). */
  progressEveryMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
}

/** How long a cancelled command's process group gets between SIGTERM and SIGKILL. */
const killGraceMs = 3000;

/**
 * Runs a host command, keeping its combined output for the error when it fails.
 * Long-running commands report their latest output line periodically, so a
 * three-minute debootstrap does not look like a hang.
 *
 * The command runs in a process group of its own: when its scope is cancelled
 * (another step failed, Ctrl-C, the engine died) the whole group is stopped,
 * debootstrap's dpkg and wget as well as debootstrap itself, and the call
 * rejects with the reason for the cancellation.
 */
export async function runOnHost(
  command: string,
  args: readonly string[],
  log: Logger,
  options: HostCommandOptions = {},
): Promise<string> {
  const signal = currentSignal();
  if (signal.aborted) throw signal.reason;
  const child = execa(command, args, {
    all: true,
    reject: false,
    detached: true,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
  let lastLine = '';
  child.all?.on('data', (chunk: Buffer) => {
    const lines = chunk.toString().trim().split('\n');
    lastLine = lines[lines.length - 1] ?? lastLine;
  });
  const timer = options.progressEveryMs
    ? setInterval(() => lastLine && log.info(`${command}: ${lastLine}`), options.progressEveryMs)
    : undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // The group is already gone.
    }
  };
  const cancel = (): void => {
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), killGraceMs);
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const result = await child;
    if (signal.aborted) throw signal.reason;
    if (result.exitCode !== 0) {
      throw new CommandError(options.where ?? 'host', [command, ...args], result.exitCode, String(result.all ?? ''));
    }
    return String(result.stdout ?? '');
  } finally {
    signal.removeEventListener('abort', cancel);
    if (timer) clearInterval(timer);
    if (killTimer) clearTimeout(killTimer);
    // Whatever of a cancelled group outlived its leader (a child that ignored SIGTERM) goes now.
    if (signal.aborted) killGroup('SIGKILL');
  }
}
