import { createLogger } from '../harness/core/log.js';
import { loadTopology } from '../harness/topology/load-topology.js';
import { deployLab, type Lab } from '../harness/topology/lab.js';
import { runningTaskContainers } from '../harness/topology/tasks.js';
import { defaultProbeRequest, runProbeClient } from '../harness/traffic/probe-client.js';
import { sharedEngine } from './shared-engine.js';

const log = createLogger('e2e/deploy');

describe('web-api deployed on the embedded engine', () => {
  let lab: Lab | undefined;

  beforeAll(async () => {
    const engine = await sharedEngine(log);
    const started = Date.now();
    lab = await deployLab(engine, await loadTopology('topologies/web-api.yaml'), { clusterName: 'e2e-deploy' }, log);
    log.info(`cluster up and web-api converged in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 15 * 60_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 120_000);

  it('runs one web and two api tasks, spread over the nodes', async () => {
    if (!lab) throw new Error('lab not deployed');
    expect(await runningTaskContainers(lab.cluster, 'web')).toHaveLength(1);
    expect(await runningTaskContainers(lab.cluster, 'api')).toHaveLength(2);
  }, 60_000);

  it('every api replica answers the probe client in web, reached by the service name', async () => {
    if (!lab) throw new Error('lab not deployed');
    const [web] = await runningTaskContainers(lab.cluster, 'web');
    if (!web) throw new Error('no web task');
    const api = await runningTaskContainers(lab.cluster, 'api');
    const records = await runProbeClient(web, { ...defaultProbeRequest, target: 'api', requests: 40 });
    expect(records).toHaveLength(40);
    expect(records.filter((r) => !r.ok)).toEqual([]);
    // The probe reports {{.Task.Name}} (api.1.<task id>); service ps names the task api.1.
    const answered = new Set(records.map((r) => r.reply?.task.split('.').slice(0, 2).join('.')));
    expect([...answered].sort()).toEqual(api.map((t) => t.taskName).sort());
    // Every answer came through one address: the VIP, not a task IP.
    expect(new Set(records.map((r) => r.to)).size).toBe(1);
  }, 120_000);
});
