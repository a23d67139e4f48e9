import { createLogger } from './log.js';

type Cleanup = () => Promise<void>;

const cleanups = new Set<Cleanup>();
let installed = false;
let interrupted = false;
const log = createLogger('interrupt');

async function runCleanupsAndExit(signal: NodeJS.Signals): Promise<void> {
  if (interrupted) {
    log.warn(`second ${signal}: exiting without finishing clean-up (run swarmlab down --all)`);
    process.exit(130);
  }
  interrupted = true;
  log.warn(`${signal}: cleaning up before exit`);
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch (error) {
      log.error(`clean-up failed: ${String(error)}`);
    }
  }
  process.exit(130);
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
