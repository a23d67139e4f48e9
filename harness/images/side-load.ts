import type Docker from 'dockerode';
import tar from 'tar-stream';
import type { ClusterNode } from '../cluster/cluster-node.js';
import { deadline } from '../core/deadlines.js';
import { SwarmlabError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

async function streamToBuffer(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Wraps one file into a tar archive, the form the Docker API copies into a container. */
async function tarOf(name: string, content: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name, size: content.length, mode: 0o600 }, content);
  pack.finalize();
  return streamToBuffer(pack);
}

async function nodeImageId(node: ClusterNode, ref: string): Promise<string | undefined> {
  const result = await node.exec(['docker', 'image', 'inspect', '--format', '{{.Id}}', ref]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * Copies an image from the engine into every node's inner engine (nodes have
 * no registry), as `docker save` on the engine and `docker load` in the node,
 * so the image id is the same everywhere. Nodes that already hold that id are
 * skipped. Returns how many nodes were loaded.
 */
export async function sideLoadImage(
  docker: Docker,
  nodes: readonly ClusterNode[],
  ref: string,
  log: Logger,
): Promise<number> {
  const engineId = (await docker.getImage(ref).inspect()).Id;
  // Every exec into a node costs seconds under emulation: ask all nodes at once, and load with one exec each.
  const ids = await Promise.all(nodes.map((node) => nodeImageId(node, ref)));
  const missing = nodes.filter((_, i) => ids[i] !== engineId);
  if (missing.length === 0) return 0;
  const archive = await tarOf('image.tar', await streamToBuffer(await docker.getImage(ref).get()));
  await Promise.all(
    missing.map(async (node) => {
      await docker.getContainer(node.containerId).putArchive(archive, { path: '/tmp' });
      const script = `docker load -q -i /tmp/image.tar >&2 && rm -f /tmp/image.tar && docker image inspect --format '{{.Id}}' '${ref}'`;
      const loaded = (await node.run(['sh', '-c', script], deadline('sideLoad'))).trim();
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
