import type { CheckResult } from '../checks/check-result.js';
import { compareVersions, formatRange, inRange, isDockerVersion } from '../core/docker-version.js';
import type { ActionKind } from '../scenario/scenario.js';
import type { KnownBug } from './known-bug.js';

/** Where findings were seen: each node's Docker version, and the scenario action just before (if any). */
export interface FindingContext {
  dockerVersions: Readonly<Record<string, string>>;
  after?: ActionKind;
}

/** The action of the step that decides an entry (or of every step, when any may). */
function decidingActions(bug: KnownBug): ActionKind[] {
  const { scenario, step } = bug.reproduce;
  return [...new Set(scenario.steps.filter((s) => step === undefined || s.index === step).map((s) => s.action.kind))];
}

function affects(bug: KnownBug, version: string | undefined): boolean {
  return version !== undefined && isDockerVersion(version) && inRange(version, bug.affects);
}

/**
 * The entries the findings look like: one of the entry's checks failed on a node whose version the entry
 * affects, and (in a scenario) after the kind of action that brings it about. Outside a scenario the action is
 * unknown: the line then says which action the entry's reproduction follows.
 */
export function diagnose(
  bugs: readonly KnownBug[],
  findings: readonly CheckResult[],
  context: FindingContext,
): string[] {
  const lines: string[] = [];
  for (const bug of bugs) {
    const matching = findings.filter(
      (f) =>
        f.status === 'fail' && bug.reproduce.checks.includes(f.check) && affects(bug, context.dockerVersions[f.node]),
    );
    if (matching.length === 0) continue;
    const actions = decidingActions(bug);
    if (context.after !== undefined && !actions.includes(context.after)) continue;
    const checks = [...new Set(matching.map((f) => f.check))].join(', ');
    const nodes = [...new Set(matching.map((f) => f.node))].join(', ');
    const fix = bug.fix ? ` (${bug.fix})` : '';
    const follows = context.after === undefined ? `; its reproduction: after ${actions.join(' or ')}` : '';
    lines.push(
      `${checks} on ${nodes} looks like ${bug.id}, ${bug.title}: ${formatRange(bug.affects)}${fix}${follows}; ${bug.url}`,
    );
  }
  return lines;
}

/**
 * Engines known to be exposed to a bug where no check can fail (the check is skipped because the engine does not
 * program what it reads): a warning with the reference instead of a bare skip, once per version.
 */
export function exposureWarnings(
  bugs: readonly KnownBug[],
  results: readonly CheckResult[],
  dockerVersions: Readonly<Record<string, string>>,
): string[] {
  const lines: string[] = [];
  for (const bug of bugs) {
    const exposure = bug.exposure;
    if (!exposure) continue;
    const versions = new Set(
      results
        .filter((r) => r.status === 'skip' && r.check === exposure.check)
        .map((r) => dockerVersions[r.node])
        .filter((v): v is string => v !== undefined && isDockerVersion(v) && compareVersions(v, exposure.below) < 0),
    );
    for (const v of versions)
      lines.push(`Docker ${v} ${exposure.says}: exposed to ${bug.id}, ${bug.title}; ${bug.url}`);
  }
  return lines;
}

/** What the catalogue says about a set of results: warnings of exposure, then the findings' look-alikes. */
export function knownBugNotes(
  bugs: readonly KnownBug[],
  results: readonly CheckResult[],
  context: FindingContext,
): string[] {
  return [
    ...exposureWarnings(bugs, results, context.dockerVersions).map((l) => `warning: ${l}`),
    ...diagnose(bugs, results, context).map((l) => `known bug: ${l}`),
  ];
}
