import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { lastLines } from '../../core/errors.js';
import { join } from 'node:path';
import { StateStore } from '../../core/state.js';
import type { VmMachine } from './vm-snapshot.js';

/** What survives the process that started the VM (see StateStore). */
export interface VmState {
  name: string;
  pid: number;
  port: number;
  suite: string;
  dir: string;
  consoleLog: string;
  /** The node image that runs the IPVS proof (engine-facts.ts). */
  proofImage: string;
  accel: 'kvm' | 'tcg';
  /** What QEMU ran (a snapshot repeats it); absent in the state of a VM started by an older swarmlab. */
  machine?: VmMachine;
  startedAt: string;
}

export const vmStates = new StateStore<VmState>('engines');

/** The VM's QMP socket (see qmp.ts). */
export function qmpSocket(state: Pick<VmState, 'dir'>): string {
  return join(state.dir, 'qmp.sock');
}

export function dockerHostOf(state: VmState): string {
  return `tcp://127.0.0.1:${state.port}`;
}

/**
 * Whether the process runs. A killed QEMU stays a zombie until its parent
 * reaps it (a daemonized QEMU's parent is PID 1, which in a container may
 * never do so), and signal 0 still reaches a zombie: read its state instead.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may itself hold spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The pid is ours only if it is a QEMU whose command line names our instance directory. */
export async function isOurQemu(state: VmState): Promise<boolean> {
  if (!isAlive(state.pid)) return false;
  try {
    const cmdline = await readFile(`/proc/${state.pid}/cmdline`, 'utf8');
    return cmdline.includes('qemu-system') && cmdline.includes(state.dir);
  } catch {
    return false;
  }
}

export async function consoleTail(state: VmState, lines = 25): Promise<string> {
  try {
    return lastLines(await readFile(state.consoleLog, 'utf8'), lines);
  } catch {
    return '(no console output)';
  }
}
