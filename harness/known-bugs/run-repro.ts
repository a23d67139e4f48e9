import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import { type EngineRequest, withEngine } from '../engine/select-engine.js';
import { nodeImageSlug } from '../images/node-image-ref.js';
import { debianSuites } from '../images/debian-suites.js';
import { writeJunit } from '../report/junit.js';
import type { Outcome } from '../report/outcome.js';
import { runScenarios, type ScenarioSummary } from '../scenario/run-scenario.js';
import type { Scenario } from '../scenario/scenario.js';
import { writeBundle } from './bundle.js';
import type { KnownBug } from './known-bug.js';
import { judgeReproduction, outcomeWord, type ReproVerdict } from './repro-verdict.js';

export interface ReproOptions {
  engine: EngineRequest;
  /** Node images (Debian suites or image references), one run of every entry per image. */
  nodeImages: string[];
  keep: boolean;
  artifactsDir: string;
  junitFile?: string;
  /** Write a reproduction bundle per entry here (per node image in a folder of its own when there are several). */
  bundleDir?: string;
}

/** The scenarios of some entries, each once (two entries may share one). */
function scenariosOf(bugs: readonly KnownBug[]): Scenario[] {
  const bySource = new Map(bugs.map((b) => [b.reproduce.scenario.source, b.reproduce.scenario]));
  return [...bySource.values()];
}

/** The Docker version of a node image when its cluster never came up to say: known for Debian suites. */
function versionOfImage(nodeImage: string): string {
  return debianSuites[nodeImage]?.dockerVersion ?? `unknown (node image ${nodeImage})`;
}

function verdictOutcome(v: ReproVerdict, nodeImage: string): Outcome {
  return {
    stage: nodeImage,
    check: v.bug,
    subject: `Docker ${v.dockerVersion}`,
    status: v.asExpected ? 'pass' : 'fail',
    message: [
      `${outcomeWord(v.outcome)}; ${v.asExpected ? 'as expected' : `expected ${outcomeWord(v.expected)}`}: ${v.expectedBecause}`,
      ...v.evidence,
    ].join('\n'),
  };
}

/**
 * Runs the entries' scenarios on each node image (one engine with every image, the scenarios of one shape sharing
 * a cluster) and judges each entry from its scenario's summary. Artifacts per image: the scenarios' own folders
 * and verdicts.json; one JUnit file, a testcase per entry and image that passes when the outcome is the expected one.
 */
export async function runReproductions(
  bugs: readonly KnownBug[],
  options: ReproOptions,
  log: Logger,
): Promise<{ nodeImage: string; verdicts: ReproVerdict[] }[]> {
  const results: { nodeImage: string; verdicts: ReproVerdict[] }[] = [];
  await withEngine({ ...options.engine, nodeImages: options.nodeImages }, options.keep, log, async () => {
    for (const nodeImage of options.nodeImages) {
      const slug = nodeImageSlug(nodeImage);
      const artifactsDir = join(options.artifactsDir, slug);
      log.info(`repro: ${bugs.map((b) => b.id).join(', ')} on ${nodeImage}`);
      const summaries: ScenarioSummary[] = await runScenarios(
        scenariosOf(bugs),
        { engine: options.engine, nodeImage, keep: options.keep, artifactsDir },
        log,
      );
      const verdicts: ReproVerdict[] = [];
      for (const bug of bugs) {
        const { scenario } = bug.reproduce;
        const summary = summaries.find((s) => s.scenario === scenario.name) ?? {
          scenario: scenario.name,
          passed: false,
          steps: [],
          error: 'did not run',
        };
        const verdict = judgeReproduction(bug, summary, summary.dockerVersion ?? versionOfImage(nodeImage));
        verdicts.push(verdict);
        if (options.bundleDir) {
          const perImage = options.nodeImages.length > 1 ? join(options.bundleDir, slug) : options.bundleDir;
          const dir = bugs.length > 1 ? join(perImage, bug.id.replace('#', '-')) : perImage;
          const scenarioArtifacts = join(artifactsDir, scenario.name);
          log.info(
            `reproduction bundle: ${await writeBundle(dir, { scenario, summary, scenarioArtifacts, bug, verdict })}`,
          );
        }
      }
      await mkdir(artifactsDir, { recursive: true });
      await writeFile(join(artifactsDir, 'verdicts.json'), `${JSON.stringify(verdicts, null, 2)}\n`);
      results.push({ nodeImage, verdicts });
    }
  });
  await writeJunit(
    results.flatMap((r) => r.verdicts.map((v) => verdictOutcome(v, r.nodeImage))),
    options.junitFile ?? join(options.artifactsDir, 'junit.xml'),
    'swarmlab.repro',
  );
  return results;
}

function cell(v: ReproVerdict | undefined): string {
  if (!v) return '-';
  const word = v.outcome === undefined ? 'undecided' : v.outcome === 'reproduced' ? 'REPRODUCED' : 'not reproduced';
  return v.asExpected ? word : `${word} (!)`;
}

/** A bug x version table; "(!)" marks an outcome the entry did not expect there. */
export function reproTable(results: readonly { nodeImage: string; verdicts: ReproVerdict[] }[]): string[][] {
  const bugs = [...new Set(results.flatMap((r) => r.verdicts.map((v) => v.bug)))];
  const header = [
    'bug',
    ...results.map(
      (r) => `${r.nodeImage} (${r.verdicts.find((v) => !v.dockerVersion.startsWith('unknown'))?.dockerVersion ?? '?'})`,
    ),
  ];
  return [header, ...bugs.map((bug) => [bug, ...results.map((r) => cell(r.verdicts.find((v) => v.bug === bug)))])];
}

export function formatReproTable(rows: readonly string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The same table as Markdown, for a CI job summary. */
export function reproTableMarkdown(rows: readonly string[][]): string {
  const [header = [], ...body] = rows;
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
    '',
    '"(!)": not what the catalogue entry expects on that version.',
  ].join('\n');
}
