import type { Command } from 'commander';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption, suiteOption } from '../engine/engine-cli.js';
import { parseEngineChoice } from '../engine/select-engine.js';

export interface ScenarioOpts {
  engine: string;
  engineName: string;
  suite: string;
  nodeImage?: string;
  junit?: string;
  artifacts: string;
  keep?: boolean;
  json?: boolean;
}

export function registerScenarioCommand(program: Command, log: Logger): void {
  program
    .command('scenario')
    .description(
      'deploy the topology of a scenario, then change the Swarm step by step and check every node after each change',
    )
    .argument('<file>', 'scenario YAML file, e.g. scenarios/drain.yaml')
    .option('--node-image <suite-or-image>', "override the topology's node image")
    .addOption(engineOption())
    .addOption(engineNameOption())
    .addOption(suiteOption())
    .option('--junit <file>', 'JUnit XML report, a testcase per step (default: ARTIFACTS/junit.xml)')
    .option('--artifacts <dir>', 'scenario.json, and node dumps before and after each failed step', 'artifacts')
    .option('--keep', 'leave the cluster (and a VM this run started) running')
    .option('--json', 'print the summary as JSON')
    .action((file: string, opts: ScenarioOpts) => runScenarioCommand(file, opts, log));
}

/** `swarmlab scenario FILE` and `swarmlab run --scenario FILE`: run it, print the verdict, exit 1 on a failed step. */
export async function runScenarioCommand(file: string, opts: ScenarioOpts, log: Logger): Promise<void> {
  const [{ loadScenario }, { runScenario }] = await Promise.all([
    import('./load-scenario.js'),
    import('./run-scenario.js'),
  ]);
  const scenario = await loadScenario(file);
  const summary = await runScenario(
    scenario,
    {
      engine: { choice: parseEngineChoice(opts.engine), name: opts.engineName, suite: opts.suite },
      ...(opts.nodeImage ? { nodeImage: opts.nodeImage } : {}),
      keep: opts.keep === true,
      artifactsDir: opts.artifacts,
      ...(opts.junit ? { junitFile: opts.junit } : {}),
    },
    log,
  );
  const failed = summary.steps.filter((s) => s.status === 'fail').length;
  if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `${summary.passed ? 'PASS' : 'FAIL'}: scenario ${summary.scenario}, ${summary.steps.length - failed} steps passed, ` +
      `${failed} failed; report in ${opts.artifacts}/\n`,
  );
  if (!summary.passed) process.exitCode = 1;
}
