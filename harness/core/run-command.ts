import { execa } from 'execa';
import { CommandError } from './errors.js';
import type { Logger } from './log.js';

/** A word for `sh -c`, taken literally (quotes, spaces and Go templates such as {{.Task.Name}} included). */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface RunOptions {
  /** Where the command runs, for error messages ("host", "node swarmlab-a-m1"). */
  where?: string;
  /** Log the latest output line this often while the command runs (long builds). */
  progressEveryMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
}

/**
 * Runs a host command, keeping its combined output for the error when it fails.
 * Long-running commands report their latest output line periodically, so a
 * three-minute debootstrap does not look like a hang.
 */
export async function runOnHost(command: string, args: readonly string[], log: Logger, options: RunOptions = {}): Promise<string> {
  const child = execa(command, args, {
    all: true,
    reject: false,
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
  try {
    const result = await child;
    if (result.exitCode !== 0) {
      throw new CommandError(options.where ?? 'host', [command, ...args], result.exitCode, String(result.all ?? ''));
    }
    return String(result.stdout ?? '');
  } finally {
    if (timer) clearInterval(timer);
  }
}
