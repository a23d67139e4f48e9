import { Option, type Command } from 'commander';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption, freshOption, suiteOption } from '../engine/engine-cli.js';
import { parseEngineChoice } from '../engine/select-engine.js';
import { runScenarioCommand } from '../scenario/scenario-cli.js';

interface MatrixOpts extends Omit<RunOpts, 'nodeImage'> {
  nodeImage: string[];
}

interface RunOpts {
  topology: string;
  engine: string;
  engineName: string;
  suite: string;
  fresh?: boolean;
  nodeImage?: string;
  test: string[];
  junit?: string;
  artifacts: string;
  keep?: boolean;
  requests: string;
  spreadFrom: 'all' | 'one';
  scenario?: string[];
}

/** The options `run` and `matrix` share; `what` words the help for one run or several. */
function withRunOptions(command: Command, what: { junit: string; artifacts: string; keep: string }): Command {
  return command
    .option('--topology <file>', 'topology to deploy', 'topologies/web-api.yaml')
    .option(
      '--scenario <files...>',
      'scenarios instead (each with its own topology, changed step by step; see swarmlab scenario)',
    )
    .addOption(engineOption())
    .addOption(engineNameOption())
    .addOption(suiteOption())
    .addOption(freshOption())
    .addOption(
      new Option(
        '--test <regex...>',
        'only checks whose id matches; a leading ! skips matches (e.g. --test lb. --test "!lb.sysctls")',
      ).default([]),
    )
    .option('--junit <file>', what.junit)
    .option('--artifacts <dir>', what.artifacts, 'artifacts')
    .option('--requests <n>', 'requests per spread test', '600')
    .addOption(
      new Option(
        '--spread-from <where>',
        'all: a client task on every node (each judged on its own) and a reachability table; one: from one task of ' +
          'the client service only (quicker, blind to the other nodes)',
      )
        .choices(['all', 'one'])
        .default('all'),
    )
    .option('--keep', what.keep);
}

/** What `run` and `matrix` pass to the pipeline from their shared options. */
function pipelineOptions(opts: Omit<RunOpts, 'nodeImage'>) {
  return {
    topologyFile: opts.topology,
    engine: {
      choice: parseEngineChoice(opts.engine),
      name: opts.engineName,
      suite: opts.suite,
      ...(opts.fresh ? { fresh: true } : {}),
    },
    tests: opts.test,
    ...(opts.junit ? { junitFile: opts.junit } : {}),
    artifactsDir: opts.artifacts,
    keep: opts.keep === true,
    requests: Number(opts.requests),
    spreadFrom: opts.spreadFrom,
    ...(opts.scenario ? { scenarioFiles: opts.scenario } : {}),
  };
}

export function registerRunCommand(program: Command, log: Logger): void {
  withRunOptions(
    program
      .command('run')
      .description(
        'engine, cluster, deploy, dataplane checks, spread tests, report and clean-up in one go; exit 0 only when every selected check passes',
      )
      .option('--node-image <suite-or-image>', "override the topology's node image"),
    {
      junit: 'JUnit XML report (default: ARTIFACTS/junit.xml)',
      artifacts: 'reports, charts, and logs on failure',
      keep: 'leave the cluster (and a VM this run started) running',
    },
  ).action(async (opts: RunOpts) => {
    if (opts.scenario) return runScenarioCommand(opts.scenario, opts, log);
    const { runPipeline } = await import('./run-pipeline.js');
    const summary = await runPipeline(
      { ...pipelineOptions(opts), ...(opts.nodeImage ? { nodeImage: opts.nodeImage } : {}) },
      log,
    );
    const count = (status: string) => summary.outcomes.filter((o) => o.status === status).length;
    const verdict = summary.passed ? 'PASS' : 'FAIL';
    process.stdout.write(
      `${verdict}: ${summary.topology}, ${count('pass')} checks passed, ${count('fail')} failed; report in ${opts.artifacts}/\n`,
    );
    if (!summary.passed) process.exitCode = 1;
  });
}

export function registerMatrixCommand(program: Command, log: Logger): void {
  withRunOptions(
    program
      .command('matrix')
      .description(
        'run the same topology and checks against several node images (Docker versions); prints a version x check table',
      )
      .requiredOption('--node-image <suite-or-image...>', 'node images, e.g. --node-image bookworm sid'),
    {
      junit: 'one JUnit XML report for all versions (default: ARTIFACTS/junit.xml)',
      artifacts: 'reports per version under ARTIFACTS/<node image>/',
      keep: 'leave the clusters and the VM running',
    },
  ).action(async (opts: MatrixOpts) => {
    const { formatMatrix, runMatrix } = await import('./matrix.js');
    const result = await runMatrix({ ...pipelineOptions(opts), nodeImages: opts.nodeImage }, log);
    process.stdout.write(`${formatMatrix(result.nodeImages, result.table)}\n${result.passed ? 'PASS' : 'FAIL'}\n`);
    if (!result.passed) process.exitCode = 1;
  });
}
