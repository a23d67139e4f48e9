import type { Cluster } from '../cluster/cluster.js';
import { errorMessage } from '../core/errors.js';
import { execInTask, runningTaskContainers } from '../topology/tasks.js';
import type { SwarmState } from './swarm-state.js';

/** What a name resolved to from inside one client task (Swarm's embedded DNS answers per network). */
export interface DnsAnswer {
  network: string;
  networkId: string;
  client: string;
  clientNode: string;
  name: string;
  addresses: string[];
  error?: string;
}

/**
 * For each overlay network, resolves every attached service's name and
 * tasks.<name> from one probe task on that network, with one exec.
 */
export async function readDnsAnswers(cluster: Cluster, swarm: SwarmState): Promise<DnsAnswer[]> {
  const answers: DnsAnswer[] = [];
  for (const network of swarm.networks.filter((n) => n.name !== 'ingress')) {
    const attached = swarm.services.filter((s) => swarm.tasks.some((t) => t.serviceId === s.id && t.addresses.some((a) => a.networkId === network.id)));
    const clientService = attached.find((s) => s.image.startsWith('swarmlab/probe'));
    if (!clientService) continue;
    const [client] = await runningTaskContainers(cluster, clientService.name);
    if (!client) continue;
    const names = attached.flatMap((s) => [s.name, `tasks.${s.name}`]);
    let out: string;
    try {
      out = await execInTask(client, ['/probe', 'resolve', ...names]);
    } catch (error) {
      // A name that does not resolve makes the probe exit 1; its JSON lines are still in the error's output.
      out = errorMessage(error);
    }
    for (const parsed of parseResolveOutput(out, names)) {
      answers.push({ network: network.name, networkId: network.id, client: client.taskName, clientNode: client.node.hostname, ...parsed });
    }
  }
  return answers;
}

/** Reads `probe resolve` output (a JSON line per name); a name without a readable line is an error answer. */
export function parseResolveOutput(out: string, names: readonly string[]): Pick<DnsAnswer, 'name' | 'addresses' | 'error'>[] {
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
