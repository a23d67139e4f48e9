import type { Cluster } from '../cluster/cluster.js';
import type { TaskContainer } from '../cluster/task-container.js';
import { cancellationReason } from '../core/cancel.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { probePort } from '../images/probe-image.js';
import { waitUntilResolves } from '../inspect/dns-view.js';
import { readSwarmState, type SwarmState } from '../inspect/swarm-state.js';
import { runProbeClient } from './probe-client.js';

/**
 * Who can reach whom: from a client on each node, each probe service by its name, by its VIP, by tasks.<name>, and
 * each port it publishes through the routing mesh entered on every node's address. A few fresh connections per
 * cell: enough to tell a path that works from one that does not (the spread test judges how traffic divides).
 */
export interface ReachCell {
  /** The node the client runs on. */
  from: string;
  service: string;
  /** name, vip, tasks, or `mesh <node>` (the published port entered on that node's address). */
  via: string;
  target: string;
  answered: number;
  sent: number;
  /** The first error a request got, when one failed. */
  error?: string;
}

export interface ReachabilityTable {
  cells: ReachCell[];
  pass: boolean;
}

const requestsPerCell = 3;

export interface ReachPath {
  service: string;
  via: string;
  target: string;
  resolveEach: boolean;
}

/** Every path to every probe service (the client service itself left out), in a stable order. */
export function reachabilityPaths(swarm: SwarmState, clientService: string): ReachPath[] {
  const probes = swarm.services
    .filter((s) => s.name !== clientService && s.image.startsWith('swarmlab/probe'))
    .sort((a, b) => a.name.localeCompare(b.name));
  return probes.flatMap((s) => [
    { service: s.name, via: 'name', target: `${s.name}:${probePort}`, resolveEach: s.endpointMode === 'dnsrr' },
    ...s.vips
      .filter((v) => swarm.networks.find((n) => n.id === v.networkId)?.name !== 'ingress')
      .map((v) => ({ service: s.name, via: 'vip', target: `${v.address}:${probePort}`, resolveEach: false })),
    { service: s.name, via: 'tasks', target: `tasks.${s.name}:${probePort}`, resolveEach: true },
    ...s.publishedPorts
      .filter((p) => p.mode === 'ingress' && p.protocol === 'tcp' && p.targetPort === probePort)
      .flatMap((p) =>
        [...swarm.nodes]
          .sort((a, b) => a.hostname.localeCompare(b.hostname))
          .map((n) => ({
            service: s.name,
            via: `mesh ${n.hostname}`,
            target: `${n.address}:${p.publishedPort}`,
            resolveEach: false,
          })),
      ),
  ]);
}

export async function measureReachability(
  cluster: Cluster,
  clients: readonly TaskContainer[],
  log: Logger,
): Promise<ReachabilityTable> {
  const [first] = clients;
  if (!first) return { cells: [], pass: false };
  const paths = reachabilityPaths(await readSwarmState(cluster), first.service);
  const cells: ReachCell[] = [];
  await log.step(`reachability: ${paths.length} paths from ${clients.length} nodes`, async () => {
    for (const client of clients) {
      for (const service of new Set(paths.map((p) => p.service))) await waitUntilResolves(client, service);
      for (const path of paths) {
        const cell = { from: client.node.hostname, service: path.service, via: path.via, target: path.target };
        try {
          const records = await runProbeClient(client, {
            target: path.target,
            requests: requestsPerCell,
            concurrency: 1,
            timeoutMs: 2000,
            keepalive: false,
            resolveEach: path.resolveEach,
            giveUpAfter: requestsPerCell,
          });
          const failed = records.find((r) => !r.ok);
          cells.push({
            ...cell,
            answered: records.filter((r) => r.ok).length,
            sent: requestsPerCell,
            ...(failed?.error ? { error: failed.error } : {}),
          });
        } catch (error) {
          if (cancellationReason()) throw error;
          cells.push({ ...cell, answered: 0, sent: requestsPerCell, error: errorMessage(error) });
        }
      }
    }
  });
  return { cells, pass: cells.length > 0 && cells.every((c) => c.answered === c.sent) };
}
