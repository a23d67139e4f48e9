import { execa, type ResultPromise } from 'execa';
import { lastEngineDeath } from '../harness/engine/engine-watch.js';
import { isAlive, vmStates } from '../harness/engine/vm/vm-state.js';
import { suiteLogger } from './shared-engine.js';

// A VM engine killed under a running command (out of memory, a stray kill):
// the command must stop within seconds and say which engine died and how,
// and the next commands must work with nothing cleared by hand. The VM is
// this suite's own, so the shared engine of the other suites is never touched.
const log = suiteLogger('engine-death');
const engineName = 'e2e-death';
const onEngine = ['--engine', 'vm', '--engine-name', engineName];

function swarmlab(args: string[]): ResultPromise<{ all: true; reject: false; env: { NODE_OPTIONS: string } }> {
  return execa('node', ['bin/swarmlab.js', ...args], { all: true, reject: false, env: { NODE_OPTIONS: '' } });
}

async function qemuPid(): Promise<number> {
  const state = await vmStates.read(engineName);
  if (!state) throw new Error(`no state for VM engine ${engineName}`);
  return state.pid;
}

interface Killed {
  exitCode: number | undefined;
  output: string;
  /** From the kill to the command's exit. */
  secondsToExit: number;
}

/** Runs the CLI, kills the VM's QEMU `delayMs` after `line` appeared (or after the start), and times the command's end. */
async function killEngineDuring(args: string[], line: RegExp | undefined, delayMs: number): Promise<Killed> {
  const child = swarmlab(args);
  let output = '';
  child.all.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 10 * 60_000;
  while (line && !line.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`swarmlab ${args.join(' ')} never printed ${line}; output:\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, delayMs));
  const pid = await qemuPid();
  log.info(`killing QEMU (pid ${pid}) during swarmlab ${args[0]}`);
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  const result = await child;
  return { exitCode: result.exitCode, output, secondsToExit: (Date.now() - killedAt) / 1000 };
}

function expectTold(r: Killed): void {
  expect(r.secondsToExit).toBeLessThan(10);
  expect(r.exitCode).not.toBe(0);
  expect(r.output).toMatch(new RegExp(`VM engine "${engineName}" died: its QEMU process \\(pid \\d+\\) is gone`));
  expect(r.output).toMatch(/--- last console lines/);
  expect(r.output).toMatch(/--- next: run the command again/);
  expect(r.output).not.toMatch(/^\s+at /m);
}

describe('a VM engine that dies under a command', () => {
  afterAll(async () => {
    await swarmlab(['down', '--all', ...onEngine]);
    await swarmlab(['engine', 'down', '--engine-name', engineName]);
  }, 5 * 60_000);

  it(
    'during check: the command says so within seconds',
    async () => {
      const up = await swarmlab(['up', '--name', 'death-a', '--workers', '1', ...onEngine]);
      expect(up.exitCode).toBe(0);
      // check prints nothing until it is done (about 6 s, after 2 s of start-up): kill it half-way.
      const r = await killEngineDuring(['check', '--cluster', 'death-a', ...onEngine], undefined, 4000);
      log.info(`check ended ${r.secondsToExit.toFixed(1)} s after the kill, exit ${r.exitCode}`);
      expectTold(r);
      expect((await lastEngineDeath())?.engine).toBe(`VM engine "${engineName}"`);
    },
    15 * 60_000,
  );

  it(
    "during up, while the nodes start, after a VM boot on top of the dead one's state",
    async () => {
      const r = await killEngineDuring(
        ['up', '--name', 'death-b', '--workers', '1', ...onEngine],
        /start 2 nodes \.\.\./,
        3000,
      );
      log.info(`up ended ${r.secondsToExit.toFixed(1)} s after the kill, exit ${r.exitCode}`);
      expectTold(r);
      expect(await vmStates.read(engineName)).toBeUndefined();
    },
    15 * 60_000,
  );

  it(
    'afterwards up works again on a VM started anew, and leaves nothing behind',
    async () => {
      // The first test's cluster again: the VM starts on top of the second death's state, restoring that cluster's
      // snapshot (saved when the first test built it), which is quicker than a boot and a bring-up.
      const up = await swarmlab(['up', '--name', 'death-a', '--workers', '1', ...onEngine]);
      expect(up.exitCode).toBe(0);
      log.info(
        up.all.split('\n').find((l) => /restored the snapshot|boot VM/.test(l)) ?? 'neither restored nor booted?',
      );
      const doctor = await swarmlab(['doctor']);
      expect(doctor.all).toMatch(new RegExp(`last engine death {2}VM engine "${engineName}"`));
      expect((await swarmlab(['down', '--all', ...onEngine])).exitCode).toBe(0);
      const pid = await qemuPid();
      expect((await swarmlab(['engine', 'down', '--engine-name', engineName])).exitCode).toBe(0);
      expect(isAlive(pid)).toBe(false);
      expect(await vmStates.read(engineName)).toBeUndefined();
    },
    15 * 60_000,
  );
});
