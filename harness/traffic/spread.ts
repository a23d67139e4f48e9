import type { Cluster } from '../cluster/cluster.js';
import { SwarmlabError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { buildNodeModel } from '../inspect/lb-model.js';
import { dumpNode } from '../inspect/node-dump.js';
import { isRunningTask, readSwarmState, taskContainersOf, taskName, type SwarmState } from '../inspect/swarm-state.js';
import type { TaskContainer } from '../cluster/task-container.js';
import { runProbeClient, type ProbeRequestOptions } from './probe-client.js';
import { probePort } from '../images/probe-image.js';
import { clientRate, type ProbeRecord } from './probe-records.js';
import { defaultSpreadOptions, judgeSpread, type SpreadOptions, type SpreadVerdict } from './spread-statistics.js';

export interface SpreadRequest {
  /** Service whose first running task sends the traffic (its network namespace is the client's). */
  from: string;
  /** The task of `from` that sends it (a task id), when not its first. */
  clientTask?: string;
  /** A service name (VIP), tasks.<name>, a dnsrr service name, or an address; an optional :port. */
  to: string;
  /**
   * The service `to` reaches, when `to` is an address that names none, such as
   * a node's published port in the routing mesh.
   */
  service?: string;
  requests: number;
  concurrency: number;
  keepalive: boolean;
  timeoutMs: number;
  statistics: SpreadOptions;
  /**
   * What the spread is judged against: `equal` shares (Swarm programs every
   * task with weight 1, so this is its intent, and a skewed weight is a fault
   * the test must catch) or the `ipvs` weights programmed on the client's node
   * (to test IPVS itself, whatever the weights are).
   */
  expect: 'equal' | 'ipvs';
}

/**
 * A spread test as swarmlab runs it unless told otherwise: fresh connections,
 * 4 in flight, 5 s per request, judged against equal shares at the default alpha.
 */
export function defaultSpreadRequest(from: string, to: string, requests: number, service?: string): SpreadRequest {
  return {
    from,
    to,
    ...(service ? { service } : {}),
    requests,
    concurrency: 4,
    keepalive: false,
    timeoutMs: 5000,
    statistics: defaultSpreadOptions,
    expect: 'equal',
  };
}

export interface SpreadMeasurement {
  request: SpreadRequest;
  clientTask: string;
  clientNode: string;
  /** Where the expected shares came from. */
  weightsFrom: string;
  expected: Record<string, number>;
  verdict: SpreadVerdict;
  records: ProbeRecord[];
  /** Wall time of the traffic step, docker exec of the client included. */
  durationMs: number;
  /** What the client itself sustained, first request start to last request end (see clientRate). */
  requestsPerSecond: number;
}

function targetService(to: string): string {
  return to.replace(/:\d+$/, '').replace(/^tasks\./, '');
}

/**
 * The share each replica should get: equal, or, when asked and the traffic
 * goes through a VIP, the IPVS weights programmed in the client node's
 * load-balancer namespace, read at the moment of the test.
 */
async function expectedShares(
  swarm: SwarmState,
  client: TaskContainer,
  service: string,
  fromIpvs: boolean,
): Promise<{ weights: Map<string, number>; from: string }> {
  // The managers' state, already read, names the running tasks: no exec into the nodes for that.
  const target = swarm.services.find((s) => s.name === service);
  const tasks = target ? swarm.tasks.filter((t) => t.serviceId === target.id && isRunningTask(t)) : [];
  if (!target || tasks.length === 0)
    throw new SwarmlabError('spread', `service ${service} has no running task to send traffic to`);
  const equal = new Map(tasks.map((t) => [taskName(target, t), 1]));
  if (!fromIpvs) return { weights: equal, from: 'equal shares over the running tasks' };
  const model = buildNodeModel(await dumpNode(client.node), swarm);
  for (const network of model.networks) {
    const view = network.services.find((s) => s.service === service && s.vip);
    const ipvs = network.locations[0]?.ipvs.find((s) => s.protocol === 'FWM' && s.fwmark === view?.fwmark);
    if (!view || !ipvs) continue;
    const taskByIp = new Map(view.expected.map((b) => [b.ip, b.task]));
    const weights = new Map<string, number>([...equal.keys()].map((k) => [k, 0]));
    // Only weighted schedulers use the weights; rr (Swarm's) treats every weight above 0 alike.
    const weighted = /^w/.test(ipvs.scheduler);
    for (const real of ipvs.reals) {
      const task = taskByIp.get(real.address);
      if (task) weights.set(task, weighted ? real.weight : real.weight > 0 ? 1 : 0);
    }
    return { weights, from: `IPVS weights in ${network.locations[0]?.namespace} on ${client.node.hostname}` };
  }
  return { weights: equal, from: 'equal shares (no IPVS service found on the client node)' };
}

export async function measureSpread(cluster: Cluster, request: SpreadRequest, log: Logger): Promise<SpreadMeasurement> {
  // One read of the managers' state gives both the client task and the target's expected replicas.
  const swarm = await readSwarmState(cluster);
  const tasks = taskContainersOf(cluster, swarm, request.from);
  const client = request.clientTask ? tasks.find((t) => t.taskId === request.clientTask) : tasks[0];
  if (!client) {
    const which = request.clientTask ? `task ${request.clientTask} of ${request.from} is not running` : undefined;
    throw new SwarmlabError('spread', which ?? `service ${request.from} has no running task to send traffic from`);
  }
  const byAddress = /^\d+\.\d+\.\d+\.\d+/.test(request.to);
  const address = request.to.replace(/:\d+$/, '');
  const service =
    request.service ??
    (byAddress
      ? (swarm.services.find((s) => s.vips.some((v) => v.address === address))?.name ?? address)
      : targetService(request.to));
  const endpointMode = swarm.services.find((s) => s.name === service)?.endpointMode;
  const viaVip = !request.to.startsWith('tasks.') && endpointMode !== 'dnsrr';
  const { weights, from } = await expectedShares(swarm, client, service, viaVip && request.expect === 'ipvs');
  const options: ProbeRequestOptions = {
    target: request.to.includes(':') ? request.to : `${request.to}:${probePort}`,
    requests: request.requests,
    concurrency: request.concurrency,
    timeoutMs: request.timeoutMs,
    keepalive: request.keepalive,
    // Through DNS every request must look the name up again, or it all goes to one address.
    resolveEach: !viaVip && !byAddress,
    // Three rounds of failures with no answer: the target is dead, not unlucky.
    giveUpAfter: Math.max(12, request.concurrency * 3),
  };
  const started = Date.now();
  const records = await log.step(
    `${request.requests} requests from ${client.taskName} (${client.node.hostname}) to ${request.to}`,
    () => runProbeClient(client, options),
  );
  const durationMs = Date.now() - started;
  return {
    request,
    clientTask: client.taskName,
    clientNode: client.node.hostname,
    weightsFrom: from,
    expected: Object.fromEntries(weights),
    verdict: judgeSpread(records, weights, request.statistics),
    records,
    durationMs,
    requestsPerSecond: clientRate(records),
  };
}
