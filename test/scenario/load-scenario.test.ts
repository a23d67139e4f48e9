import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../harness/core/errors.js';
import { loadScenario, loadScenarios, parseScenario } from '../../harness/scenario/load-scenario.js';

const root = new URL('../../', import.meta.url).pathname;
// Scenarios given as text are read as if they sat in scenarios/, so their topology paths resolve the same way.
const file = join(root, 'scenarios', 'test.yaml');

const header = 'name: t\ntopology: ../topologies/web-api.yaml\nsteps:\n';

async function mistake(steps: string, head = header): Promise<string> {
  const error = await parseScenario(`${head}${steps}`, file).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message.replace(`${root}scenarios/`, '');
}

describe('scenario files', () => {
  it('loads every shipped scenario', async () => {
    const files = (await readdir(join(root, 'scenarios'))).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) {
      const scenario = await loadScenario(join(root, 'scenarios', f));
      expect(scenario.steps.length).toBeGreaterThan(0);
      expect(['web-api', 'ingress', 'multi-network']).toContain(scenario.topology.name);
    }
  });

  it('names each step by its action when the file does not, and reads every field', async () => {
    const scenario = await parseScenario(
      `${header}  - action: drain\n    node: { taskOf: api }\n    checks: ['!dns']\n    settle: 2m\n` +
        '  - action: activate\n    node: previous\n' +
        '  - action: update\n    service: api\n    endpointMode: dnsrr\n    expect: { fail: [dns.service-name] }\n' +
        '    traffic: { from: web, to: api }\n    disruption: { failed: 0, gap: 1500ms }\n',
      file,
    );
    expect(
      scenario.steps.map((s) => [s.name, s.at.replace(/^.*\//, ''), s.checks, s.expectFail, s.settleSeconds]),
    ).toEqual([
      ['drain the node running a task of api', 'test.yaml:4', ['!dns'], [], 120],
      ['activate the same node', 'test.yaml:8', [], [], 120],
      ['update api (endpoint mode dnsrr)', 'test.yaml:10', [], ['dns.service-name'], 120],
    ]);
    expect(scenario.steps[2]).toMatchObject({
      traffic: { from: 'web', to: 'api', port: 80 },
      disruption: { failed: 0, gapSeconds: 1.5 },
    });
  });

  it.each([
    [
      'an unknown action',
      '  - action: reboot\n',
      'test.yaml:4: steps[0].action: expected one of scale, update, remove, create, drain',
    ],
    ['a step without action', '  - name: x\n', 'test.yaml:4: steps[0].action: expected one of scale'],
    [
      'a field the action does not take',
      '  - action: wait\n    seconds: 3\n    node: w1\n',
      'steps[0].node: expected one of the fields name, action, checks, expect, settle, traffic, disruption, seconds',
    ],
    [
      'a service the topology lacks',
      '  - action: scale\n    service: db\n    replicas: 2\n',
      'test.yaml:5: steps[0].service: expected a service of',
    ],
    [
      'replicas out of range',
      '  - action: scale\n    service: api\n    replicas: 99\n',
      'steps[0].replicas: expected an integer from 0 to 50, got 99',
    ],
    [
      'a node outside the cluster',
      '  - action: drain\n    node: w7\n',
      'steps[0].node: expected a node id (m1, w1, w2), previous, or { taskOf: SERVICE }, got "w7"',
    ],
    ['previous with no node before', '  - action: drain\n    node: previous\n', 'no step before step 1 works on one'],
    [
      'an update that changes nothing',
      '  - action: update\n    service: api\n',
      'steps[0]: expected an update with endpointMode, env, publish, unpublish, networks or force: true',
    ],
    [
      'an unknown check id in expect',
      '  - action: kill\n    service: api\n    expect: { fail: [lb.nonsense] }\n',
      'steps[0].expect.fail[0]: expected a check id',
    ],
    [
      'a bad settle time',
      '  - action: kill\n    service: api\n    settle: soon\n',
      'steps[0].settle: expected a duration such as 500ms, 90s or 3m, got "soon"',
    ],
    [
      'a check pattern that is no regular expression',
      '  - action: kill\n    service: api\n    checks: ["lb.("]\n',
      'steps[0].checks[0]: expected a regular expression',
    ],
    [
      'traffic from a service that is no probe',
      '  - action: kill\n    service: api\n    traffic: { from: nginx, to: api }\n',
      'steps[0].traffic.from: expected a probe service of the topology (web, api), got "nginx"',
    ],
    [
      'traffic through a port the service does not publish',
      '  - action: kill\n    service: api\n    traffic: { from: web, to: api, published: 8080 }\n',
      'steps[0].traffic.published: expected a port api publishes through the routing mesh (none), got 8080',
    ],
    [
      'a netem without delay or loss',
      '  - action: netem\n    node: w1\n    seconds: 5\n',
      'steps[0]: expected netem with a delay, a loss or both',
    ],
    [
      'an update whose networks list none',
      '  - action: update\n    service: api\n    networks: { add: [] }\n',
      'steps[0]: expected an update with endpointMode, env, publish, unpublish, networks or force: true',
    ],
    [
      'an update joining a network the topology does not have',
      '  - action: update\n    service: api\n    networks: { add: [front] }\n',
      'steps[0].networks.add[0]: expected a network of',
    ],
    [
      'a published port without a target',
      '  - action: update\n    service: api\n    publish: [{ published: 8081 }]\n',
      'steps[0].publish[0].target: expected',
    ],
    [
      'a create of a service that is there',
      '  - action: create\n    service: api\n',
      'steps[0].service: expected a service an earlier step removed (create brings it back), got "api"',
    ],
    [
      'a step on a service an earlier step removed',
      '  - action: remove\n    service: api\n  - action: scale\n    service: api\n    replicas: 3\n',
      'steps[1].service: expected a service that exists at this step (web; api was removed), got "api"',
    ],
    [
      'traffic to a removed service',
      '  - action: remove\n    service: api\n  - action: wait\n    seconds: 1\n    traffic: { from: web, to: api }\n',
      'steps[1].traffic.to: expected a service that exists at this step (web; api was removed), got "api"',
    ],
    [
      'disruption bounds without traffic',
      '  - action: kill\n    service: api\n    disruption: { failed: 0 }\n',
      'steps[0].disruption: expected disruption bounds on a step with traffic',
    ],
  ])('refuses %s, naming file, line and field', async (_, steps, message) => {
    expect(await mistake(steps)).toContain(message);
  });

  it('refuses a missing topology file and a bad name', async () => {
    expect(await mistake('  - action: wait\n    seconds: 1\n', 'name: t\ntopology: nowhere.yaml\nsteps:\n')).toContain(
      'nowhere.yaml: (file): expected a readable topology file, got "ENOENT"',
    );
    expect(
      await mistake(
        '  - action: wait\n    seconds: 1\n',
        'name: Big_Name\ntopology: ../topologies/web-api.yaml\nsteps:\n',
      ),
    ).toContain('name: expected up to 24 lower-case letters');
  });

  it('loads several files for one run and refuses two of one name, which would share an artifacts folder', async () => {
    const drain = join(root, 'scenarios', 'drain.yaml');
    const scale = join(root, 'scenarios', 'scale.yaml');
    expect((await loadScenarios([drain, scale])).map((s) => s.name)).toEqual(['drain', 'scale']);
    const error = await loadScenarios([drain, scale, drain]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain(`${drain}: name: expected a name no other scenario of this run has (${drain})`);
  });

  it('reads remove, create and an update of ports and networks', async () => {
    const scenario = await parseScenario(
      'name: t\ntopology: ../topologies/multi-network.yaml\nsteps:\n' +
        '  - action: update\n    service: api\n    publish: [{ target: 80, published: 8081 }]\n' +
        '    unpublish: [8080]\n    networks: { remove: [front] }\n' +
        '  - action: remove\n    service: api\n' +
        '  - action: create\n    service: api\n',
      file,
    );
    expect(scenario.steps.map((s) => [s.name, s.action])).toEqual([
      [
        'update api (publish 8081, unpublish 8080, leave front)',
        {
          kind: 'update',
          service: 'api',
          env: {},
          force: false,
          publish: [{ target: 80, published: 8081, protocol: 'tcp', mode: 'ingress' }],
          unpublish: [8080],
          networksAdd: [],
          networksRemove: ['front'],
        },
      ],
      ['remove api', { kind: 'remove', service: 'api' }],
      ['create api', { kind: 'create', service: 'api' }],
    ]);
  });
});
