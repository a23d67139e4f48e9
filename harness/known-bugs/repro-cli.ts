import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption, suiteOption } from '../engine/engine-cli.js';
import { parseEngineChoice } from '../engine/select-engine.js';
import { defaultNodeSuite } from '../images/debian-suites.js';
import { formatRange } from '../core/docker-version.js';
import { findKnownBug, loadKnownBugs } from './load-known-bugs.js';
import type { KnownBug } from './known-bug.js';

interface ReproOpts {
  nodeImage: string[];
  engine: string;
  engineName: string;
  suite: string;
  junit?: string;
  markdown?: string;
  artifacts: string;
  keep?: boolean;
  json?: boolean;
  bundle?: string;
}

export const bundleHelp =
  'write a reproduction bundle for an upstream report: versions, a script of plain docker commands, the findings, ' +
  'node state before and after, a Markdown summary';

function describeBug(b: KnownBug): string {
  const decides = [
    ...(b.reproduce.checks.length ? [`${b.reproduce.checks.join(' or ')} failing`] : []),
    ...(b.reproduce.traffic ? [`traffic ${JSON.stringify(b.reproduce.traffic)}`] : []),
  ].join(', or ');
  const step = b.reproduce.step === undefined ? 'any step' : `step ${b.reproduce.step}`;
  return [
    `${b.id}  ${b.title}`,
    `  ${formatRange(b.affects)}${b.fix ? ` (${b.fix})` : ''}; reported on ${b.reported}`,
    `  reproduce: ${b.reproduce.scenario.source}, ${step}: ${decides}`,
    ...(b.unreproducible ? [`  reproduces nowhere here: ${b.unreproducible}`] : []),
    `  ${b.url}`,
  ].join('\n');
}

function reproOptions(program: Command, name: string, description: string, images: string): Command {
  return program
    .command(name)
    .description(description)
    .option('--node-image <suite-or-image...>', images, [defaultNodeSuite])
    .addOption(engineOption())
    .addOption(engineNameOption())
    .addOption(suiteOption())
    .option(
      '--junit <file>',
      'JUnit XML: a testcase per bug and version, failing when the outcome is not the expected one (default: ARTIFACTS/junit.xml)',
    )
    .option('--artifacts <dir>', "per node image: each scenario's report and verdicts.json", 'artifacts')
    .option('--keep', 'leave the clusters (and a VM this run started) running');
}

export function registerReproCommands(program: Command, log: Logger): void {
  const repro = program
    .command('repro')
    .description(
      'publicly reported Swarm load-balancing bugs (known-bugs/): list them, reproduce one, or all per Docker version',
    );
  repro
    .command('list')
    .description('every catalogue entry: versions affected, the fix, the scenario and what decides')
    .option('--json', 'the entries as JSON')
    .action(async (opts: { json?: boolean }) => {
      const bugs = await loadKnownBugs();
      if (opts.json) {
        const plain = bugs.map(({ reproduce, ...b }) => ({
          ...b,
          reproduce: { ...reproduce, scenario: reproduce.scenario.source },
        }));
        process.stdout.write(`${JSON.stringify(plain, null, 2)}\n`);
      } else process.stdout.write(`${bugs.map(describeBug).join('\n\n')}\n`);
    });
  reproOptions(
    repro,
    'run',
    "run one entry's scenario and say REPRODUCED or NOT REPRODUCED with the evidence; " +
      'exit 0 when that is what the entry expects on that version, 1 when not',
    'node images (Docker versions) to run it on',
  )
    .argument('<id>', 'a catalogue id, e.g. moby#36988 (see swarmlab repro list)')
    .option('--json', 'the verdicts as JSON')
    .option('--bundle <dir>', bundleHelp)
    .action(async (id: string, opts: ReproOpts) => {
      const bug = findKnownBug(await loadKnownBugs(), id);
      await runAndReport([bug], opts, log);
    });
  reproOptions(
    repro,
    'matrix',
    'every entry on every node image: a bug x Docker version table (console, JUnit, Markdown)',
    'node images, e.g. --node-image bullseye bookworm trixie sid',
  )
    .option('--markdown <file>', 'the table as Markdown too (a CI job summary)')
    .action(async (opts: ReproOpts) => runAndReport(await loadKnownBugs(), opts, log));
}

async function runAndReport(bugs: KnownBug[], opts: ReproOpts, log: Logger): Promise<void> {
  const { formatReproTable, reproTable, reproTableMarkdown, runReproductions } = await import('./run-repro.js');
  const { formatVerdict } = await import('./repro-verdict.js');
  const results = await runReproductions(
    bugs,
    {
      engine: { choice: parseEngineChoice(opts.engine), name: opts.engineName, suite: opts.suite },
      nodeImages: opts.nodeImage,
      keep: opts.keep === true,
      artifactsDir: opts.artifacts,
      ...(opts.junit ? { junitFile: opts.junit } : {}),
      ...(opts.bundle ? { bundleDir: opts.bundle } : {}),
    },
    log,
  );
  const verdicts = results.flatMap((r) => r.verdicts);
  if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(`${verdicts.map(formatVerdict).join('\n\n')}\n`);
  if (results.length * bugs.length > 1) {
    const rows = reproTable(results);
    process.stdout.write(`\n${formatReproTable(rows)}\n`);
    if (opts.markdown) await writeFile(opts.markdown, `${reproTableMarkdown(rows)}\n`);
  }
  process.stdout.write(`report in ${opts.artifacts}/\n`);
  if (verdicts.some((v) => !v.asExpected)) process.exitCode = 1;
}
