import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotDataplane } from '../harness/checks/dataplane.js';
import { Cluster } from '../harness/cluster/cluster.js';
import { describeCluster } from '../harness/cluster/describe-cluster.js';
import { runIn, type SwarmNode } from '../harness/cluster/swarm-node.js';
import { withLbFault } from '../harness/faults/lb-faults.js';
import { findKnownBug, loadKnownBugs } from '../harness/known-bugs/load-known-bugs.js';
import { formatVerdict, judgeReproduction } from '../harness/known-bugs/repro-verdict.js';
import type { ScenarioState } from '../harness/scenario/actions.js';
import { loadScenario, parseScenario } from '../harness/scenario/load-scenario.js';
import { runScenarioStep, scenarioState, type StepResult } from '../harness/scenario/run-scenario.js';
import type { Scenario } from '../harness/scenario/scenario.js';
import { suiteLogger, suiteNodeImage } from './shared-engine.js';
import { labPerSuite } from './suite-lab.js';

// Shipped scenarios, step by step, on one live web-api (the steps of one file build on each other, and each
// file leaves the cluster as it found it): a drain under traffic, a rolling update under traffic with no failed
// request allowed, a daemon restart, a stopped node; and a fault written into a node between two steps.
const log = suiteLogger('scenario');

describe(`scenarios on web-api (node image ${suiteNodeImage})`, () => {
  const lab = labPerSuite('topologies/web-api.yaml', log);
  let state: ScenarioState;
  let artifacts: string;

  beforeAll(async () => {
    state = scenarioState(lab());
    artifacts = await mkdtemp(join(tmpdir(), 'swarmlab-scenario-'));
  });

  async function runAll(scenario: Scenario): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (const step of scenario.steps)
      results.push(await runScenarioStep(state, scenario, step, join(artifacts, scenario.name), log));
    return results;
  }

  const verdicts = (results: readonly StepResult[]) => results.map((r) => [r.name, r.status, r.message]);

  it('drain: the drained node leaves every pool, traffic goes on, and the node comes back', async () => {
    const results = await runAll(await loadScenario('scenarios/drain.yaml'));
    expect(verdicts(results)).toEqual(results.map((r) => [r.name, 'pass', expect.any(String)]));
    expect(results[0]?.disruption?.requests).toBeGreaterThan(0);
  }, 600_000);

  it('rolling update under traffic: every task replaced, no request lost', async () => {
    const scenario = await loadScenario('scenarios/rolling-update.yaml');
    const results = await runAll({ ...scenario, steps: scenario.steps.slice(0, 1) });
    log.info(`rolling update: ${JSON.stringify(results[0]?.disruption)}`);
    expect(verdicts(results)).toEqual([[results[0]?.name, 'pass', expect.any(String)]]);
  }, 600_000);

  it('scale: api to 0, when no node keeps state for it, and back to 2', async () => {
    const scenario = await loadScenario('scenarios/scale.yaml');
    const [toZero, back] = scenario.steps.slice(1);
    if (!toZero || !back) throw new Error('scale.yaml has the steps 5, 0, 2');
    const results = [await runScenarioStep(state, scenario, toZero, join(artifacts, scenario.name), log)];
    const views = (await snapshotDataplane(state.cluster, { dns: false })).models.flatMap((m) =>
      m.networks.flatMap((n) => n.services.filter((v) => v.service === 'api')),
    );
    expect(views.filter((v) => v.fwmark !== undefined)).toEqual([]);
    results.push(await runScenarioStep(state, scenario, back, join(artifacts, scenario.name), log));
    expect(verdicts(results)).toEqual(results.map((r) => [r.name, 'pass', expect.any(String)]));
  }, 600_000);

  it('restart-daemon: a new dockerd on the node of an api task, the node itself untouched, every node consistent', async () => {
    const scenario = await loadScenario('scenarios/restart-daemon.yaml');
    const dockerdPid = (n: SwarmNode) => runIn(n, ['cat', '/var/run/docker.pid']);
    // PID 1 (the entry point) keeps its start time unless the whole node restarted.
    const initStart = (n: SwarmNode) => runIn(n, ['cut', '-d', ' ', '-f', '22', '/proc/1/stat']);
    const before = await Promise.all(state.cluster.nodes.map(async (n) => [await dockerdPid(n), await initStart(n)]));
    const results = await runAll(scenario);
    expect(verdicts(results)).toEqual([[results[0]?.name, 'pass', expect.any(String)]]);
    const node = state.lastNode;
    if (!node) throw new Error('the step chose no node');
    const [pidBefore, initBefore] = before[state.cluster.nodes.indexOf(node)] ?? [];
    expect(await dockerdPid(node)).not.toBe(pidBefore);
    expect(await initStart(node)).toBe(initBefore);
    expect(await node.logs()).toMatch(/swarmlab: dockerd exited \(\d+\) for a restart/);
  }, 600_000);

  it('stop-node: a stopped node does not answer, the others stay consistent, and it comes back at its address', async () => {
    const scenario = await loadScenario('scenarios/stop-node.yaml');
    const [stop, wait, start] = scenario.steps;
    if (!stop || !wait || !start) throw new Error('stop-node.yaml has three steps');
    const w2 = state.cluster.node('w2');
    const results = [await runScenarioStep(state, scenario, stop, join(artifacts, scenario.name), log)];
    await expect(w2.exec(['true'])).rejects.toThrow(/does not answer/);
    results.push(await runScenarioStep(state, scenario, wait, join(artifacts, scenario.name), log));
    results.push(await runScenarioStep(state, scenario, start, join(artifacts, scenario.name), log));
    expect(verdicts(results)).toEqual(results.map((r) => [r.name, 'pass', expect.any(String)]));
    expect((await Cluster.attach(state.cluster.provider, state.cluster.name)).node('w2').address).toBe(w2.address);
  }, 900_000);

  it('a fault written into a node between two steps fails the second step, which names it', async () => {
    const scenario = await parseScenario(
      'name: fault-between\ntopology: ../topologies/web-api.yaml\nsteps:\n' +
        '  - name: settle first\n    action: wait\n    seconds: 1\n' +
        '  - name: still consistent\n    action: wait\n    seconds: 1\n    settle: 10s\n',
      'scenarios/fault-between.yaml',
    );
    const [first, second] = scenario.steps;
    if (!first || !second) throw new Error('two steps expected');
    expect((await runScenarioStep(state, scenario, first, join(artifacts, scenario.name), log)).status).toBe('pass');
    // An address that is no task of api, written into api's pool on one node, stays for the second step.
    const model = (await snapshotDataplane(state.cluster, { dns: false })).models.find((m) =>
      m.networks.some((n) => n.network === 'backend' && n.locations.length > 0),
    );
    const backend = model?.networks.find((n) => n.network === 'backend');
    const api = backend?.services.find((s) => s.service === 'api');
    const namespace = backend?.locations[0]?.namespace;
    const node = state.cluster.nodes.find((n) => n.hostname === model?.node);
    if (!node || !api?.fwmark || !namespace) throw new Error('no node holds lb state for api');
    const fault = { kind: 'extra-real-server', fwmark: api.fwmark, ip: '10.0.1.250' } as const;
    const result = await withLbFault(node, namespace, fault, log, () =>
      runScenarioStep(state, scenario, second, join(artifacts, scenario.name), log),
    );
    expect(result.status).toBe('fail');
    expect(result.name).toBe('still consistent');
    expect(result.at).toBe('scenarios/fault-between.yaml:7');
    expect(result.findings.map((f) => [f.check, f.node, f.service])).toEqual([['lb.backends', node.hostname, 'api']]);
    expect(result.message).toMatch(
      /expected every check passing within 10 s of convergence; seen: lb\.backends on .*seen since 0 s after convergence/,
    );
  }, 300_000);

  // Last: moby#36988 leaves api's VIP state broken on some nodes, which only removing the topology clears.
  it('known bugs: moby#35082 (the IPVS sysctls) does not reproduce here, moby#36988 (dnsrr -> vip) does, and its finding names it', async () => {
    const bugs = await loadKnownBugs();
    const dockerVersion = (await describeCluster(state.cluster)).nodes[0]?.dockerVersion ?? 'unknown';
    const reproduce = async (id: string) => {
      const bug = findKnownBug(bugs, id);
      const steps = await runAll(bug.reproduce.scenario);
      const summary = { scenario: bug.reproduce.scenario.name, dockerVersion, passed: false, steps };
      const verdict = judgeReproduction(bug, summary, dockerVersion);
      log.info(formatVerdict(verdict));
      return { steps, verdict };
    };
    const sysctls = await reproduce('moby#35082');
    expect([sysctls.verdict.outcome, sysctls.verdict.asExpected]).toEqual(['not-reproduced', true]);
    expect(sysctls.steps[0]?.disruption?.requests).toBeGreaterThan(0);
    const switched = await reproduce('moby#36988');
    expect([switched.verdict.outcome, switched.verdict.asExpected]).toEqual(['reproduced', true]);
    expect(switched.verdict.evidence[0]).toMatch(/^step 2 /);
    expect(switched.steps[1]?.looksLike).toEqual([expect.stringMatching(/ looks like moby#36988, /)]);
  }, 900_000);
});
