import { CommandError, SwarmlabError } from '../core/errors.js';
import { shellQuote } from '../core/run-command.js';
import type { NodeRole } from './cluster-spec.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the command's standard input, which is then closed. */
  stdin?: Buffer | string;
  /** Deadline for the whole command; each provider has a default. */
  timeoutMs?: number;
}

/**
 * One Swarm node, whatever runs it: a container on the engine today, a VM or a
 * host tomorrow. Everything above the providers (Swarm set-up, reads, checks,
 * traffic) talks to nodes through this alone.
 */
export interface SwarmNode {
  /** Short id inside the cluster (m1, w2). */
  readonly id: string;
  /** Hostname inside the node, and its Swarm node name. */
  readonly hostname: string;
  /** The role the node was created for; Swarm may have changed it since. */
  readonly role: NodeRole;
  /** The node's address on the cluster network, which Swarm advertises. */
  readonly address: string;
  /** Runs argv in the node (no shell unless argv starts one) and waits for it, within a deadline. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** The log of the node's Docker daemon. */
  logs(): Promise<string>;
  /** Stops the whole node, as a powered-off host. */
  stop(): Promise<void>;
  /** Starts a stopped node and waits until its Docker daemon answers. */
  start(): Promise<void>;
  /** Restarts the node's Docker daemon alone and waits until it answers again. */
  restartDaemon(): Promise<void>;
}

/** The node itself does not answer (stopped, gone): another node may, unlike a command that failed in it. */
export class NodeUnreachableError extends SwarmlabError {
  constructor(
    /** Which node, as messages name it: "node lab-w1". */
    readonly node: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super('node-unreachable', `${node} does not answer: ${why}`, { node }, options);
  }
}

/** Runs argv in the node and returns stdout; a non-zero exit is a CommandError carrying the output. */
export async function runIn(node: SwarmNode, argv: readonly string[], options: ExecOptions = {}): Promise<string> {
  const result = await node.exec(argv, options);
  if (result.exitCode !== 0) {
    throw new CommandError(`node ${node.hostname}`, argv, result.exitCode, `${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** The node's own docker CLI against its Docker daemon. */
export function dockerIn(node: SwarmNode, args: readonly string[], options: ExecOptions = {}): Promise<string> {
  return runIn(node, ['docker', ...args], options);
}

/**
 * Several docker CLI commands in one exec (each exec costs seconds under
 * emulation), in order, stopping at the first that fails (its error is in the
 * CommandError's output). Arguments are quoted, never read by the shell.
 */
export function dockerSequenceIn(
  node: SwarmNode,
  commands: readonly (readonly string[])[],
  options: ExecOptions = {},
): Promise<string> {
  const script = commands.map((args) => ['docker', ...args].map(shellQuote).join(' ')).join(' &&\n');
  return runIn(node, ['sh', '-c', script], options);
}
