import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { deadline } from '../core/deadlines.js';
import type { Logger } from '../core/log.js';
import { demuxDockerStream } from '../engine/docker-stream.js';
import { inNamespace, listNamespaces } from '../inspect/namespaces.js';
import type { Cluster } from './cluster.js';

/**
 * Writes what a failed CI run needs to be debugged into DIR/<node>/: the
 * node's dockerd log, docker info, node ls, service ps, network inspect
 * --verbose, iptables-save and the IPVS table of every namespace. A command
 * that fails writes its error into the file instead of stopping the collection.
 */
export async function collectLogs(docker: Docker, cluster: Cluster, outDir: string, log: Logger): Promise<string[]> {
  const written: string[] = [];
  for (const node of cluster.nodes) {
    const dir = join(outDir, node.hostname);
    await mkdir(dir, { recursive: true });
    const save = async (file: string, text: string): Promise<void> => {
      await writeFile(join(dir, file), text);
      written.push(join(dir, file));
    };
    const capture = async (file: string, command: readonly string[]): Promise<void> => {
      const result = await node
        .exec(command, deadline('logCommand'))
        .catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: String(e) }));
      const stderr = result.stderr ? `\n[stderr]\n${result.stderr}` : '';
      const exit = result.exitCode ? `\n[exit ${result.exitCode}]\n` : '';
      await save(file, `$ ${command.join(' ')}\n${result.stdout}${stderr}${exit}`);
    };
    const { stdout, stderr } = demuxDockerStream(
      await docker.getContainer(node.containerId).logs({ stdout: true, stderr: true }),
    );
    await save('dockerd.log', `${stdout}${stderr}`);
    await capture('docker-info.txt', ['docker', 'info']);
    await capture('iptables-save.txt', ['iptables-save']);
    if (node.role === 'manager') {
      await capture('node-ls.txt', ['docker', 'node', 'ls']);
      await capture('service-ps.txt', [
        'sh',
        '-c',
        'for s in $(docker service ls -q); do docker service ps --no-trunc "$s"; done',
      ]);
    }
    await capture('network-inspect.txt', [
      'sh',
      '-c',
      'for n in $(docker network ls -q --filter driver=overlay); do docker network inspect --verbose "$n"; done',
    ]);
    for (const ns of await listNamespaces(node)) {
      await capture(`netns-${ns.name}-iptables.txt`, inNamespace(ns, ['iptables-save']));
      await capture(
        `netns-${ns.name}-ipvs.txt`,
        inNamespace(ns, ['sh', '-c', 'ipvsadm -Ln 2>/dev/null || cat /proc/net/ip_vs']),
      );
    }
  }
  log.info(`collected ${written.length} files into ${outDir}`);
  return written;
}
