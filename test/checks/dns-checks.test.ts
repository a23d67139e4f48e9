import { runDnsChecks } from '../../harness/checks/dns-checks.js';
import { parseResolveOutput, type DnsAnswer } from '../../harness/inspect/dns-view.js';
import { parseSwarmState } from '../../harness/inspect/swarm-state.js';
import { fixtureText } from '../fixtures/load.js';

// `probe resolve api tasks.api web tasks.web` from the web task of a live web-api,
// with the managers' state captured at the same moment (test/fixtures/README.md).
const captures = [
  { engine: 'Docker 20.10.24', dir: 'docker-20.10.24-dns' },
  { engine: 'Docker 28.5.2', dir: 'docker-28.5.2-web-api' },
  { engine: 'Docker 26.1.5 (manager) with 20.10.24 workers', dir: 'docker-26.1.5-mixed-web-api' },
  { engine: 'Docker 20.10.5', dir: 'docker-20.10.5-web-api' },
  { engine: 'Docker 26.1.5', dir: 'docker-26.1.5-rejected-task' },
];
const names = ['api', 'tasks.api', 'web', 'tasks.web'];

describe.each(captures)('DNS checks on a captured $engine web-api', ({ dir }) => {
  function answers(resolveOutput: string): { answers: DnsAnswer[]; swarm: ReturnType<typeof parseSwarmState> } {
    const swarm = parseSwarmState(fixtureText(dir, 'swarm-state.txt'));
    const backend = swarm.networks.find((n) => n.name === 'backend');
    if (!backend) throw new Error('fixture has no backend network');
    return {
      swarm,
      answers: parseResolveOutput(resolveOutput, names).map((a) => ({
        ...a,
        network: backend.name,
        networkId: backend.id,
        clientNetworkIds: [backend.id],
        client: 'web.1',
        clientNode: 'web-api-w1',
      })),
    };
  }

  const text = fixtureText(dir, 'web-resolve.txt');

  it('pass: a vip name gives the VIP alone, tasks.<name> the running task IPs', () => {
    const { answers: a, swarm } = answers(text);
    const results = runDnsChecks(a, swarm);
    expect(results.map((r) => [r.check, r.service, r.status])).toEqual([
      ['dns.service-name', 'api', 'pass'],
      ['dns.tasks-name', 'tasks.api', 'pass'],
      ['dns.service-name', 'web', 'pass'],
      ['dns.tasks-name', 'tasks.web', 'pass'],
    ]);
    expect(a.find((x) => x.name === 'tasks.api')?.addresses).toHaveLength(2);
  });

  it('fail when a vip name answers with task addresses too', () => {
    const apiTasks = parseResolveOutput(text, ['tasks.api'])[0]?.addresses ?? [];
    const broken = text.replace(/("name":"api","addresses":\[)/, `$1${apiTasks.map((ip) => `"${ip}",`).join('')}`);
    const failed = runDnsChecks(answers(broken).answers, answers(broken).swarm).filter((r) => r.status === 'fail');
    expect(failed.map((r) => [r.check, r.service])).toEqual([['dns.service-name', 'api']]);
  });

  it('fail with the resolver error when a name does not resolve', () => {
    const broken = text.replace(
      /\{"name":"tasks\.web".*\n?/,
      '{"name":"tasks.web","error":"Name does not resolve","addresses":[]}\n',
    );
    const failed = runDnsChecks(answers(broken).answers, answers(broken).swarm).filter((r) => r.status === 'fail');
    expect(failed.map((r) => [r.check, r.seen])).toEqual([['dns.tasks-name', 'error: Name does not resolve']]);
  });
});

// From the api task of multi-network (Docker 20.10.24): api is on front and on
// back, and the embedded DNS answered `api` with the back VIP. A check judging
// the front network from this client must accept either network's answer.
describe('DNS checks from a client on two networks', () => {
  const dir = 'docker-20.10.24-multi-network';
  const swarm = parseSwarmState(fixtureText(dir, 'swarm-state.txt'));
  const id = (name: string) => swarm.networks.find((n) => n.name === name)?.id ?? '';
  const frontNames = ['api', 'tasks.api', 'web', 'tasks.web'];
  const judge = (resolveOutput: string, clientNetworkIds: string[]) =>
    runDnsChecks(
      parseResolveOutput(resolveOutput, frontNames).map((a) => ({
        ...a,
        network: 'front',
        networkId: id('front'),
        clientNetworkIds,
        client: 'api.1',
        clientNode: 'web-api-w2',
      })),
      swarm,
    );
  const text = fixtureText(dir, 'api-resolve.txt');

  it('passes when the answer is the VIP or tasks of another network the client shares with the service', () => {
    const results = judge(text, [id('front'), id('back')]);
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(results.find((r) => r.service === 'api')?.expected).toBe(
      'api -> 10.0.1.5 (the VIP alone), or 10.0.2.5 on back (the client is on it too)',
    );
  });

  it('fails on the same answer when the client is on front alone', () => {
    const failed = judge(text, [id('front')]).filter((r) => r.status === 'fail');
    expect(failed.map((r) => [r.check, r.service, r.seen])).toEqual([
      ['dns.service-name', 'api', '10.0.2.5'],
      ['dns.tasks-name', 'tasks.api', '10.0.2.10, 10.0.2.6'],
    ]);
  });
});

// Swarm's DNS holds a service's names only while one of its tasks runs: after
// api was scaled to 0 (Docker 26.1.5), api and tasks.api did not resolve.
describe('DNS checks on a service without a running task', () => {
  const dir = 'docker-26.1.5-scaled-to-zero';
  const swarm = parseSwarmState(fixtureText(dir, 'swarm-state.txt'));
  const backend = swarm.networks.find((n) => n.name === 'backend')?.id ?? '';
  const judge = (resolveOutput: string) =>
    runDnsChecks(
      parseResolveOutput(resolveOutput, names).map((a) => ({
        ...a,
        network: 'backend',
        networkId: backend,
        clientNetworkIds: [backend],
        client: 'web.1',
        clientNode: 'web-api-w1',
      })),
      swarm,
    );
  const text = fixtureText(dir, 'web-resolve.txt');

  it('passes when its names do not resolve', () => {
    const results = judge(text);
    expect(results.map((r) => [r.service, r.status, r.expected, r.seen])).toEqual([
      ['api', 'pass', 'api -> nothing', 'error: Name does not resolve'],
      ['tasks.api', 'pass', 'tasks.api -> nothing', 'error: Name does not resolve'],
      ['web', 'pass', 'web -> 10.0.1.2 (the VIP alone)', '10.0.1.2'],
      ['tasks.web', 'pass', 'tasks.web -> 10.0.1.3', '10.0.1.3'],
    ]);
  });

  it('fails when its VIP still resolves, or the resolver fails otherwise', () => {
    const stale = text.replace(/\{"name":"api",.*\n/, '{"name":"api","addresses":["10.0.1.5"]}\n');
    expect(
      judge(stale)
        .filter((r) => r.status === 'fail')
        .map((r) => [r.service, r.seen]),
    ).toEqual([['api', '10.0.1.5']]);
    const timeout = text.replace(
      /\{"name":"tasks\.api",.*\n/,
      '{"name":"tasks.api","error":"Name could not be resolved at this time","addresses":[]}\n',
    );
    expect(
      judge(timeout)
        .filter((r) => r.status === 'fail')
        .map((r) => r.service),
    ).toEqual(['tasks.api']);
  });
});
