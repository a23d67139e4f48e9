import type { ClusterNode } from '../cluster/cluster-node.js';
import type { Logger } from '../core/log.js';
import { netnsDir } from '../inspect/namespaces.js';

/**
 * Faults written straight into a node's load-balancer namespace, the way real
 * Swarm bugs leave it: each is one ipvsadm or iptables command, and comes with
 * the command that undoes it. Used to prove the checks catch what they claim.
 */
export type LbFault =
  | { kind: 'extra-real-server'; fwmark: number; ip: string }
  | { kind: 'remove-real-server'; fwmark: number; ip: string }
  | { kind: 'delete-mark-rule'; vip: string; fwmark: number }
  | { kind: 'set-weight'; fwmark: number; ip: string; weight: number; restoreWeight: number };

function commands(fault: LbFault): { inject: string[]; undo: string[] } {
  const real = (ip: string) => `${ip}:0`;
  switch (fault.kind) {
    case 'extra-real-server':
      return {
        inject: ['ipvsadm', '-a', '-f', String(fault.fwmark), '-r', real(fault.ip), '-m', '-w', '1'],
        undo: ['ipvsadm', '-d', '-f', String(fault.fwmark), '-r', real(fault.ip)],
      };
    case 'remove-real-server':
      return {
        inject: ['ipvsadm', '-d', '-f', String(fault.fwmark), '-r', real(fault.ip)],
        undo: ['ipvsadm', '-a', '-f', String(fault.fwmark), '-r', real(fault.ip), '-m', '-w', '1'],
      };
    case 'delete-mark-rule': {
      const rule = ['INPUT', '-d', `${fault.vip}/32`, '-j', 'MARK', '--set-xmark', `0x${fault.fwmark.toString(16)}/0xffffffff`];
      return { inject: ['iptables', '-t', 'mangle', '-D', ...rule], undo: ['iptables', '-t', 'mangle', '-A', ...rule] };
    }
    case 'set-weight':
      return {
        inject: ['ipvsadm', '-e', '-f', String(fault.fwmark), '-r', real(fault.ip), '-m', '-w', String(fault.weight)],
        undo: ['ipvsadm', '-e', '-f', String(fault.fwmark), '-r', real(fault.ip), '-m', '-w', String(fault.restoreWeight)],
      };
  }
}

export interface InjectedFault {
  describe: string;
  undo(): Promise<void>;
}

export async function injectLbFault(node: ClusterNode, namespace: string, fault: LbFault, log: Logger): Promise<InjectedFault> {
  const { inject, undo } = commands(fault);
  const enter = ['nsenter', `--net=${netnsDir}/${namespace}`];
  await node.run([...enter, ...inject]);
  const describe = `${fault.kind} on ${node.hostname} in ${namespace}: ${inject.join(' ')}`;
  log.info(`fault injected: ${describe}`);
  return {
    describe,
    undo: async () => {
      await node.run([...enter, ...undo]);
      log.info(`fault undone: ${undo.join(' ')}`);
    },
  };
}
