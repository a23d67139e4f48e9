import type { ClusterProvider } from '../../harness/cluster/cluster-provider.js';
import type { ClusterSpec, NodeRole } from '../../harness/cluster/cluster-spec.js';
import {
  type ExecOptions,
  type ExecResult,
  NodeUnreachableError,
  type SwarmNode,
} from '../../harness/cluster/swarm-node.js';
import { SwarmlabError } from '../../harness/core/errors.js';
import { parseSwarmState } from '../../harness/inspect/swarm-state.js';
import { fixtureText } from '../fixtures/load.js';

/**
 * A node that is a plain object answering the harness's node scripts from a
 * capture of a real cluster (test/fixtures): what a provider must give the
 * code above it, and nothing more. Any other command fails, so a test sees
 * when the harness starts to need something the capture does not hold.
 */
export class CapturedNode implements SwarmNode {
  running = true;
  readonly execs: string[] = [];

  constructor(
    readonly id: string,
    readonly hostname: string,
    readonly role: NodeRole,
    readonly address: string,
    /** Its stdout for a command, or a whole result (a failure), or undefined for no answer. */
    readonly answer: (argv: readonly string[]) => string | ExecResult | undefined,
  ) {}

  async exec(argv: readonly string[], _options?: ExecOptions): Promise<ExecResult> {
    if (!this.running) throw new NodeUnreachableError(`node ${this.hostname}`, 'stopped');
    // The first line of a node script names it (node-script.ts): log that, not the whole script.
    this.execs.push(argv[0] === 'sh' ? (argv[2]?.split('\n')[0] ?? '') : argv.join(' '));
    const answer = this.answer(argv);
    if (answer === undefined) {
      return { exitCode: 127, stdout: '', stderr: `captured node: no answer for ${argv.join(' ').slice(0, 80)}` };
    }
    return typeof answer === 'string' ? { exitCode: 0, stdout: answer, stderr: '' } : answer;
  }

  async logs(): Promise<string> {
    return `captured node ${this.hostname}\n`;
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  async start(): Promise<void> {
    this.running = true;
  }

  async restartDaemon(): Promise<void> {}
}

/** Which node script an argv runs (`sh -c SCRIPT sh ARGS...`), by the name on its first line. */
function scriptOf(argv: readonly string[]): { name: string; args: readonly string[] } | undefined {
  if (argv[0] !== 'sh' || argv[1] !== '-c') return undefined;
  const name = /^# swarmlab (\S+)/.exec(argv[2] ?? '')?.[1];
  return name ? { name, args: argv.slice(4) } : undefined;
}

/**
 * The nodes of a captured cluster: node dumps per node, the managers' state
 * on the managers, and `probe resolve` output of each probe service's tasks;
 * `edit` may change a file's text first, to write a fault in.
 */
export function capturedNodes(dir: string, edit: (file: string, text: string) => string = (_, t) => t): CapturedNode[] {
  const file = (name: string) => edit(name, fixtureText(dir, name));
  const swarmText = file('swarm-state.txt');
  const swarm = parseSwarmState(swarmText);
  const serviceOfContainer = (containerId: string) => {
    const task = swarm.tasks.find((t) => t.containerId === containerId);
    return swarm.services.find((s) => s.id === task?.serviceId)?.name;
  };
  return swarm.nodes.map((node) => {
    const id = node.hostname.split('-').pop() ?? node.hostname;
    const answer = (argv: readonly string[]): string | undefined => {
      const script = scriptOf(argv);
      if (script?.name === 'node-dump.sh') return file(`${id}.node-dump.txt`);
      if (script?.name === 'swarm-state.sh' && node.role === 'manager') return swarmText;
      if (script?.name === 'nsenter-task.sh' && script.args[1] === '/probe' && script.args[2] === 'resolve') {
        const service = serviceOfContainer(script.args[0] ?? '');
        return service ? file(`${service}-resolve.txt`) : undefined;
      }
      return undefined;
    };
    return new CapturedNode(id, node.hostname, node.role, node.address, answer);
  });
}

/** A provider holding one captured cluster: it lists and finds it, and cannot make another. */
export class CapturedProvider implements ClusterProvider {
  readonly description = 'captured clusters (test/fixtures)';

  constructor(
    private readonly name: string,
    readonly captured: CapturedNode[],
  ) {}

  async provision(spec: ClusterSpec): Promise<SwarmNode[]> {
    throw new SwarmlabError('provider', `${this.description} cannot create "${spec.name}"`);
  }

  async list(): Promise<string[]> {
    return [this.name];
  }

  async nodes(cluster: string): Promise<SwarmNode[]> {
    if (cluster !== this.name) throw new SwarmlabError('no-cluster', `no cluster named "${cluster}"`);
    return this.captured;
  }

  async remove(): Promise<void> {}

  async leftovers(): Promise<string[]> {
    return [];
  }
}
