import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedDirectory, cacheKey } from '../core/cache.js';
import { requireHostTools, type HostTool } from '../core/host-tools.js';
import { labels } from '../core/labels.js';
import type { Logger } from '../core/log.js';
import { runOnHost, shellQuote } from '../core/run-command.js';
import type { ImageSource } from './image-source.js';

const sourcePath = new URL('./probe/probe.c', import.meta.url);

export const probeHostTools: readonly HostTool[] = [
  { command: 'musl-gcc', debianPackage: 'musl-tools' },
  { command: 'strip', debianPackage: 'binutils' },
];

/** The port the probe serves on inside every workload task. */
export const probePort = 80;

/**
 * The probe image: one static binary (server and client) on an empty root,
 * compiled with musl on the host and cached by its source. About 100 KB, so
 * side-loading it into nodes is cheap even under emulation.
 */
export async function probeImage(log: Logger): Promise<ImageSource> {
  const source = await readFile(sourcePath, 'utf8');
  const inputs = { source, cc: 'musl-gcc -static -O2', v: 1 };
  const build = await cachedDirectory('probe', inputs, async (dir) => {
    await requireHostTools(probeHostTools);
    await runOnHost(
      'musl-gcc',
      ['-static', '-O2', '-Wall', '-o', join(dir, 'probe'), new URL(sourcePath).pathname, '-lpthread'],
      log,
    );
    await runOnHost('strip', [join(dir, 'probe')], log);
  });
  return {
    ref: `swarmlab/probe:${cacheKey(inputs)}`,
    tarPipeline: `tar -C ${shellQuote(build.path)} -c --owner=0 --group=0 probe`,
    changes: ['ENTRYPOINT ["/probe"]', `CMD ["serve", "${probePort}"]`, `LABEL ${labels.kind}=probe`],
  };
}
