import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { deadline } from './deadlines.js';
import { CommandError, SwarmlabError, WaitTimeoutError } from './errors.js';
import type { Logger } from './log.js';
import { runOnHost } from './run-command.js';
import { sleep } from './wait.js';

/** A program swarmlab runs on the host, and the Debian package that ships it. */
export interface HostTool {
  command: string;
  debianPackage: string;
}

export interface HostToolLookup {
  /** The search path (default: $PATH). Tests point it at shims. */
  path?: string;
}

export interface HostToolInstall extends HostToolLookup {
  /** Whether apt may be run (default: running as root). */
  mayInstall?: boolean;
  /** How long to wait for an apt or dpkg lock held by another process. */
  lockTimeoutMs?: number;
  /** Pause between two tries while the lock is held. */
  lockPollMs?: number;
}

/** Where `command` is on the search path, looked up without starting a process. */
export async function findOnPath(command: string, path = process.env['PATH'] ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

export async function missingHostTools(tools: readonly HostTool[], lookup: HostToolLookup = {}): Promise<HostTool[]> {
  const unique = [...new Map(tools.map((t) => [t.command, t])).values()];
  const found = await Promise.all(unique.map((t) => findOnPath(t.command, lookup.path)));
  return unique.filter((_, i) => found[i] === undefined);
}

export function aptInstallCommand(packages: readonly string[]): string {
  return `apt-get update && apt-get install -y --no-install-recommends ${[...packages].sort().join(' ')}`;
}

function packagesOf(tools: readonly HostTool[]): string[] {
  return [...new Set(tools.map((t) => t.debianPackage))].sort();
}

export class MissingHostToolsError extends SwarmlabError {
  constructor(
    readonly missing: readonly HostTool[],
    why: string,
  ) {
    const packages = packagesOf(missing);
    super(
      'host-tools',
      `missing host programs: ${missing.map((t) => t.command).join(', ')} (${why}); install them with: ${aptInstallCommand(packages)}`,
      {
        missing: missing.map((t) => t.command),
        packages,
      },
    );
    this.name = 'MissingHostToolsError';
  }
}

/**
 * For a build step about to use host programs: fails with the install command
 * when one is missing, and never installs anything itself. Installing is the
 * preflight's job alone (installHostTools), once, before any work starts: two
 * steps that ran apt side by side fought over its lock.
 */
export async function requireHostTools(tools: readonly HostTool[], lookup: HostToolLookup = {}): Promise<void> {
  const missing = await missingHostTools(tools, lookup);
  if (missing.length > 0) throw new MissingHostToolsError(missing, 'the preflight should have installed them');
}

/**
 * The preflight: looks up every host program the chosen path needs, once, and
 * installs all missing Debian packages in one apt call (as root; otherwise it
 * fails with the exact command). A lock that another apt or dpkg holds is
 * waited for, saying who holds it, up to a deadline.
 */
export async function installHostTools(
  tools: readonly HostTool[],
  log: Logger,
  options: HostToolInstall = {},
): Promise<void> {
  const missing = await missingHostTools(tools, options);
  if (missing.length === 0) return;
  const packages = packagesOf(missing);
  const aptGet = await findOnPath('apt-get', options.path);
  const mayInstall = options.mayInstall ?? process.getuid?.() === 0;
  if (!mayInstall || !aptGet) {
    throw new MissingHostToolsError(
      missing,
      mayInstall ? 'apt-get is not on this machine' : 'swarmlab installs them only when run as root',
    );
  }
  log.info(
    `installing missing host packages with apt: ${packages.join(' ')} (for ${missing.map((t) => t.command).join(', ')})`,
  );
  const apt = (args: string[]) => runAptWaitingForLock(aptGet, args, log, options);
  await apt(['update', '-qq']);
  await apt(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  const stillMissing = await missingHostTools(missing, options);
  if (stillMissing.length > 0)
    throw new MissingHostToolsError(
      stillMissing,
      `apt installed ${packages.join(' ')} but they are still not on the PATH`,
    );
}

/** What apt or dpkg says when another process holds its lock: the lock file, and the holder when it is named. */
export function parseAptLockMessage(output: string): { lock: string; holder?: string } | undefined {
  const match =
    /Could not get lock (\S+?)\.?(?:\s|$)/.exec(output) ?? /Unable to acquire the dpkg (frontend) lock/.exec(output);
  if (!match) return undefined;
  const held = /held by process (\d+)(?: \(([^)]*)\))?/.exec(output);
  const holder = held ? `process ${held[1]}${held[2] ? ` (${held[2]})` : ''}` : undefined;
  return {
    lock: match[1] === 'frontend' ? 'the dpkg frontend lock' : (match[1] ?? 'a lock'),
    ...(holder ? { holder } : {}),
  };
}

async function runAptWaitingForLock(
  aptGet: string,
  args: string[],
  log: Logger,
  options: HostToolInstall,
): Promise<void> {
  const timeoutMs = options.lockTimeoutMs ?? deadline('aptLock');
  const giveUpAt = Date.now() + timeoutMs;
  let lastHolder: string | undefined;
  for (;;) {
    try {
      await runOnHost(aptGet, args, log, {
        env: { DEBIAN_FRONTEND: 'noninteractive', ...(options.path ? { PATH: options.path } : {}) },
      });
      return;
    } catch (error) {
      const lock = error instanceof CommandError ? parseAptLockMessage(error.output) : undefined;
      if (!lock) throw error;
      const who = `${lock.lock}, held by ${lock.holder ?? 'another process'}`;
      if (Date.now() >= giveUpAt)
        throw new WaitTimeoutError(`apt's lock to be free for apt-get ${args[0]}`, timeoutMs, who);
      if (who !== lastHolder)
        log.info(`waiting for ${who} (apt-get ${args[0]}; up to ${Math.round(timeoutMs / 1000)} s)`);
      lastHolder = who;
      await sleep(options.lockPollMs ?? 2000);
    }
  }
}
