import type Docker from 'dockerode';
import { SwarmlabError } from '../../core/errors.js';
import { labels } from '../../core/labels.js';
import { withDeadline } from '../../core/wait.js';
import { execInRunningContainer } from '../container-exec.js';

/**
 * A restored VM wakes with the clock of the moment it was saved: minutes or days behind. Its containers (the
 * Swarm nodes among them) share its kernel's clock, so setting it once, from a privileged container that sleeps
 * in the VM for that purpose, sets every node's. The keeper is started before the VM is saved, so a restore
 * only needs two execs, not a container start (seconds under emulation).
 */
const keeperName = 'swarmlab-clock';

/** Starts the keeper in a VM about to be saved (kept if it is already there). */
export async function startClockKeeper(docker: Docker, image: string): Promise<void> {
  const existing = await docker
    .getContainer(keeperName)
    .inspect()
    .catch(() => undefined);
  if (existing?.State.Running) return;
  if (existing) await docker.getContainer(keeperName).remove({ force: true });
  const container = await docker.createContainer({
    name: keeperName,
    Image: image,
    Entrypoint: ['sleep'],
    Cmd: ['infinity'],
    Labels: { [labels.kind]: 'clock' },
    HostConfig: { Privileged: true, NetworkMode: 'none' },
  });
  await container.start();
}

export interface ClockSetting {
  /** Guest minus host before setting, in ms: how far behind the restored VM was. */
  skewBeforeMs: number;
  /** Guest minus host after setting, in ms, measured at the middle of a read. */
  skewAfterMs: number;
}

/** Good enough: well inside what Swarm or a test can notice, and above what an exec round trip can resolve. */
const toleranceMs = 250;

/**
 * Sets the guest clock to the host's. An exec takes 0.3-0.7 s under emulation, so the value written is the host
 * time half a round trip ahead, the round trip measured by a read just before; a read afterwards checks it and
 * a second setting corrects what the first missed.
 */
export async function setGuestClock(docker: Docker, vm: string): Promise<ClockSetting> {
  const exec = async (argv: string[]): Promise<string> => {
    const result = await withDeadline(
      `\`${argv.join(' ')}\` in ${keeperName} of VM "${vm}"`,
      30_000,
      execInRunningContainer(docker, keeperName, argv),
    );
    if (result.exitCode !== 0)
      throw new SwarmlabError(
        'guest-clock',
        `VM "${vm}": \`${argv.join(' ')}\` exited ${result.exitCode}: ${result.stderr}`,
      );
    return result.stdout;
  };
  const read = async (): Promise<{ skewMs: number; roundTripMs: number }> => {
    const before = Date.now();
    const guestSeconds = Number((await exec(['date', '+%s.%N'])).trim());
    const after = Date.now();
    return { skewMs: guestSeconds * 1000 - (before + after) / 2, roundTripMs: after - before };
  };
  const first = await read();
  let last = first;
  for (let attempt = 0; attempt < 3 && Math.abs(last.skewMs) > toleranceMs; attempt++) {
    const target = (Date.now() + last.roundTripMs / 2) / 1000;
    await exec(['date', '-u', '-s', `@${target.toFixed(3)}`]);
    last = await read();
  }
  if (Math.abs(last.skewMs) > toleranceMs * 4)
    throw new SwarmlabError(
      'guest-clock',
      `VM "${vm}": its clock is still ${Math.round(last.skewMs)} ms off the host's after three settings`,
    );
  return { skewBeforeMs: Math.round(first.skewMs), skewAfterMs: Math.round(last.skewMs) };
}
