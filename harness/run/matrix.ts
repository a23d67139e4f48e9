import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import { withEngine } from '../engine/select-engine.js';
import { nodeImageSlug } from '../images/node-image-ref.js';
import { writeJunit } from '../report/junit.js';
import type { Outcome } from '../report/outcome.js';
import { runScenarios, scenarioOutcomes } from '../scenario/run-scenario.js';
import { loadScenarios } from '../scenario/load-scenario.js';
import { runPipeline, type RunOptions } from './run-pipeline.js';

export interface MatrixOptions extends Omit<RunOptions, 'nodeImage' | 'junitFile'> {
  nodeImages: string[];
  junitFile?: string;
  /** Scenarios to run per version instead of the topology: a step x version table. */
  scenarioFiles?: string[];
}

export interface MatrixResult {
  nodeImages: string[];
  /** check id -> node image -> worst status over that check's subjects. */
  table: Map<string, Map<string, Outcome['status']>>;
  passed: boolean;
}

const worst = (a: Outcome['status'] | undefined, b: Outcome['status']): Outcome['status'] =>
  a === 'fail' || b === 'fail' ? 'fail' : a === 'pass' || b === 'pass' ? 'pass' : 'skip';

/** Folds each version's outcomes into a version x check table (a check fails for a version if any subject fails). */
export function matrixTable(
  runs: { nodeImage: string; outcomes: Outcome[] }[],
): Map<string, Map<string, Outcome['status']>> {
  const table = new Map<string, Map<string, Outcome['status']>>();
  for (const run of runs) {
    for (const o of run.outcomes) {
      const row = table.get(o.check) ?? new Map<string, Outcome['status']>();
      row.set(run.nodeImage, worst(row.get(run.nodeImage), o.status));
      table.set(o.check, row);
    }
  }
  return table;
}

export function formatMatrix(
  nodeImages: readonly string[],
  table: Map<string, Map<string, Outcome['status']>>,
): string {
  const width = Math.max(5, ...[...table.keys()].map((k) => k.length));
  const header = ['check'.padEnd(width), ...nodeImages.map((i) => i.padEnd(10))].join('  ');
  const rows = [...table].map(([check, row]) =>
    [check.padEnd(width), ...nodeImages.map((i) => (row.get(i) ?? 'skip').padEnd(10))].join('  '),
  );
  return [header, ...rows].join('\n');
}

/**
 * The same topology and checks against several node images (Docker versions),
 * one after another on one engine whose VM disk holds every Debian node image
 * asked for. One JUnit file with a testsuite per version and stage.
 */
export async function runMatrix(options: MatrixOptions, log: Logger): Promise<MatrixResult> {
  // Scenarios are validated before anything starts.
  const scenarios = options.scenarioFiles ? await loadScenarios(options.scenarioFiles) : undefined;
  // Booted once with every node image baked in; each run then finds it running and leaves it so.
  const runs: { nodeImage: string; outcomes: Outcome[] }[] = [];
  await withEngine({ ...options.engine, nodeImages: options.nodeImages }, options.keep, log, async () => {
    for (const nodeImage of options.nodeImages) {
      const slug = nodeImageSlug(nodeImage);
      log.info(`matrix: ${nodeImage}`);
      const artifactsDir = join(options.artifactsDir, slug);
      const junitFile = join(artifactsDir, 'junit.xml');
      const outcomes = scenarios
        ? (
            await runScenarios(
              scenarios,
              { engine: options.engine, nodeImage, keep: options.keep, artifactsDir, junitFile },
              log,
            )
          ).flatMap(scenarioOutcomes)
        : (await runPipeline({ ...options, nodeImage, artifactsDir, junitFile }, log)).outcomes;
      runs.push({ nodeImage, outcomes });
    }
  });
  const all = runs.flatMap((r) => r.outcomes.map((o) => ({ ...o, stage: `${r.nodeImage}.${o.stage}` })));
  await writeJunit(all, options.junitFile ?? join(options.artifactsDir, 'junit.xml'));
  const table = matrixTable(runs);
  return { nodeImages: options.nodeImages, table, passed: all.length > 0 && all.every((o) => o.status !== 'fail') };
}
