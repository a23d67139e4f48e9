import { readFile } from 'node:fs/promises';
import { lastLines } from '../../core/errors.js';
import { StateStore } from '../../core/state.js';

/** What survives the process that started the VM (see StateStore). */
export interface VmState {
  name: string;
  pid: number;
  port: number;
  suite: string;
  dir: string;
  consoleLog: string;
  probeImage: string;
  accel: 'kvm' | 'tcg';
  startedAt: string;
}

export const vmStates = new StateStore<VmState>('engines');

export function dockerHostOf(state: VmState): string {
  return `tcp://127.0.0.1:${state.port}`;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
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
