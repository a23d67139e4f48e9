// Benchmark of the embedded engine: cold build (empty cache), warm boot to an
// answering Docker API, and the disk space the cache takes. Run with
// `npm run bench:engine` (add `-- --warm-only` to skip the cold build).
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createLogger } from '../../harness/core/log.js';
import { defaultVmSuite } from '../../harness/images/debian-suites.js';
import { startEngine } from '../../harness/engine/select-engine.js';

const log = createLogger('bench/engine');
const warmOnly = process.argv.includes('--warm-only');
const suite = process.argv.find((a) => a.startsWith('--suite='))?.slice('--suite='.length) ?? defaultVmSuite;

async function timeBoot(name: string): Promise<number> {
  const started = Date.now();
  const engine = await startEngine({ choice: 'vm', name, suite }, log);
  const seconds = (Date.now() - started) / 1000;
  await engine.stop();
  return seconds;
}

const coldCache = warmOnly ? undefined : await mkdtemp(join(tmpdir(), 'swarmlab-bench-cache-'));
const results: Record<string, string> = {
  machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, kvm ${(await execa('test', ['-e', '/dev/kvm'], { reject: false })).exitCode === 0}`,
  suite,
};
if (coldCache) {
  process.env['SWARMLAB_CACHE'] = coldCache;
  results['cold build + first boot (s)'] = (await timeBoot(`bench-cold-${process.pid}`)).toFixed(1);
}
results['warm boot to API (s)'] = (await timeBoot(`bench-warm-${process.pid}`)).toFixed(1);
const cacheDir = process.env['SWARMLAB_CACHE'] ?? join(process.env['HOME'] ?? '/root', '.cache', 'swarmlab');
results['cache disk use'] = (await execa('du', ['-sh', cacheDir])).stdout.split('\t')[0] ?? '?';
if (coldCache) await rm(coldCache, { recursive: true, force: true });
for (const [key, value] of Object.entries(results)) process.stdout.write(`${key.padEnd(30)} ${value}\n`);
