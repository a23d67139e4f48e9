import { runDnsChecks } from '../../harness/checks/dns-checks.js';
import { parseResolveOutput, type DnsAnswer } from '../../harness/inspect/dns-view.js';
import { parseSwarmState } from '../../harness/inspect/swarm-state.js';
import { fixtureText } from '../fixtures/load.js';

// `probe resolve api tasks.api web tasks.web` from the web task of a live web-api,
// with the managers' state captured at the same moment (test/fixtures/README.md).
const captures = [
  { engine: 'Docker 20.10.24', dir: 'docker-20.10.24-dns' },
  { engine: 'Docker 28.5.2', dir: 'docker-28.5.2-web-api' },
];
const names = ['api', 'tasks.api', 'web', 'tasks.web'];

describe.each(captures)('DNS checks on a captured $engine web-api', ({ dir }) => {
  function answers(resolveOutput: string): { answers: DnsAnswer[]; swarm: ReturnType<typeof parseSwarmState> } {
    const swarm = parseSwarmState(fixtureText(dir, 'swarm-state.txt'));
    const backend = swarm.networks.find((n) => n.name === 'backend');
    if (!backend) throw new Error('fixture has no backend network');
    return {
      swarm,
      answers: parseResolveOutput(resolveOutput, names).map((a) => ({ ...a, network: backend.name, networkId: backend.id, client: 'web.1', clientNode: 'web-api-w1' })),
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
    const broken = text.replace(/\{"name":"tasks\.web".*\n?/, '{"name":"tasks.web","error":"Name does not resolve","addresses":[]}\n');
    const failed = runDnsChecks(answers(broken).answers, answers(broken).swarm).filter((r) => r.status === 'fail');
    expect(failed.map((r) => [r.check, r.seen])).toEqual([['dns.tasks-name', 'error: Name does not resolve']]);
  });
});
