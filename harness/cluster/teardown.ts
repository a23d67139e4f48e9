import type Docker from 'dockerode';
import { clusterFilter } from '../core/labels.js';
import type { Logger } from '../core/log.js';

export interface TeardownReport {
  containers: number;
  volumes: number;
  networks: number;
}

/**
 * Removes every container, volume and network labelled for the cluster (or
 * for any cluster). It relies on labels only, so it also clears what a crashed
 * or interrupted run left behind.
 */
export async function teardownByLabel(docker: Docker, log: Logger, cluster?: string): Promise<TeardownReport> {
  const filters = clusterFilter(cluster);
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch((e: unknown) => log.warn(`remove container ${c.Names[0]}: ${String(e)}`))));
  const { Volumes } = await docker.listVolumes({ filters });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch((e: unknown) => log.warn(`remove volume ${v.Name}: ${String(e)}`))));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch((e: unknown) => log.warn(`remove network ${n.Name}: ${String(e)}`))));
  const report = { containers: containers.length, volumes: Volumes?.length ?? 0, networks: networks.length };
  log.info(`removed ${report.containers} containers, ${report.volumes} volumes, ${report.networks} networks${cluster ? ` of cluster "${cluster}"` : ''}`);
  return report;
}
