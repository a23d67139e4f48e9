import { cachedDirectory, type CacheEntry } from '../core/cache.js';
import { requireHostTools, type HostTool } from '../core/host-tools.js';
import type { Logger } from '../core/log.js';
import { runOnHost } from '../core/run-command.js';
import { commonPackages, type DebianSuite } from './debian-suites.js';

export const rootfsHostTools: readonly HostTool[] = [{ command: 'debootstrap', debianPackage: 'debootstrap' }];

export function debianMirror(): string {
  return process.env['SWARMLAB_DEBIAN_MIRROR'] ?? 'http://deb.debian.org/debian';
}

/**
 * A Debian root file system with Docker, the network tools and a kernel, made
 * by debootstrap once per suite and package set and cached. The VM boots from
 * it and node images are cut from it, so one debootstrap serves both.
 */
export async function debianRootfs(suite: DebianSuite, log: Logger): Promise<CacheEntry> {
  const packages = [...commonPackages, ...suite.extraPackages];
  const mirror = debianMirror();
  const entry = await cachedDirectory('rootfs', { suite: suite.name, packages, mirror, v: 1 }, async (dir) => {
    await requireHostTools(rootfsHostTools);
    await log.step(`debootstrap ${suite.name} (Docker ${suite.dockerVersion}; a few minutes, once)`, () =>
      runOnHost(
        'debootstrap',
        ['--variant=minbase', `--include=${packages.join(',')}`, suite.name, `${dir}/root`, mirror],
        log,
        { progressEveryMs: 20_000 },
      ),
    );
    // debootstrap leaves apt lists and .deb files behind; they only make the image bigger.
    const leftovers = 'var/cache/apt/archives/*.deb var/lib/apt/lists/* boot/*.dpkg-bak boot/*.new';
    // The directory is an argument, never part of the script's text; the globs are the script's own.
    await runOnHost('sh', ['-c', `cd "$1/root" && rm -rf ${leftovers}`, 'sh', dir], log);
  });
  return entry;
}
