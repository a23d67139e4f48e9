import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bringUpCluster, waitUntilReady, type BringUpOptions } from '../cluster/bring-up.js';
import { Cluster } from '../cluster/cluster.js';
import { validateClusterSpec, type ClusterSpec } from '../cluster/cluster-spec.js';
import { dockerIn } from '../cluster/swarm-node.js';
import { cacheKey } from '../core/cache.js';
import { deadline } from '../core/deadlines.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { dockerClient } from '../engine/engine-facts.js';
import type { RunningEngine, SnapshotRequest, SnapshotValidity } from '../engine/engine.js';
import { ensureImage } from '../images/image-source.js';
import { probeImage } from '../images/probe-image.js';
import { clusterProvider } from '../providers/select-cluster.js';

/**
 * A ready Swarm in seconds: the first time a cluster of a spec is brought up in a VM that this command booted
 * for it, the VM is saved right after the nodes are Ready; a later start asking for the same cluster restores
 * that VM (see engine/vm/vm-snapshot.ts) and finds the cluster already there.
 */

/** The code that brings a cluster up: a change in it must not restore a cluster built by the old code. */
const bringUpCode = [new URL('../cluster/', import.meta.url), new URL('../providers/dind/', import.meta.url)].map((u) =>
  fileURLToPath(u),
);

async function hashOfTree(dir: string, hash = createHash('sha256')): Promise<ReturnType<typeof createHash>> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await hashOfTree(path, hash);
    else hash.update(entry.name).update(await readFile(path));
  }
  return hash;
}

/** The code does not change while a process runs: hashed once, for every request (the e2e suites make eleven). */
let bringUpCodeHash: Promise<string> | undefined;

function bringUpCodeHashOnce(): Promise<string> {
  bringUpCodeHash ??= hashBringUpCode();
  return bringUpCodeHash;
}

async function hashBringUpCode(): Promise<string> {
  let code = createHash('sha256');
  for (const dir of bringUpCode) code = await hashOfTree(dir, code);
  return code.digest('hex').slice(0, 16);
}

/**
 * What a snapshot of a Ready cluster of `spec` holds, probe side-loaded as every swarmlab cluster has it. The
 * node images are in the key by name; what they contain is in the VM disk, which is in the engine's part.
 */
export async function clusterSnapshotRequest(specIn: ClusterSpec): Promise<SnapshotRequest> {
  const spec = validateClusterSpec(specIn);
  const images = [...new Set([spec.managerImage ?? spec.nodeImage, spec.workerImage ?? spec.nodeImage])].join('/');
  return {
    label: `cluster ${spec.name} (${spec.managers} manager(s), ${spec.workers} worker(s), ${images})`,
    contents: { cluster: spec, sideLoaded: 'probe', bringUpCode: await bringUpCodeHashOnce() },
  };
}

/**
 * How long a saved cluster stays as good as a fresh one: Swarm renews a node's certificate at a random moment
 * between 50% and 80% of its validity (NodeCertExpiry, 90 days by default), so before half of it has passed a
 * restored cluster renews nothing; after it, a restore would start with renewals (or expired certificates).
 */
async function certificateValidity(cluster: Cluster): Promise<SnapshotValidity> {
  const expiryNs = Number(
    (
      await cluster.onManager((m) =>
        dockerIn(m, ['info', '--format', '{{json .Swarm.Cluster.Spec.CAConfig.NodeCertExpiry}}']),
      )
    ).trim(),
  );
  const days = expiryNs / 1e9 / 86_400;
  return {
    forMs: expiryNs / 1e6 / 2,
    why: `node certificates last ${days.toFixed(0)} days and Swarm renews them from half of that on`,
  };
}

/**
 * The Ready cluster of `spec` on `engine`, the probe side-loaded into its nodes. Restored with the engine: proven Ready again (every node in
 * `docker node ls`) and returned. Otherwise brought up, and saved as a snapshot when the engine was started
 * for this cluster's snapshot and booted without it (none saved yet, or --fresh), with nothing else in it.
 */
export async function readyCluster(
  engine: RunningEngine,
  specIn: ClusterSpec,
  log: Logger,
  options: Pick<BringUpOptions, 'readyTimeoutMs'> = {},
): Promise<Cluster> {
  const spec = validateClusterSpec(specIn);
  const provider = clusterProvider(engine);
  const present = await provider.list();
  if (engine.restored && present.includes(spec.name)) {
    const cluster = await Cluster.attach(provider, spec.name);
    try {
      await waitUntilReady(cluster, options.readyTimeoutMs ?? deadline('nodesReady'), log);
      log.info(`cluster ${spec.name} came back Ready with the engine's snapshot`);
      return cluster;
    } catch (error) {
      log.warn(`the restored cluster ${spec.name} is not Ready (${errorMessage(error)}): building it again`);
      await provider.remove(log, spec.name);
    }
  }
  const probe = await probeImage(log);
  await ensureImage(engine.dockerHost, probe, log);
  const cluster = await bringUpCluster(spec, provider, log, {
    ...options,
    sideLoad: { from: dockerClient(engine.dockerHost), images: [probe.ref] },
  });
  const request = await clusterSnapshotRequest(spec);
  const wanted = engine.snapshotWanted && cacheKey(engine.snapshotWanted) === cacheKey(request);
  if (engine.saveSnapshot && wanted && present.length === 0) {
    try {
      await engine.saveSnapshot(request, await certificateValidity(cluster));
    } catch (error) {
      // A run does not fail for want of a snapshot: the next one builds the cluster again and tries anew.
      log.warn(`could not save a snapshot of cluster ${spec.name}: ${errorMessage(error)}`);
    }
  }
  return cluster;
}
