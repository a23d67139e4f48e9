import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deadline } from '../core/deadlines.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Cluster } from '../cluster/cluster.js';
import { nodeScript } from '../cluster/node-script.js';
import { inNamespace, listNamespaces } from './namespaces.js';

const collectScript = nodeScript(new URL('./collect.sh', import.meta.url));

/**
 * Writes what a failed CI run needs to be debugged into DIR/<node>/: the
 * node's Docker daemon log, docker info, node ls, service ps, network inspect
 * --verbose, iptables-save and the IPVS table of every namespace. A command
 * that fails writes its error into the file instead of stopping the collection.
 */
export async function collectLogs(cluster: Cluster, outDir: string, log: Logger): Promise<string[]> {
  const written: string[] = [];
  for (const node of cluster.nodes) {
    const dir = join(outDir, node.hostname);
    await mkdir(dir, { recursive: true });
    const save = async (file: string, text: string): Promise<void> => {
      await writeFile(join(dir, file), text);
      written.push(join(dir, file));
    };
    const capture = async (file: string, command: readonly string[], shown = command.join(' ')): Promise<void> => {
      const result = await node
        .exec(command, { timeoutMs: deadline('logCommand') })
        .catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: String(e) }));
      const stderr = result.stderr ? `\n[stderr]\n${result.stderr}` : '';
      const exit = result.exitCode ? `\n[exit ${result.exitCode}]\n` : '';
      await save(file, `$ ${shown}\n${result.stdout}${stderr}${exit}`);
    };
    const collect = (file: string, ...args: string[]) =>
      capture(file, ['sh', '-c', collectScript, 'sh', ...args], `collect.sh ${args.join(' ')}`);
    await save('dockerd.log', await node.logs().catch((e: unknown) => `(no log: ${errorMessage(e)})`));
    await capture('docker-info.txt', ['docker', 'info']);
    await capture('iptables-save.txt', ['iptables-save']);
    if (node.role === 'manager') {
      await capture('node-ls.txt', ['docker', 'node', 'ls']);
      await collect('service-ps.txt', 'service-ps');
    }
    await collect('network-inspect.txt', 'network-inspect');
    for (const ns of await listNamespaces(node)) {
      await capture(`netns-${ns.name}-iptables.txt`, inNamespace(ns, ['iptables-save']));
      await collect(`netns-${ns.name}-ipvs.txt`, 'ipvs', ns.path);
    }
  }
  log.info(`collected ${written.length} files into ${outDir}`);
  return written;
}
