import type { Command } from 'commander';
import { Cluster } from '../cluster/cluster.js';
import { SwarmlabError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { dockerClient } from '../engine/engine-facts.js';
import { engineNameOption, engineOption } from '../engine/engine-cli.js';
import { attachEngine, parseEngineChoice } from '../engine/select-engine.js';
import { formatCheckResults, formatModels } from '../report/console.js';
import { evaluateDataplane, snapshotDataplane } from './dataplane.js';

interface Opts {
  cluster?: string;
  json?: boolean;
  engine: string;
  engineName: string;
}

async function clusterFrom(opts: Opts, log: Logger): Promise<Cluster> {
  const engine = await attachEngine(parseEngineChoice(opts.engine), opts.engineName, log);
  const docker = dockerClient(engine.dockerHost);
  if (opts.cluster) return Cluster.attach(docker, opts.cluster);
  const names = await Cluster.names(docker);
  if (names.length !== 1) throw new SwarmlabError('cluster', `name the cluster with --cluster (clusters: ${names.join(', ') || 'none'})`);
  return Cluster.attach(docker, names[0] ?? '');
}

export function registerCheckCommands(program: Command, log: Logger): void {
  program
    .command('inspect')
    .description("each node's load-balancer state: per network and service, VIP -> mark -> real servers")
    .option('--cluster <name>', 'cluster (default: the only one)')
    .option('--json', 'the full model as JSON')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .action(async (opts: Opts) => {
      const snapshot = await log.step('read every node', async () => snapshotDataplane(await clusterFrom(opts, log)));
      process.stdout.write(`${opts.json ? JSON.stringify(snapshot, null, 2) : formatModels(snapshot.models)}\n`);
    });
  program
    .command('check')
    .description('check that MARK rules, IPVS services and running tasks line up on every node; exit 1 on any failure')
    .option('--cluster <name>', 'cluster (default: the only one)')
    .option('--json', 'results as JSON')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .action(async (opts: Opts) => {
      const results = evaluateDataplane(await log.step('read every node', async () => snapshotDataplane(await clusterFrom(opts, log))));
      process.stdout.write(`${opts.json ? JSON.stringify(results, null, 2) : formatCheckResults(results)}\n`);
      if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
    });
}
