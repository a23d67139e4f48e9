import type Docker from 'dockerode';
import { deadline } from '../../core/deadlines.js';
import { errorMessage } from '../../core/errors.js';
import { clusterFilter } from '../../core/labels.js';
import type { Logger } from '../../core/log.js';
import { waitFor } from '../../core/wait.js';

export interface TeardownReport {
  containers: number;
  volumes: number;
  networks: number;
}

/** Everything carrying a cluster's label (or any cluster's): what teardown removes and what tests expect gone. */
export async function labelledObjects(
  docker: Docker,
  cluster?: string,
): Promise<{
  containers: Docker.ContainerInfo[];
  volumes: Docker.VolumeInspectInfo[];
  networks: Docker.NetworkInspectInfo[];
}> {
  const filters = clusterFilter(cluster);
  const [containers, { Volumes }, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listVolumes({ filters }),
    docker.listNetworks({ filters }),
  ]);
  return { containers, volumes: Volumes ?? [], networks };
}

/** Names of what is left of a cluster, e.g. `container /x`, `volume y`; empty when nothing is. */
export async function leftoversOf(docker: Docker, cluster: string): Promise<string[]> {
  const { containers, volumes, networks } = await labelledObjects(docker, cluster);
  // Sorted: the engine lists in no fixed order, and callers compare two listings.
  return [
    ...containers.map((c) => `container ${c.Names[0]}`),
    ...volumes.map((v) => `volume ${v.Name}`),
    ...networks.map((n) => `network ${n.Name}`),
  ].sort();
}

/**
 * Removes every container, volume and network labelled for the cluster (or
 * for any cluster). It relies on labels only, so it also clears what a crashed
 * or interrupted run left behind. Containers go first: their volumes and
 * network are in use until then.
 */
export async function teardownByLabel(docker: Docker, log: Logger, cluster?: string): Promise<TeardownReport> {
  // Something else may be removing an object already (testcontainers removes a node
  // whose start failed): gone (404) or going (409 on a container) counts as removed.
  const removing = (what: string) => (e: unknown) => {
    const status = (e as { statusCode?: number }).statusCode;
    if (status !== 404 && !(status === 409 && what.startsWith('container'))) log.warn(`remove ${what}: ${String(e)}`);
  };
  const { containers } = await labelledObjects(docker, cluster);
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(removing(`container ${c.Names[0]}`)),
    ),
  );
  // Volumes stay in use until every container is really gone, also those another removal still holds.
  await waitFor(
    {
      what: `the containers of ${cluster ? `cluster "${cluster}"` : 'every cluster'} to be removed`,
      timeoutMs: deadline('teardown'),
      intervalMs: 500,
    },
    async () => {
      const left = (await labelledObjects(docker, cluster)).containers;
      return left.length === 0
        ? { done: true, value: undefined }
        : { done: false, seen: left.map((c) => `${c.Names[0]} (${c.State})`).join(', ') };
    },
  ).catch((e: unknown) => log.warn(errorMessage(e)));
  const { volumes, networks } = await labelledObjects(docker, cluster);
  await Promise.all(
    volumes.map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(removing(`volume ${v.Name}`)),
    ),
  );
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(removing(`network ${n.Name}`)),
    ),
  );
  const report = { containers: containers.length, volumes: volumes.length, networks: networks.length };
  log.info(
    `removed ${report.containers} containers, ${report.volumes} volumes, ${report.networks} networks${cluster ? ` of cluster "${cluster}"` : ''}`,
  );
  return report;
}
