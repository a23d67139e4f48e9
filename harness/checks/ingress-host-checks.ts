import { containsAddress, parseCidr } from '../core/ipv4.js';
import type { IptablesRule } from '../inspect/iptables.js';
import type { NodeLbModel } from '../inspect/lb-model.js';
import type { CheckResult, CheckSubject } from './check-result.js';

/**
 * The host side of the routing mesh: a request to a published port on a node's own address enters ingress_sbox
 * only through the node's DOCKER-INGRESS chains, which Docker fills per published port (libnetwork's
 * generateIngressRules): in nat a DNAT of the port to ingress_sbox's address on docker_gwbridge, in filter an ACCEPT
 * of the port and one of the replies from it; and the jumps to those chains from nat PREROUTING (requests from
 * elsewhere), nat OUTPUT (from the node itself) and filter FORWARD. With the service's last task they go. Docker 28
 * moved its FORWARD rules into a DOCKER-FORWARD chain that FORWARD jumps to, so a jump counts when it is reached
 * through other chains too (captures of 28.5.2: FORWARD -> DOCKER-FORWARD -> DOCKER-INGRESS).
 */

/** ingress_sbox's address on docker_gwbridge: its one IPv4 address outside the ingress subnet and the loopback. */
export function ingressGatewayAddress(model: NodeLbModel, ingressSubnet: string | undefined): string | undefined {
  const subnet = ingressSubnet ? parseCidr(ingressSubnet) : undefined;
  if (!subnet || typeof subnet === 'string') return undefined;
  return model.ingress?.addresses?.find((a) => a.iface !== 'lo' && !containsAddress(subnet, a.address))?.address;
}

const jumps: [string, string][] = [
  ['nat', 'PREROUTING'],
  ['nat', 'OUTPUT'],
  ['filter', 'FORWARD'],
];

/** Whether `chain` jumps to `target`, directly or through chains it jumps to. */
function reaches(
  rules: readonly IptablesRule[],
  table: string,
  chain: string,
  target: string,
  seen = new Set<string>(),
): boolean {
  seen.add(chain);
  return rules.some(
    (r) =>
      r.table === table &&
      r.chain === chain &&
      (r.target === target || (!seen.has(r.target) && reaches(rules, table, r.target, target, seen))),
  );
}

function matchesPort(rule: IptablesRule, protocol: string, flag: '--dport' | '--sport', port: number): boolean {
  return new RegExp(`-p ${protocol}\\b`).test(rule.text) && new RegExp(`${flag} ${port}(\\s|$)`).test(rule.text);
}

export function checkIngressHostRules(
  subject: CheckSubject,
  rules: readonly IptablesRule[],
  port: { publishedPort: number; protocol: string },
  gateway: string,
  wanted: boolean,
): CheckResult {
  const { publishedPort, protocol } = port;
  const inChain = (table: string) => rules.filter((r) => r.table === table && r.chain === 'DOCKER-INGRESS');
  const dnat = inChain('nat').filter((r) => r.target === 'DNAT' && matchesPort(r, protocol, '--dport', publishedPort));
  const rightDnat = dnat.filter((r) => r.text.includes(`--to-destination ${gateway}:${publishedPort}`));
  const accept = inChain('filter').filter((r) => r.target === 'ACCEPT');
  const acceptIn = accept.filter((r) => matchesPort(r, protocol, '--dport', publishedPort));
  // conntrack --ctstate on recent engines, state --state on older ones: either keeps the replies.
  const acceptOut = accept.filter(
    (r) => matchesPort(r, protocol, '--sport', publishedPort) && /ESTABLISHED/.test(r.text),
  );
  const missingJumps = jumps.filter(([table, chain]) => !reaches(rules, table, chain, 'DOCKER-INGRESS'));
  const what = `${publishedPort}/${protocol}`;
  const problems = wanted
    ? [
        ...(rightDnat.length === 1
          ? []
          : [`nat DNAT rules for ${what}: ${dnat.map((r) => r.text).join('; ') || 'none'}`]),
        ...(acceptIn.length ? [] : [`no filter ACCEPT --dport ${publishedPort}`]),
        ...(acceptOut.length ? [] : [`no filter ACCEPT of replies --sport ${publishedPort}`]),
        ...missingJumps.map(([table, chain]) => `no jump from ${table} ${chain} to DOCKER-INGRESS`),
      ]
    : [...dnat, ...acceptIn, ...acceptOut].map((r) => `left behind: ${r.text}`);
  return {
    check: 'ingress.host-rules',
    status: problems.length ? 'fail' : 'pass',
    ...subject,
    expected: wanted
      ? `DOCKER-INGRESS: nat DNAT of ${what} to ${gateway}:${publishedPort} (ingress_sbox), filter ACCEPT of the ` +
        'port and of its replies; jumps to it (directly or through other chains) from nat PREROUTING, nat OUTPUT and filter FORWARD'
      : `no DOCKER-INGRESS rule for ${what}: no task of the service runs`,
    seen:
      problems.join('; ') || (wanted ? `${rightDnat[0]?.text}; ${acceptIn.length + acceptOut.length} ACCEPT` : 'none'),
  };
}
