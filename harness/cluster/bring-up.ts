import type Docker from 'dockerode';
import pRetry from 'p-retry';
import { deadline } from '../core/deadlines.js';
import { CommandError, ConfigError, errorMessage } from '../core/errors.js';
import { cleanupOnInterrupt, sharedCleanup } from '../core/interrupt.js';
import type { Logger } from '../core/log.js';
import { waitFor } from '../core/wait.js';
import { sideLoadImage } from './side-load.js';
import { Cluster } from './cluster.js';
import type { ClusterProvider } from './cluster-provider.js';
import { validateClusterSpec, type ClusterSpec } from './cluster-spec.js';
import { dockerIn, type SwarmNode } from './swarm-node.js';

export interface BringUpOptions {
  /** Deadline for every node to be Ready in `docker node ls`. */
  readyTimeoutMs?: number;
  /**
   * Images on an engine to side-load into every node before the swarm forms:
   * the nodes are idle then, while right after joining they spend tens of
   * seconds under emulation setting up the ingress network.
   */
  sideLoad?: { from: Docker; images: readonly string[] };
}

/**
 * Brings a Swarm up from a spec as a list of small steps: validate, nodes
 * from the provider, side-loads, swarm init, joins, wait Ready. Any failure
 * (or Ctrl-C) removes everything created so far: no half-built cluster is left.
 */
export async function bringUpCluster(
  specIn: ClusterSpec,
  provider: ClusterProvider,
  log: Logger,
  options: BringUpOptions = {},
): Promise<Cluster> {
  const spec = validateClusterSpec(specIn);
  if ((await provider.list()).includes(spec.name)) {
    throw new ConfigError(
      '--name',
      'name',
      `a cluster name not in use on ${provider.description} (remove it with swarmlab down ${spec.name})`,
      spec.name,
    );
  }
  const cleanup = sharedCleanup(() => provider.remove(log, spec.name));
  const unregister = cleanupOnInterrupt(cleanup);
  try {
    const cluster = new Cluster(spec.name, await provider.provision(spec, log), provider);
    for (const image of options.sideLoad?.images ?? []) {
      const from = options.sideLoad?.from;
      if (from)
        await log.step(`side-load ${image} into ${cluster.nodes.length} nodes`, () =>
          sideLoadImage(from, cluster.nodes, image, log),
        );
    }
    await formSwarm(cluster, log);
    await waitUntilReady(cluster, options.readyTimeoutMs ?? deadline('nodesReady'), log);
    return cluster;
  } catch (error) {
    log.error(`bring-up of "${spec.name}" failed; removing what was created`);
    // A clean-up that fails too (the engine is gone) must not hide why the bring-up failed.
    await cleanup().catch((e: unknown) =>
      log.warn(`removing what was created failed: ${errorMessage(e)} (run swarmlab down ${spec.name})`),
    );
    throw error;
  } finally {
    unregister();
  }
}

async function formSwarm(cluster: Cluster, log: Logger): Promise<void> {
  // The Swarm starts on the first manager; the others join it.
  const [leader] = cluster.managers;
  if (!leader) throw new ConfigError('cluster spec', 'managers', 'at least 1', '0');
  await log.step(`swarm init on ${leader.hostname}`, () =>
    dockerIn(leader, ['swarm', 'init', '--advertise-addr', leader.address]),
  );
  const managerToken = (await dockerIn(leader, ['swarm', 'join-token', '-q', 'manager'])).trim();
  const workerToken = (await dockerIn(leader, ['swarm', 'join-token', '-q', 'worker'])).trim();
  // A join can time out under emulation while the manager is busy; retrying is safe
  // because a node that did join answers "already part of a swarm", which counts as done.
  const join = (node: SwarmNode, token: string) =>
    pRetry(
      async () => {
        const result = await node.exec(
          ['docker', 'swarm', 'join', '--advertise-addr', node.address, '--token', token, `${leader.address}:2377`],
          { timeoutMs: deadline('swarmJoin') },
        );
        if (result.exitCode !== 0 && !/already part of a swarm/.test(result.stderr)) {
          throw new CommandError(
            `node ${node.hostname}`,
            ['docker', 'swarm', 'join'],
            result.exitCode,
            `${result.stdout}${result.stderr}`,
          );
        }
      },
      {
        retries: 2,
        minTimeout: 2000,
        onFailedAttempt: ({ error, attemptNumber }) =>
          log.warn(`join of ${node.hostname} failed (attempt ${attemptNumber}): ${error.message.split('\n')[0]}`),
      },
    );
  const others = cluster.nodes.filter((n) => n !== leader);
  await log.step(`join ${others.length} nodes`, async () => {
    // Managers join one at a time so Raft grows by one member per step; workers can join together.
    for (const manager of others.filter((n) => n.role === 'manager')) await join(manager, managerToken);
    await Promise.all(others.filter((n) => n.role === 'worker').map((w) => join(w, workerToken)));
  });
}

export async function waitUntilReady(cluster: Cluster, timeoutMs: number, log: Logger): Promise<void> {
  const expected = cluster.nodes.map((n) => n.hostname).sort();
  await log.step(`wait for ${expected.length} nodes Ready`, () =>
    waitFor(
      { what: `nodes ${expected.join(', ')} to be Ready in docker node ls`, timeoutMs, intervalMs: 1000 },
      async () => {
        const listing = await cluster.onManager((m) =>
          dockerIn(m, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']),
        );
        const lines = listing.trim().split('\n');
        const ready = lines.filter((l) => l.endsWith(' Ready')).map((l) => l.split(' ')[0] ?? '');
        const missing = expected.filter((h) => !ready.includes(h));
        return missing.length === 0 ? { done: true, value: undefined } : { done: false, seen: lines.join('; ') };
      },
    ),
  );
}
