import { SwarmlabError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { dockerClient } from '../engine/engine-facts.js';
import { attachEngine, parseEngineChoice } from '../engine/select-engine.js';
import { Cluster } from './cluster.js';

export interface ClusterSelection {
  cluster?: string;
  engine: string;
  engineName: string;
}

/** The cluster a command works on: the one named, or the only one on the engine. */
export async function selectCluster(opts: ClusterSelection, log: Logger): Promise<Cluster> {
  const engine = await attachEngine(parseEngineChoice(opts.engine), opts.engineName, log);
  const docker = dockerClient(engine.dockerHost);
  if (opts.cluster) return Cluster.attach(docker, opts.cluster);
  const names = await Cluster.names(docker);
  if (names.length !== 1)
    throw new SwarmlabError('cluster', `name the cluster with --cluster (clusters: ${names.join(', ') || 'none'})`);
  return Cluster.attach(docker, names[0] ?? '');
}
