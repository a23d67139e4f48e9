import { existsSync } from 'node:fs';
import { readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { cacheRoot, partialBuilder } from '../core/cache.js';
import { listSnapshots } from '../engine/vm/vm-snapshot.js';
import { errorMessage } from '../core/errors.js';
import { aptInstallCommand, findOnPath, type HostTool } from '../core/host-tools.js';
import { stateRoot } from '../core/state.js';
import { labelledObjects } from '../providers/dind/teardown.js';
import { clusterProvider } from '../providers/select-cluster.js';
import { labels } from '../core/labels.js';
import { dockerClient } from '../engine/engine-facts.js';
import { localDockerHost, localEngineReachable } from '../engine/local-engine.js';
import { hostToolsFor } from '../engine/select-engine.js';
import { chooseAcceleration } from '../engine/vm/kvm-probe.js';
import { lastEngineDeath, type EngineDeath } from '../engine/engine-watch.js';
import { VmEngine } from '../engine/vm/vm-engine.js';
import { isAlive, vmStates } from '../engine/vm/vm-state.js';
import type { Logger } from '../core/log.js';

/** What `swarmlab doctor` found; also its --json output. */
export interface Diagnosis {
  canRun: boolean;
  /** What stops a run, one line each (empty when canRun). */
  blockers: string[];
  hostTools: { command: string; debianPackage: string; path?: string }[];
  install?: { command: string; automatic: boolean };
  acceleration: { accel: 'kvm' | 'tcg' | 'unknown'; why: string };
  localEngine: { dockerHost: string; answers: boolean; detail: string };
  disk: { dir: string; freeBytes: number }[];
  cache: { entry: string; bytes: number; partial: boolean }[];
  /** Saved ready clusters (see engine/vm/vm-snapshot.ts): `swarmlab cache clean --snapshots` drops them. */
  snapshots: { label: string; savedAt: string; validUntil: string; bytes: number; dir: string }[];
  engines: { name: string; dockerHost: string; pid: number; accel: string; clusters: string[]; leftovers: string[] }[];
  lastEngineDeath?: EngineDeath;
}

/** Below this, a cold build (rootfs, data-root, VM disk: about 4 GB) could fill the disk half-way. */
const minFreeBytes = 6 * 1024 ** 3;

async function bytesOf(path: string): Promise<number> {
  const result = await execa('du', ['-s', '--block-size=1', path], { reject: false });
  return Number(result.stdout.split('\t')[0]) || 0;
}

async function freeBytes(dir: string): Promise<number> {
  // The directory may not exist yet: measure the nearest parent that does.
  let probe = dir;
  while (!existsSync(probe)) probe = join(probe, '..');
  const fs = await statfs(probe);
  return fs.bavail * fs.bsize;
}

async function cacheEntries(): Promise<Diagnosis['cache']> {
  const root = cacheRoot();
  const names = existsSync(root) ? (await readdir(root)).sort() : [];
  return Promise.all(
    names.map(async (entry) => {
      // A build in progress, or one whose process died: never used, safe to remove when its pid is gone.
      const builder = partialBuilder(entry);
      return {
        entry,
        bytes: await bytesOf(join(root, entry)),
        partial: builder !== undefined && !isAlive(builder),
      };
    }),
  );
}

async function kvmState(): Promise<Diagnosis['acceleration']> {
  const root = cacheRoot();
  const disk = existsSync(root)
    ? (await readdir(root)).find((e) => e.startsWith('vm-disk-') && partialBuilder(e) === undefined)
    : undefined;
  // The test boot needs a VM kernel and QEMU; without /dev/kvm it answers without booting.
  if (existsSync('/dev/kvm') && (!disk || !(await findOnPath('qemu-system-x86_64')))) {
    return {
      accel: 'unknown',
      why: '/dev/kvm is there; whether KVM runs the VM is tested at the first boot (no VM kernel or QEMU yet)',
    };
  }
  return chooseAcceleration(join(root, disk ?? '', 'vmlinuz'));
}

async function runningEngines(log: Logger): Promise<Diagnosis['engines']> {
  const found: Diagnosis['engines'] = [];
  for (const name of await vmStates.names()) {
    const engine = await VmEngine.find(name, log);
    if (!engine) continue;
    const docker = dockerClient(engine.dockerHost);
    const clusters = await clusterProvider(engine)
      .list()
      .catch(() => []);
    found.push({
      name,
      dockerHost: engine.dockerHost,
      pid: engine.state.pid,
      accel: engine.state.accel,
      clusters,
      leftovers: await orphans(docker, clusters),
    });
  }
  return found;
}

/** Volumes and networks of clusters that have no container left (what a crash leaves): swarmlab down --all removes them. */
async function orphans(docker: Docker, clusters: readonly string[]): Promise<string[]> {
  try {
    const { volumes, networks } = await labelledObjects(docker);
    const orphaned = (l: Record<string, string> | undefined) => !clusters.includes(l?.[labels.cluster] ?? '');
    return [
      ...volumes.filter((v) => orphaned(v.Labels)).map((v) => `volume ${v.Name}`),
      ...networks.filter((n) => orphaned(n.Labels)).map((n) => `network ${n.Name}`),
    ].sort();
  } catch (error) {
    return [`(could not list: ${errorMessage(error)})`];
  }
}

/**
 * Everything a user needs to know when something is off, read without
 * changing anything: host programs, KVM, the local engine, disk, the cache,
 * running engines with their clusters and leftovers, and the last engine that died.
 */
export async function diagnose(log: Logger): Promise<Diagnosis> {
  const tools: HostTool[] = [...new Map(hostToolsFor('vm').map((t) => [t.command, t])).values()];
  const hostTools = await Promise.all(
    tools.map(async (t) => ({ ...t, ...(await findOnPath(t.command).then((path) => (path ? { path } : {}))) })),
  );
  const missing = hostTools.filter((t) => !t.path);
  const isRoot = process.getuid?.() === 0;
  const hasApt = (await findOnPath('apt-get')) !== undefined;
  const dockerHost = localDockerHost();
  const [acceleration, reachable, cache, snapshots, engines, death, disk] = await Promise.all([
    kvmState(),
    localEngineReachable(dockerHost),
    cacheEntries(),
    listSnapshots().then((list) =>
      list.map(({ manifest: m, bytes, dir }) => ({
        label: m.label,
        savedAt: m.savedAt,
        validUntil: m.validUntil,
        bytes,
        dir,
      })),
    ),
    runningEngines(log),
    lastEngineDeath(),
    Promise.all([cacheRoot(), stateRoot()].map(async (dir) => ({ dir, freeBytes: await freeBytes(dir) }))),
  ]);
  const blockers: string[] = [];
  if (missing.length > 0 && !(isRoot && hasApt)) {
    blockers.push(
      `missing host programs ${missing.map((t) => t.command).join(', ')}, and swarmlab can install them only as root with apt`,
    );
  }
  for (const d of disk)
    if (d.freeBytes < minFreeBytes)
      blockers.push(
        `only ${(d.freeBytes / 1024 ** 3).toFixed(1)} GiB free under ${d.dir} (a cold build needs about 6 GiB)`,
      );
  const packages = [...new Set(missing.map((t) => t.debianPackage))];
  return {
    canRun: blockers.length === 0,
    blockers,
    hostTools,
    ...(missing.length > 0 ? { install: { command: aptInstallCommand(packages), automatic: isRoot && hasApt } } : {}),
    acceleration,
    localEngine: { dockerHost, answers: reachable.ok, detail: reachable.reason },
    disk,
    cache,
    snapshots,
    engines,
    ...(death ? { lastEngineDeath: death } : {}),
  };
}
