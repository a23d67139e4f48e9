import type Docker from 'dockerode';
import { shellQuote } from '../core/run-command.js';
import { execIn, execOk, type ExecResult } from '../engine/container-exec.js';
import type { NodeRole } from './cluster-spec.js';

/** One Swarm node: a privileged docker-in-docker container, reached through the engine's API. */
export class ClusterNode {
  constructor(
    private readonly docker: Docker,
    readonly cluster: string,
    readonly id: string,
    readonly role: NodeRole,
    readonly containerId: string,
    /** The node's address on the cluster network (Swarm advertises it). */
    readonly address: string,
    readonly image: string,
  ) {}

  /** Hostname inside the node and Swarm node name. */
  get hostname(): string {
    return `${this.cluster}-${this.id}`;
  }

  exec(command: readonly string[], timeoutMs?: number): Promise<ExecResult> {
    return execIn(this.docker, this.containerId, command, {
      where: `node ${this.hostname}`,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  }

  /** Runs a command in the node and returns stdout; a non-zero exit throws with the output. */
  run(command: readonly string[], timeoutMs?: number): Promise<string> {
    return execOk(this.docker, this.containerId, command, {
      where: `node ${this.hostname}`,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  }

  /**
   * Several docker CLI commands in one exec, in order, stopping at the first
   * that fails (its error is in the CommandError's output).
   */
  dockerCliSequence(commands: readonly (readonly string[])[], timeoutMs?: number): Promise<string> {
    const script = commands.map((args) => ['docker', ...args].map(shellQuote).join(' ')).join(' &&\n');
    return this.run(['sh', '-c', script], timeoutMs);
  }

  /** The node's own docker CLI against its inner engine. */
  dockerCli(args: readonly string[], timeoutMs?: number): Promise<string> {
    return this.run(['docker', ...args], timeoutMs);
  }
}
