import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { deadline } from '../core/deadlines.js';
import { SwarmlabError, lastLines } from '../core/errors.js';
import { requireHostTools, type HostTool } from '../core/host-tools.js';
import type { Logger } from '../core/log.js';
import { runOnHost } from '../core/run-command.js';
import { waitFor } from '../core/wait.js';
import { importCommand, type ImageSource } from './image-source.js';

export const scratchDockerdHostTools: readonly HostTool[] = [
  { command: 'dockerd', debianPackage: 'docker.io' },
  { command: 'docker', debianPackage: 'docker.io' },
];

/**
 * A throwaway dockerd on the host, used only to write images into a data-root
 * directory that is then copied into the VM disk. Importing on the host takes
 * seconds; the same import through the emulated VM took minutes (147 s for a
 * gzipped rootfs, measured).
 * It has no bridge and no iptables, so it touches nothing of the host's network.
 */
export class ScratchDockerd {
  constructor(
    private readonly dataRoot: string,
    private readonly workDir: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<StartedScratchDockerd> {
    await requireHostTools(scratchDockerdHostTools);
    await mkdir(this.dataRoot, { recursive: true });
    // Unix socket paths are limited to 108 bytes and cache paths are long: the
    // exec-root (where containerd's socket lives) and the API socket go to a short temp dir.
    const runDir = await mkdtemp('/tmp/swarmlab-');
    const execRoot = join(runDir, 'exec');
    await mkdir(execRoot, { recursive: true });
    const socket = join(runDir, 'docker.sock');
    await mkdir(this.workDir, { recursive: true });
    const logPath = join(this.workDir, 'dockerd.log');
    const logFile = await open(logPath, 'w');
    const child = spawn(
      'dockerd',
      [
        '--data-root',
        this.dataRoot,
        '--exec-root',
        execRoot,
        '--pidfile',
        join(this.workDir, 'dockerd.pid'),
        '-H',
        `unix://${socket}`,
        '--bridge',
        'none',
        '--iptables=false',
        '--ip6tables=false',
        '--storage-driver',
        'overlay2',
        '--containerd-namespace',
        'swarmlab-scratch',
        '--tls=false',
      ],
      { stdio: ['ignore', logFile.fd, logFile.fd] },
    );
    await logFile.close();
    const started = new StartedScratchDockerd(child, socket, runDir, this.dataRoot, this.log);
    try {
      await waitFor({ what: `scratch dockerd on ${socket}`, timeoutMs: deadline('scratchDockerd') }, async () => {
        if (child.exitCode !== null) {
          throw new SwarmlabError(
            'scratch-dockerd',
            `dockerd exited ${child.exitCode}: ${lastLines(await readFile(logPath, 'utf8'), 10)}`,
          );
        }
        await runOnHost('docker', ['-H', `unix://${socket}`, 'version', '--format', '{{.Server.Version}}'], this.log);
        return { done: true, value: undefined };
      });
    } catch (error) {
      await started.stop();
      throw error;
    }
    return started;
  }
}

export class StartedScratchDockerd {
  constructor(
    private readonly child: ChildProcess,
    readonly socket: string,
    private readonly runDir: string,
    private readonly dataRoot: string,
    private readonly log: Logger,
  ) {}

  get dockerHost(): string {
    return `unix://${this.socket}`;
  }

  async import(source: ImageSource): Promise<void> {
    await runOnHost('bash', ['-o', 'pipefail', '-c', importCommand(source, this.dockerHost)], this.log);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    // dockerd bind-mounts its data-root onto itself and only undoes it on a clean exit.
    const mounts = await readFile('/proc/self/mounts', 'utf8');
    for (const dir of [this.dataRoot, this.runDir]) {
      if (mounts.includes(` ${dir}`)) await runOnHost('umount', ['-R', '-l', dir], this.log).catch(() => undefined);
    }
    await rm(this.runDir, { recursive: true, force: true });
  }
}
