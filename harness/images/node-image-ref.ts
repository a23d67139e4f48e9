import { ConfigError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { runOnHost } from '../core/run-command.js';
import { debianSuite, debianSuites, isDebianSuite } from './debian-suites.js';
import { ensureImage, hasImage } from './image-source.js';
import { debianNodeImage } from './node-image.js';

/**
 * Turns a `--node-image` value into an image present on the engine: a Debian
 * suite name becomes swarmlab's own node image (imported unless the engine
 * already has it, as a preloaded VM does); anything else is an image reference
 * (such as docker:28-dind) that must be on the engine or pullable.
 */
export async function resolveNodeImage(
  value: string,
  dockerHost: string,
  log: Logger,
  source = '--node-image',
): Promise<string> {
  if (isDebianSuite(value)) {
    const image = await debianNodeImage(debianSuite(value, source), log);
    await ensureImage(dockerHost, image, log);
    return image.ref;
  }
  if (await hasImage(dockerHost, value, log)) return value;
  try {
    await log.step(`pull ${value}`, () => runOnHost('docker', ['-H', dockerHost, 'pull', '-q', value], log));
    return value;
  } catch (error) {
    throw new ConfigError(
      source,
      'node image',
      `a Debian suite (${Object.keys(debianSuites).join(', ')}) or an image on the engine or in a reachable ` +
        `registry; pulling it failed: ${errorMessage(error).split('\n').slice(-1)[0]}`,
      value,
    );
  }
}

/** A node image as a folder name (per-version artifacts): docker:28-dind -> docker_28-dind. */
export function nodeImageSlug(nodeImage: string): string {
  return nodeImage.replace(/[^a-zA-Z0-9.-]/g, '_');
}
