import { join } from 'node:path';
import type { Command } from 'commander';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption, suiteOption } from '../engine/engine-cli.js';
import { parseEngineChoice } from '../engine/select-engine.js';
import { bundleHelp } from '../known-bugs/repro-cli.js';
import { loadScenarios } from './load-scenario.js';

export interface ScenarioOpts {
  engine: string;
  engineName: string;
  suite: string;
  nodeImage?: string;
  junit?: string;
  artifacts: string;
  keep?: boolean;
  json?: boolean;
  bundle?: string;
}

export function registerScenarioCommand(program: Command, log: Logger): void {
  program
    .command('scenario')
    .description(
      'deploy the topology of a scenario, then change the Swarm step by step and check every node after each change; ' +
        'several scenarios run one after another, on one cluster per shape',
    )
    .argument('<files...>', 'scenario YAML files, e.g. scenarios/drain.yaml (or scenarios/*.yaml)')
    .option('--node-image <suite-or-image>', "override the topology's node image")
    .addOption(engineOption())
    .addOption(engineNameOption())
    .addOption(suiteOption())
    .option('--junit <file>', 'JUnit XML report, a testcase per step (default: ARTIFACTS/junit.xml)')
    .option(
      '--artifacts <dir>',
      'per scenario a folder with scenario.json, its traffic, and node dumps before and after each failed step',
      'artifacts',
    )
    .option('--keep', 'leave the cluster (and a VM this run started) running')
    .option('--json', 'print the summary as JSON')
    .option('--bundle <dir>', `${bundleHelp} (a folder per scenario when there are several)`)
    .action((files: string[], opts: ScenarioOpts) => runScenarioCommand(files, opts, log));
}

/** `swarmlab scenario FILE...` and `swarmlab run --scenario FILE`: run them, print the verdicts, exit 1 on a failed step. */
export async function runScenarioCommand(files: readonly string[], opts: ScenarioOpts, log: Logger): Promise<void> {
  const { runScenarios } = await import('./run-scenario.js');
  const scenarios = await loadScenarios(files);
  const summaries = await runScenarios(
    scenarios,
    {
      engine: { choice: parseEngineChoice(opts.engine), name: opts.engineName, suite: opts.suite },
      ...(opts.nodeImage ? { nodeImage: opts.nodeImage } : {}),
      keep: opts.keep === true,
      artifactsDir: opts.artifacts,
      ...(opts.junit ? { junitFile: opts.junit } : {}),
    },
    log,
  );
  if (opts.bundle) {
    const { writeBundle } = await import('../known-bugs/bundle.js');
    for (const [i, scenario] of scenarios.entries()) {
      const summary = summaries[i];
      if (!summary) continue;
      const dir = scenarios.length > 1 ? join(opts.bundle, scenario.name) : opts.bundle;
      const scenarioArtifacts = join(opts.artifacts, scenario.name);
      log.info(`reproduction bundle: ${await writeBundle(dir, { scenario, summary, scenarioArtifacts })}`);
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
  for (const summary of summaries) {
    const failed = summary.steps.filter((s) => s.status === 'fail').length;
    const stopped = summary.error ? `; stopped before its steps ended: ${summary.error}` : '';
    process.stdout.write(
      `${summary.passed ? 'PASS' : 'FAIL'}: scenario ${summary.scenario}, ${summary.steps.length - failed} steps passed, ` +
        `${failed} failed${stopped}\n`,
    );
  }
  process.stdout.write(`report in ${opts.artifacts}/\n`);
  if (summaries.some((s) => !s.passed)) process.exitCode = 1;
}
