import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cacheKey } from '../core/cache.js';
import { shellQuote } from '../core/run-command.js';
import type { Logger } from '../core/log.js';
import { debianRootfs } from './debian-rootfs.js';
import type { DebianSuite } from './debian-suites.js';
import type { ImageSource } from './image-source.js';
import { labels } from '../core/labels.js';

const entrypointPath = new URL('./node-entrypoint.sh', import.meta.url);

/**
 * A node image cut from the suite's cached rootfs: the same Docker engine and
 * network tools, without the kernel, modules and documentation a container
 * never uses, plus the docker-in-docker entry point.
 */
export async function debianNodeImage(suite: DebianSuite, log: Logger): Promise<ImageSource> {
  const rootfs = await debianRootfs(suite, log);
  const entrypoint = await readFile(entrypointPath, 'utf8');
  const root = join(rootfs.path, 'root');
  const key = cacheKey({ rootfs: rootfs.path, entrypoint });
  const entrypointFile = new URL(entrypointPath).pathname;
  // GNU tar --transform appends the entry point under its in-image path without touching the cache.
  const tarPipeline = [
    `tar -C ${shellQuote(root)} -c --numeric-owner --exclude=./boot --exclude=./lib/modules --exclude=./usr/lib/modules`,
    `--exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/locale --exclude=./proc/* --exclude=./sys/*`,
    `. -C ${shellQuote(dirname(entrypointFile))} --transform='s,^node-entrypoint.sh$,usr/local/bin/swarmlab-node-entrypoint,' node-entrypoint.sh`,
  ].join(' ');
  return {
    ref: `swarmlab/node:${suite.name}-${key}`,
    tarPipeline,
    changes: [
      'ENTRYPOINT ["/usr/local/bin/swarmlab-node-entrypoint"]',
      'VOLUME /var/lib/docker',
      `LABEL ${labels.kind}=node ${labels.kind}.docker-version=${suite.dockerVersion} ${labels.kind}.suite=${suite.name}`,
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ],
  };
}
