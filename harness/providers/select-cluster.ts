import { Cluster } from '../cluster/cluster.js';
import type { ClusterProvider } from '../cluster/cluster-provider.js';
import { SwarmlabError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { RunningEngine } from '../engine/engine.js';
import { attachEngine, parseEngineChoice } from '../engine/select-engine.js';
import { DindProvider } from './dind/dind-provider.js';

/** The provider of clusters on an engine: docker-in-docker nodes, the one provider so far. */
export function clusterProvider(engine: RunningEngine): ClusterProvider {
  return new DindProvider(engine.dockerHost);
}

export interface ClusterSelection {
  cluster?: string;
  engine: string;
  engineName: string;
}

/** The cluster a command works on: the one named, or the only one on the engine. */
export async function selectCluster(opts: ClusterSelection, log: Logger): Promise<Cluster> {
  const engine = await attachEngine(parseEngineChoice(opts.engine), opts.engineName, log);
  const provider = clusterProvider(engine);
  if (opts.cluster) return Cluster.attach(provider, opts.cluster);
  const names = await provider.list();
  const [only] = names;
  if (names.length !== 1 || !only) {
    throw new SwarmlabError('cluster', `name the cluster with --cluster (clusters: ${names.join(', ') || 'none'})`);
  }
  return Cluster.attach(provider, only);
}
