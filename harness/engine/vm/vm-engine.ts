import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { deadline } from '../../core/deadlines.js';
import { SwarmlabError, errorMessage } from '../../core/errors.js';
import { cleanupOnInterrupt, sharedCleanup } from '../../core/interrupt.js';
import type { Logger } from '../../core/log.js';
import { runOnHost } from '../../core/run-command.js';
import { cancellationReason } from '../../core/cancel.js';
import { sleep, waitFor } from '../../core/wait.js';
import type { DebianSuite } from '../../images/debian-suites.js';
import type { ImageSource } from '../../images/image-source.js';
import { dockerClient, engineFacts } from '../engine-facts.js';
import type {
  EngineFacts,
  EngineProvider,
  RestoredSnapshot,
  RunningEngine,
  SnapshotRequest,
  SnapshotValidity,
} from '../engine.js';
import { recordEngineDeath, unwatchEngine, type WatchTarget } from '../engine-watch.js';
import { setGuestClock, startClockKeeper } from './guest-clock.js';
import { chooseAcceleration } from './kvm-probe.js';
import { withQmp } from './qmp.js';
import { vmDisk } from './vm-disk.js';
import {
  findSnapshot,
  incomingFrom,
  resumeRestored,
  saveSnapshot,
  type StoredSnapshot,
  type VmMachine,
} from './vm-snapshot.js';
import { consoleTail, dockerHostOf, isAlive, isOurQemu, qmpSocket, vmStates, type VmState } from './vm-state.js';

export interface VmEngineOptions {
  /** Instance name; two engines with different names run side by side. */
  name: string;
  suite: DebianSuite;
  /** Images baked into the disk: the first one also runs the IPVS proof. */
  preload: readonly ImageSource[];
  memoryMb?: number;
  cpus?: number;
  bootTimeoutMs?: number;
  /** Restore this snapshot instead of booting when it is saved (see vm-snapshot.ts). */
  snapshot?: SnapshotRequest;
  /** Boot even when the snapshot is saved (--fresh). */
  fresh?: boolean;
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

async function qemuVersion(log: Logger): Promise<string> {
  return (await runOnHost('qemu-system-x86_64', ['--version'], log)).split('\n')[0]?.trim() ?? 'unknown';
}

/** Where an instance's disk writes go: a copy-on-write overlay over the cached disk or a snapshot's disk. */
interface Backing {
  file: string;
  format: 'raw' | 'qcow2';
}

/** A VM about to start: its state but for QEMU's pid. */
type Instance = Omit<VmState, 'pid' | 'machine'> & { machine: VmMachine };

/** QEMU's command line for an instance; a restore must repeat the machine part exactly (VmMachine). */
function qemuArgs(instance: Instance, overlay: string, incoming?: string): string[] {
  const { machine } = instance;
  return [
    '-name',
    `swarmlab-${instance.name}`,
    '-machine',
    'q35',
    ...(machine.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-smp',
    String(machine.cpus),
    '-m',
    `${machine.memoryMb}M`,
    '-kernel',
    machine.kernel,
    '-initrd',
    machine.initrd,
    // cgroup.memory=nokmem: the first memory cgroup (the first container) would otherwise switch on
    // kmem accounting, patching every slab allocation site at once; under multi-threaded TCG that
    // live-patch has hung both vCPUs in kmem_cache_alloc ("soft lockup ... [runc]", console.log).
    '-append',
    'root=/dev/vda rw console=ttyS0 cgroup.memory=nokmem init=/sbin/swarmlab-init',
    '-drive',
    `file=${overlay},if=virtio,format=qcow2,cache=unsafe`,
    // The Docker API is unauthenticated: forward it from loopback only, never 0.0.0.0.
    '-nic',
    `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${instance.port}-:2375`,
    '-display',
    'none',
    '-serial',
    `file:${instance.consoleLog}`,
    '-monitor',
    'none',
    // QMP: how a snapshot pauses the VM, switches its disk to a new overlay and saves or loads its state.
    '-qmp',
    `unix:${qmpSocket(instance)},server=on,wait=off`,
    ...(incoming ? ['-incoming', incoming] : []),
    '-daemonize',
    '-pidfile',
    join(instance.dir, 'qemu.pid'),
  ];
}

export class VmEngineProvider implements EngineProvider {
  readonly kind = 'vm' as const;

  constructor(
    private readonly options: VmEngineOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<RunningEngine> {
    const { name, suite, snapshot: wanted } = this.options;
    const existing = await VmEngine.attach(name, this.log);
    if (existing) {
      this.log.info(`VM engine "${name}" is already running at ${existing.dockerHost}`);
      if (wanted) this.log.info(`not restoring the snapshot of ${wanted.label}: the VM engine was already running`);
      return existing;
    }
    const proofImage = this.options.preload[0]?.ref;
    if (!proofImage)
      throw new SwarmlabError('vm-engine', 'a VM engine needs at least one preloaded image (the node image)');
    const disk = await vmDisk(suite, this.options.preload, this.log);
    this.log.info(`VM disk ${disk.hit ? 'from cache' : 'built'}: ${disk.dir}`);
    const { accel, why } = await chooseAcceleration(disk.kernel);
    this.log.info(why);
    const machine: VmMachine = {
      disk: disk.disk,
      kernel: disk.kernel,
      initrd: disk.initrd,
      accel,
      memoryMb: this.options.memoryMb ?? 6144,
      cpus: this.options.cpus ?? 2,
      qemu: await qemuVersion(this.log),
    };
    if (wanted && this.options.fresh)
      this.log.info(`--fresh: booting instead of restoring a snapshot of ${wanted.label}`);
    const saved = wanted && !this.options.fresh ? await findSnapshot(machine, wanted, this.log) : undefined;
    const dir = vmStates.dir(name);
    const instance: Instance = {
      name,
      port: await freeLoopbackPort(),
      suite: suite.name,
      dir,
      consoleLog: join(dir, 'console.log'),
      proofImage,
      accel,
      machine,
      startedAt: new Date().toISOString(),
    };
    // Ctrl-C from here until the engine answers stops the half-started VM (registered before the first line of
    // progress, so a Ctrl-C the moment it shows is caught too).
    const stopHalfStarted = sharedCleanup(() => this.stopHalfStarted(instance));
    const unregister = cleanupOnInterrupt(stopHalfStarted);
    try {
      if (saved) {
        try {
          return await this.restore(instance, saved);
        } catch (error) {
          if (cancellationReason() !== undefined) throw error;
          this.log.warn(
            `restoring the snapshot of ${saved.manifest.label} failed: ${errorMessage(error)}; ` +
              'removing the snapshot and booting instead',
          );
          await rm(saved.dir, { recursive: true, force: true });
        }
      }
      return await this.boot(instance);
    } finally {
      unregister();
    }
  }

  /** Stops a VM whose start failed or was interrupted: QEMU may still be daemonizing, its pid file a moment late. */
  private async stopHalfStarted(instance: Instance): Promise<void> {
    const pidFile = join(instance.dir, 'qemu.pid');
    for (let i = 0; i < 30 && !existsSync(pidFile); i++) await sleep(100);
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (pid > 0) await new VmEngine({ ...instance, pid }, this.log).stop();
    else await vmStates.remove(instance.name);
  }

  /** Boots the VM from its disk and waits for Docker; a guest kernel that crashed while booting is booted again. */
  private async boot(instance: Instance): Promise<VmEngine> {
    const { machine } = instance;
    const what = `boot VM "${instance.name}" (${this.options.suite.name}, ${machine.accel})`;
    return this.log.step(what, async () => {
      for (let attempt = 1; ; attempt++) {
        const engine = await this.launch(instance, { file: machine.disk, format: 'raw' });
        try {
          await engine.waitForApi(this.options.bootTimeoutMs ?? deadline('vmBoot'));
          return new VmEngine(engine.state, this.log, true, undefined, this.options.snapshot);
        } catch (error) {
          await engine.stop();
          // Under multi-threaded emulation the guest kernel has crashed while booting, rarely and at random
          // (an int3 Oops in kernel_init, seen once here): a second boot from a fresh overlay is the cure.
          if (!(error instanceof GuestCrashError) || attempt >= bootAttempts) throw error;
          this.log.warn(`${error.message.split('\n')[0]}; booting again (attempt ${attempt + 1} of ${bootAttempts})`);
        }
      }
    });
  }

  /** Loads a snapshot instead of booting, resumes it and sets its clock to the host's. */
  private async restore(instance: Instance, snapshot: StoredSnapshot): Promise<VmEngine> {
    const started = Date.now();
    const { label, savedAt } = snapshot.manifest;
    return this.log.step(`restore VM "${instance.name}" from the snapshot of ${label} (saved ${savedAt})`, async () => {
      const backing: Backing = { file: join(snapshot.dir, 'disk.qcow2'), format: 'qcow2' };
      const engine = await this.launch(instance, backing, incomingFrom(snapshot));
      try {
        await withQmp(qmpSocket(engine.state), instance.name, (qmp) => resumeRestored(qmp, snapshot));
        await engine.waitForApi(this.options.bootTimeoutMs ?? deadline('vmBoot'));
        const clock = await setGuestClock(dockerClient(engine.dockerHost), instance.name);
        const restored: RestoredSnapshot = {
          label,
          savedAt,
          seconds: (Date.now() - started) / 1000,
          clockSkewBeforeMs: clock.skewBeforeMs,
          clockSkewAfterMs: clock.skewAfterMs,
        };
        this.log.info(
          `restored the snapshot of ${label} in ${restored.seconds.toFixed(1)} s; guest clock set from ` +
            `${(clock.skewBeforeMs / 1000).toFixed(1)} s to ${clock.skewAfterMs} ms off the host's`,
        );
        return new VmEngine(engine.state, this.log, true, restored);
      } catch (error) {
        await engine.stop();
        throw error;
      }
    });
  }

  /** Starts QEMU on a new overlay of `backing` and records its state; the VM is not yet known to answer. */
  private async launch(instance: Instance, backing: Backing, incoming?: string): Promise<VmEngine> {
    await rm(instance.dir, { recursive: true, force: true });
    await mkdir(instance.dir, { recursive: true });
    const overlay = join(instance.dir, 'overlay.qcow2');
    // A copy-on-write overlay keeps the cached disk (or snapshot) pristine and makes each start clean.
    await runOnHost(
      'qemu-img',
      ['create', '-q', '-f', 'qcow2', '-b', backing.file, '-F', backing.format, overlay],
      this.log,
    );
    try {
      await runOnHost('qemu-system-x86_64', qemuArgs(instance, overlay, incoming), this.log);
      const pid = Number((await readFile(join(instance.dir, 'qemu.pid'), 'utf8')).trim());
      const state: VmState = { ...instance, pid };
      await vmStates.write(instance.name, state);
      return new VmEngine(state, this.log, true);
    } catch (error) {
      await this.stopHalfStarted(instance);
      throw error;
    }
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
    readonly restored?: RestoredSnapshot,
    readonly snapshotWanted?: SnapshotRequest,
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

  async saveSnapshot(request: SnapshotRequest, validity: SnapshotValidity): Promise<void> {
    const { machine } = this.state;
    if (!machine) throw new SwarmlabError('vm-snapshot', `VM "${this.name}" was started by an older swarmlab`);
    // The keeper sets the clock of a restored VM (guest-clock.ts); it must be in the saved state.
    await startClockKeeper(dockerClient(this.dockerHost), this.state.proofImage);
    await this.log.step(`save a snapshot of ${request.label}`, () =>
      withQmp(qmpSocket(this.state), this.name, (qmp) =>
        saveSnapshot(qmp, { machine, request, validity, instanceDir: this.state.dir }, this.log),
      ),
    );
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
