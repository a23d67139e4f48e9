import { cancelEverything, cleanupScope } from './cancel.js';
import { SwarmlabError } from './errors.js';
import { createLogger } from './log.js';

type Cleanup = () => Promise<void>;

const cleanups = new Set<Cleanup>();
let installed = false;
let interrupted = false;
const log = createLogger('interrupt');

/** Why work in flight stopped when the user pressed Ctrl-C (or CI sent TERM). */
export class InterruptedError extends SwarmlabError {
  constructor(readonly signal: NodeJS.Signals) {
    super('interrupted', `interrupted by ${signal}`, { signal });
    this.name = 'InterruptedError';
  }
}

async function runCleanupsAndExit(signal: NodeJS.Signals): Promise<void> {
  if (interrupted) {
    log.warn(`second ${signal}: exiting without finishing clean-up (run swarmlab down --all)`);
    process.exit(130);
  }
  interrupted = true;
  log.warn(`${signal}: cleaning up before exit`);
  // Stop every build, command and wait in flight first, so nothing races the clean-up.
  cancelEverything(new InterruptedError(signal));
  await cleanupScope(async () => {
    for (const cleanup of [...cleanups].reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.error(`clean-up failed: ${String(error)}`);
      }
    }
  });
  process.exit(130);
}

/**
 * A clean-up that runs once however many paths ask for it (the failed step's
 * own catch, Ctrl-C, the end of a run), in a scope that is not cancelled, so
 * a cancelled step can still remove what it built.
 */
export function sharedCleanup(cleanup: Cleanup): Cleanup {
  let running: Promise<void> | undefined;
  return () => (running ??= cleanupScope(cleanup));
}

/**
 * Registers clean-up to run when the user presses Ctrl-C (or CI sends TERM)
 * while something half-built exists. Returns the function that unregisters it
 * once the work is finished or cleaned up normally.
 */
export function cleanupOnInterrupt(cleanup: Cleanup): () => void {
  if (!installed) {
    installed = true;
    process.on('SIGINT', (s) => void runCleanupsAndExit(s));
    process.on('SIGTERM', (s) => void runCleanupsAndExit(s));
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
