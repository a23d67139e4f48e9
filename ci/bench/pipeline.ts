// Benchmarks of the pipeline on a warm cache, on the embedded VM engine:
//   npm run bench:cluster  time from up to all nodes Ready, 1+2 and 3+2
//   npm run bench:probe    side-load of the probe image, and probe client requests/s through a VIP
//   npm run bench:check    `check` on a 3-node web-api, repeated (and its false findings)
//   npm run bench:spread   600 requests through the VIP measured and judged, repeated (and false alarms)
//   npm run bench:spread-all  the same from a client on every node (its start, each round, the reachability table)
//   npm run bench:scenario scenario steps (scale api 3 -> 2 -> 3, drain and activate a worker), repeated: the
//                          step's wall time, and its action, Swarm convergence and checks on every node apart
// Add --node-image=bookworm (Docker 20.10.24) or sid (28.5.2) to measure other nodes (default trixie, 26.1.5).
// Each prints a table: the engine, the machine, the node image and the numbers.
import { cpus } from 'node:os';
import { execa } from 'execa';
import { bringUpCluster } from '../../harness/cluster/bring-up.js';
import { dockerIn } from '../../harness/cluster/swarm-node.js';
import { clusterProvider } from '../../harness/providers/select-cluster.js';
import { evaluateDataplane, snapshotDataplane } from '../../harness/checks/dataplane.js';
import { createLogger } from '../../harness/core/log.js';
import { dockerClient } from '../../harness/engine/engine-facts.js';
import { startEngine } from '../../harness/engine/select-engine.js';
import { defaultNodeSuite, defaultVmSuite } from '../../harness/images/debian-suites.js';
import { sideLoadImage } from '../../harness/cluster/side-load.js';
import { deployLab } from '../../harness/topology/lab.js';
import { loadTopology } from '../../harness/topology/load-topology.js';
import { runningTaskContainers } from '../../harness/inspect/swarm-state.js';
import { runProbeClient } from '../../harness/traffic/probe-client.js';
import { parseScenario } from '../../harness/scenario/load-scenario.js';
import { runScenarioStep, scenarioState } from '../../harness/scenario/run-scenario.js';
import { clientRate } from '../../harness/traffic/probe-records.js';
import { probeImage } from '../../harness/images/probe-image.js';
import { defaultSpreadRequest, measureSpread } from '../../harness/traffic/spread.js';
import { measureReachability } from '../../harness/traffic/reachability.js';
import { measureSpreadFrom, withClientOnEveryNode } from '../../harness/traffic/spread-everywhere.js';
import { defaultSpreadOptions } from '../../harness/traffic/spread-statistics.js';

const what = process.argv[2] ?? 'check';
const repeat = Number(process.argv.find((a) => a.startsWith('--repeat='))?.slice(9) ?? 20);
const nodeImage = process.argv.find((a) => a.startsWith('--node-image='))?.slice(13) ?? defaultNodeSuite;
const log = createLogger(`bench/${what}`);
const engine = await startEngine({ choice: 'vm', name: 'bench', suite: defaultVmSuite, nodeImages: [nodeImage] }, log);
const docker = dockerClient(engine.dockerHost);
const provider = clusterProvider(engine);
const facts = await engine.facts();
const rows: [string, string][] = [
  ['engine', `${facts.kind}: Docker ${facts.dockerVersion}, kernel ${facts.kernel}`],
  ['machine', `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`],
  ['node image', nodeImage],
];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

try {
  if (what === 'cluster') {
    for (const [managers, workers] of [
      [1, 2],
      [3, 2],
    ] as const) {
      const name = `bench-${managers}-${workers}`;
      const started = Date.now();
      await bringUpCluster({ name, managers, workers, nodeImage }, provider, log);
      rows.push([`${managers}+${workers} up to all Ready`, seconds(Date.now() - started)]);
      await provider.remove(log, name);
    }
  } else {
    const topology = await loadTopology('topologies/web-api.yaml');
    const threeApis = {
      ...topology,
      services: topology.services.map((s) => (s.name === 'api' ? { ...s, replicas: 3 } : s)),
    };
    const started = Date.now();
    const lab = await deployLab(engine, threeApis, { clusterName: 'bench-lab', nodeImage }, log);
    rows.push(['cluster up + web-api (api x3) converged', seconds(Date.now() - started)]);
    try {
      if (what === 'probe') {
        const probe = await probeImage(log);
        await Promise.all(lab.cluster.nodes.map((n) => dockerIn(n, ['image', 'rm', '-f', probe.ref]).catch(() => '')));
        const loadStarted = Date.now();
        await sideLoadImage(docker, lab.cluster.nodes, probe.ref, log);
        rows.push(['side-load probe into 3 nodes', seconds(Date.now() - loadStarted)]);
        const [web] = await runningTaskContainers(lab.cluster, 'web');
        if (!web) throw new Error('no web task');
        for (const concurrency of [1, 4, 16]) {
          const t0 = Date.now();
          const records = await runProbeClient(web, {
            target: 'api:80',
            requests: 1000,
            concurrency,
            timeoutMs: 5000,
            keepalive: false,
            resolveEach: false,
            giveUpAfter: 12,
          });
          const wall = records.length / ((Date.now() - t0) / 1000);
          rows.push([
            `1000 fresh-connection requests, concurrency ${concurrency}`,
            `${clientRate(records).toFixed(0)} req/s by the client, ${wall.toFixed(0)} req/s with its exec start ` +
              `(${records.filter((r) => !r.ok).length} errors)`,
          ]);
        }
      } else if (what === 'check') {
        const times: number[] = [];
        let falseFindings = 0;
        for (let i = 0; i < repeat; i++) {
          const t0 = Date.now();
          falseFindings += evaluateDataplane(await snapshotDataplane(lab.cluster)).filter(
            (r) => r.status === 'fail',
          ).length;
          times.push(Date.now() - t0);
        }
        times.sort((a, b) => a - b);
        rows.push([
          `check, ${repeat} runs`,
          `median ${seconds(times[Math.floor(times.length / 2)] ?? 0)}, max ${seconds(times[times.length - 1] ?? 0)}`,
        ]);
        rows.push(['false findings on a healthy cluster', String(falseFindings)]);
        // What a user waits for: the CLI as a new process (start-up, engine attach, read, report).
        const cliTimes: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t0 = Date.now();
          await execa('node', [
            'bin/swarmlab.js',
            'check',
            '--cluster',
            lab.cluster.name,
            '--engine',
            'vm',
            '--engine-name',
            'bench',
          ]);
          cliTimes.push(Date.now() - t0);
        }
        rows.push(['`swarmlab check` as a command, 3 runs', cliTimes.map(seconds).join(', ')]);
      } else if (what === 'scenario') {
        const scenario = await parseScenario(
          [
            'name: bench',
            'topology: ../topologies/web-api.yaml',
            'steps:',
            '  - { action: scale, service: api, replicas: 2 }',
            '  - { action: scale, service: api, replicas: 3 }',
            '  - { action: drain, node: w2 }',
            '  - { action: activate, node: w2 }',
          ].join('\n'),
          'scenarios/bench.yaml',
        );
        const state = scenarioState(lab);
        const byStep = new Map<string, number[][]>();
        for (let i = 0; i < repeat; i++) {
          for (const step of scenario.steps) {
            const t0 = Date.now();
            const result = await runScenarioStep(state, scenario, step, 'artifacts/bench-scenario', log);
            if (result.status !== 'pass') throw new Error(`bench step ${step.name} failed: ${result.message}`);
            const s = result.seconds;
            const runs = byStep.get(step.name) ?? [];
            runs.push([(Date.now() - t0) / 1000, s.action, s.converge, s.settle]);
            byStep.set(step.name, runs);
          }
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
        for (const [name, runs] of byStep) {
          const col = (k: number) => median(runs.map((r) => r[k] ?? 0)).toFixed(1);
          rows.push([
            `step "${name}", median of ${runs.length}`,
            `${col(0)} s (action ${col(1)}, converge ${col(2)}, checks ${col(3)}); max ${Math.max(...runs.map((r) => r[0] ?? 0)).toFixed(1)} s`,
          ]);
        }
      } else if (what === 'spread') {
        let failures = 0;
        const times: number[] = [];
        for (let i = 0; i < repeat; i++) {
          const t0 = Date.now();
          const m = await measureSpread(lab.cluster, defaultSpreadRequest('web', 'api', 600), log);
          times.push(Date.now() - t0);
          if (!m.verdict.pass) failures++;
          if (i === 0) rows.push(['probe client rate (600 requests)', `${m.requestsPerSecond.toFixed(0)} req/s`]);
        }
        times.sort((a, b) => a - b);
        rows.push([
          `600 requests measured and judged, ${repeat} runs`,
          `median ${seconds(times[Math.floor(times.length / 2)] ?? 0)}`,
        ]);
        rows.push([`failures at alpha ${defaultSpreadOptions.alpha} on a healthy cluster`, `${failures} of ${repeat}`]);
      } else if (what === 'spread-all') {
        const { from: _from, ...toApi } = defaultSpreadRequest('web', 'api', 600);
        const t0 = Date.now();
        await withClientOnEveryNode(lab.cluster, ['web', 'api'], log, async (everyNode) => {
          const { clients } = everyNode;
          rows.push(['a client task on every node started', seconds(Date.now() - t0)]);
          const times: number[] = [];
          let failedNodes = 0;
          for (let i = 0; i < repeat; i++) {
            const t1 = Date.now();
            const all = await measureSpreadFrom(lab.cluster, everyNode, toApi, log);
            times.push(Date.now() - t1);
            failedNodes += all.perNode.filter((n) => n.measurement?.verdict.pass !== true).length;
          }
          times.sort((a, b) => a - b);
          rows.push([
            `600 requests from each of ${clients.length} nodes, ${repeat} runs`,
            `median ${seconds(times[Math.floor(times.length / 2)] ?? 0)}, max ${seconds(times[times.length - 1] ?? 0)}`,
          ]);
          rows.push(['nodes failing on a healthy cluster', `${failedNodes} of ${repeat * clients.length}`]);
          const t2 = Date.now();
          const table = await measureReachability(lab.cluster, clients, log);
          rows.push([
            `reachability table (${table.cells.length} cells)`,
            `${seconds(Date.now() - t2)}, ${table.cells.filter((c) => c.answered < c.sent).length} failing`,
          ]);
        });
        rows.push(['spread --from all as a whole (start, spread, table, removal)', seconds(Date.now() - t0)]);
      }
    } finally {
      await lab.destroy();
    }
  }
} finally {
  await engine.stop();
}
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(46)} ${v}\n`);
