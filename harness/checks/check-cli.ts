import type { Command } from 'commander';
import { selectCluster, type ClusterSelection } from '../providers/select-cluster.js';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption } from '../engine/engine-cli.js';
import { formatCheckResults, formatModels } from '../report/console.js';
import { checkCatalog, checkInfo, explainCheck } from './check-catalog.js';
import { parseTestFilter } from './check-filter.js';
import { checkCluster, snapshotDataplane } from './dataplane.js';
import { ConfigError } from '../core/errors.js';
import { knownBugNotes } from '../known-bugs/diagnose.js';
import { shippedKnownBugs } from '../known-bugs/load-known-bugs.js';

interface Opts extends ClusterSelection {
  json?: boolean;
  test?: string[];
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
    .option('--test <regex...>', "only the checks whose id matches; a leading '!' leaves out (see swarmlab explain)")
    .addOption(engineOption())
    .addOption(engineNameOption())
    .action(async (opts: Opts) => {
      const filter = parseTestFilter(opts.test ?? []);
      const { results, dockerVersions } = await log.step('read every node', async () =>
        checkCluster(await selectCluster(opts, log), filter),
      );
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else {
        const notes = knownBugNotes(await shippedKnownBugs(), results, { dockerVersions });
        process.stdout.write(`${formatCheckResults(results)}\n${notes.map((n) => `${n}\n`).join('')}`);
      }
      if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
    });
  program
    .command('explain')
    .description('list every check, or explain one: what it reads, when it passes, what a finding means')
    .argument('[check]', 'a check id, e.g. lb.backends or spread.api')
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, opts: { json?: boolean }) => {
      const info = id === undefined ? undefined : checkInfo(id);
      if (id !== undefined && !info)
        throw new ConfigError('swarmlab explain', 'check', `one of ${checkCatalog.map((c) => c.id).join(', ')}`, id);
      if (opts.json) process.stdout.write(`${JSON.stringify(info ?? checkCatalog, null, 2)}\n`);
      else if (info) {
        const bugs = (await shippedKnownBugs()).filter((b) => b.reproduce.checks.some((c) => checkInfo(c) === info));
        process.stdout.write(
          `${explainCheck(
            info,
            bugs.map((b) => b.id),
          )}\n`,
        );
      } else process.stdout.write(`${checkCatalog.map((c) => `${c.id.padEnd(18)} ${c.title}`).join('\n')}\n`);
    });
}
