import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { familySelected, parseTestFilter, selected } from '../checks/check-filter.js';
import type { CheckResult } from '../checks/check-result.js';
import { dockerVersions, evaluateDataplane, snapshotDataplane } from '../checks/dataplane.js';
import { diagnose } from '../known-bugs/diagnose.js';
import { shippedKnownBugs } from '../known-bugs/load-known-bugs.js';
import { cancellationReason } from '../core/cancel.js';
import { SwarmlabError, errorMessage } from '../core/errors.js';
import { deadline } from '../core/deadlines.js';
import { cleanupOnInterrupt, sharedCleanup } from '../core/interrupt.js';
import type { Logger } from '../core/log.js';
import { sleep } from '../core/wait.js';
import type { RunningEngine } from '../engine/engine.js';
import { type EngineRequest, startEngine } from '../engine/select-engine.js';
import { clusterSnapshotRequest } from '../snapshot/ready-cluster.js';
import { nodeDumpText } from '../inspect/node-dump.js';
import type { Outcome } from '../report/outcome.js';
import { writeJunit } from '../report/junit.js';
import { undeployTopology, waitForConvergence } from '../topology/deploy.js';
import { cleanCluster, sharedClusterSpec } from '../topology/reusable-cluster.js';
import { clusterProvider } from '../providers/select-cluster.js';
import { deployLab, type Lab } from '../topology/lab.js';
import { applyAction, runningNodes, type ScenarioState, targetNode } from './actions.js';
import type { DisruptionBounds, Scenario, ScenarioStep, StepTraffic } from './scenario.js';
import type { SwarmNode } from '../cluster/swarm-node.js';
import { describeCluster } from '../cluster/describe-cluster.js';
import { runningTaskContainers } from '../inspect/swarm-state.js';
import { type Disruption, formatDisruption, measureDisruption } from '../traffic/disruption.js';
import { type RunningTraffic, startBackgroundTraffic } from '../traffic/probe-client.js';
import type { ProbeRecord } from '../traffic/probe-records.js';

export interface ScenarioRunOptions {
  engine: EngineRequest;
  nodeImage?: string;
  keep: boolean;
  artifactsDir: string;
  junitFile?: string;
}

export interface StepResult {
  index: number;
  name: string;
  at: string;
  /** What the action did, naming the node or task it chose. */
  did: string;
  status: 'pass' | 'fail';
  /** Why it failed: the action's error, or what the checks saw against what was expected. */
  message: string;
  /** Set when the action, the Swarm's convergence or a read failed: the checks then saw nothing. */
  error?: string;
  seconds: { action: number; converge: number; settle: number };
  /** Per node read: seconds from the Swarm's convergence until it showed no unexpected finding; null: never. */
  nodeSettled: Record<string, number | null>;
  /** The findings of the last read. */
  findings: CheckResult[];
  /** What the step's traffic saw, when it had traffic. */
  disruption?: Disruption;
  /** Catalogue entries (known-bugs/) the unexpected findings look like. */
  looksLike?: string[];
}

export interface ScenarioSummary {
  scenario: string;
  /** The nodes' Docker version (as the first node reports it), once the cluster was up. */
  dockerVersion?: string;
  passed: boolean;
  steps: StepResult[];
  /** Why the scenario stopped before its last step (its cluster or deploy failed), when it did. */
  error?: string;
}

/** Whether a read's findings are what the step expects: none, or exactly the expected checks failing. */
function asExpected(step: ScenarioStep, findings: readonly CheckResult[]): boolean {
  const failing = [...new Set(findings.map((f) => f.check))].sort();
  return failing.join(' ') === [...step.expectFail].sort().join(' ');
}

/** Identifies one finding across reads: the same check on the same node, network and service. */
function findingKey(f: CheckResult): string {
  return [f.check, f.node, f.namespace, f.network, f.service].join('|');
}

function describeFindings(findings: readonly CheckResult[], since: ReadonlyMap<string, number>, limit = 6): string {
  const lines = findings.slice(0, limit).map((f) => {
    const from = since.get(findingKey(f));
    const when = from === undefined ? '' : `, seen since ${from.toFixed(0)} s after convergence`;
    return `${f.check} on ${f.node}${f.service ? ` (${f.service})` : ''}: expected ${f.expected}; seen ${f.seen}${when}`;
  });
  return [...lines, ...(findings.length > limit ? [`and ${findings.length - limit} more`] : [])].join('; ');
}

interface Settled {
  ok: boolean;
  /** Each read node's Docker version, from the last read. */
  dockerVersions: Record<string, string>;
  nodeSettled: Record<string, number | null>;
  findings: CheckResult[];
  /** Per finding (findingKey): seconds after convergence since when it has been seen. */
  since: Map<string, number>;
}

/**
 * After a step: polls every running node's checks (the selected ones) until
 * they are what the step expects or its settle time runs out, and notes when
 * each node first matched.
 */
async function settle(state: ScenarioState, step: ScenarioStep, log: Logger): Promise<Settled> {
  const filter = parseTestFilter(step.checks);
  const dns = familySelected(filter, 'dns');
  const started = Date.now();
  const nodeSettled: Record<string, number | null> = {};
  let findings: CheckResult[] = [];
  // When each finding was first seen in the run of reads that still shows it.
  let since = new Map<string, number>();
  for (;;) {
    const nodes = runningNodes(state);
    // A read takes seconds under emulation: what it saw is dated by when it began.
    const elapsed = (Date.now() - started) / 1000;
    const snapshot = await snapshotDataplane(state.cluster, { nodes, dns });
    const versions = dockerVersions(snapshot);
    const results = evaluateDataplane(snapshot).filter((r) => selected(filter, r.check));
    findings = results.filter((r) => r.status === 'fail');
    since = new Map(findings.map((f) => [findingKey(f), since.get(findingKey(f)) ?? elapsed]));
    // A node has settled once it shows no finding the step does not expect.
    for (const node of nodes) {
      const unexpected = findings.some((f) => f.node === node.hostname && !step.expectFail.includes(f.check));
      if (!(node.hostname in nodeSettled) && !unexpected) nodeSettled[node.hostname] = elapsed;
    }
    if (asExpected(step, findings)) return { ok: true, dockerVersions: versions, nodeSettled, findings, since };
    if ((Date.now() - started) / 1000 > step.settleSeconds) {
      for (const node of nodes) nodeSettled[node.hostname] ??= null;
      return { ok: false, dockerVersions: versions, nodeSettled, findings, since };
    }
    log.info(`step ${step.index}: ${findings.length} findings after ${elapsed.toFixed(0)} s; reading again`);
    await sleep(2000);
  }
}

async function dumpNodes(state: ScenarioState): Promise<Record<string, string>> {
  const nodes = runningNodes(state);
  const texts = await Promise.all(nodes.map((n) => nodeDumpText(n).catch((e: unknown) => `(${errorMessage(e)})`)));
  return Object.fromEntries(nodes.map((n, i) => [n.hostname, texts[i] ?? '']));
}

/** The step's traffic, from a task of its client service on a node the action leaves alone. */
async function startStepTraffic(
  state: ScenarioState,
  scenario: string,
  step: ScenarioStep,
  traffic: StepTraffic,
  target: SwarmNode | undefined,
): Promise<RunningTraffic> {
  const tasks = await runningTaskContainers(state.cluster, traffic.from);
  const from = tasks.find((t) => t.node !== target && !state.stopped.has(t.node));
  if (!from) {
    const where = target?.hostname ?? 'the stopped ones';
    throw new SwarmlabError(
      'scenario',
      `no task of ${traffic.from} runs on a node other than ${where} to send traffic from`,
    );
  }
  // Through the mesh, requests enter on another running node than the client's (and than the changed one).
  const entry = runningNodes(state).find((n) => n !== from.node && n !== target);
  if (traffic.published !== undefined && !entry) {
    throw new SwarmlabError('scenario', `no running node besides ${from.node.hostname} to enter the routing mesh on`);
  }
  const mesh = traffic.published !== undefined ? `${entry?.address}:${traffic.published}` : undefined;
  return startBackgroundTraffic(from, {
    target: mesh ?? `${traffic.to}:${traffic.port}`,
    timeoutMs: 2000,
    intervalMs: 50,
    maxDurationMs: 20 * 60_000,
    tag: `swarmlab-${scenario}-step-${step.index}`,
  });
}

/** Where the traffic broke a bound; empty when it kept within them. */
function disruptionBreaches(bounds: DisruptionBounds | undefined, d: Disruption): string[] {
  const gap = d.longestGapMs / 1000;
  return [
    ...(bounds?.failed !== undefined && d.failed > bounds.failed
      ? [`${d.failed} failed requests (at most ${bounds.failed})`]
      : []),
    ...(bounds?.gapSeconds !== undefined && gap > bounds.gapSeconds
      ? [`a gap of ${gap.toFixed(2)} s without an answer (at most ${bounds.gapSeconds} s)`]
      : []),
  ];
}

interface StepOutcome {
  ok: boolean;
  message: string;
  error?: string;
  looksLike?: string[];
  nodeSettled: Record<string, number | null>;
  findings: CheckResult[];
}

async function runStep(
  state: ScenarioState,
  scenario: string,
  step: ScenarioStep,
  artifactsDir: string,
  log: Logger,
): Promise<StepResult> {
  const before = await dumpNodes(state);
  const seconds = { action: 0, converge: 0, settle: 0 };
  const timed = async <T>(key: keyof typeof seconds, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      seconds[key] = (Date.now() - t0) / 1000;
    }
  };
  let did = '';
  let traffic: RunningTraffic | undefined;
  let records: ProbeRecord[] = [];
  let outcome: StepOutcome;
  try {
    const target = await targetNode(state, step.action);
    if (step.traffic) traffic = await startStepTraffic(state, scenario, step, step.traffic, target);
    did = await timed('action', () =>
      log.step(`step ${step.index}: ${step.name}`, () => applyAction(state, step.action, target)),
    );
    await timed('converge', () =>
      waitForConvergence(state.cluster, state.desired, deadline('converge'), runningNodes(state)),
    );
    const settled = await timed('settle', () => settle(state, step, log));
    const expected = step.expectFail.length ? `exactly ${step.expectFail.join(', ')} failing` : 'every check passing';
    const seen = describeFindings(settled.findings, settled.since) || 'no finding';
    const unexpected = settled.findings.filter((f) => !step.expectFail.includes(f.check));
    const looksLike = settled.ok
      ? []
      : diagnose(await shippedKnownBugs(), unexpected, {
          dockerVersions: settled.dockerVersions,
          after: step.action.kind,
        });
    outcome = {
      ...settled,
      ...(looksLike.length ? { looksLike } : {}),
      message: settled.ok
        ? `as expected (${expected})`
        : `expected ${expected} within ${step.settleSeconds} s of convergence; seen: ${seen}`,
    };
  } catch (error) {
    const message = `${did ? `after "${did}": ` : ''}${errorMessage(error)}`;
    outcome = { ok: false, message, error: message, nodeSettled: {}, findings: [] };
  } finally {
    const stopped = await traffic?.stop().catch((e: unknown) => {
      log.warn(`the traffic of step ${step.index}: ${errorMessage(e)}`);
      return [];
    });
    records = stopped ?? [];
  }
  const disruption = step.traffic ? measureDisruption(records) : undefined;
  const breaches = disruption ? disruptionBreaches(step.disruption, disruption) : [];
  const result: StepResult = {
    index: step.index,
    name: step.name,
    at: step.at,
    seconds,
    did,
    status: outcome.ok && breaches.length === 0 ? 'pass' : 'fail',
    message: [outcome.message, ...breaches.map((b) => `traffic: ${b}`)].join('; '),
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.looksLike ? { looksLike: outcome.looksLike } : {}),
    nodeSettled: outcome.nodeSettled,
    findings: outcome.findings,
    ...(disruption ? { disruption } : {}),
  };
  if (records.length > 0) await saveTraffic(artifactsDir, step.index, records);
  if (result.status === 'fail') await saveStepArtifacts(state, result, before, artifactsDir);
  return result;
}

/** The step's traffic, a probe record per line: the evidence behind its disruption figures. */
async function saveTraffic(artifactsDir: string, index: number, records: readonly ProbeRecord[]): Promise<void> {
  const dir = join(artifactsDir, `step-${index}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'traffic.jsonl'), `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
}

/** A failed step's evidence: every node's dump before and after, and the findings. */
async function saveStepArtifacts(
  state: ScenarioState,
  result: StepResult,
  before: Record<string, string>,
  artifactsDir: string,
): Promise<void> {
  const dir = join(artifactsDir, `step-${result.index}`);
  const after = await dumpNodes(state);
  for (const [when, dumps] of [
    ['before', before],
    ['after', after],
  ] as const) {
    await mkdir(join(dir, when), { recursive: true });
    for (const [node, text] of Object.entries(dumps)) await writeFile(join(dir, when, `${node}.node-dump.txt`), text);
  }
  await writeFile(join(dir, 'step.json'), `${JSON.stringify(result, null, 2)}\n`);
}

export function formatStep(r: StepResult, total: number): string {
  const nodes = Object.entries(r.nodeSettled)
    .map(([node, s]) => `${node} ${s === null ? 'never' : `${s.toFixed(1)} s`}`)
    .join(', ');
  const s = r.seconds;
  return [
    `step ${r.index}/${total} ${r.name}: ${r.status.toUpperCase()} (${r.did || 'action failed'})`,
    `  action ${s.action.toFixed(1)} s, Swarm converged ${s.converge.toFixed(1)} s, checks ${s.settle.toFixed(1)} s` +
      (nodes ? `; each node as expected after: ${nodes}` : ''),
    ...(r.disruption ? [`  traffic: ${formatDisruption(r.disruption)}`] : []),
    ...(r.status === 'fail' ? [`  ${r.at}: ${r.message}`] : []),
    ...(r.looksLike ?? []).map((l) => `  known bug: ${l}`),
  ].join('\n');
}

/** A deployed topology before any step: nothing changed, nothing stopped. */
export function scenarioState(lab: Lab): ScenarioState {
  return {
    cluster: lab.cluster,
    desired: lab.topology,
    deployed: lab.topology,
    probeRef: lab.probeRef,
    stopped: new Set(),
  };
}

/** One step on a deployed cluster, printed as it ends; the e2e suites run steps one by one through this. */
export async function runScenarioStep(
  state: ScenarioState,
  scenario: Scenario,
  step: ScenarioStep,
  artifactsDir: string,
  log: Logger,
): Promise<StepResult> {
  const result = await runStep(state, scenario.name, step, artifactsDir, log);
  process.stdout.write(`${formatStep(result, scenario.steps.length)}\n`);
  return result;
}

/**
 * engine -> for each scenario: a clean cluster of its topology's shape -> deploy -> the steps one by one (action,
 * Swarm convergence, checks until as expected) -> its topology removed. Scenarios of one shape share the cluster
 * when the one before left it clean (see cleanCluster), which saves its bring-up each time. Steps go on after a
 * failed one, and scenarios after a failed scenario; each step is a JUnit testcase in a testsuite per scenario.
 * Everything is removed at the end (also on Ctrl-C) unless `keep`.
 */
export async function runScenarios(
  scenarios: readonly Scenario[],
  options: ScenarioRunOptions,
  log: Logger,
): Promise<ScenarioSummary[]> {
  let engine: RunningEngine | undefined;
  const clusters = new Set<string>();
  const cleanup = sharedCleanup(async () => {
    if (options.keep) return;
    if (engine) {
      const provider = clusterProvider(engine);
      for (const name of clusters) await provider.remove(log, name);
    }
    if (engine?.bootedHere) await engine.stop();
  });
  const unregister = cleanupOnInterrupt(cleanup);
  const summaries: ScenarioSummary[] = [];
  try {
    const nodeImageOf = (s: Scenario) => options.nodeImage ?? s.topology.cluster.nodeImage;
    const nodeImages = [...new Set(scenarios.map(nodeImageOf))];
    const first = scenarios[0];
    // The first scenario's cluster comes from a snapshot when one is saved (the others reuse or rebuild it).
    const snapshot = first
      ? await clusterSnapshotRequest(sharedClusterSpec('scn', first.topology.cluster, nodeImageOf(first)))
      : undefined;
    engine = await startEngine({ ...options.engine, nodeImages, ...(snapshot ? { snapshot } : {}) }, log);
    for (const scenario of scenarios) {
      const artifactsDir = join(options.artifactsDir, scenario.name);
      const steps: StepResult[] = [];
      let error: string | undefined;
      let dockerVersion: string | undefined;
      try {
        const spec = sharedClusterSpec('scn', scenario.topology.cluster, nodeImageOf(scenario));
        clusters.add(spec.name);
        const cluster = await cleanCluster(engine, spec, log);
        const lab = await deployLab(engine, scenario.topology, { existingCluster: cluster.name }, log);
        const state = scenarioState(lab);
        dockerVersion = (await describeCluster(lab.cluster)).nodes[0]?.dockerVersion;
        for (const step of scenario.steps) steps.push(await runScenarioStep(state, scenario, step, artifactsDir, log));
        // Removed here, not at the end: the next scenario may take the cluster only when nothing of this one is left.
        await undeployTopology(lab.cluster, lab.topology, log);
      } catch (e) {
        if (cancellationReason()) throw e;
        error = errorMessage(e);
        log.error(`scenario ${scenario.name} stopped: ${error}`);
      }
      const passed = error === undefined && steps.every((s) => s.status === 'pass');
      const summary: ScenarioSummary = {
        scenario: scenario.name,
        ...(dockerVersion ? { dockerVersion } : {}),
        passed,
        steps,
        ...(error ? { error } : {}),
      };
      await mkdir(artifactsDir, { recursive: true });
      await writeFile(join(artifactsDir, 'scenario.json'), `${JSON.stringify(summary, null, 2)}\n`);
      summaries.push(summary);
    }
  } finally {
    await cleanup().catch((e: unknown) => log.warn(`clean-up failed: ${errorMessage(e)} (run swarmlab down --all)`));
    unregister();
  }
  await writeJunit(
    summaries.flatMap(scenarioOutcomes),
    options.junitFile ?? join(options.artifactsDir, 'junit.xml'),
    'swarmlab.scenario',
  );
  return summaries;
}

/** A scenario's steps as report lines: a JUnit testcase per step, a row per step in the matrix. */
export function scenarioOutcomes(summary: ScenarioSummary): Outcome[] {
  const steps = summary.steps.map(
    (s): Outcome => ({
      stage: summary.scenario,
      check: `${summary.scenario} ${s.index}: ${s.name}`,
      subject: s.did || s.name,
      status: s.status,
      message: [s.message, ...(s.looksLike ?? []).map((l) => `known bug: ${l}`)].join('\n'),
    }),
  );
  return summary.error === undefined
    ? steps
    : [
        ...steps,
        {
          stage: summary.scenario,
          check: summary.scenario,
          subject: 'set-up',
          status: 'fail',
          message: summary.error,
        },
      ];
}
