import { containsAddress, parseCidr } from '../core/ipv4.js';
import type { IptablesRule } from '../inspect/iptables.js';
import type { IpvsService } from '../inspect/ipvs.js';
import type { KernelLbState, NetworkLbView } from '../inspect/lb-model.js';
import type { CheckResult, CheckSubject } from './check-result.js';

/**
 * Checks of the load-balancing chain beyond its parts being there: that the IPVS service and its real servers are
 * exactly what Docker creates (every Docker from 20.10.5 to 28.5.2 captured under test/fixtures does the same:
 * round robin, no persistence, masquerading to port 0, weight 1), that nothing on a packet's way to a VIP drops it,
 * ends its chain or marks it differently before IPVS sees it, and that the lb namespace masquerades what IPVS sends
 * on (without it the backends' replies bypass IPVS and connections hang).
 */

function result(check: string, subject: CheckSubject, problems: string[], expected: string, fine: string): CheckResult {
  return { check, status: problems.length ? 'fail' : 'pass', ...subject, expected, seen: problems.join('; ') || fine };
}

/** Weights a Swarm real server has: 1, or 0 for a task on its way out (lb.draining judges which). */
const swarmWeights = new Set([0, 1]);

/** `check` is lb.ipvs-attributes for a VIP's service, ingress.ipvs-attributes for a published port's. */
export function checkIpvsAttributes(check: string, subject: CheckSubject, ipvs: IpvsService): CheckResult {
  const problems = [
    ...(ipvs.scheduler === 'rr' ? [] : [`scheduler ${ipvs.scheduler}`]),
    ...(ipvs.flags.length ? [`flags ${ipvs.flags.join(' ')}`] : []),
    ...ipvs.reals.flatMap((r) => [
      ...(r.forward === 'Masq' ? [] : [`${r.address} forwarded by ${r.forward}`]),
      ...(r.port === 0 ? [] : [`${r.address} to port ${r.port}`]),
      ...(swarmWeights.has(r.weight) ? [] : [`${r.address} with weight ${r.weight}`]),
    ]),
  ];
  return result(
    check,
    subject,
    problems,
    `FWM ${ipvs.fwmark} as Docker creates it: scheduler rr, no persistence or other flags, ` +
      'real servers Masq to port 0 with weight 1 (0 while a task shuts down)',
    `rr, no flags, ${ipvs.reals.length} real servers Masq:0 weight ${[...new Set(ipvs.reals.map((r) => r.weight))].join('/') || '-'}`,
  );
}

const builtinChains = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const terminal = new Set(['DROP', 'REJECT']);
const endsChain = new Set(['ACCEPT', 'RETURN']);

/** The chains a packet to a VIP passes before IPVS takes it, in order, and the one Docker marks it in. */
function vipPath(kind: KernelLbState['kind']): { path: [string, string][]; markChain: [string, string] } {
  // In an lb namespace the VIP is a local address: IPVS takes the packet on local input, after these.
  if (kind === 'lb')
    return {
      path: [
        ['raw', 'PREROUTING'],
        ['mangle', 'PREROUTING'],
        ['mangle', 'INPUT'],
        ['filter', 'INPUT'],
      ],
      markChain: ['mangle', 'INPUT'],
    };
  // Before Docker 18.09 a client's own namespace marked what it sent.
  return {
    path: [
      ['raw', 'OUTPUT'],
      ['mangle', 'OUTPUT'],
      ['filter', 'OUTPUT'],
    ],
    markChain: ['mangle', 'OUTPUT'],
  };
}

/** Whether a rule may catch a packet to the address: its -d (negated or not) allows it, or it has none. */
function mayMatch(rule: IptablesRule, ip: string): boolean {
  if (!rule.destination) return true;
  const cidr = parseCidr(rule.destination.includes('/') ? rule.destination : `${rule.destination}/32`);
  if (typeof cidr === 'string') return true;
  return containsAddress(cidr, ip) !== rule.destinationNegated;
}

/**
 * What would keep a packet to the VIP from reaching IPVS with its mark: a rule on its path that drops it, marks
 * it with something else, or (in the marking chain, before the MARK rule) ends the chain or jumps away.
 */
export function checkMarkPath(subject: CheckSubject, location: KernelLbState, vip: string, mark: number): CheckResult {
  const { path, markChain } = vipPath(location.kind);
  const userChains = new Set(location.rules.map((r) => r.chain).filter((c) => !builtinChains.has(c)));
  const problems: string[] = [];
  for (const [table, chain] of path) {
    let marked = false;
    for (const rule of location.rules.filter((r) => r.table === table && r.chain === chain)) {
      const own = rule.target === 'MARK' && rule.mark === mark && rule.destination?.replace(/\/32$/, '') === vip;
      const inMarkChain = table === markChain[0] && chain === markChain[1];
      if (own && inMarkChain && !marked) {
        marked = true;
        continue;
      }
      if (!mayMatch(rule, vip)) continue;
      const where = `${table} ${chain}`;
      if (terminal.has(rule.target)) problems.push(`${where} drops it: ${rule.text}`);
      else if (rule.target === 'MARK') problems.push(`${where} marks it ${rule.mark}: ${rule.text}`);
      else if (inMarkChain && !marked && endsChain.has(rule.target))
        problems.push(`${where} ends the chain before the MARK rule: ${rule.text}`);
      else if (inMarkChain && !marked && userChains.has(rule.target))
        problems.push(`${where} jumps to ${rule.target} before the MARK rule: ${rule.text}`);
    }
  }
  return result(
    'lb.mark-path',
    subject,
    problems,
    `nothing on the way to ${vip} (${path.map(([t, c]) => `${t} ${c}`).join(', ')}) that drops it, ` +
      `marks it otherwise, or ends ${markChain.join(' ')} before its MARK rule`,
    'nothing in the way',
  );
}

/**
 * A load-balancing namespace masquerades what IPVS sends to the network's tasks as its own endpoint on the network:
 * `check` is lb.snat for an lb namespace (its lb-<network> endpoint), ingress.snat for ingress_sbox (ingress-sbox).
 */
export function checkSnat(
  check: string,
  subject: CheckSubject,
  location: KernelLbState,
  network: Pick<NetworkLbView, 'nodeView'>,
  endpointKey: string,
): CheckResult | undefined {
  const { subnet } = network.nodeView;
  const source = network.nodeView.containers.find((c) => c.key === endpointKey)?.ip;
  if (!subnet || !source) return undefined;
  const snat = location.rules.filter((r) => r.table === 'nat' && r.chain === 'POSTROUTING' && r.target === 'SNAT');
  const right = snat.filter(
    (r) =>
      r.destination === subnet &&
      !r.destinationNegated &&
      /-m ipvs --ipvs\b/.test(r.text) &&
      new RegExp(`--to-source ${source.replace(/\./g, '\\.')}(\\s|$)`).test(r.text),
  );
  const problems =
    right.length === 1
      ? []
      : [snat.length ? `SNAT rules: ${snat.map((r) => r.text).join('; ')}` : 'no SNAT rule in nat POSTROUTING'];
  return result(
    check,
    subject,
    problems,
    `nat POSTROUTING -d ${subnet} -m ipvs --ipvs -j SNAT --to-source ${source} (the ${endpointKey} endpoint's address)`,
    right[0]?.text ?? '',
  );
}
