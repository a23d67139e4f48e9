import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cancelEverything, cancellationReason, cleanupScope } from '../core/cancel.js';
import { SwarmlabError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { stateRoot } from '../core/state.js';
import { withDeadline } from '../core/wait.js';
import { dockerClient } from './engine-facts.js';
import { consoleTail, isAlive, vmStates, type VmState } from './vm/vm-state.js';

/** What the watch needs of an engine: where its API is and, for a VM, its QEMU. */
export interface WatchTarget {
  /** `VM engine "default"`, `local engine at unix:///var/run/docker.sock`: how messages name it. */
  label: string;
  dockerHost: string;
  vm?: VmState;
}

/** How an engine ended under a command; kept for `swarmlab doctor`. */
export interface EngineDeath {
  engine: string;
  dockerHost: string;
  /** When it was noticed. */
  at: string;
  how: string;
  /** VM engines: QEMU's pid and the last console lines (the console goes with the VM's state directory). */
  pid?: number;
  consoleLog?: string;
  consoleTail?: string;
}

/** Work stopped because the engine under it died; says which, how, its console, and what to do. */
export class EngineDiedError extends SwarmlabError {
  constructor(readonly death: EngineDeath) {
    const consoleText =
      death.consoleTail !== undefined ? `--- last console lines (${death.consoleLog}) ---\n${death.consoleTail}\n` : '';
    const next =
      death.pid !== undefined
        ? 'run the command again (a new VM boots; nothing needs clearing by hand)'
        : 'start the Docker daemon again (or use --engine vm), then run the command again';
    super(
      'engine-died',
      `${death.engine} died: ${death.how}. Everything that ran on it (nodes, clusters) is gone.\n` +
        `${consoleText}--- next: ${next}; swarmlab doctor shows this again`,
      { engine: death.engine },
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

async function deathOf(target: WatchTarget, how: string): Promise<EngineDeath> {
  const vm = target.vm;
  return {
    engine: target.label,
    dockerHost: target.dockerHost,
    at: new Date().toISOString(),
    how,
    ...(vm ? { pid: vm.pid, consoleLog: vm.consoleLog, consoleTail: await consoleTail(vm, 15) } : {}),
  };
}

/** Writes down how an engine died; a VM's console is kept and its state cleared, so the next start needs no clean-up. */
export async function recordEngineDeath(target: WatchTarget, how: string): Promise<EngineDeath> {
  const vm = target.vm;
  const death = await deathOf(target, how);
  await mkdir(stateRoot(), { recursive: true });
  await writeFile(deathFile(), `${JSON.stringify(death, null, 2)}\n`);
  if (vm) await vmStates.remove(vm.name);
  return death;
}

/** The QEMU process is checked every second; the API every few seconds. */
const tickMs = 1000;
const pingEveryMs = 4000;
/** A guest (or daemon) that answers nothing this long is wedged (soft lockups under emulation have been seen). */
const silentLimitMs = 30_000;

/** A refused or reset connection, or a socket that is gone: the daemon is not there, as opposed to slow. */
function isRefusal(error: unknown): boolean {
  return /ECONNREFUSED|ECONNRESET|ENOENT|socket hang up/.test(errorMessage(error));
}

const watchers = new Map<string, { stop: () => void; check: (now: boolean) => Promise<void> }>();

/**
 * Watches an engine for as long as this process uses it. When QEMU goes away,
 * the daemon refuses connections twice in a row, or the API stays silent for
 * 30 s, every wait and command in flight is cancelled with an EngineDiedError
 * within seconds (instead of at the end of a deadline minutes later), and the
 * death is written down for the next command and for doctor.
 */
export function watchEngine(target: WatchTarget, log: Logger): void {
  if (watchers.has(target.label)) return;
  const docker = dockerClient(target.dockerHost);
  const started = Date.now();
  let lastAnswer = Date.now();
  let refusals = 0;
  let pinging = false;
  let sincePing = pingEveryMs;
  const after = (): string => `noticed ${Math.round((Date.now() - started) / 1000)} s into this command`;
  const die = async (how: string, { record = true } = {}): Promise<void> => {
    if (!watchers.has(target.label)) return;
    unwatchEngine(target.label);
    // A wedged guest still has a QEMU: stop it, or the next command would attach to it and hang again.
    if (target.vm && isAlive(target.vm.pid)) process.kill(target.vm.pid, 'SIGKILL');
    const death = record ? await recordEngineDeath(target, how) : await deathOf(target, how);
    cancelEverything(new EngineDiedError(death));
  };
  /** One look; `now` asks the API at once instead of waiting for the next ping. */
  const check = async (now: boolean): Promise<void> => {
    const vm = target.vm;
    if (vm && !isAlive(vm.pid)) {
      // A clean stop removes the state first: that is not a death to keep for doctor, but this command's work is over all the same.
      if ((await vmStates.read(vm.name)) === undefined)
        await die(`it was stopped by another command (swarmlab engine down?), ${after()}`, { record: false });
      else
        await die(
          `its QEMU process (pid ${vm.pid}) is gone: killed or exited outside swarmlab (out of memory?), ${after()}`,
        );
      return;
    }
    if (now) {
      const refused = await withDeadline('a ping', 3000, docker.ping()).then(() => false, isRefusal);
      if (refused)
        await die(`its Docker API at ${target.dockerHost} refuses connections: the daemon is gone, ${after()}`);
      return;
    }
    if (refusals >= 2) {
      await die(`its Docker API at ${target.dockerHost} refuses connections: the daemon is gone, ${after()}`);
      return;
    }
    if (Date.now() - lastAnswer > silentLimitMs) {
      await die(
        `its Docker API at ${target.dockerHost} did not answer for ${Math.round((Date.now() - lastAnswer) / 1000)} s` +
          (vm ? ` while QEMU (pid ${vm.pid}) still ran; QEMU was killed` : ''),
      );
      return;
    }
    sincePing += tickMs;
    if (pinging || sincePing < pingEveryMs) return;
    sincePing = 0;
    pinging = true;
    await withDeadline('a ping', pingEveryMs, docker.ping())
      .then(() => {
        lastAnswer = Date.now();
        refusals = 0;
      })
      .catch((error: unknown) => {
        refusals = isRefusal(error) ? refusals + 1 : 0;
      })
      .finally(() => {
        pinging = false;
      });
  };
  // Its own scope: the watch must keep working while the work it watches is being cancelled.
  void cleanupScope(async () => {
    const timer = setInterval(
      () => void check(false).catch((e: unknown) => log.debug(`engine watch: ${errorMessage(e)}`)),
      tickMs,
    );
    timer.unref();
    watchers.set(target.label, { stop: () => clearInterval(timer), check });
  });
}

/** Stops watching (swarmlab is about to stop the engine itself). */
export function unwatchEngine(label: string): void {
  watchers.get(label)?.stop();
  watchers.delete(label);
}

/**
 * What to tell the user about a failure: if a watched engine died (checked
 * now, not at the next tick: a refused connection can arrive first), or the
 * user interrupted, that is the story, not the socket error it caused.
 */
export async function explainFailure(thrown: unknown): Promise<unknown> {
  if (!cancellationReason() && isRefusal(thrown)) {
    await Promise.all([...watchers.values()].map((w) => w.check(true).catch(() => undefined)));
  }
  return cancellationReason() ?? thrown;
}
