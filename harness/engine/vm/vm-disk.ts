import { copyFile, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedDirectory, type CacheEntry } from '../../core/cache.js';
import { SwarmlabError } from '../../core/errors.js';
import { requireHostTools, type HostTool } from '../../core/host-tools.js';
import type { Logger } from '../../core/log.js';
import { runOnHost } from '../../core/run-command.js';
import { debianRootfs } from '../../images/debian-rootfs.js';
import type { DebianSuite } from '../../images/debian-suites.js';
import type { ImageSource } from '../../images/image-source.js';
import { preloadedDataRoot } from '../../images/preloaded-data-root.js';

const initScriptPath = new URL('./vm-init.sh', import.meta.url);
const diskSize = '12G';

/** A bootable VM: a raw ext4 disk (never written to; instances use overlays) and its kernel and initrd. */
export interface VmDisk {
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  hit: boolean;
}

/** What booting needs besides the builders' own (rootfs, data-root): the emulator, overlays, the file system, zstd. */
export const vmHostTools: readonly HostTool[] = [
  { command: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' },
  { command: 'qemu-img', debianPackage: 'qemu-utils' },
  { command: 'mkfs.ext4', debianPackage: 'e2fsprogs' },
  // Snapshots of a ready cluster compress the VM's saved RAM with it (vm-snapshot.ts).
  { command: 'zstd', debianPackage: 'zstd' },
];

/**
 * Assembles the VM disk from cached parts: the suite's rootfs (hard-linked, so
 * no copy of its gigabyte), swarmlab's init, and a Docker data-root that
 * already holds the images the VM will need. mkfs.ext4 -d writes the file
 * system straight from that tree in seconds.
 */
export async function vmDisk(suite: DebianSuite, preload: readonly ImageSource[], log: Logger): Promise<VmDisk> {
  await requireHostTools(vmHostTools);
  const rootfs = await debianRootfs(suite, log);
  const dataRoot = await preloadedDataRoot(preload, log);
  const init = await readFile(initScriptPath, 'utf8');
  const entry: CacheEntry = await cachedDirectory(
    'vm-disk',
    { rootfs: rootfs.path, dataRoot: dataRoot.path, init, diskSize, v: 1 },
    (dir) =>
      log.step(`assemble VM disk for ${suite.name}`, async () => {
        const staging = join(dir, 'staging');
        await runOnHost('cp', ['-al', join(rootfs.path, 'root'), staging], log);
        await rm(join(staging, 'var/lib/docker'), { recursive: true, force: true });
        await runOnHost('cp', ['-a', join(dataRoot.path, 'docker'), join(staging, 'var/lib/docker')], log);
        await writeFile(join(staging, 'sbin/swarmlab-init'), init);
        await chmod(join(staging, 'sbin/swarmlab-init'), 0o755);
        const { kernel, initrd } = await bootFiles(join(staging, 'boot'));
        await copyFile(kernel, join(dir, 'vmlinuz'));
        await copyFile(initrd, join(dir, 'initrd.img'));
        await runOnHost('truncate', ['-s', diskSize, join(dir, 'disk.img')], log);
        await runOnHost('mkfs.ext4', ['-q', '-F', '-L', 'swarmlab', '-d', staging, join(dir, 'disk.img')], log);
        await rm(staging, { recursive: true, force: true });
      }),
  );
  return {
    dir: entry.path,
    disk: join(entry.path, 'disk.img'),
    kernel: join(entry.path, 'vmlinuz'),
    initrd: join(entry.path, 'initrd.img'),
    hit: entry.hit,
  };
}

async function bootFiles(bootDir: string): Promise<{ kernel: string; initrd: string }> {
  const files = await readdir(bootDir);
  const kernel = files.find((f) => /^vmlinuz-/.test(f));
  const initrd = files.find((f) => f.startsWith('initrd.img-') && !/\.(new|dpkg-bak)$/.test(f));
  if (!kernel || !initrd) {
    throw new SwarmlabError('vm-disk', `no kernel or initrd in ${bootDir} (found: ${files.join(', ')})`);
  }
  return { kernel: join(bootDir, kernel), initrd: join(bootDir, initrd) };
}
