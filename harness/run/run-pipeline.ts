import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectLogs } from '../inspect/collect-logs.js';
import { dockerVersions, evaluateDataplane, snapshotDataplane } from '../checks/dataplane.js';
import { knownBugNotes } from '../known-bugs/diagnose.js';
import { shippedKnownBugs } from '../known-bugs/load-known-bugs.js';
import { errorMessage } from '../core/errors.js';
import { cleanupOnInterrupt, sharedCleanup } from '../core/interrupt.js';
import type { Logger } from '../core/log.js';
import type { RunningEngine } from '../engine/engine.js';
import { startEngine, type EngineRequest } from '../engine/select-engine.js';
import { cancellationReason } from '../core/cancel.js';
import { EngineDiedError, explainFailure } from '../engine/engine-watch.js';
import { formatCheckResults } from '../report/console.js';
import { writeJunit } from '../report/junit.js';
import {
  failureReason,
  formatReachability,
  formatSpread,
  formatSpreadFromEveryNode,
  writeSpreadArtifacts,
} from '../report/spread-report.js';
import { clusterSnapshotRequest } from '../snapshot/ready-cluster.js';
import { deployLab, labClusterSpec, type Lab } from '../topology/lab.js';
import { loadTopology } from '../topology/load-topology.js';
import type { Topology } from '../topology/topology.js';
import type { Cluster } from '../cluster/cluster.js';
import { measureReachability } from '../traffic/reachability.js';
import { measureSpreadFrom, withClientOnEveryNode } from '../traffic/spread-everywhere.js';
import { spreadPlans, spreadTarget, type SpreadPlan } from '../traffic/spread-plan.js';
import { defaultSpreadRequest, measureSpread, type SpreadMeasurement } from '../traffic/spread.js';
import { familySelected, parseTestFilter, selected, type TestFilter } from '../checks/check-filter.js';
import { applyFilter, outcomeOfCheck, type Outcome } from '../report/outcome.js';

export interface RunOptions {
  topologyFile: string;
  engine: EngineRequest;
  nodeImage?: string;
  tests: string[];
  junitFile?: string;
  artifactsDir: string;
  keep: boolean;
  requests: number;
  /** all: the by-name spread tests from a client on every node, and the reachability table; one: from plan.from. */
  spreadFrom: 'all' | 'one';
}

export interface RunSummary {
  topology: string;
  outcomes: Outcome[];
  stageSeconds: Record<string, number>;
  passed: boolean;
}

/**
 * engine -> cluster -> deploy -> dataplane checks -> spread -> report, with the
 * time of each stage, logs collected on failure and everything removed at the
 * end (also on Ctrl-C) unless `keep`.
 */
export async function runPipeline(options: RunOptions, log: Logger): Promise<RunSummary> {
  // Validate every input before anything is created.
  const topology = await loadTopology(options.topologyFile);
  const filter: TestFilter = parseTestFilter(options.tests);
  const stageSeconds: Record<string, number> = {};
  const stage = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await log.step(`stage ${name}`, run);
    } finally {
      stageSeconds[name] = (Date.now() - started) / 1000;
    }
  };
  const outcomes: Outcome[] = [];
  let engine: RunningEngine | undefined;
  let lab: Lab | undefined;
  const cleanup = sharedCleanup(async () => {
    // A dead engine took the cluster with it; there is nothing left to remove.
    if (options.keep || cancellationReason() instanceof EngineDiedError) return;
    // A VM this run booted (or restored) is stopped again, and the cluster goes with it: removing it first would
    // cost 10 s for nothing. A cluster in an engine that was already running is removed, the engine left as found.
    if (engine?.bootedHere && engine.kind === 'vm') await engine.stop();
    else {
      await lab?.destroy();
      if (engine?.bootedHere) await engine.stop();
    }
  });
  const unregister = cleanupOnInterrupt(cleanup);
  try {
    const nodeImages = [options.nodeImage ?? topology.cluster.nodeImage];
    const snapshot = await clusterSnapshotRequest(labClusterSpec(topology, options));
    engine = await stage('engine', () => startEngine({ ...options.engine, nodeImages, snapshot }, log));
    const runningEngine = engine;
    lab = await stage('deploy', () =>
      deployLab(runningEngine, topology, options.nodeImage ? { nodeImage: options.nodeImage } : {}, log),
    );
    const deployed = lab;
    const dataplaneFamilies = (['lb', 'ingress', 'ipsec', 'dns'] as const).filter((f) => familySelected(filter, f));
    if (dataplaneFamilies.length === 0) log.info('dataplane: no check selected by --test, nothing read');
    else
      await stage('dataplane', async () => {
        const snapshot = await snapshotDataplane(deployed.cluster, { dns: dataplaneFamilies.includes('dns') });
        const results = evaluateDataplane(snapshot);
        const stageOutcomes = applyFilter(
          filter,
          results.map((r) => outcomeOfCheck('dataplane', r)),
        );
        outcomes.push(...stageOutcomes);
        const shown = results.filter((r) => selected(filter, r.check));
        const notes = knownBugNotes(await shippedKnownBugs(), shown, { dockerVersions: dockerVersions(snapshot) });
        process.stdout.write(`${formatCheckResults(shown)}\n${notes.map((n) => `${n}\n`).join('')}\n`);
      });
    await stage('spread', async () => {
      const plans = spreadPlans(topology).filter((plan) => {
        if (selected(filter, plan.check)) return true;
        const subject = `${plan.from} -> ${plan.service}`;
        outcomes.push({
          stage: 'spread',
          check: plan.check,
          subject,
          status: 'skip',
          message: 'not selected by --test',
        });
        return false;
      });
      // Through the mesh the entry node matters, not the client's: those stay one client's tests.
      const fromEveryNode = options.spreadFrom === 'all' ? plans.filter((p) => p.meshPort === undefined) : [];
      for (const plan of plans.filter((p) => !fromEveryNode.includes(p))) {
        const to = await spreadTarget(deployed.cluster, plan);
        const m = await measureSpread(
          deployed.cluster,
          defaultSpreadRequest(plan.from, to, options.requests, plan.service),
          log,
        );
        await writeSpreadArtifacts(m, options.artifactsDir, plan.check.replace(/\./g, '-'));
        process.stdout.write(`${formatSpread(m)}\n\n`);
        outcomes.push(spreadOutcome(plan.check, `${plan.from} -> ${to}`, m));
      }
      // Reachability covers the probe services (their answers name them); a topology of other images has none.
      const reachChecks = topology.services
        .filter((s) => s.image === undefined && s.replicas !== 0)
        .map((s) => `reach.${s.name}`)
        .filter((c) => selected(filter, c));
      if (options.spreadFrom === 'all' && (fromEveryNode.length > 0 || reachChecks.length > 0))
        outcomes.push(
          ...(await spreadFromEveryNode(deployed.cluster, topology, fromEveryNode, reachChecks, options, log)),
        );
    });
  } catch (thrown) {
    // A dead engine or Ctrl-C explains the failure better than the error it caused in the step that ran.
    const error = await explainFailure(thrown);
    outcomes.push({
      stage: 'harness',
      check: 'harness.run',
      subject: topology.name,
      status: 'fail',
      message: errorMessage(error),
    });
    log.error(errorMessage(error));
  } finally {
    const passed = outcomes.length > 0 && outcomes.every((o) => o.status !== 'fail');
    await writeReports(options, topology, outcomes, stageSeconds, passed, log);
    if (!passed && lab) {
      const failedLab = lab;
      await stage('logs', () => collectLogs(failedLab.cluster, join(options.artifactsDir, 'logs'), log)).catch(
        (e: unknown) => log.warn(`log collection failed: ${errorMessage(e)}`),
      );
    }
    await stage('teardown', cleanup).catch((e: unknown) =>
      log.warn(`teardown failed: ${errorMessage(e)} (run swarmlab down --all)`),
    );
    unregister();
  }
  const passed = outcomes.length > 0 && outcomes.every((o) => o.status !== 'fail');
  printStageTimes(stageSeconds);
  return { topology: topology.name, outcomes, stageSeconds, passed };
}

function spreadOutcome(check: string, path: string, m: SpreadMeasurement): Outcome {
  const p = `p = ${m.verdict.pValue.toPrecision(3)}`;
  return {
    stage: 'spread',
    check,
    subject: `${path} (${m.verdict.answered} answers over ${m.verdict.replicas.length} replicas, ${p})`,
    status: m.verdict.pass ? 'pass' : 'fail',
    message: m.verdict.pass ? p : failureReason(m),
  };
}

/**
 * A client on every node (see spread-everywhere.ts): the by-name spread tests from each, and the reachability table
 * (one outcome per service and path, over every node: reach.<service>).
 */
async function spreadFromEveryNode(
  cluster: Cluster,
  topology: Topology,
  plans: readonly SpreadPlan[],
  reachChecks: readonly string[],
  options: RunOptions,
  log: Logger,
): Promise<Outcome[]> {
  const services = topology.services.map((s) => s.name);
  return withClientOnEveryNode(cluster, services, log, async (everyNode) => {
    const outcomes: Outcome[] = [];
    for (const plan of plans) {
      const to = await spreadTarget(cluster, plan);
      const { from: _from, ...request } = defaultSpreadRequest(plan.from, to, options.requests, plan.service);
      const all = await measureSpreadFrom(cluster, everyNode, request, log);
      for (const { node, measurement, error, skipped } of all.perNode) {
        if (skipped !== undefined) {
          outcomes.push({
            stage: 'spread',
            check: plan.check,
            subject: `${node} -> ${to}`,
            status: 'skip',
            message: `no client task: ${skipped}`,
          });
        } else if (measurement) {
          await writeSpreadArtifacts(measurement, options.artifactsDir, `${plan.check.replace(/\./g, '-')}-${node}`);
          outcomes.push(spreadOutcome(plan.check, `${node} -> ${to}`, measurement));
        } else {
          outcomes.push({
            stage: 'spread',
            check: plan.check,
            subject: `${node} -> ${to}`,
            status: 'fail',
            message: error ?? '',
          });
        }
      }
      process.stdout.write(`${formatSpreadFromEveryNode(all)}\n\n`);
    }
    if (reachChecks.length === 0) return outcomes;
    const table = await measureReachability(cluster, everyNode.clients, log);
    process.stdout.write(`${formatReachability(table)}\n\n`);
    for (const c of table.cells.filter((cell) => reachChecks.includes(`reach.${cell.service}`)))
      outcomes.push({
        stage: 'spread',
        check: `reach.${c.service}`,
        subject: `${c.from} by ${c.via} (${c.target})`,
        status: c.answered === c.sent ? 'pass' : 'fail',
        message: `${c.answered}/${c.sent} answered${c.error ? `: ${c.error}` : ''}`,
      });
    return outcomes;
  });
}

async function writeReports(
  options: RunOptions,
  topology: Topology,
  outcomes: Outcome[],
  stageSeconds: Record<string, number>,
  passed: boolean,
  log: Logger,
): Promise<void> {
  await mkdir(options.artifactsDir, { recursive: true });
  await writeFile(
    join(options.artifactsDir, 'run.json'),
    `${JSON.stringify({ topology: topology.name, passed, stageSeconds, outcomes }, null, 2)}\n`,
  );
  const junitFile = options.junitFile ?? join(options.artifactsDir, 'junit.xml');
  await writeJunit(outcomes, junitFile);
  const count = (s: Outcome['status']) => outcomes.filter((o) => o.status === s).length;
  log.info(
    `${topology.name}: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped; ` +
      `JUnit ${junitFile}; artifacts ${options.artifactsDir}`,
  );
}

function printStageTimes(stageSeconds: Record<string, number>): void {
  const total = Object.values(stageSeconds).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `stage times: ${Object.entries(stageSeconds)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ')}; total ${total.toFixed(1)} s\n`,
  );
}
