import type { Cluster } from '../cluster/cluster.js';
import type { SwarmNode } from '../cluster/swarm-node.js';
import { CommandError } from '../core/errors.js';
import { deadline } from '../core/deadlines.js';
import { waitFor } from '../core/wait.js';
import { execInTask, type TaskContainer } from '../cluster/task-container.js';
import { taskContainersOf, type SwarmState } from './swarm-state.js';

/** What a name resolved to from inside one client task (Swarm's embedded DNS answers per network). */
export interface DnsAnswer {
  network: string;
  networkId: string;
  /**
   * Every network the client task is on. A client on several networks that
   * the target shares gets the answer of one of them, so the check accepts any.
   */
  clientNetworkIds: string[];
  client: string;
  clientNode: string;
  name: string;
  addresses: string[];
  error?: string;
}

/** The networks a service's tasks are attached to. */
function networksOf(swarm: SwarmState, serviceId: string): string[] {
  return [
    ...new Set(
      swarm.tasks.filter((t) => t.serviceId === serviceId).flatMap((t) => t.addresses.map((a) => a.networkId)),
    ),
  ];
}

/**
 * For each overlay network, resolves every attached service's name and
 * tasks.<name> from one probe task on that network, with one exec, all
 * networks at once. The client is the probe service on the fewest networks,
 * so that the answer belongs to this network whenever the topology allows it.
 */
export async function readDnsAnswers(
  cluster: Cluster,
  swarm: SwarmState,
  reachable: readonly SwarmNode[] = cluster.nodes,
): Promise<DnsAnswer[]> {
  const perNetwork = swarm.networks
    .filter((n) => n.name !== 'ingress')
    .map(async (network): Promise<DnsAnswer[]> => {
      const attached = swarm.services.filter((s) => networksOf(swarm, s.id).includes(network.id));
      const clientService = attached
        .filter((s) => s.image.startsWith('swarmlab/probe'))
        .sort((a, b) => networksOf(swarm, a.id).length - networksOf(swarm, b.id).length)[0];
      const client =
        clientService && taskContainersOf(cluster, swarm, clientService.name).find((t) => reachable.includes(t.node));
      if (!clientService || !client) return [];
      const names = attached.flatMap((s) => [s.name, `tasks.${s.name}`]);
      const out = await resolveInTask(client, names);
      return parseResolveOutput(out, names).map((parsed) => ({
        network: network.name,
        networkId: network.id,
        clientNetworkIds: networksOf(swarm, clientService.id),
        client: client.taskName,
        clientNode: client.node.hostname,
        ...parsed,
      }));
    });
  return (await Promise.all(perNetwork)).flat();
}

/**
 * Runs `probe resolve` in a task and returns its output, a JSON line per name.
 * A name that does not resolve makes the probe exit 1; the lines of the names
 * that did are still wanted, so that exit is not an error here.
 */
export async function resolveInTask(task: TaskContainer, names: readonly string[]): Promise<string> {
  try {
    return await execInTask(task, ['/probe', 'resolve', ...names]);
  } catch (error) {
    if (error instanceof CommandError && error.exitCode === 1) return error.output;
    throw error;
  }
}

/** Reads `probe resolve` output (a JSON line per name); a name without a readable line is an error answer. */
export function parseResolveOutput(
  out: string,
  names: readonly string[],
): Pick<DnsAnswer, 'name' | 'addresses' | 'error'>[] {
  return names.map((name) => {
    const line = out.split('\n').find((l) => l.includes(`"name":"${name}"`));
    if (!line) return { name, addresses: [], error: 'no answer in the probe output' };
    try {
      const parsed = JSON.parse(line.slice(line.indexOf('{'))) as { addresses?: unknown; error?: unknown };
      const addresses = Array.isArray(parsed.addresses) ? parsed.addresses.map(String) : [];
      return { name, addresses, ...(typeof parsed.error === 'string' ? { error: parsed.error } : {}) };
    } catch {
      return { name, addresses: [], error: `unreadable answer: ${line}` };
    }
  });
}

/** A task that just started learns the network's names from its gossip a moment later: wait until `name` resolves. */
export async function waitUntilResolves(task: TaskContainer, name: string): Promise<void> {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return;
  await waitFor(
    {
      what: `${name} to resolve from ${task.taskName} on ${task.node.hostname}`,
      timeoutMs: deadline('dnsAfterConverge'),
      intervalMs: 1000,
    },
    async () => {
      const [answer] = parseResolveOutput(await resolveInTask(task, [name]), [name]);
      return answer && answer.addresses.length > 0
        ? { done: true, value: undefined }
        : { done: false, seen: answer?.error ?? 'no addresses' };
    },
  );
}
