import { type SwarmNode, runIn } from '../cluster/swarm-node.js';
import type { Logger } from '../core/log.js';
import { netnsDir } from '../inspect/namespaces.js';

/**
 * Faults written straight into a node's load-balancer namespace, the way real
 * Swarm bugs leave it: each is one ipvsadm, iptables or ip command, and comes with
 * the command that undoes it. Used to prove the checks catch what they claim.
 */
export type LbFault =
  | { kind: 'extra-real-server'; fwmark: number; ip: string }
  | { kind: 'remove-real-server'; fwmark: number; ip: string }
  | { kind: 'delete-mark-rule'; vip: string; fwmark: number }
  /** The routing mesh's rule in ingress_sbox that marks a published port. */
  | { kind: 'delete-port-mark-rule'; port: number; protocol: 'tcp' | 'udp'; fwmark: number }
  /**
   * A real server's weight raised, with the service switched to weighted round
   * robin: Swarm programs `rr`, which ignores weights, so a weight alone
   * changes nothing on the wire.
   */
  | { kind: 'skew-weight'; fwmark: number; ip: string; weight: number }
  /** Another scheduler on a VIP's IPVS service (sh: requests stick to one replica per client). */
  | { kind: 'ipvs-scheduler'; fwmark: number; scheduler: string }
  /** A rule that lets packets to a VIP leave mangle INPUT before its MARK rule: IPVS never sees them marked. */
  | { kind: 'accept-before-mark'; vip: string }
  /** The lb namespace's masquerading of what IPVS sends on, deleted. */
  | { kind: 'delete-snat'; subnet: string; source: string }
  /** A VIP's /32 alias taken off the lb endpoint's interface: packets to the VIP are no longer for the namespace. */
  | { kind: 'delete-vip-alias'; vip: string; iface: string }
  /** In the node's own namespace (`hostNamespace`): the DNAT that sends a published port into ingress_sbox. */
  | { kind: 'delete-ingress-dnat'; port: number; protocol: 'tcp' | 'udp'; gateway: string };

/** The namespace name that stands for the node's own network namespace (its DOCKER-INGRESS rules). */
export const hostNamespace = 'host';

function commands(fault: LbFault): { inject: string[][]; undo: string[][] } {
  const real = (ip: string) => `${ip}:0`;
  const setMark = (fwmark: number) => ['-j', 'MARK', '--set-xmark', `0x${fwmark.toString(16)}/0xffffffff`];
  switch (fault.kind) {
    case 'extra-real-server':
      return {
        inject: [['ipvsadm', '-a', '-f', String(fault.fwmark), '-r', real(fault.ip), '-m', '-w', '1']],
        undo: [['ipvsadm', '-d', '-f', String(fault.fwmark), '-r', real(fault.ip)]],
      };
    case 'remove-real-server':
      return {
        inject: [['ipvsadm', '-d', '-f', String(fault.fwmark), '-r', real(fault.ip)]],
        undo: [['ipvsadm', '-a', '-f', String(fault.fwmark), '-r', real(fault.ip), '-m', '-w', '1']],
      };
    case 'delete-mark-rule': {
      const rule = ['INPUT', '-d', `${fault.vip}/32`, ...setMark(fault.fwmark)];
      return {
        inject: [['iptables', '-t', 'mangle', '-D', ...rule]],
        undo: [['iptables', '-t', 'mangle', '-A', ...rule]],
      };
    }
    case 'delete-port-mark-rule': {
      const rule = [
        'PREROUTING',
        '-p',
        fault.protocol,
        '-m',
        fault.protocol,
        '--dport',
        String(fault.port),
        ...setMark(fault.fwmark),
      ];
      return {
        inject: [['iptables', '-t', 'mangle', '-D', ...rule]],
        undo: [['iptables', '-t', 'mangle', '-A', ...rule]],
      };
    }
    case 'skew-weight':
      return {
        inject: [
          ['ipvsadm', '-E', '-f', String(fault.fwmark), '-s', 'wrr'],
          ['ipvsadm', '-e', '-f', String(fault.fwmark), '-r', real(fault.ip), '-m', '-w', String(fault.weight)],
        ],
        undo: [
          ['ipvsadm', '-e', '-f', String(fault.fwmark), '-r', real(fault.ip), '-m', '-w', '1'],
          ['ipvsadm', '-E', '-f', String(fault.fwmark), '-s', 'rr'],
        ],
      };
    case 'ipvs-scheduler':
      return {
        inject: [['ipvsadm', '-E', '-f', String(fault.fwmark), '-s', fault.scheduler]],
        undo: [['ipvsadm', '-E', '-f', String(fault.fwmark), '-s', 'rr']],
      };
    case 'accept-before-mark': {
      const rule = ['INPUT', '-d', `${fault.vip}/32`, '-j', 'ACCEPT'];
      return {
        inject: [['iptables', '-t', 'mangle', '-I', rule[0] ?? 'INPUT', '1', ...rule.slice(1)]],
        undo: [['iptables', '-t', 'mangle', '-D', ...rule]],
      };
    }
    case 'delete-snat': {
      const rule = [
        'POSTROUTING',
        '-d',
        fault.subnet,
        '-m',
        'ipvs',
        '--ipvs',
        '-j',
        'SNAT',
        '--to-source',
        fault.source,
      ];
      return {
        inject: [['iptables', '-t', 'nat', '-D', ...rule]],
        undo: [['iptables', '-t', 'nat', '-A', ...rule]],
      };
    }
    case 'delete-ingress-dnat': {
      const match = ['-p', fault.protocol, '-m', fault.protocol, '--dport', String(fault.port)];
      const rule = [...match, '-j', 'DNAT', '--to-destination', `${fault.gateway}:${fault.port}`];
      // Back at the top: the chain ends with a RETURN that an appended rule would come after.
      return {
        inject: [['iptables', '-t', 'nat', '-D', 'DOCKER-INGRESS', ...rule]],
        undo: [['iptables', '-t', 'nat', '-I', 'DOCKER-INGRESS', '1', ...rule]],
      };
    }
    case 'delete-vip-alias': {
      const alias = [`${fault.vip}/32`, 'dev', fault.iface];
      return { inject: [['ip', 'addr', 'del', ...alias]], undo: [['ip', 'addr', 'add', ...alias]] };
    }
  }
}

/**
 * Runs `during` with the fault written into the node's namespace, and undoes
 * it afterwards whatever `during` did, so a failing test leaves a clean node.
 */
export async function withLbFault<T>(
  node: SwarmNode,
  namespace: string,
  fault: LbFault,
  log: Logger,
  during: () => Promise<T>,
): Promise<T> {
  const { inject, undo } = commands(fault);
  // Each command is its own argv: no shell reads the addresses and marks.
  const enter = namespace === hostNamespace ? [] : ['nsenter', `--net=${netnsDir}/${namespace}`];
  const runAll = async (cmds: string[][]) => {
    for (const c of cmds) await runIn(node, [...enter, ...c]);
  };
  const text = (cmds: string[][]) => cmds.map((c) => c.join(' ')).join('; ');
  await runAll(inject);
  log.info(`fault injected: ${fault.kind} on ${node.hostname} in ${namespace}: ${text(inject)}`);
  try {
    return await during();
  } finally {
    await runAll(undo);
    log.info(`fault undone: ${text(undo)}`);
  }
}
