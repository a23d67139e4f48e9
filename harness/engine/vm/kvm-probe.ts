import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { currentSignal } from '../../core/cancel.js';
import { lastLines } from '../../core/errors.js';

export interface Acceleration {
  accel: 'kvm' | 'tcg';
  /** Why, in words, for the log and for `swarmlab doctor`. */
  why: string;
}

/**
 * Whether KVM really runs this kernel. /dev/kvm can exist and still not work:
 * on a nested-virtualisation host seen here, QEMU aborted at once ("failed to
 * set MSR 0x10a"), and with that MSR hidden the guest died on its first BMI2
 * instruction. So the kernel is booted once with KVM and no root file system:
 * a working KVM reaches the kernel's "VFS: Unable to mount root fs" panic in
 * a second or two (-no-reboot turns the panic into QEMU's exit); anything else
 * means software emulation, which is slower but correct.
 */
export async function chooseAcceleration(kernel: string): Promise<Acceleration> {
  if (!existsSync('/dev/kvm'))
    return { accel: 'tcg', why: 'no /dev/kvm: the VM runs under software emulation (slower, still correct)' };
  const result = await execa(
    'qemu-system-x86_64',
    [
      '-machine',
      'q35',
      '-accel',
      'kvm',
      '-cpu',
      'host',
      '-smp',
      '1',
      '-m',
      '256',
      '-kernel',
      kernel,
      '-append',
      'console=ttyS0 panic=-1',
      '-display',
      'none',
      '-serial',
      'stdio',
      '-monitor',
      'none',
      '-no-reboot',
    ],
    { all: true, reject: false, timeout: 20_000, cancelSignal: currentSignal() },
  );
  const output = String(result.all ?? '');
  if (/Kernel panic - not syncing/.test(output)) return { accel: 'kvm', why: 'KVM works: the VM runs at native speed' };
  const reason = result.timedOut
    ? 'the test boot did not finish in 20 s'
    : lastLines(output.replace(/\r/g, ''), 2).replace(/\n/g, ' | ');
  return {
    accel: 'tcg',
    why: `/dev/kvm is there but KVM cannot run the VM (${reason}): software emulation instead (slower, still correct)`,
  };
}
