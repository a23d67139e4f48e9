import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Content-addressed cache for slow builds (root file systems, VM disks, node
 * images). An entry's directory name is its kind plus a hash of every input
 * that shapes it, so changing an input builds a new entry and never reuses a
 * stale one. Entries are built in a temporary directory and renamed into place,
 * so an interrupted build never looks finished.
 */
export function cacheRoot(): string {
  return process.env['SWARMLAB_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'swarmlab');
}

export function cacheKey(inputs: unknown): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/** An entry being built is `<entry>.partial-<pid of the builder>` until it is renamed into place. */
const partialSuffix = '.partial-';

/** The pid of the process building this cache directory name, or undefined when it is a finished entry. */
export function partialBuilder(entry: string): number | undefined {
  const at = entry.lastIndexOf(partialSuffix);
  return at < 0 ? undefined : Number(entry.slice(at + partialSuffix.length));
}

export interface CacheEntry {
  path: string;
  hit: boolean;
}

export async function cachedDirectory(
  kind: string,
  inputs: unknown,
  build: (tmpDir: string) => Promise<void>,
): Promise<CacheEntry> {
  const path = join(cacheRoot(), `${kind}-${cacheKey(inputs)}`);
  if (await exists(path)) return { path, hit: true };
  const tmp = `${path}${partialSuffix}${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await build(tmp);
    await rename(tmp, path);
  } catch (error) {
    // Never let a failing clean-up hide the build error that matters.
    await removePartial(tmp).catch(() => undefined);
    throw error;
  }
  return { path, hit: false };
}

/**
 * Removes a build that failed or was cancelled. A debootstrap stopped half-way
 * leaves /proc and /sys mounted inside its target: unmount them first, or the
 * removal would walk into the host's /proc.
 */
async function removePartial(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((target) => target === dir || target.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const target of mounts) await execa('umount', ['-l', target], { reject: false });
  await rm(dir, { recursive: true, force: true });
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
