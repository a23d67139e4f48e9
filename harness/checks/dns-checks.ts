import type { DnsAnswer } from '../inspect/dns-view.js';
import { isRunningTask, type SwarmState } from '../inspect/swarm-state.js';
import type { CheckDefinition, CheckResult } from './check-result.js';

export const dnsChecks: readonly CheckDefinition[] = [
  { id: 'dns.service-name', description: "from a client task, a vip-mode service name resolves to the service's VIP alone; a dnsrr name to exactly its running task IPs" },
  { id: 'dns.tasks-name', description: "tasks.<name> resolves to exactly the service's running task IPs" },
];

const sorted = (values: Iterable<string>): string => [...values].sort().join(', ') || 'nothing';

export function runDnsChecks(answers: readonly DnsAnswer[], swarm: SwarmState): CheckResult[] {
  return answers.flatMap((answer): CheckResult[] => {
    const tasksName = answer.name.startsWith('tasks.');
    const serviceName = tasksName ? answer.name.slice('tasks.'.length) : answer.name;
    const service = swarm.services.find((s) => s.name === serviceName);
    if (!service) return [];
    const taskIps = swarm.tasks
      .filter((t) => t.serviceId === service.id && isRunningTask(t))
      .flatMap((t) => t.addresses.filter((a) => a.networkId === answer.networkId).map((a) => a.address));
    const vip = service.vips.find((v) => v.networkId === answer.networkId)?.address;
    const expected = !tasksName && service.endpointMode === 'vip' ? (vip ? [vip] : []) : taskIps;
    const ok = !answer.error && sorted(answer.addresses) === sorted(expected) && answer.addresses.length === expected.length;
    return [
      {
        check: tasksName ? 'dns.tasks-name' : 'dns.service-name',
        status: ok ? 'pass' : 'fail',
        node: answer.clientNode,
        namespace: answer.client,
        network: answer.network,
        service: answer.name,
        expected: `${answer.name} -> ${sorted(expected)}${!tasksName && service.endpointMode === 'vip' ? ' (the VIP alone)' : ''}`,
        seen: answer.error ? `error: ${answer.error}` : sorted(answer.addresses),
      },
    ];
  });
}
