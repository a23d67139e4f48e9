import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import pRetry from 'p-retry';
import { deadline } from '../core/deadlines.js';
import { CommandError, ConfigError, SwarmlabError, errorMessage } from '../core/errors.js';
import { untilCancelled } from '../core/cancel.js';
import { cleanupOnInterrupt, sharedCleanup } from '../core/interrupt.js';
import { labels } from '../core/labels.js';
import type { Logger } from '../core/log.js';
import { waitFor, withDeadline } from '../core/wait.js';
import { dockerClient } from '../engine/engine-facts.js';
import type { RunningEngine } from '../engine/engine.js';
import { resolveNodeImage } from '../images/node-image-ref.js';
import { sideLoadImage } from '../images/side-load.js';
import { Cluster, containerName, networkName } from './cluster.js';
import { nodeSpecs, validateClusterSpec, type ClusterSpec, type NodeSpec } from './cluster-spec.js';
import { leftoversOf, teardownByLabel } from './teardown.js';

export interface BringUpOptions {
  /** Deadline for each node's inner engine to answer. */
  nodeStartTimeoutMs?: number;
  /** Deadline for every node to be Ready in `docker node ls`. */
  readyTimeoutMs?: number;
  /**
   * Images (on the engine) to side-load into every node before the swarm forms:
   * the nodes are idle then, while right after joining they spend tens of
   * seconds under emulation setting up the ingress network.
   */
  images?: readonly string[];
}

/**
 * testcontainers reads DOCKER_HOST once, when it first talks to an engine;
 * swarmlab knows the engine only at run time, so it is set here, before that.
 * Ryuk needs a registry image: swarmlab cleans up by its own labels instead.
 */
function pointTestcontainersAt(engine: RunningEngine): void {
  process.env['DOCKER_HOST'] = engine.dockerHost;
  process.env['TESTCONTAINERS_RYUK_DISABLED'] ??= 'true';
}

/**
 * Brings a Swarm up from a spec as a list of small steps: validate, resolve
 * images, network, nodes, swarm init, joins, wait Ready. Any failure (or
 * Ctrl-C) removes everything created so far: no half-built cluster is left.
 */
export async function bringUpCluster(
  specIn: ClusterSpec,
  engine: RunningEngine,
  log: Logger,
  options: BringUpOptions = {},
): Promise<Cluster> {
  const spec = validateClusterSpec(specIn);
  const docker = dockerClient(engine.dockerHost);
  if ((await Cluster.names(docker)).includes(spec.name)) {
    throw new ConfigError(
      '--name',
      'name',
      `a cluster name not in use on ${engine.dockerHost} (remove it with swarmlab down ${spec.name})`,
      spec.name,
    );
  }
  const nodes = nodeSpecs(spec);
  const images = new Map<string, string>();
  for (const image of new Set(nodes.map((n) => n.image)))
    images.set(image, await resolveNodeImage(image, engine.dockerHost, log));

  pointTestcontainersAt(engine);
  // Node starts take no signal: one cancelled half-way may still create its container after a first
  // teardown has listed what exists. So: remove, let the starts settle (bounded), remove again.
  let starting: Promise<unknown> = Promise.resolve();
  const cleanup = sharedCleanup(async () => {
    await teardownByLabel(docker, log, spec.name);
    await withDeadline(
      'the node starts in flight to settle',
      deadline('nodeStart'),
      Promise.allSettled([starting]),
    ).catch(() => undefined);
    if ((await leftoversOf(docker, spec.name)).length > 0) await teardownByLabel(docker, log, spec.name);
  });
  const unregister = cleanupOnInterrupt(cleanup);
  try {
    await createNetwork(docker, spec.name);
    // testcontainers' start takes no signal: a cancelled run (a dead engine, Ctrl-C) stops waiting for it at once.
    const timeoutMs = options.nodeStartTimeoutMs ?? deadline('nodeStart');
    starting = Promise.all(
      nodes.map((node) => startNode(docker, spec.name, node, images.get(node.image) ?? node.image, timeoutMs)),
    );
    await log.step(`start ${nodes.length} nodes`, () => untilCancelled(starting));
    const cluster = await Cluster.attach(docker, spec.name);
    for (const image of options.images ?? []) {
      await log.step(`side-load ${image} into ${cluster.nodes.length} nodes`, () =>
        sideLoadImage(docker, cluster.nodes, image, log),
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

async function createNetwork(docker: Docker, cluster: string): Promise<void> {
  await docker.createNetwork({
    Name: networkName(cluster),
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: { [labels.kind]: 'network', [labels.cluster]: cluster },
  });
}

async function startNode(
  docker: Docker,
  cluster: string,
  node: NodeSpec,
  image: string,
  timeoutMs: number,
): Promise<StartedTestContainer> {
  const name = containerName(cluster, node.id);
  const nodeLabels = {
    [labels.kind]: 'node',
    [labels.cluster]: cluster,
    [labels.role]: node.role,
    [labels.node]: node.id,
  };
  // A labelled named volume for /var/lib/docker: the inner engine gets overlay2
  // (not vfs), and clean-up finds the volume by label even after a crash.
  const volume = `${name}-docker`;
  await docker.createVolume({ Name: volume, Labels: { ...nodeLabels, [labels.kind]: 'volume' } });
  // testcontainers removes a container whose wait fails, logs and all: keep
  // the last lines as they arrive, for the error.
  const recent: string[] = [];
  const keepRecent = (stream: Readable) =>
    stream.on('data', (chunk: string | Buffer) => {
      recent.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      recent.splice(0, Math.max(0, recent.length - 15));
    });
  try {
    return await new GenericContainer(image)
      .withName(name)
      .withHostname(`${cluster}-${node.id}`)
      .withPrivilegedMode()
      .withLabels(nodeLabels)
      .withNetworkMode(networkName(cluster))
      .withBindMounts([{ source: volume, target: '/var/lib/docker', mode: 'rw' }])
      .withLogConsumer(keepRecent)
      .withWaitStrategy(Wait.forLogMessage(/API listen on \/var\/run\/docker\.sock/))
      .withStartupTimeout(timeoutMs)
      .start();
  } catch (error) {
    const tail = recent.join('\n') || '(the node printed nothing)';
    throw new SwarmlabError(
      'node-start',
      `node ${cluster}-${node.id} (${image}): its inner Docker engine did not start: ${errorMessage(error)}\n--- last log lines ---\n${tail}`,
      { node: node.id },
      { cause: error },
    );
  }
}

async function formSwarm(cluster: Cluster, log: Logger): Promise<void> {
  const leader = cluster.leader;
  await log.step(`swarm init on ${leader.hostname}`, () =>
    leader.dockerCli(['swarm', 'init', '--advertise-addr', leader.address]),
  );
  const managerToken = (await leader.dockerCli(['swarm', 'join-token', '-q', 'manager'])).trim();
  const workerToken = (await leader.dockerCli(['swarm', 'join-token', '-q', 'worker'])).trim();
  // A join can time out under emulation while the manager is busy; retrying is safe
  // because a node that did join answers "already part of a swarm", which counts as done.
  const join = (node: typeof leader, token: string) =>
    pRetry(
      async () => {
        const result = await node.exec(
          ['docker', 'swarm', 'join', '--advertise-addr', node.address, '--token', token, `${leader.address}:2377`],
          deadline('swarmJoin'),
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

async function waitUntilReady(cluster: Cluster, timeoutMs: number, log: Logger): Promise<void> {
  const expected = cluster.nodes.map((n) => n.hostname).sort();
  await log.step(`wait for ${expected.length} nodes Ready`, () =>
    waitFor(
      { what: `nodes ${expected.join(', ')} to be Ready in docker node ls`, timeoutMs, intervalMs: 1000 },
      async () => {
        const lines = (await cluster.leader.dockerCli(['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']))
          .trim()
          .split('\n');
        const ready = lines.filter((l) => l.endsWith(' Ready')).map((l) => l.split(' ')[0] ?? '');
        const missing = expected.filter((h) => !ready.includes(h));
        return missing.length === 0 ? { done: true, value: undefined } : { done: false, seen: lines.join('; ') };
      },
    ),
  );
}
