import { SwarmlabError } from '../core/errors.js';
import type { HostTool } from '../core/host-tools.js';
import type { Logger } from '../core/log.js';
import { runOnHost, shellQuote } from '../core/run-command.js';

/**
 * An image swarmlab builds itself, without a registry: a shell pipeline that
 * writes a root file system tar to stdout, imported with Dockerfile-style
 * changes. The reference carries a hash of its inputs, so an engine that has
 * the reference has exactly this image and the import can be skipped.
 */
export interface ImageSource {
  ref: string;
  /** Shell pipeline writing the root file system tar to stdout. */
  tarPipeline: string;
  /** `docker import --change` instructions (ENTRYPOINT, LABEL, ...). */
  changes: readonly string[];
}

/** Imports into an engine, and pulls, go through the docker CLI on the host. */
export const dockerCliHostTools: readonly HostTool[] = [{ command: 'docker', debianPackage: 'docker.io' }];

/** The shell command that imports `source` into the engine at `dockerHost`. */
export function importCommand(source: ImageSource, dockerHost: string): string {
  const changes = source.changes.map((c) => `--change ${shellQuote(c)}`).join(' ');
  return `set -e; ${source.tarPipeline} | docker -H ${shellQuote(dockerHost)} import ${changes} - ${shellQuote(source.ref)} >/dev/null`;
}

export async function hasImage(dockerHost: string, ref: string, log: Logger): Promise<boolean> {
  try {
    await runOnHost('docker', ['-H', dockerHost, 'image', 'inspect', '--format', '{{.Id}}', ref], log);
    return true;
  } catch {
    return false;
  }
}

/** Imports the image unless the engine already has this exact reference. */
export async function ensureImage(dockerHost: string, source: ImageSource, log: Logger): Promise<void> {
  if (await hasImage(dockerHost, source.ref, log)) return;
  await log.step(`import ${source.ref} into ${dockerHost}`, async () => {
    try {
      await runOnHost('bash', ['-o', 'pipefail', '-c', importCommand(source, dockerHost)], log);
    } catch (error) {
      throw new SwarmlabError(
        'image-import',
        `could not import ${source.ref} into ${dockerHost}`,
        { ref: source.ref },
        { cause: error },
      );
    }
  });
}
