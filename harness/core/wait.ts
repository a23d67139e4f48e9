import { currentSignal, throwIfCancelled, untilCancelled } from './cancel.js';
import { WaitTimeoutError, errorMessage } from './errors.js';

export interface WaitOptions {
  /** What is being waited for, in words, for the timeout message. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
}

/** What one poll saw: done, or not yet with a description of the state seen. */
export type PollResult<T> = { done: true; value: T } | { done: false; seen: string };

/**
 * Polls until `poll` says done or the deadline passes. A poll that throws counts
 * as "not yet" and its message becomes the last seen state, so a timeout always
 * explains itself. A cancelled scope (a failed step elsewhere, Ctrl-C, a dead
 * engine) ends the wait at once with the reason.
 */
export async function waitFor<T>(options: WaitOptions, poll: () => Promise<PollResult<T>>): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 500;
  let lastSeen = 'nothing yet';
  for (;;) {
    throwIfCancelled();
    try {
      const result = await untilCancelled(poll());
      if (result.done) return result.value;
      lastSeen = result.seen;
    } catch (error) {
      throwIfCancelled();
      lastSeen = errorMessage(error);
    }
    if (Date.now() + interval > deadline) throw new WaitTimeoutError(options.what, options.timeoutMs, lastSeen);
    await sleep(interval);
  }
}

/** Sleeps, or rejects with the reason as soon as the current scope is cancelled. */
export function sleep(ms: number): Promise<void> {
  const signal = currentSignal();
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rejects with a WaitTimeoutError when `promise` does not settle in time. */
export async function withDeadline<T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeoutError(what, timeoutMs, 'no answer')), timeoutMs);
  });
  try {
    return await untilCancelled(Promise.race([promise, timeout]));
  } finally {
    clearTimeout(timer);
  }
}
