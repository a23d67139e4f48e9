import type { IptablesRule } from '../inspect/iptables.js';
import type { NodeLbModel } from '../inspect/lb-model.js';
import type { SwarmState } from '../inspect/swarm-state.js';
import type { XfrmPolicy, XfrmState } from '../inspect/xfrm.js';
import type { CheckResult, CheckSubject } from './check-result.js';

/**
 * An encrypted overlay, as libnetwork's overlay driver programs it in each node's own namespace (encryption.go):
 * for every peer node that shares an encrypted network, an ESP security association from this node to the peer
 * (the primary key's) and one from the peer per key, all in transport mode with reqid 0xd0c4e3 and AES-GCM
 * (rfc4106, 64-bit ICV); one outbound policy that sends this node's VXLAN datagrams to the peer (UDP 4789, marked
 * 0xd0c4e3) through the outbound SA; and per network, iptables rules keyed by its VXLAN id: mangle OUTPUT marks its
 * datagrams 0xd0c4e3 (so the policy applies), filter INPUT drops those that arrive in clear.
 */
export const dockerIpsecMark = 0xd0c4e3;
const vxlanPort = 4789;

interface Peer {
  ip: string;
  networks: string[];
}

/** The other nodes that share an encrypted network with this one, with the networks they share. */
function encryptedPeers(model: NodeLbModel, local: string): Peer[] {
  const peers = new Map<string, string[]>();
  for (const network of model.networks.filter((n) => n.nodeView.encrypted))
    for (const peer of network.nodeView.peers.filter((p) => p.ip !== local))
      peers.set(peer.ip, [...(peers.get(peer.ip) ?? []), network.network]);
  return [...peers].map(([ip, networks]) => ({ ip, networks })).sort((a, b) => a.ip.localeCompare(b.ip));
}

/** What differs between an SA and what Docker programs (empty when it is Docker's). */
function saProblems(sa: XfrmState): string[] {
  return [
    ...(sa.proto === 'esp' ? [] : [`proto ${sa.proto}`]),
    ...(sa.mode === 'transport' ? [] : [`mode ${sa.mode}`]),
    ...(sa.aead?.name === 'rfc4106(gcm(aes))' && sa.aead.icvBits === 64
      ? []
      : [`aead ${sa.aead ? `${sa.aead.name} ${sa.aead.icvBits}` : 'none'}`]),
  ];
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const ours = (sa: { reqid: number }) => sa.reqid === dockerIpsecMark;
/** Docker's SAs from one address to another. */
const between = (states: readonly XfrmState[], src: string, dst: string) =>
  states.filter((s) => ours(s) && s.src === src && s.dst === dst);

function checkStates(subject: CheckSubject, states: readonly XfrmState[], local: string, peer: Peer): CheckResult {
  const out = between(states, local, peer.ip);
  const inbound = between(states, peer.ip, local);
  const problems = [
    ...(out.length === 1 ? [] : [`${out.length} SAs ${local} -> ${peer.ip}`]),
    ...(inbound.length > 0 ? [] : [`no SA ${peer.ip} -> ${local}`]),
    ...[...out, ...inbound].flatMap((sa) =>
      saProblems(sa).map((p) => `SA ${sa.src} -> ${sa.dst} spi ${hex(sa.spi)}: ${p}`),
    ),
  ];
  return {
    check: 'ipsec.states',
    status: problems.length ? 'fail' : 'pass',
    ...subject,
    expected:
      `one ESP SA ${local} -> ${peer.ip} and one or more ${peer.ip} -> ${local} (one per key), transport mode, ` +
      `reqid ${dockerIpsecMark}, rfc4106(gcm(aes)) with a 64-bit ICV`,
    seen:
      problems.join('; ') ||
      `out spi ${out.map((s) => hex(s.spi)).join(', ')}; in spi ${inbound.map((s) => hex(s.spi)).join(', ')}`,
  };
}

function policyProblems(policy: XfrmPolicy, local: string, peer: string, outSpi: number | undefined): string[] {
  const [template, ...more] = policy.templates;
  return [
    ...(policy.proto === 'udp' && policy.dport === vxlanPort
      ? []
      : [`matches ${policy.proto ?? 'any'} ${policy.dport ?? 'any port'}`]),
    ...(policy.mark?.value === dockerIpsecMark && policy.mark.mask === 0xffffffff
      ? []
      : [`mark ${policy.mark ? `${hex(policy.mark.value)}/${hex(policy.mark.mask)}` : 'none'}`]),
    ...(template && more.length === 0 ? [] : [`${policy.templates.length} templates`]),
    ...(template &&
    (template.src !== local ||
      template.dst !== peer ||
      template.proto !== 'esp' ||
      template.mode !== 'transport' ||
      template.reqid !== dockerIpsecMark)
      ? [`template ${template.src} -> ${template.dst} ${template.proto} ${template.mode} reqid ${template.reqid}`]
      : []),
    ...(template && outSpi !== undefined && template.spi !== outSpi
      ? [`template spi ${hex(template.spi)} is not the outbound SA's ${hex(outSpi)}`]
      : []),
  ];
}

function checkPolicy(
  subject: CheckSubject,
  ipsec: NonNullable<NodeLbModel['ipsec']>,
  local: string,
  peer: Peer,
): CheckResult {
  const policies = ipsec.policies.filter(
    (p) => p.dir === 'out' && p.src === `${local}/32` && p.dst === `${peer.ip}/32`,
  );
  const outSpi = between(ipsec.states, local, peer.ip)[0]?.spi;
  const [policy] = policies;
  const problems =
    policies.length === 1 && policy
      ? policyProblems(policy, local, peer.ip, outSpi)
      : [`${policies.length} outbound policies ${local}/32 -> ${peer.ip}/32`];
  return {
    check: 'ipsec.policy',
    status: problems.length ? 'fail' : 'pass',
    ...subject,
    expected:
      `one outbound policy ${local}/32 -> ${peer.ip}/32 udp dport ${vxlanPort}, mark ${hex(dockerIpsecMark)}/0xffffffff, ` +
      `through the ESP SA to ${peer.ip} (transport, reqid ${dockerIpsecMark})`,
    seen: problems.join('; ') || `${policy?.text}; spi ${hex(policy?.templates[0]?.spi ?? 0)}`,
  };
}

/** Docker's SAs and policies (by reqid and mark) for an address that is no peer: left behind, or never ours. */
function checkLeftovers(subject: CheckSubject, ipsec: NonNullable<NodeLbModel['ipsec']>, local: string, peers: Peer[]) {
  const known = new Set([local, ...peers.map((p) => p.ip)]);
  const strip = (cidr: string) => cidr.replace(/\/32$/, '');
  const states = ipsec.states.filter((s) => ours(s) && (!known.has(s.src) || !known.has(s.dst)));
  const policies = ipsec.policies.filter(
    (p) => p.mark?.value === dockerIpsecMark && (!known.has(strip(p.src)) || !known.has(strip(p.dst))),
  );
  const left = [
    ...states.map((s) => `SA ${s.src} -> ${s.dst} spi ${hex(s.spi)}`),
    ...policies.map((p) => `policy ${p.text}`),
  ];
  return {
    check: 'ipsec.leftovers',
    status: left.length ? ('fail' as const) : ('pass' as const),
    ...subject,
    expected: `Docker's IPsec state only between ${local} and the peers of its encrypted networks (${peers.map((p) => p.ip).join(', ') || 'none'})`,
    seen: left.join('; ') || 'none other',
  };
}

/**
 * The VXLAN id an iptables rule matches, from the u32 match (`0>>22&0x3C@12&0xFFFFFF00=0x100100`: the VNI shifted
 * left by 8) or the bpf match (the `21 <jt> <jf> <vni>` compare, BPF_JMP|BPF_JEQ, of its program), as libnetwork writes them.
 */
export function vxlanIdOf(rule: IptablesRule): number | undefined {
  const u32 = /--u32 "?[^"\s]*=0x([0-9a-fA-F]+)"?/.exec(rule.text);
  if (u32?.[1]) return Number.parseInt(u32[1], 16) >>> 8;
  const bpf = /--bytecode "?[^"]*?,21 \d+ \d+ (\d+),/.exec(rule.text);
  return bpf?.[1] ? Number(bpf[1]) : undefined;
}

function checkRules(subject: CheckSubject, rules: readonly IptablesRule[], vni: number): CheckResult {
  const vxlan = (r: IptablesRule) =>
    /-p udp\b/.test(r.text) && new RegExp(`--dport ${vxlanPort}\\b`).test(r.text) && vxlanIdOf(r) === vni;
  const marks = rules.filter(
    (r) =>
      r.table === 'mangle' && r.chain === 'OUTPUT' && r.target === 'MARK' && r.mark === dockerIpsecMark && vxlan(r),
  );
  const drops = rules.filter(
    (r) =>
      r.table === 'filter' && r.chain === 'INPUT' && r.target === 'DROP' && /--pol none\b/.test(r.text) && vxlan(r),
  );
  const problems = [
    ...(marks.length === 1 ? [] : [`${marks.length} mangle OUTPUT MARK rules for VXLAN id ${vni}`]),
    ...(drops.length === 1 ? [] : [`${drops.length} filter INPUT DROP rules for clear VXLAN id ${vni}`]),
  ];
  return {
    check: 'ipsec.rules',
    status: problems.length ? 'fail' : 'pass',
    ...subject,
    expected:
      `mangle OUTPUT marks VXLAN id ${vni} (udp ${vxlanPort}) ${hex(dockerIpsecMark)}; ` +
      'filter INPUT drops it when it arrives without IPsec (--pol none)',
    seen: problems.join('; ') || [...marks, ...drops].map((r) => r.text).join('; '),
  };
}

/** IPsec checks on one node: for each peer of its encrypted overlays, and for each encrypted overlay's rules. */
export function runIpsecChecks(model: NodeLbModel, swarm: SwarmState): CheckResult[] {
  const encrypted = model.networks.filter((n) => n.nodeView.encrypted);
  const local = swarm.nodes.find((n) => n.hostname === model.node)?.address;
  if (encrypted.length === 0 || !local) return [];
  const ipsec = model.ipsec;
  const peers = encryptedPeers(model, local);
  const node = { node: model.node, namespace: 'host' };
  if (!ipsec)
    return [
      {
        check: 'ipsec.states',
        status: 'skip',
        ...node,
        network: encrypted.map((n) => n.network).join(', '),
        expected: 'the node dump reads ip xfrm',
        seen: 'no xfrm state in this dump',
      },
    ];
  return [
    ...peers.flatMap((peer) => {
      const subject = { ...node, network: peer.networks.join(', '), service: `peer ${peer.ip}` };
      return [checkStates(subject, ipsec.states, local, peer), checkPolicy(subject, ipsec, local, peer)];
    }),
    checkLeftovers({ ...node, network: encrypted.map((n) => n.network).join(', ') }, ipsec, local, peers),
    ...encrypted.flatMap((n) =>
      model.hostRules && n.nodeView.vni !== undefined
        ? [checkRules({ ...node, network: n.network }, model.hostRules, n.nodeView.vni)]
        : [],
    ),
  ];
}
