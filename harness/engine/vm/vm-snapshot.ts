import { copyFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedDirectory, cacheKey, cacheRoot, exists, partialBuilder } from '../../core/cache.js';
import { SwarmlabError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { shellQuote } from '../../core/run-command.js';
import { waitFor } from '../../core/wait.js';
import type { SnapshotRequest, SnapshotValidity } from '../engine.js';
import type { QmpSession } from './qmp.js';

/**
 * Snapshots of a whole VM engine (its RAM, devices and disk) at a moment worth coming back to: a cluster that has
 * just become Ready. A snapshot is a cache entry, `vm-snapshot-<hash of its inputs>`, holding
 *   disk.qcow2  the VM's disk overlay frozen at that moment (its backing file is the cached VM disk), and
 *   state.zst   QEMU's migration stream of the paused machine, zstd-compressed (870 MB of RAM became 230 MB);
 * and manifest.json. A restore boots nothing: QEMU loads the stream onto a new overlay of disk.qcow2 and resumes.
 * Both files are only ever read after they are written, so any number of VMs restore the same snapshot side by
 * side, each on its own overlay: two runs never share a running VM.
 */
export const snapshotKind = 'vm-snapshot';

/** What a restore must repeat exactly: QEMU loads a stream only onto the same machine it came from. */
export interface VmMachine {
  /** The cached VM disk, kernel and initrd: their paths carry the hash of everything in them. */
  disk: string;
  kernel: string;
  initrd: string;
  accel: 'kvm' | 'tcg';
  memoryMb: number;
  cpus: number;
  /** `qemu-system-x86_64 --version`: a stream of another QEMU may not load. */
  qemu: string;
}

export interface SnapshotManifest {
  label: string;
  savedAt: string;
  /** After this a restore is no longer as good as a fresh bring-up (see SnapshotValidity). */
  validUntil: string;
  validity: string;
  saveSeconds: number;
  stateBytes: number;
  diskBytes: number;
}

export interface StoredSnapshot {
  dir: string;
  manifest: SnapshotManifest;
}

function snapshotInputs(machine: VmMachine, request: SnapshotRequest): unknown {
  // The label is for people; the contents are the key. v: the layout of a snapshot entry.
  return { machine, contents: request.contents, v: 1 };
}

export function snapshotPath(machine: VmMachine, request: SnapshotRequest): string {
  return join(cacheRoot(), `${snapshotKind}-${cacheKey(snapshotInputs(machine, request))}`);
}

async function readManifest(dir: string): Promise<SnapshotManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as SnapshotManifest;
  } catch {
    return undefined;
  }
}

/**
 * The snapshot of this machine and contents when there is one that may still be used. One past its validity
 * (or unreadable) is removed, saying why, so the caller builds afresh and saves a new one.
 */
export async function findSnapshot(
  machine: VmMachine,
  request: SnapshotRequest,
  log: Logger,
  now = new Date(),
): Promise<StoredSnapshot | undefined> {
  const dir = snapshotPath(machine, request);
  if (!(await exists(dir))) return undefined;
  const manifest = await readManifest(dir);
  const unusable = !manifest
    ? 'its manifest is unreadable'
    : Date.parse(manifest.validUntil) <= now.getTime()
      ? `it was saved ${manifest.savedAt} and is valid until ${manifest.validUntil} (${manifest.validity})`
      : undefined;
  if (manifest && !unusable) return { dir, manifest };
  log.warn(`snapshot of ${request.label} cannot be used: ${unusable}; removing it (a fresh one is saved later)`);
  await rm(dir, { recursive: true, force: true });
  return undefined;
}

/** Every snapshot in the cache, for doctor and the cache command. */
export async function listSnapshots(): Promise<(StoredSnapshot & { bytes: number })[]> {
  const root = cacheRoot();
  const names = await readdir(root).catch(() => [] as string[]);
  const found: (StoredSnapshot & { bytes: number })[] = [];
  for (const name of names.filter((n) => n.startsWith(`${snapshotKind}-`) && partialBuilder(n) === undefined)) {
    const dir = join(root, name);
    const manifest = await readManifest(dir);
    if (manifest) found.push({ dir, manifest, bytes: manifest.stateBytes + manifest.diskBytes });
  }
  return found;
}

export async function removeSnapshots(log: Logger): Promise<number> {
  const snapshots = await listSnapshots();
  for (const s of snapshots) {
    await rm(s.dir, { recursive: true, force: true });
    log.info(`removed snapshot of ${s.manifest.label} (${s.dir})`);
  }
  return snapshots.length;
}

/** Where a running VM's disk is now: the top of its overlay chain, which a save freezes. */
async function currentOverlay(qmp: QmpSession): Promise<string> {
  const blocks = (await qmp.execute('query-block')) as { device: string; inserted?: { file: string } }[];
  const file = blocks.find((b) => b.device === diskDevice)?.inserted?.file;
  if (!file) throw new SwarmlabError('vm-snapshot', `no disk "${diskDevice}" in the VM (query-block)`);
  return file;
}

/** The name QEMU gives the first virtio disk of `-drive if=virtio`. */
const diskDevice = 'virtio0';

/**
 * Saves a running VM as the snapshot for `request`. The VM is paused for the whole save (7-10 s under
 * emulation): the frozen disk and the saved RAM must be of one instant, so neither may move while the other is
 * taken. Its disk is switched to a new overlay first, which leaves the old one untouched to be copied, and the
 * VM resumes where it was, also when the save fails.
 */
export async function saveSnapshot(
  qmp: QmpSession,
  what: { machine: VmMachine; request: SnapshotRequest; validity: SnapshotValidity; instanceDir: string },
  log: Logger,
): Promise<StoredSnapshot> {
  const { machine, request, validity, instanceDir } = what;
  const already = await findSnapshot(machine, request, log);
  if (already) {
    log.info(`a snapshot of ${request.label} is already saved (${already.manifest.savedAt}): kept`);
    return already;
  }
  const entry = await cachedDirectory(snapshotKind, snapshotInputs(machine, request), async (dir) => {
    const started = Date.now();
    const frozen = await currentOverlay(qmp);
    await qmp.execute('stop');
    try {
      await qmp.execute('blockdev-snapshot-sync', {
        device: diskDevice,
        'snapshot-file': join(instanceDir, `overlay-after-${started}.qcow2`),
        format: 'qcow2',
      });
      const state = join(dir, 'state.zst');
      await qmp.execute('migrate', { uri: `exec:zstd -q -1 -T2 -o ${shellQuote(state)}` });
      await migrationDone(qmp, 'QEMU to write the VM state', 300_000);
      await copyFile(frozen, join(dir, 'disk.qcow2'));
    } finally {
      await qmp.execute('cont');
    }
    const manifest: SnapshotManifest = {
      label: request.label,
      savedAt: new Date(started).toISOString(),
      validUntil: new Date(started + validity.forMs).toISOString(),
      validity: validity.why,
      saveSeconds: (Date.now() - started) / 1000,
      stateBytes: (await stat(join(dir, 'state.zst'))).size,
      diskBytes: (await stat(join(dir, 'disk.qcow2'))).size,
    };
    await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  const manifest = await readManifest(entry.path);
  if (!manifest) throw new SwarmlabError('vm-snapshot', `snapshot ${entry.path} has no manifest`);
  const mib = (n: number): string => `${Math.round(n / 2 ** 20)} MiB`;
  log.info(
    `saved snapshot of ${request.label} in ${manifest.saveSeconds.toFixed(1)} s ` +
      `(state ${mib(manifest.stateBytes)}, disk ${mib(manifest.diskBytes)}; valid until ${manifest.validUntil}): ${entry.path}`,
  );
  return { dir: entry.path, manifest };
}

/** QEMU's `-incoming` for a snapshot: the stream, decompressed as it is read. */
export function incomingFrom(snapshot: StoredSnapshot): string {
  return `exec:zstd -dc ${shellQuote(join(snapshot.dir, 'state.zst'))}`;
}

/** Waits until QEMU has loaded the stream a restored VM started with, then resumes the VM. */
export async function resumeRestored(qmp: QmpSession, snapshot: StoredSnapshot): Promise<void> {
  await migrationDone(qmp, `QEMU to load ${snapshot.dir}/state.zst`, 120_000);
  await qmp.execute('cont');
}

/** Waits for QEMU's migration (outgoing or incoming) to complete; a failed one is an error at once. */
async function migrationDone(qmp: QmpSession, what: string, timeoutMs: number): Promise<void> {
  const failure = await waitFor({ what, timeoutMs, intervalMs: 100 }, async () => {
    const info = (await qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
    if (info.status === 'completed') return { done: true, value: undefined };
    if (info.status === 'failed') return { done: true, value: info['error-desc'] ?? 'QEMU gave no reason' };
    return { done: false, seen: `migration ${info.status ?? 'not started'}` };
  });
  if (failure !== undefined) throw new SwarmlabError('vm-snapshot', `${what}: the migration failed: ${failure}`);
}
