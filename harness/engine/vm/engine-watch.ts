import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cancelEverything, cleanupScope } from '../../core/cancel.js';
import { SwarmlabError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { stateRoot } from '../../core/state.js';
import { withDeadline } from '../../core/wait.js';
import { dockerClient } from '../engine-facts.js';
import { consoleTail, dockerHostOf, isAlive, vmStates, type VmState } from './vm-state.js';

/** How a VM engine ended without swarmlab stopping it; kept for `swarmlab doctor`. */
export interface EngineDeath {
  engine: string;
  pid: number;
  dockerHost: string;
  startedAt: string;
  /** When it was noticed. */
  at: string;
  how: string;
  consoleLog: string;
  consoleTail: string;
}

/** Work stopped because the engine under it died; says which, how, its console, and what to do. */
export class EngineDiedError extends SwarmlabError {
  constructor(readonly death: EngineDeath) {
    super(
      'engine-died',
      `VM engine "${death.engine}" died: ${death.how}. Everything that ran on it (nodes, clusters) is gone.\n` +
        `--- last console lines (${death.consoleLog}) ---\n${death.consoleTail}\n` +
        `--- next: run the command again (a new VM boots; nothing needs clearing by hand); swarmlab doctor shows this again`,
      { engine: death.engine, pid: death.pid },
    );
    this.name = 'EngineDiedError';
  }
}

const deathFile = (): string => join(stateRoot(), 'last-engine-death.json');

export async function lastEngineDeath(): Promise<EngineDeath | undefined> {
  try {
    return JSON.parse(await readFile(deathFile(), 'utf8')) as EngineDeath;
  } catch {
    return undefined;
  }
}

/** Writes down how an engine died, with its console (which goes with its state directory), and clears its state. */
export async function recordEngineDeath(state: VmState, how: string): Promise<EngineDeath> {
  const death: EngineDeath = {
    engine: state.name,
    pid: state.pid,
    dockerHost: dockerHostOf(state),
    startedAt: state.startedAt,
    at: new Date().toISOString(),
    how,
    consoleLog: state.consoleLog,
    consoleTail: await consoleTail(state, 15),
  };
  await mkdir(stateRoot(), { recursive: true });
  await writeFile(deathFile(), `${JSON.stringify(death, null, 2)}\n`);
  await vmStates.remove(state.name);
  return death;
}

/** Checks the QEMU process every second, and the Docker API every few seconds. */
const pidCheckMs = 1000;
const pingEveryMs = 5000;
/** A guest that answers nothing this long is wedged (soft lockups under emulation have been seen). */
const silentLimitMs = 30_000;

const watchers = new Map<string, () => void>();

/**
 * Watches a VM engine for as long as this process uses it. When QEMU goes away
 * or the API stops answering, every wait and command in flight is cancelled
 * with an EngineDiedError, within seconds instead of at the end of a deadline
 * minutes later, and the death is written down for the next command and doctor.
 */
export function watchVmEngine(state: VmState, log: Logger): void {
  if (watchers.has(state.name)) return;
  const docker = dockerClient(dockerHostOf(state));
  const started = Date.now();
  let lastAnswer = Date.now();
  let pinging = false;
  let sinceLastPing = 0;
  const die = async (how: string): Promise<void> => {
    unwatchVmEngine(state.name);
    // A wedged guest still has a QEMU: stop it, or the next command would attach to it and hang again.
    if (isAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
    const death = await recordEngineDeath(state, how);
    cancelEverything(new EngineDiedError(death));
  };
  const tick = async (): Promise<void> => {
    if (!isAlive(state.pid)) {
      const stoppedCleanly = (await vmStates.read(state.name)) === undefined;
      const seconds = Math.round((Date.now() - started) / 1000);
      await die(stoppedCleanly
        ? `it was stopped by another command (swarmlab engine down?) ${seconds} s into this one`
        : `its QEMU process (pid ${state.pid}) is gone: killed or exited outside swarmlab (out of memory?), noticed ${seconds} s into this command`);
      return;
    }
    if (Date.now() - lastAnswer > silentLimitMs) {
      await die(`its Docker API at ${dockerHostOf(state)} stopped answering for ${Math.round((Date.now() - lastAnswer) / 1000)} s while QEMU (pid ${state.pid}) still ran; QEMU was killed`);
      return;
    }
    sinceLastPing += pidCheckMs;
    if (pinging || sinceLastPing < pingEveryMs) return;
    sinceLastPing = 0;
    pinging = true;
    withDeadline('a ping', pingEveryMs, docker.ping())
      .then(() => {
        lastAnswer = Date.now();
      })
      .catch(() => undefined)
      .finally(() => {
        pinging = false;
      });
  };
  // Its own scope: the watcher must keep working while the work it watches is being cancelled.
  void cleanupScope(async () => {
    const timer = setInterval(() => void tick().catch((e: unknown) => log.debug(`engine watch: ${String(e)}`)), pidCheckMs);
    timer.unref();
    watchers.set(state.name, () => clearInterval(timer));
  });
}

/** Stops watching (swarmlab is about to stop the engine itself). */
export function unwatchVmEngine(name: string): void {
  watchers.get(name)?.();
  watchers.delete(name);
}
