import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { GenericContainer, Wait } from 'testcontainers';
import { untilCancelled } from '../../core/cancel.js';
import { deadline } from '../../core/deadlines.js';
import { SwarmlabError, errorMessage } from '../../core/errors.js';
import { clusterFilter, labels } from '../../core/labels.js';
import type { Logger } from '../../core/log.js';
import { withDeadline } from '../../core/wait.js';
import type { ClusterProvider } from '../../cluster/cluster-provider.js';
import { nodeSpecs, type ClusterSpec, type NodeSpec } from '../../cluster/cluster-spec.js';
import type { SwarmNode } from '../../cluster/swarm-node.js';
import { resolveNodeImage } from '../../images/node-image-ref.js';
import { dockerClient } from '../../engine/engine-facts.js';
import { DindNode } from './dind-node.js';
import { leftoversOf, teardownByLabel } from './teardown.js';

function networkName(cluster: string): string {
  return `swarmlab-${cluster}`;
}

/**
 * Nodes as privileged docker-in-docker containers on one engine, started with
 * testcontainers and found again by swarmlab's labels. Each cluster has a
 * bridge network of its own and a labelled volume per node.
 */
export class DindProvider implements ClusterProvider {
  /** Node starts still in flight per cluster: removal waits for them (they take no signal). */
  private readonly starting = new Map<string, Promise<unknown>>();
  private readonly docker: Docker;

  /**
   * dockerHost: the engine the nodes run on, as its API address (`tcp://127.0.0.1:23750`, `unix:///...`).
   * nodeStartTimeoutMs: how long each node's daemon may take to answer.
   */
  constructor(
    private readonly dockerHost: string,
    private readonly nodeStartTimeoutMs = deadline('nodeStart'),
  ) {
    this.docker = dockerClient(dockerHost);
  }

  get description(): string {
    return `docker-in-docker on ${this.dockerHost}`;
  }

  async provision(spec: ClusterSpec, log: Logger): Promise<SwarmNode[]> {
    const nodes = nodeSpecs(spec);
    const images = new Map<string, string>();
    for (const image of new Set(nodes.map((n) => n.image))) {
      images.set(image, await resolveNodeImage(image, this.dockerHost, log));
    }
    this.pointTestcontainersHere();
    try {
      await this.createNetwork(spec.name);
      const starting = Promise.all(
        nodes.map((node) => this.startNode(spec.name, node, images.get(node.image) ?? node.image)),
      );
      this.starting.set(spec.name, starting);
      // testcontainers' start takes no signal: a cancelled run (a dead engine, Ctrl-C) stops waiting for it at once.
      await log.step(`start ${nodes.length} nodes`, () => untilCancelled(starting));
      return await this.nodes(spec.name);
    } catch (error) {
      await this.remove(log, spec.name).catch((e: unknown) =>
        log.warn(`removing the nodes of "${spec.name}" failed: ${errorMessage(e)}`),
      );
      throw error;
    }
  }

  async list(): Promise<string[]> {
    const containers = await this.docker.listContainers({ all: true, filters: clusterFilter() });
    const names = containers.map((c) => c.Labels[labels.cluster]).filter((n): n is string => Boolean(n));
    return [...new Set(names)].sort();
  }

  async nodes(cluster: string): Promise<SwarmNode[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${labels.cluster}=${cluster}`, `${labels.kind}=node`] },
    });
    if (containers.length === 0) {
      throw new SwarmlabError('no-cluster', `no cluster named "${cluster}" on ${this.description} (see swarmlab ls)`);
    }
    return containers
      .map((c) => DindNode.fromContainer(this.docker, cluster, networkName(cluster), c))
      .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  /**
   * Node starts take no signal: one cancelled half-way may still create its
   * container after a first teardown has listed what exists. So: remove, let
   * the starts in flight settle (bounded), and remove again what came late.
   */
  async remove(log: Logger, cluster?: string): Promise<void> {
    await teardownByLabel(this.docker, log, cluster);
    const inFlight = cluster ? [this.starting.get(cluster)] : [...this.starting.values()];
    const pending = inFlight.filter((p): p is Promise<unknown> => p !== undefined);
    if (pending.length === 0) return;
    await withDeadline('the node starts in flight to settle', deadline('nodeStart'), Promise.allSettled(pending)).catch(
      () => undefined,
    );
    if (cluster) this.starting.delete(cluster);
    else this.starting.clear();
    if (cluster === undefined || (await leftoversOf(this.docker, cluster)).length > 0) {
      await teardownByLabel(this.docker, log, cluster);
    }
  }

  leftovers(cluster: string): Promise<string[]> {
    return leftoversOf(this.docker, cluster);
  }

  /**
   * testcontainers reads DOCKER_HOST once, when it first talks to an engine,
   * and takes no client of ours: so the variable is set before that. Ryuk
   * needs a registry image: swarmlab cleans up by its own labels instead.
   */
  private pointTestcontainersHere(): void {
    process.env['DOCKER_HOST'] = this.dockerHost;
    process.env['TESTCONTAINERS_RYUK_DISABLED'] ??= 'true';
  }

  private async createNetwork(cluster: string): Promise<void> {
    await this.docker.createNetwork({
      Name: networkName(cluster),
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { [labels.kind]: 'network', [labels.cluster]: cluster },
    });
  }

  private async startNode(cluster: string, node: NodeSpec, image: string): Promise<void> {
    const name = `swarmlab-${cluster}-${node.id}`;
    const nodeLabels = {
      [labels.kind]: 'node',
      [labels.cluster]: cluster,
      [labels.role]: node.role,
      [labels.node]: node.id,
    };
    // A labelled named volume for /var/lib/docker: the inner engine gets overlay2
    // (not vfs), and clean-up finds the volume by label even after a crash.
    const volume = `${name}-docker`;
    await this.docker.createVolume({ Name: volume, Labels: { ...nodeLabels, [labels.kind]: 'volume' } });
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
      await new GenericContainer(image)
        .withName(name)
        .withHostname(`${cluster}-${node.id}`)
        .withPrivilegedMode()
        .withLabels(nodeLabels)
        .withNetworkMode(networkName(cluster))
        .withBindMounts([{ source: volume, target: '/var/lib/docker', mode: 'rw' }])
        .withLogConsumer(keepRecent)
        .withWaitStrategy(Wait.forLogMessage(/API listen on \/var\/run\/docker\.sock/))
        .withStartupTimeout(this.nodeStartTimeoutMs)
        .start();
    } catch (error) {
      const tail = recent.join('\n') || '(the node printed nothing)';
      throw new SwarmlabError(
        'node-start',
        `node ${cluster}-${node.id} (${image}): its inner Docker engine did not start: ${errorMessage(error)}\n` +
          `--- last log lines ---\n${tail}`,
        { node: node.id },
        { cause: error },
      );
    }
  }
}
