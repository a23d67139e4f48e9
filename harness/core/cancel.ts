import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Cancellation of work in flight. A command runs many things side by side (two
 * debootstraps, image builds, three node starts); when one fails, or the user
 * presses Ctrl-C, or the engine dies, the others must stop at once instead of
 * running on behind the error. Host commands, waits and sleeps read the signal
 * of the scope they were started in, so a scope is cancelled without passing a
 * signal through every function between the command and the process.
 */
const scope = new AsyncLocalStorage<AbortSignal>();

/** The whole process: aborted by Ctrl-C and by a dead engine (see cancelEverything). */
const root = new AbortController();

export function currentSignal(): AbortSignal {
  return scope.getStore() ?? root.signal;
}

/** Throws why the current scope was cancelled, if it was. */
export function throwIfCancelled(): void {
  const signal = currentSignal();
  if (signal.aborted) throw signal.reason;
}

/**
 * Cancels all work of the process with `reason` (an Error that says why). The
 * clean-up that follows runs in a fresh scope (see cleanupScope), so removing
 * what was built is not cancelled too.
 */
export function cancelEverything(reason: Error): void {
  if (!root.signal.aborted) root.abort(reason);
}

/** The reason the process was cancelled, if it was (a dead engine explains a failed step better than its socket error). */
export function cancellationReason(): Error | undefined {
  return root.signal.aborted ? (root.signal.reason as Error) : undefined;
}

/** Runs clean-up outside any cancelled scope: it must be able to run commands after a failure or Ctrl-C. */
export function cleanupScope<T>(run: () => Promise<T>): Promise<T> {
  return scope.run(new AbortController().signal, run);
}

/** Rejects with the scope's reason as soon as it is cancelled; for work that cannot be given a signal (library calls). */
export function untilCancelled<T>(promise: Promise<T>): Promise<T> {
  const signal = currentSignal();
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, cancelled]).finally(() => onAbort && signal.removeEventListener('abort', onAbort));
}

/**
 * Like Promise.all, but the first failure cancels the other tasks and waits
 * until they have stopped (their commands killed, their temporary files gone)
 * before it rethrows that first failure, so nothing runs on behind the error.
 */
export async function allOrCancel<T extends readonly unknown[]>(
  tasks: { readonly [K in keyof T]: () => Promise<T[K]> },
): Promise<T> {
  const controller = new AbortController();
  const signal = AbortSignal.any([currentSignal(), controller.signal]);
  let first: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    (tasks as readonly (() => Promise<unknown>)[]).map((task) =>
      scope.run(signal, async () => {
        try {
          return await task();
        } catch (error) {
          if (!first) {
            first = { error };
            controller.abort(error);
          }
          throw error;
        }
      }),
    ),
  );
  if (first) throw first.error;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
