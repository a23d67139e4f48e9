import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotDataplane } from '../harness/checks/dataplane.js';
import { withLbFault } from '../harness/faults/lb-faults.js';
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
  const lab = labPerSuite('topologies/web-api.yaml', 'e2e-scn', log);
  let state: ScenarioState;
  let artifacts: string;

  beforeAll(async () => {
    state = scenarioState(lab().cluster, lab().topology);
    artifacts = await mkdtemp(join(tmpdir(), 'swarmlab-scenario-'));
  });

  async function runAll(scenario: Scenario): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (const step of scenario.steps) results.push(await runScenarioStep(state, scenario, step, artifacts, log));
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

  it('restart-daemon and stop-node: every running node consistent after each', async () => {
    const restart = await runAll(await loadScenario('scenarios/restart-daemon.yaml'));
    const stop = await runAll(await loadScenario('scenarios/stop-node.yaml'));
    expect(verdicts([...restart, ...stop])).toEqual(
      [...restart, ...stop].map((r) => [r.name, 'pass', expect.any(String)]),
    );
  }, 900_000);

  it('a fault written into a node between two steps fails the second step, which names it', async () => {
    const scenario = await parseScenario(
      'name: fault-between\ntopology: ../topologies/web-api.yaml\nsteps:\n' +
        '  - name: settle first\n    action: wait\n    seconds: 1\n' +
        '  - name: still consistent\n    action: wait\n    seconds: 1\n    settle: 20s\n',
      'scenarios/fault-between.yaml',
    );
    const [first, second] = scenario.steps;
    if (!first || !second) throw new Error('two steps expected');
    expect((await runScenarioStep(state, scenario, first, artifacts, log)).status).toBe('pass');
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
      runScenarioStep(state, scenario, second, artifacts, log),
    );
    expect(result.status).toBe('fail');
    expect(result.name).toBe('still consistent');
    expect(result.at).toBe('scenarios/fault-between.yaml:7');
    expect(result.findings.map((f) => [f.check, f.node, f.service])).toEqual([['lb.backends', node.hostname, 'api']]);
    expect(result.message).toMatch(/expected every check passing within 20 s of convergence; seen: lb\.backends on/);
  }, 300_000);
});
