import type { DnsAnswer } from '../inspect/dns-view.js';
import { runningTaskIps, type SwarmService, type SwarmState } from '../inspect/swarm-state.js';
import type { CheckResult } from './check-result.js';

const sorted = (values: Iterable<string>): string => [...values].sort().join(', ') || 'nothing';

/** The probe's error for a name the DNS server does not know (it is linked with musl: gai_strerror(EAI_NONAME)). */
const noSuchName = 'Name does not resolve';

/**
 * What the name should resolve to on one network: the VIP alone (vip mode),
 * else the running task IPs there. Swarm's DNS holds a service's names only
 * while a task of it runs on the network, so without one: nothing.
 */
function expectedOn(swarm: SwarmState, service: SwarmService, networkId: string, tasksName: boolean): string[] {
  const taskIps = runningTaskIps(swarm, service.id, networkId);
  if (!tasksName && service.endpointMode === 'vip' && taskIps.length > 0) {
    const vip = service.vips.find((v) => v.networkId === networkId)?.address;
    return vip ? [vip] : [];
  }
  return taskIps;
}

export function runDnsChecks(answers: readonly DnsAnswer[], swarm: SwarmState): CheckResult[] {
  return answers.flatMap((answer): CheckResult[] => {
    const tasksName = answer.name.startsWith('tasks.');
    const serviceName = tasksName ? answer.name.slice('tasks.'.length) : answer.name;
    const service = swarm.services.find((s) => s.name === serviceName);
    if (!service) return [];
    // The answered network first, then the client's other networks where the service has an answer: the resolver may answer from any.
    const networkIds = [answer.networkId, ...answer.clientNetworkIds.filter((id) => id !== answer.networkId)];
    const candidates = networkIds
      .map((id) => ({
        network: swarm.networks.find((n) => n.id === id)?.name ?? id,
        expected: expectedOn(swarm, service, id, tasksName),
      }))
      .filter((c, i) => i === 0 || c.expected.length > 0);
    // "No such name" is the answer when nothing is expected; any other resolver error is a failure.
    const addresses = answer.error === noSuchName ? [] : answer.error ? undefined : answer.addresses;
    const match =
      addresses &&
      candidates.find((c) => sorted(c.expected) === sorted(addresses) && addresses.length === c.expected.length);
    const [first, ...others] = candidates;
    const alone = !tasksName && service.endpointMode === 'vip' && first?.expected.length ? ' (the VIP alone)' : '';
    const alsoOn = (o: { expected: readonly string[]; network: string }) =>
      `, or ${sorted(o.expected)} on ${o.network} (the client is on it too)`;
    return [
      {
        check: tasksName ? 'dns.tasks-name' : 'dns.service-name',
        status: match ? 'pass' : 'fail',
        node: answer.clientNode,
        namespace: answer.client,
        network: answer.network,
        service: answer.name,
        expected: `${answer.name} -> ${sorted(first?.expected ?? [])}${alone}${others.map(alsoOn).join('')}`,
        seen: answer.error ? `error: ${answer.error}` : sorted(answer.addresses),
      },
    ];
  });
}
