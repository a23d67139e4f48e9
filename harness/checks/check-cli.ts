import type { Command } from 'commander';
import { selectCluster, type ClusterSelection } from '../cluster/select-cluster.js';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption } from '../engine/engine-cli.js';
import { formatCheckResults, formatModels } from '../report/console.js';
import { evaluateDataplane, snapshotDataplane } from './dataplane.js';

interface Opts extends ClusterSelection {
  json?: boolean;
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
      const snapshot = await log.step('read every node', async () => snapshotDataplane(await selectCluster(opts, log)));
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
      const results = evaluateDataplane(await log.step('read every node', async () => snapshotDataplane(await selectCluster(opts, log))));
      process.stdout.write(`${opts.json ? JSON.stringify(results, null, 2) : formatCheckResults(results)}\n`);
      if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
    });
}
