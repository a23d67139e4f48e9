import type { NodeLbModel } from '../inspect/lb-model.js';
import { runningTaskIps, type SwarmState } from '../inspect/swarm-state.js';
import type { CheckResult } from './check-result.js';
import { checkIngressHostRules, ingressGatewayAddress } from './ingress-host-checks.js';
import { checkLocalAddresses } from './local-address-checks.js';
import { ipvsVips } from './lb-checks.js';
import { checkIpvsAttributes, checkSnat } from './lb-path-checks.js';

/** Routing-mesh checks on one node, for every service that publishes a port in ingress mode. */
export function runIngressChecks(model: NodeLbModel, swarm: SwarmState): CheckResult[] {
  const results: CheckResult[] = [];
  const ingressNetwork = model.networks.find((n) => n.ingress);
  const gateway = ingressGatewayAddress(model, ingressNetwork?.nodeView.subnet);
  for (const service of swarm.services) {
    for (const port of service.publishedPorts.filter((p) => p.mode === 'ingress')) {
      const subject = {
        node: model.node,
        namespace: 'ingress_sbox',
        network: ingressNetwork?.network ?? 'ingress',
        service: `${service.name}:${port.publishedPort}/${port.protocol}`,
      };
      const sbox = model.ingress;
      const rules = (sbox?.markRules ?? []).filter(
        (r) =>
          r.table === 'mangle' &&
          r.chain === 'PREROUTING' &&
          r.dport === port.publishedPort &&
          (r.protocol ?? 'tcp') === port.protocol,
      );
      const rule = rules[0];
      const expected = new Set(runningTaskIps(swarm, service.id, ingressNetwork?.networkId));
      // With its last task the service's port leaves the routing mesh on every node: no rule is then the right state.
      const wanted = expected.size > 0 ? 1 : 0;
      results.push({
        check: 'ingress.port-mark',
        status: rules.length === wanted ? 'pass' : 'fail',
        ...subject,
        expected: wanted
          ? `one PREROUTING MARK rule for --dport ${port.publishedPort}`
          : `no PREROUTING MARK rule for --dport ${port.publishedPort}: no task of ${service.name} runs`,
        seen: sbox ? rules.map((r) => r.text).join('; ') || 'no rule' : 'no ingress_sbox namespace on this node',
      });
      if (model.hostRules && gateway)
        results.push(
          checkIngressHostRules({ ...subject, namespace: 'host' }, model.hostRules, port, gateway, wanted === 1),
        );
      if (!rule || !sbox || !wanted) continue;
      const ipvs = sbox.ipvs.find((s) => s.protocol === 'FWM' && s.fwmark === rule.mark);
      if (ipvs) results.push(checkIpvsAttributes('ingress.ipvs-attributes', subject, ipvs));
      const active = new Set((ipvs?.reals ?? []).filter((r) => r.weight > 0).map((r) => r.address));
      const missing = [...expected].filter((ip) => !active.has(ip)).sort();
      const stale = [...active].filter((ip) => !expected.has(ip)).sort();
      results.push({
        check: 'ingress.backends',
        status: ipvs && missing.length === 0 && stale.length === 0 ? 'pass' : 'fail',
        ...subject,
        expected: `FWM ${rule.mark} with real servers ${[...expected].sort().join(', ') || 'none'}`,
        seen: ipvs
          ? `missing ${missing.join(', ') || 'none'}; stale ${stale.join(', ') || 'none'}`
          : `no FWM ${rule.mark} service`,
      });
    }
  }
  // Docker adds the masquerading rule with the first published port (captures of 20.10.24 without one have none).
  const balancing = model.ingress?.markRules.some((r) => r.table === 'mangle' && r.chain === 'PREROUTING');
  const snat =
    model.ingress && ingressNetwork && balancing
      ? checkSnat(
          'ingress.snat',
          { node: model.node, namespace: 'ingress_sbox', network: ingressNetwork.network },
          model.ingress,
          ingressNetwork,
          'ingress-sbox',
        )
      : undefined;
  if (snat) results.push(snat);
  const localAddresses =
    model.ingress && ingressNetwork
      ? checkLocalAddresses(
          'ingress.local-addresses',
          { node: model.node, namespace: 'ingress_sbox', network: ingressNetwork.network },
          model.ingress,
          ingressNetwork,
          'ingress-sbox',
          ipvsVips(ingressNetwork),
        )
      : undefined;
  if (localAddresses) results.push(localAddresses);
  return results;
}
