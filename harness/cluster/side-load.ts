import type Docker from 'dockerode';
import { type SwarmNode, runIn } from './swarm-node.js';
import { deadline } from '../core/deadlines.js';
import { SwarmlabError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

async function streamToBuffer(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function nodeImageId(node: SwarmNode, ref: string): Promise<string | undefined> {
  const result = await node.exec(['docker', 'image', 'inspect', '--format', '{{.Id}}', ref]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * Copies an image from an engine into every node's Docker daemon (nodes have
 * no registry): `docker save` on the engine, streamed into `docker load` on
 * each node's standard input, so the image id is the same everywhere. Nodes
 * that already hold that id are skipped. Returns how many nodes were loaded.
 */
export async function sideLoadImage(
  from: Docker,
  nodes: readonly SwarmNode[],
  ref: string,
  log: Logger,
): Promise<number> {
  const engineId = (await from.getImage(ref).inspect()).Id;
  // Every exec into a node costs seconds under emulation: ask all nodes at once, and load with one exec each.
  const ids = await Promise.all(nodes.map((node) => nodeImageId(node, ref)));
  const missing = nodes.filter((_, i) => ids[i] !== engineId);
  if (missing.length === 0) return 0;
  const archive = await streamToBuffer(await from.getImage(ref).get());
  await Promise.all(
    missing.map(async (node) => {
      // One exec: load from stdin, then print the id it now has (the reference is an argument, not script text).
      const script = 'docker load -q >&2 && docker image inspect --format "{{.Id}}" "$1"';
      const loaded = (
        await runIn(node, ['sh', '-c', script, 'sh', ref], { stdin: archive, timeoutMs: deadline('sideLoad') })
      ).trim();
      if (loaded !== engineId) {
        throw new SwarmlabError(
          'side-load',
          `node ${node.hostname}: after loading ${ref} its id is ${loaded || 'missing'}, expected ${engineId}`,
        );
      }
    }),
  );
  log.info(`side-loaded ${ref} into ${missing.map((n) => n.hostname).join(', ')}`);
  return missing.length;
}
