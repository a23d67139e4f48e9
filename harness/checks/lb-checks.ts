import { atLeast } from '../core/docker-version.js';
import type { KernelLbState, NetworkLbView, NodeLbModel, ServiceLbView } from '../inspect/lb-model.js';
import type { CheckResult, CheckSubject } from './check-result.js';
import { checkLocalAddresses } from './local-address-checks.js';
import { checkIpvsAttributes, checkMarkPath, checkSnat } from './lb-path-checks.js';

function result(check: string, subject: CheckSubject, ok: boolean, expected: string, seen: string): CheckResult {
  return { check, status: ok ? 'pass' : 'fail', ...subject, expected, seen };
}

const list = (values: Iterable<string>): string => {
  const sorted = [...values].sort();
  return sorted.length ? sorted.join(', ') : 'none';
};

/** The chain MARK rules for VIPs live in: INPUT in lb_ namespaces, OUTPUT in containers' own (older engines). */
function vipChain(location: KernelLbState): string {
  return location.kind === 'sandbox' ? 'OUTPUT' : 'INPUT';
}

function checkServiceAt(
  model: NodeLbModel,
  network: NetworkLbView,
  location: KernelLbState,
  view: ServiceLbView,
): CheckResult[] {
  const subject: CheckSubject = {
    node: model.node,
    namespace: location.namespace,
    network: network.network,
    service: view.service,
  };
  const results: CheckResult[] = [];
  if (view.endpointMode !== 'vip' || !view.vip) return results;
  const known = view.fwmark !== undefined && view.fwmark > 0;
  const rules = location.markRules.filter(
    (r) => r.table === 'mangle' && r.chain === vipChain(location) && r.destination === view.vip,
  );
  const ruleText = rules.map((r) => `mark ${r.mark} (${r.text})`).join('; ') || 'no rule';
  // Nodes learn a service from its tasks' endpoints and forget it with the last
  // one: a service none of whose tasks runs on the network must have no state here.
  // A node that still knows it is checked in full (stale backends are a finding).
  const taskless = view.expected.length === 0 && view.leaving.length === 0;
  if (taskless && !known) {
    const none = `none of its tasks runs on ${view.network}`;
    results.push(
      result(
        'lb.fwmark-known',
        subject,
        true,
        `no state for ${view.service}: ${none}`,
        'service absent from network inspect --verbose',
      ),
    );
    results.push(
      result('lb.mark-rule', subject, rules.length === 0, `no MARK rule for ${view.vip}: ${none}`, ruleText),
    );
    return results;
  }
  results.push(
    result(
      'lb.fwmark-known',
      subject,
      known,
      `service ${view.service} with a LocalLBIndex in the node's network view`,
      known ? `fwmark ${view.fwmark}` : 'service missing from network inspect --verbose',
    ),
  );
  if (!known) return results;
  const mark = view.fwmark as number;
  results.push(
    result(
      'lb.mark-rule',
      subject,
      rules.length === 1 && rules[0]?.mark === mark,
      `one ${vipChain(location)} MARK rule for ${view.vip} setting mark ${mark}`,
      ruleText,
    ),
  );
  if (rules.some((r) => r.mark === mark)) results.push(checkMarkPath(subject, location, view.vip, mark));
  const ipvs = location.ipvs.find((s) => s.protocol === 'FWM' && s.fwmark === mark);
  results.push(
    result(
      'lb.ipvs-service',
      subject,
      ipvs !== undefined,
      `IPVS FWM service ${mark}`,
      ipvs
        ? `FWM ${mark} ${ipvs.scheduler} with ${ipvs.reals.length} real servers`
        : `no FWM ${mark} (FWM services: ${list(location.ipvs.filter((s) => s.protocol === 'FWM').map((s) => String(s.fwmark)))})`,
    ),
  );
  if (!ipvs) return results;
  results.push(checkIpvsAttributes('lb.ipvs-attributes', subject, ipvs));
  const active = new Set(ipvs.reals.filter((r) => r.weight > 0).map((r) => r.address));
  const expected = new Set(view.expected.map((b) => b.ip));
  const missing = [...expected].filter((ip) => !active.has(ip));
  const stale = [...active].filter((ip) => !expected.has(ip));
  const seen =
    missing.length || stale.length ? `missing ${list(missing)}; stale ${list(stale)}` : `weight>0: ${list(active)}`;
  results.push(
    result(
      'lb.backends',
      subject,
      missing.length === 0 && stale.length === 0,
      `weight>0 real servers = running tasks ${list(view.expected.map((b) => `${b.ip} (${b.task})`))}`,
      seen,
    ),
  );
  const leaving = new Set(view.leaving.map((b) => b.ip));
  const zero = ipvs.reals.filter((r) => r.weight === 0).map((r) => r.address);
  const strayZero = zero.filter((ip) => !leaving.has(ip));
  results.push(
    result(
      'lb.draining',
      subject,
      strayZero.length === 0,
      `weight 0 only for tasks shutting down (${list(leaving)})`,
      zero.length ? `weight 0: ${list(zero)}; not shutting down: ${list(strayZero)}` : 'no weight-0 real servers',
    ),
  );
  return results;
}

/** The VIPs of the network whose IPVS service this node must hold: those of the services it knows (lb.fwmark-known). */
export function ipvsVips(network: NetworkLbView): string[] {
  return network.services
    .filter((s) => s.endpointMode === 'vip' && s.fwmark !== undefined && s.fwmark > 0)
    .flatMap((s) => (s.vip ? [s.vip] : []));
}

function checkLocation(model: NodeLbModel, network: NetworkLbView, location: KernelLbState): CheckResult[] {
  const subject: CheckSubject = { node: model.node, namespace: location.namespace, network: network.network };
  const results = network.services.flatMap((view) => checkServiceAt(model, network, location, view));
  // An IP in two pools means one service's traffic can reach another's task.
  const owners = new Map<string, number[]>();
  for (const service of location.ipvs.filter((s) => s.protocol === 'FWM')) {
    for (const real of service.reals)
      owners.set(real.address, [...(owners.get(real.address) ?? []), service.fwmark ?? 0]);
  }
  const shared = [...owners]
    .filter(([, marks]) => marks.length > 1)
    .map(([ip, marks]) => `${ip} in FWM ${marks.sort((a, b) => a - b).join(' and ')}`);
  results.push(
    result(
      'lb.pool-overlap',
      subject,
      shared.length === 0,
      'each real server in one pool',
      shared.length ? shared.join('; ') : 'no shared real servers',
    ),
  );
  if (!network.ingress) {
    const vips = new Set(network.services.map((s) => s.vip).filter((v): v is string => Boolean(v)));
    const unknown = location.markRules.filter(
      (r) => r.table === 'mangle' && r.chain === vipChain(location) && r.destination && !vips.has(r.destination),
    );
    results.push(
      result(
        'lb.unknown-vip',
        subject,
        unknown.length === 0,
        `MARK rules only for VIPs ${list(vips)}`,
        unknown.length ? unknown.map((r) => r.text).join('; ') : 'none for other addresses',
      ),
    );
  }
  const snat =
    location.kind === 'lb' && !network.ingress
      ? checkSnat('lb.snat', subject, location, network, `lb-${network.network}`)
      : undefined;
  if (snat) results.push(snat);
  const localAddresses =
    location.kind === 'lb' && !network.ingress
      ? checkLocalAddresses(
          'lb.local-addresses',
          subject,
          location,
          network,
          `lb-${network.network}`,
          ipvsVips(network),
        )
      : undefined;
  if (localAddresses) results.push(localAddresses);
  if (location.kind === 'lb' && Object.keys(location.sysctls).length > 0)
    results.push(checkSysctls(model, subject, location));
  return results;
}

const tunedSysctls: Record<string, number> = {
  conn_reuse_mode: 0,
  expire_nodest_conn: 1,
  expire_quiescent_template: 1,
};

/**
 * Docker sets these in each lb namespace from 20.10.17 on (moby#43683, the
 * 20.10 backport of moby#43146/#43670); older engines leave the kernel's
 * defaults, so there is nothing the engine promised to check.
 */
function checkSysctls(model: NodeLbModel, subject: CheckSubject, location: KernelLbState): CheckResult {
  const seen = Object.keys(tunedSysctls)
    .map((k) => `${k}=${location.sysctls[k] ?? '?'}`)
    .join(' ');
  const expected = Object.entries(tunedSysctls)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (!atLeast(model.dockerVersion, '20.10.17')) {
    return {
      check: 'lb.sysctls',
      status: 'skip',
      ...subject,
      expected: `nothing: Docker ${model.dockerVersion} sets no IPVS sysctls (from 20.10.17 on: ${expected})`,
      seen,
    };
  }
  const wrong = Object.entries(tunedSysctls).filter(([k, v]) => location.sysctls[k] !== v);
  return result('lb.sysctls', subject, wrong.length === 0, expected, seen);
}

function checkAddresses(model: NodeLbModel, network: NetworkLbView): CheckResult {
  const subject: CheckSubject = { node: model.node, network: network.network };
  const uses = new Map<string, string[]>();
  for (const view of network.services) {
    if (view.vip) uses.set(view.vip, [...(uses.get(view.vip) ?? []), `VIP of ${view.service}`]);
    for (const b of view.expected) uses.set(b.ip, [...(uses.get(b.ip) ?? []), `task ${b.task}`]);
  }
  const clashes = [...uses]
    .filter(([, users]) => users.length > 1)
    .map(([ip, users]) => `${ip}: ${users.join(' and ')}`);
  return result(
    'net.addresses',
    subject,
    clashes.length === 0,
    'every VIP and task IP used once',
    clashes.length ? clashes.join('; ') : `${uses.size} addresses, all distinct`,
  );
}

/** All model-based load-balancer checks for one node. */
export function runLbChecks(model: NodeLbModel): CheckResult[] {
  const results: CheckResult[] = [];
  for (const network of model.networks) {
    if (network.ingress) continue;
    // Only where this node has endpoints on the network: a manager lists every
    // swarm network, also those none of its containers is attached to.
    const needsState =
      network.nodeView.containers.length > 0 && network.services.some((s) => s.endpointMode === 'vip' && s.vip);
    const subject: CheckSubject = { node: model.node, network: network.network };
    if (needsState) {
      results.push(
        result(
          'lb.state-present',
          subject,
          network.locations.length > 0,
          `lb_${network.networkId.slice(0, 9)} namespace (or sandboxes with MARK rules)`,
          network.locations.map((l) => l.namespace).join(', ') || 'no load-balancer namespace',
        ),
      );
    }
    for (const location of network.locations) results.push(...checkLocation(model, network, location));
    results.push(checkAddresses(model, network));
  }
  return results;
}
