import type { CheckResult } from '../checks/check-result.js';
import type { ScenarioSummary, StepResult } from '../scenario/run-scenario.js';
import { formatDisruption } from '../traffic/disruption.js';
import { formatRange, inRange, isDockerVersion } from '../core/docker-version.js';
import type { KnownBug, TrafficSymptom } from './known-bug.js';

export type ReproOutcome = 'reproduced' | 'not-reproduced';

/** What one run of an entry's scenario showed, against what the entry expects on that Docker version. */
export interface ReproVerdict {
  bug: string;
  dockerVersion: string;
  /** undefined: the run could not decide (its set-up or an action failed). */
  outcome: ReproOutcome | undefined;
  /** undefined: the nodes' Docker version is unknown (their cluster never came up). */
  expected: ReproOutcome | undefined;
  /** Why that is expected: the affected range, or why the recipe reproduces nowhere. */
  expectedBecause: string;
  asExpected: boolean;
  /** What decided, line by line: the findings, the traffic figures, or why nothing decided. */
  evidence: string[];
}

/** What the entry expects on a version: reproduced inside the affected range, unless its recipe reproduces nowhere. */
function expectedOutcome(
  bug: KnownBug,
  dockerVersion: string,
): { expected: ReproOutcome | undefined; because: string } {
  if (!isDockerVersion(dockerVersion))
    return { expected: undefined, because: `the nodes' Docker version is ${dockerVersion}` };
  if (bug.unreproducible)
    return { expected: 'not-reproduced', because: `its recipe reproduces nowhere: ${bug.unreproducible}` };
  const affected = inRange(dockerVersion, bug.affects);
  return {
    expected: affected ? 'reproduced' : 'not-reproduced',
    because: `Docker ${dockerVersion} is ${affected ? '' : 'not '}affected (${formatRange(bug.affects)})`,
  };
}

/** The findings of a step that are the bug's. */
function matchingFindings(bug: KnownBug, step: StepResult): CheckResult[] {
  return step.findings.filter((f) => bug.reproduce.checks.includes(f.check));
}

/** Where a step's traffic shows the symptom; empty when it does not. */
function trafficSymptoms(symptom: TrafficSymptom | undefined, step: StepResult): string[] {
  const d = step.disruption;
  if (!symptom || !d) return [];
  const gap = d.longestGapMs / 1000;
  return [
    ...(symptom.failed !== undefined && d.failed >= symptom.failed
      ? [`${d.failed} failed requests (the bug: at least ${symptom.failed})`]
      : []),
    ...(symptom.gapSeconds !== undefined && gap >= symptom.gapSeconds
      ? [`a gap of ${gap.toFixed(2)} s without an answer (the bug: at least ${symptom.gapSeconds} s)`]
      : []),
    ...(symptom.nearSynRetransmit !== undefined && d.nearSynRetransmit >= symptom.nearSynRetransmit
      ? [
          `${d.nearSynRetransmit} requests answered after about a SYN retransmit (the bug: at least ${symptom.nearSynRetransmit})`,
        ]
      : []),
  ];
}

function describeFinding(f: CheckResult): string {
  const where = [f.node, f.namespace, f.service].filter(Boolean).join(' / ');
  return `${f.check} on ${where}: expected ${f.expected}; seen ${f.seen}`;
}

/** Whether the step's action, convergence or reads failed, so that its checks saw nothing. */
function actionFailed(step: StepResult): boolean {
  return step.error !== undefined;
}

/**
 * Judges a run of the entry's scenario: REPRODUCED when a deciding step shows one of the bug's findings or its
 * traffic symptom; NOT REPRODUCED when every deciding step ran and showed neither; undecided when the scenario
 * stopped or a deciding step's action failed before anything could be seen.
 */
export function judgeReproduction(bug: KnownBug, summary: ScenarioSummary, dockerVersion: string): ReproVerdict {
  const { expected, because } = expectedOutcome(bug, dockerVersion);
  const deciding = summary.steps.filter((s) => bug.reproduce.step === undefined || s.index === bug.reproduce.step);
  const evidence: string[] = [];
  for (const step of deciding) {
    const found = [
      ...matchingFindings(bug, step).map(describeFinding),
      ...trafficSymptoms(bug.reproduce.traffic, step),
    ];
    if (found.length) evidence.push(`step ${step.index} (${step.did || step.name}):`, ...found.map((f) => `  ${f}`));
  }
  const ran = (index: number) => summary.steps.some((s) => s.index === index);
  const wanted = bug.reproduce.step ?? summary.steps.length;
  let outcome: ReproOutcome | undefined;
  if (evidence.length > 0) outcome = 'reproduced';
  else if (summary.error) evidence.push(`the scenario stopped: ${summary.error}`);
  else if (!ran(wanted)) evidence.push(`step ${wanted} never ran`);
  else if (deciding.some(actionFailed)) {
    for (const s of deciding.filter(actionFailed)) evidence.push(`step ${s.index} (${s.name}) failed: ${s.message}`);
  } else {
    outcome = 'not-reproduced';
    for (const s of deciding) {
      const others = s.findings.length
        ? `; other findings: ${[...new Set(s.findings.map((f) => f.check))].join(', ')}`
        : '';
      const traffic = s.disruption ? `; traffic: ${formatDisruption(s.disruption)}` : '';
      const none = `none of ${bug.reproduce.checks.join(', ') || 'the checks'}`;
      const symptom = bug.reproduce.traffic ? ' nor the traffic symptom' : '';
      evidence.push(`step ${s.index} (${s.did || s.name}): ${none}${symptom}${others}${traffic}`);
    }
  }
  return {
    bug: bug.id,
    dockerVersion,
    outcome,
    expected,
    expectedBecause: because,
    asExpected: outcome !== undefined && outcome === expected,
    evidence,
  };
}

export function outcomeWord(outcome: ReproOutcome | undefined): string {
  return outcome === undefined ? 'UNDECIDED' : outcome === 'reproduced' ? 'REPRODUCED' : 'NOT REPRODUCED';
}

export function formatVerdict(v: ReproVerdict): string {
  const said = outcomeWord(v.outcome);
  const expectation = v.asExpected
    ? `as expected: ${v.expectedBecause}`
    : v.expected === undefined
      ? `nothing expected: ${v.expectedBecause}`
      : `expected ${outcomeWord(v.expected)}: ${v.expectedBecause}`;
  return [`${said}: ${v.bug} on Docker ${v.dockerVersion} (${expectation})`, ...v.evidence.map((e) => `  ${e}`)].join(
    '\n',
  );
}
