import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../harness/core/log.js';
import { findSnapshot, listSnapshots, snapshotPath, type VmMachine } from '../../harness/engine/vm/vm-snapshot.js';
import { clusterSnapshotRequest } from '../../harness/snapshot/ready-cluster.js';

const machine: VmMachine = {
  disk: '/cache/vm-disk-1/disk.img',
  kernel: '/cache/vm-disk-1/vmlinuz',
  initrd: '/cache/vm-disk-1/initrd.img',
  accel: 'tcg',
  memoryMb: 6144,
  cpus: 2,
  qemu: 'QEMU emulator version 7.2.22',
};
const spec = { name: 'lab', managers: 1, workers: 2, nodeImage: 'trixie' };
const log = createLogger('test');

async function saved(validUntil: string | undefined): Promise<string> {
  const request = await clusterSnapshotRequest(spec);
  const dir = snapshotPath(machine, request);
  await mkdir(dir, { recursive: true });
  if (validUntil)
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ label: request.label, savedAt: '2026-11-01T00:00:00Z', validUntil, validity: 'test' }),
    );
  return dir;
}

describe('snapshots of a ready cluster', () => {
  beforeEach(async () => {
    process.env['SWARMLAB_CACHE'] = await mkdtemp(join(tmpdir(), 'swarmlab-snapshot-test-'));
  });
  afterAll(() => {
    delete process.env['SWARMLAB_CACHE'];
  });

  it('are keyed by the machine and by the cluster: another shape, image, memory or QEMU is another snapshot', async () => {
    const request = await clusterSnapshotRequest(spec);
    const path = snapshotPath(machine, request);
    expect(snapshotPath(machine, await clusterSnapshotRequest(spec))).toBe(path);
    expect(snapshotPath(machine, await clusterSnapshotRequest({ ...spec, workers: 3 }))).not.toBe(path);
    expect(snapshotPath(machine, await clusterSnapshotRequest({ ...spec, nodeImage: 'bookworm' }))).not.toBe(path);
    expect(snapshotPath(machine, await clusterSnapshotRequest({ ...spec, name: 'other' }))).not.toBe(path);
    expect(snapshotPath({ ...machine, memoryMb: 4096 }, request)).not.toBe(path);
    expect(snapshotPath({ ...machine, qemu: 'QEMU emulator version 8.2.2' }, request)).not.toBe(path);
    expect(snapshotPath({ ...machine, disk: '/cache/vm-disk-2/disk.img' }, request)).not.toBe(path);
  });

  it('are found while valid, and listed', async () => {
    const dir = await saved('2027-01-01T00:00:00Z');
    const found = await findSnapshot(
      machine,
      await clusterSnapshotRequest(spec),
      log,
      new Date('2026-12-01T00:00:00Z'),
    );
    expect(found?.dir).toBe(dir);
    expect((await listSnapshots()).map((s) => s.dir)).toEqual([dir]);
  });

  it('are removed once past their validity (the Swarm certificates), so the next start builds afresh', async () => {
    const dir = await saved('2027-01-01T00:00:00Z');
    const found = await findSnapshot(
      machine,
      await clusterSnapshotRequest(spec),
      log,
      new Date('2027-01-02T00:00:00Z'),
    );
    expect(found).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
  });

  it('are removed when their manifest is unreadable (a save cut short by hand)', async () => {
    const dir = await saved(undefined);
    expect(await findSnapshot(machine, await clusterSnapshotRequest(spec), log)).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
  });
});
