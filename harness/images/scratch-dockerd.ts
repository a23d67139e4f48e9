import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SwarmlabError, lastLines } from '../core/errors.js';
import { ensureHostTools } from '../core/host-tools.js';
import type { Logger } from '../core/log.js';
import { runOnHost } from '../core/run-command.js';
import { waitFor } from '../core/wait.js';
import { importCommand, type ImageSource } from './image-source.js';

/**
 * A throwaway dockerd on the host, used only to write images into a data-root
 * directory that is then copied into the VM disk. Importing on the host takes
 * seconds; the same import through the emulated VM took minutes (DESIGN 1).
 * It has no bridge and no iptables, so it touches nothing of the host's network.
 */
export class ScratchDockerd {
  constructor(
    private readonly dataRoot: string,
    private readonly workDir: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<StartedScratchDockerd> {
    await ensureHostTools(
      [
        { command: 'dockerd', debianPackage: 'docker.io' },
        { command: 'docker', debianPackage: 'docker.io' },
      ],
      this.log,
    );
    await mkdir(this.dataRoot, { recursive: true });
    const execRoot = join(this.workDir, 'exec');
    await mkdir(execRoot, { recursive: true });
    const socket = join(this.workDir, 'docker.sock');
    const logPath = join(this.workDir, 'dockerd.log');
    const logFile = await open(logPath, 'w');
    const child = spawn(
      'dockerd',
      [
        '--data-root', this.dataRoot,
        '--exec-root', execRoot,
        '--pidfile', join(this.workDir, 'dockerd.pid'),
        '-H', `unix://${socket}`,
        '--bridge', 'none',
        '--iptables=false',
        '--ip6tables=false',
        '--storage-driver', 'overlay2',
        '--containerd-namespace', 'swarmlab-scratch',
        '--tls=false',
      ],
      { stdio: ['ignore', logFile.fd, logFile.fd] },
    );
    await logFile.close();
    const started = new StartedScratchDockerd(child, socket, this.log);
    try {
      await waitFor({ what: `scratch dockerd on ${socket}`, timeoutMs: 60_000 }, async () => {
        if (child.exitCode !== null) {
          throw new SwarmlabError('scratch-dockerd', `dockerd exited ${child.exitCode}: ${lastLines(await readFile(logPath, 'utf8'), 10)}`);
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
    private readonly log: Logger,
  ) {}

  get dockerHost(): string {
    return `unix://${this.socket}`;
  }

  async import(source: ImageSource): Promise<void> {
    await runOnHost('bash', ['-o', 'pipefail', '-c', importCommand(source, this.dockerHost)], this.log);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}
