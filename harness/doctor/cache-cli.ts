import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { cacheRoot, partialBuilder } from '../core/cache.js';
import type { Logger } from '../core/log.js';
import { isAlive } from '../engine/vm/vm-state.js';
import { removeSnapshots } from '../engine/vm/vm-snapshot.js';

/**
 * Empties the cache (everything swarmlab built: root file systems, node images, VM disks, snapshots), or only
 * the snapshots of ready clusters. A build another process is writing right now is left alone. Running VMs keep
 * working: they hold their files open.
 */
async function cleanCache(snapshotsOnly: boolean, log: Logger): Promise<void> {
  if (snapshotsOnly) {
    log.info(`removed ${await removeSnapshots(log)} snapshot(s)`);
    return;
  }
  const root = cacheRoot();
  const entries = await readdir(root).catch(() => [] as string[]);
  let removed = 0;
  for (const entry of entries) {
    const builder = partialBuilder(entry);
    if (builder !== undefined && isAlive(builder)) {
      log.info(`left ${entry}: process ${builder} is building it`);
      continue;
    }
    await rm(join(root, entry), { recursive: true, force: true });
    removed++;
  }
  log.info(`removed ${removed} cache entries from ${root}`);
}

export function registerCacheCommand(program: Command, log: Logger): void {
  program
    .command('cache')
    .description('the cache of built images, VM disks and snapshots (swarmlab doctor lists it)')
    .command('clean')
    .description('remove every cache entry (the next run builds them again), or only the snapshots')
    .option('--snapshots', 'only the snapshots of ready clusters')
    .action((opts: { snapshots?: boolean }) => cleanCache(opts.snapshots === true, log));
}
