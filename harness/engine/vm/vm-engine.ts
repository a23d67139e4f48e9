import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { deadline } from '../../core/deadlines.js';
import { SwarmlabError, errorMessage } from '../../core/errors.js';
import { cleanupOnInterrupt, sharedCleanup } from '../../core/interrupt.js';
import type { Logger } from '../../core/log.js';
import { runOnHost } from '../../core/run-command.js';
import { sleep, waitFor } from '../../core/wait.js';
import type { DebianSuite } from '../../images/debian-suites.js';
import type { ImageSource } from '../../images/image-source.js';
import { dockerClient, engineFacts } from '../engine-facts.js';
import type { EngineFacts, EngineProvider, RunningEngine } from '../engine.js';
import { chooseAcceleration } from './kvm-probe.js';
import { vmDisk } from './vm-disk.js';
import { recordEngineDeath, unwatchEngine, type WatchTarget } from '../engine-watch.js';
import { consoleTail, dockerHostOf, isAlive, isOurQemu, vmStates, type VmState } from './vm-state.js';

export interface VmEngineOptions {
  /** Instance name; two engines with different names run side by side. */
  name: string;
  suite: DebianSuite;
  /** Images baked into the disk: the first one also runs the IPVS proof. */
  preload: readonly ImageSource[];
  memoryMb?: number;
  cpus?: number;
  bootTimeoutMs?: number;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class VmEngineProvider implements EngineProvider {
  readonly kind = 'vm' as const;

  constructor(
    private readonly options: VmEngineOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<RunningEngine> {
    const { name, suite } = this.options;
    const existing = await VmEngine.attach(name, this.log);
    if (existing) {
      this.log.info(`VM engine "${name}" is already running at ${existing.dockerHost}`);
      return existing;
    }
    const proofImage = this.options.preload[0]?.ref;
    if (!proofImage)
      throw new SwarmlabError('vm-engine', 'a VM engine needs at least one preloaded image (the node image)');
    const disk = await vmDisk(suite, this.options.preload, this.log);
    this.log.info(`VM disk ${disk.hit ? 'from cache' : 'built'}: ${disk.dir}`);

    const dir = vmStates.dir(name);
    await mkdir(dir, { recursive: true });
    const overlay = join(dir, 'overlay.qcow2');
    const consoleLog = join(dir, 'console.log');
    const pidFile = join(dir, 'qemu.pid');
    // A copy-on-write overlay keeps the cached disk pristine and makes each boot start clean.
    await runOnHost('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', disk.disk, '-F', 'raw', overlay], this.log);
    const { accel, why } = await chooseAcceleration(disk.kernel);
    this.log.info(why);
    const port = await freeLoopbackPort();
    const args = [
      '-name',
      `swarmlab-${name}`,
      '-machine',
      'q35',
      ...(accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
      '-smp',
      String(this.options.cpus ?? 2),
      '-m',
      `${this.options.memoryMb ?? 6144}M`,
      '-kernel',
      disk.kernel,
      '-initrd',
      disk.initrd,
      // cgroup.memory=nokmem: the first memory cgroup (the first container) would otherwise switch on
      // kmem accounting, patching every slab allocation site at once; under multi-threaded TCG that
      // live-patch has hung both vCPUs in kmem_cache_alloc ("soft lockup ... [runc]", console.log).
      '-append',
      'root=/dev/vda rw console=ttyS0 cgroup.memory=nokmem init=/sbin/swarmlab-init',
      '-drive',
      `file=${overlay},if=virtio,format=qcow2,cache=unsafe`,
      // The Docker API is unauthenticated: forward it from loopback only, never 0.0.0.0.
      '-nic',
      `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${port}-:2375`,
      '-display',
      'none',
      '-serial',
      `file:${consoleLog}`,
      '-monitor',
      'none',
      '-daemonize',
      '-pidfile',
      pidFile,
    ];
    const pending: Omit<VmState, 'pid'> = {
      name,
      port,
      suite: suite.name,
      dir,
      consoleLog,
      proofImage,
      accel,
      startedAt: new Date().toISOString(),
    };
    // Ctrl-C while booting stops the half-booted VM; QEMU may still be daemonizing,
    // so its pid file can lag the signal by a moment.
    const stopHalfBooted = sharedCleanup(async () => {
      for (let i = 0; i < 30 && !existsSync(pidFile); i++) await sleep(100);
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0) await new VmEngine({ ...pending, pid }, this.log).stop();
    });
    await rm(pidFile, { force: true });
    const unregister = cleanupOnInterrupt(stopHalfBooted);
    try {
      await this.log.step(`boot VM "${name}" (${suite.name}, ${accel})`, async () => {
        for (let attempt = 1; ; attempt++) {
          await runOnHost('qemu-system-x86_64', args, this.log);
          const pid = Number((await readFile(pidFile, 'utf8')).trim());
          const state: VmState = { ...pending, pid };
          await vmStates.write(name, state);
          const engine = new VmEngine(state, this.log);
          try {
            await engine.waitForApi(this.options.bootTimeoutMs ?? deadline('vmBoot'));
            return;
          } catch (error) {
            // Under multi-threaded emulation the guest kernel has crashed while booting, rarely and at random
            // (an int3 Oops in kernel_init, seen once here): a second boot from a fresh overlay is the cure.
            if (!(error instanceof GuestCrashError) || attempt >= bootAttempts) {
              await stopHalfBooted();
              throw error;
            }
            this.log.warn(`${error.message.split('\n')[0]}; booting again (attempt ${attempt + 1} of ${bootAttempts})`);
            await engine.stop(); // which removes the VM's folder: make it again for the next boot
            await mkdir(dir, { recursive: true });
            await runOnHost(
              'qemu-img',
              ['create', '-q', '-f', 'qcow2', '-b', disk.disk, '-F', 'raw', overlay],
              this.log,
            );
          }
        }
      });
    } finally {
      unregister();
    }
    const state = await vmStates.read(name);
    if (!state) throw new SwarmlabError('vm-engine', `state of VM "${name}" vanished during boot`);
    return new VmEngine(state, this.log, true);
  }
}

/** Boots tried before a guest kernel crash is the answer. */
const bootAttempts = 2;

/** The guest kernel's own words when it crashed, from its console; undefined when it did not. */
export function guestCrash(console: string): string | undefined {
  return console
    .split('\n')
    .find((line) => /Kernel panic - not syncing|\bOops: /.test(line))
    ?.trim();
}

export class GuestCrashError extends SwarmlabError {
  constructor(name: string, line: string, tail: string) {
    super('vm-boot', `the kernel of VM "${name}" crashed while booting: ${line}\n--- last console lines ---\n${tail}`, {
      name,
    });
    this.name = 'GuestCrashError';
  }
}

function vmWatchTarget(state: VmState): WatchTarget {
  return { label: `VM engine "${state.name}"`, dockerHost: dockerHostOf(state), vm: state };
}

export class VmEngine implements RunningEngine {
  readonly kind = 'vm' as const;

  constructor(
    readonly state: VmState,
    private readonly log: Logger,
    readonly bootedHere = false,
  ) {}

  /**
   * The running VM engine of that name, or undefined. An engine recorded as running whose QEMU is gone died
   * unseen: that is written down (doctor shows it) and its state cleared, so
   * the next start needs no clean-up by hand.
   */
  static async attach(name: string, log: Logger): Promise<VmEngine | undefined> {
    const state = await vmStates.read(name);
    if (!state) return undefined;
    if (await isOurQemu(state)) return new VmEngine(state, log);
    const death = await recordEngineDeath(
      vmWatchTarget(state),
      `its QEMU process (pid ${state.pid}) was gone when a later command looked (killed, out of memory, or the machine restarted)`,
    );
    log.warn(`VM engine "${name}" was recorded as running but ${death.how}; cleared its state`);
    return undefined;
  }

  /** The running VM engine of that name, without watching it or clearing anything (for doctor). */
  static async find(name: string, log: Logger): Promise<VmEngine | undefined> {
    const state = await vmStates.read(name);
    return state && (await isOurQemu(state)) ? new VmEngine(state, log) : undefined;
  }

  get name(): string {
    return this.state.name;
  }

  get dockerHost(): string {
    return dockerHostOf(this.state);
  }

  get speed(): 'native' | 'emulated' {
    return this.state.accel === 'kvm' ? 'native' : 'emulated';
  }

  watchTarget(): WatchTarget {
    return vmWatchTarget(this.state);
  }

  consoleTail(lines = 25): Promise<string> {
    return consoleTail(this.state, lines);
  }

  async waitForApi(timeoutMs: number): Promise<void> {
    const docker = dockerClient(this.dockerHost);
    let crash: string | undefined;
    try {
      crash = await waitFor(
        { what: `the Docker API of VM "${this.name}" at ${this.dockerHost}`, timeoutMs, intervalMs: 1000 },
        async () => {
          if (!isAlive(this.state.pid)) throw new SwarmlabError('vm-engine', `QEMU (pid ${this.state.pid}) exited`);
          // A guest kernel that crashed will never answer: say so now rather than at the deadline.
          const oops = guestCrash(await consoleTail(this.state, 400));
          if (oops) return { done: true, value: oops };
          await docker.ping();
          return { done: true, value: undefined };
        },
      );
    } catch (error) {
      throw new SwarmlabError(
        'vm-boot',
        `VM "${this.name}" did not bring up Docker: ${errorMessage(error)}\n` +
          `--- last console lines (${this.state.consoleLog}) ---\n${await this.consoleTail()}`,
        { name: this.name },
        { cause: error },
      );
    }
    if (crash) throw new GuestCrashError(this.name, crash, await this.consoleTail());
  }

  async facts(): Promise<EngineFacts> {
    const facts = await engineFacts('vm', this.name, this.dockerHost, this.state.proofImage);
    // A failed proof in our own VM is a VM problem (a stuck kernel, say), not a missing module: show its console.
    if (!facts.ipvs)
      return {
        ...facts,
        ipvsDetail: `${facts.ipvsDetail}\n--- last console lines (${this.state.consoleLog}) ---\n${await this.consoleTail()}`,
      };
    return facts;
  }

  async stop(): Promise<void> {
    unwatchEngine(this.watchTarget().label);
    if (await isOurQemu(this.state)) {
      process.kill(this.state.pid, 'SIGTERM');
      for (let i = 0; i < 100 && isAlive(this.state.pid); i++) await sleep(100);
      if (isAlive(this.state.pid)) process.kill(this.state.pid, 'SIGKILL');
    }
    await vmStates.remove(this.name);
    this.log.info(`VM engine "${this.name}" stopped`);
  }
}
