import { createLogger, type Logger } from '../harness/core/log.js';
import type { RunningEngine } from '../harness/engine/engine.js';
import { startEngine } from '../harness/engine/select-engine.js';

/**
 * The suites share one embedded VM engine: the first suite boots it (or finds
 * it running), the global teardown (global-teardown.mjs) stops it. Booting per suite would cost
 * ~35 s each under emulation for no extra coverage.
 */
export const sharedEngineName = 'e2e-suites';

export function suiteLogger(suite: string): Logger {
  return createLogger(`e2e/${suite}`);
}

export function sharedEngine(log: Logger): Promise<RunningEngine> {
  return startEngine({ choice: 'vm', name: sharedEngineName, suite: 'bookworm' }, log);
}
