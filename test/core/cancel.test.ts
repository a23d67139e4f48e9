import { execa } from 'execa';
import { allOrCancel, cleanupScope, untilCancelled } from '../../harness/core/cancel.js';
import { createLogger } from '../../harness/core/log.js';
import { runOnHost } from '../../harness/core/run-command.js';
import { sleep, waitFor } from '../../harness/core/wait.js';

const log = createLogger('test');

/** Processes whose command line holds the marker: a cancelled command must leave none. */
async function running(marker: string): Promise<string> {
  return (await execa('pgrep', ['-af', marker], { reject: false })).stdout.trim();
}

describe('allOrCancel', () => {
  it('stops a sibling host command and its children when one task fails, and rethrows that failure', async () => {
    // An odd duration names the child: pgrep finds it by its command line.
    const marker = `sleep 30.${process.pid}`;
    const started = Date.now();
    const attempt = allOrCancel([
      // A parent shell with a child, as debootstrap has wget and dpkg: both must go.
      () => runOnHost('sh', ['-c', `${marker} & wait`], log),
      async () => {
        await sleep(300);
        throw new Error('the other build failed');
      },
    ]);
    await expect(attempt).rejects.toThrow('the other build failed');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await running(marker)).toBe('');
  });

  it('ends waits and sleeps of the other tasks at once', async () => {
    let pollsAfterFailure = 0;
    let failed = false;
    const started = Date.now();
    const attempt = allOrCancel([
      () =>
        waitFor({ what: 'something that never comes', timeoutMs: 60_000, intervalMs: 50 }, async () => {
          if (failed) pollsAfterFailure++;
          return { done: false, seen: 'nothing' };
        }),
      async () => {
        await sleep(200);
        failed = true;
        throw new Error('node start failed');
      },
    ]);
    await expect(attempt).rejects.toThrow('node start failed');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(pollsAfterFailure).toBeLessThanOrEqual(1);
  });

  it('returns every value, in order, when all succeed', async () => {
    await expect(allOrCancel([async () => 1, async () => 'two'])).resolves.toEqual([1, 'two']);
  });

  it('leaves clean-up able to run commands after a cancellation', async () => {
    const attempt = allOrCancel([
      async () => {
        try {
          await sleep(10_000);
        } finally {
          // Runs inside the cancelled task: its own commands would be cancelled, clean-up's are not.
          await cleanupScope(() => runOnHost('true', [], log));
        }
      },
      async () => {
        throw new Error('first');
      },
    ]);
    await expect(attempt).rejects.toThrow('first');
  });

  it('untilCancelled gives up on a promise that takes no signal', async () => {
    const never = new Promise<void>(() => undefined);
    const attempt = allOrCancel([() => untilCancelled(never), async () => Promise.reject(new Error('engine died'))]);
    await expect(attempt).rejects.toThrow('engine died');
  });
});
