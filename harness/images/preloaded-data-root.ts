import { join } from 'node:path';
import { cachedDirectory, type CacheEntry } from '../core/cache.js';
import type { Logger } from '../core/log.js';
import type { ImageSource } from './image-source.js';
import { ScratchDockerd } from './scratch-dockerd.js';

/**
 * A Docker data-root (overlay2) that already holds the given images, built by a
 * throwaway dockerd on the host. Copied into a VM disk as /var/lib/docker, the
 * VM's dockerd lists the images at its first boot with no import at all.
 */
export async function preloadedDataRoot(images: readonly ImageSource[], log: Logger): Promise<CacheEntry> {
  const refs = images.map((i) => i.ref).sort();
  return cachedDirectory('data-root', { refs, v: 1 }, async (dir) => {
    const dataRoot = join(dir, 'docker');
    const work = join(dir, 'work');
    const dockerd = await new ScratchDockerd(dataRoot, work, log).start();
    try {
      for (const image of images) {
        await log.step(`preload ${image.ref}`, () => dockerd.import(image));
      }
    } finally {
      await dockerd.stop();
    }
  });
}
