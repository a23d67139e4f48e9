import type Docker from 'dockerode';
import { deadline } from '../../core/deadlines.js';
import { SwarmlabError, errorMessage } from '../../core/errors.js';
import { labels } from '../../core/labels.js';
import { waitFor } from '../../core/wait.js';
import type { NodeRole } from '../../cluster/cluster-spec.js';
import { type ExecOptions, type ExecResult, type SwarmNode, runIn } from '../../cluster/swarm-node.js';
import { demuxDockerStream } from '../../engine/docker-stream.js';
import { execInContainer } from './dind-exec.js';

/** Where dockerd in a node image writes its pid; it changes when the daemon restarts. */
const daemonPidFile = '/var/run/docker.pid';

/**
 * A Swarm node that is a privileged docker-in-docker container on the engine.
 * It holds only the engine client and the container id, so a node started by
 * one process (up) is the same object in the next (check, down, logs).
 */
export class DindNode implements SwarmNode {
  constructor(
    private readonly docker: Docker,
    readonly cluster: string,
    readonly id: string,
    readonly role: NodeRole,
    readonly containerId: string,
    readonly address: string,
  ) {}

  /** A node as the engine lists it (by its labels), on the cluster's network. */
  static fromContainer(docker: Docker, cluster: string, network: string, c: Docker.ContainerInfo): DindNode {
    const role: NodeRole = c.Labels[labels.role] === 'manager' ? 'manager' : 'worker';
    const address = c.NetworkSettings?.Networks?.[network]?.IPAddress ?? '';
    return new DindNode(docker, cluster, c.Labels[labels.node] ?? '?', role, c.Id, address);
  }

  get hostname(): string {
    return `${this.cluster}-${this.id}`;
  }

  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return execInContainer(this.docker, this.containerId, `node ${this.hostname}`, argv, options);
  }

  async logs(): Promise<string> {
    const { stdout, stderr } = demuxDockerStream(
      await this.docker.getContainer(this.containerId).logs({ stdout: true, stderr: true }),
    );
    return `${stdout}${stderr}`;
  }

  async stop(): Promise<void> {
    await this.docker.getContainer(this.containerId).stop();
  }

  async start(): Promise<void> {
    await this.docker.getContainer(this.containerId).start();
    await this.untilDaemonAnswers((pid) => pid !== '');
    // Swarm advertises the address the node had: a node back at another one would be a different peer.
    const info = await this.docker.getContainer(this.containerId).inspect();
    const now = Object.values(info.NetworkSettings.Networks).map((n) => n.IPAddress);
    if (!now.includes(this.address)) {
      throw new SwarmlabError(
        'node-start',
        `node ${this.hostname} came back at ${now.join(', ') || 'no address'}, not at ${this.address} that Swarm advertises`,
        { node: this.hostname },
      );
    }
  }

  /**
   * The node image runs dockerd under a small supervisor (its entry point) that
   * restarts the daemon on SIGHUP, as `systemctl restart docker` does on a
   * host: the node, its network namespace and its address stay.
   */
  async restartDaemon(): Promise<void> {
    const before = await this.daemonPid();
    await runIn(this, ['kill', '-HUP', '1']);
    await this.untilDaemonAnswers((pid) => pid !== '' && pid !== before);
  }

  private async daemonPid(): Promise<string> {
    const result = await this.exec(['cat', daemonPidFile], { timeoutMs: deadline('nodeCliQuick') });
    return result.exitCode === 0 ? result.stdout.trim() : '';
  }

  private async untilDaemonAnswers(pidOk: (pid: string) => boolean): Promise<void> {
    try {
      await waitFor(
        {
          what: `the Docker daemon of node ${this.hostname} to answer`,
          timeoutMs: deadline('daemonRestart'),
          intervalMs: 1000,
        },
        async () => {
          const state = (await this.docker.getContainer(this.containerId).inspect()).State;
          if (!state.Running)
            return { done: false, seen: `the node's container is ${state.Status} (exit ${state.ExitCode})` };
          const pid = await this.daemonPid().catch(() => '');
          if (!pidOk(pid))
            return { done: false, seen: pid ? `dockerd pid ${pid}, not yet the new one` : 'no dockerd pid file' };
          const version = await this.exec(['docker', 'version', '--format', '{{.Server.Version}}'], {
            timeoutMs: deadline('nodeCliQuick'),
          }).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: errorMessage(e) }));
          return version.exitCode === 0
            ? { done: true, value: undefined }
            : { done: false, seen: `dockerd pid ${pid}: ${version.stderr.trim().split('\n')[0]}` };
        },
      );
    } catch (error) {
      // Why the daemon did not come back is in its own log.
      const tail = (await this.logs().catch(() => '')).trim().split('\n').slice(-12).join('\n');
      throw new SwarmlabError(
        'node-daemon',
        `${errorMessage(error)}\n--- last log lines of ${this.hostname} ---\n${tail}`,
        {
          node: this.hostname,
        },
      );
    }
  }
}
