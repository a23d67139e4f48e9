import { inStep } from './errors.js';

/**
 * The one place swarmlab writes human-readable progress. Lines go to stderr so
 * that stdout stays clean for machine output (`--json`, `DOCKER_HOST=...`).
 * Each line carries the seconds since the process started, because under
 * software emulation users need to see where the time goes.
 */
const processStart = Date.now();

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function threshold(): LogLevel {
  const fromEnv = process.env['SWARMLAB_LOG'];
  if (fromEnv === 'debug' || fromEnv === 'info' || fromEnv === 'warn' || fromEnv === 'error') return fromEnv;
  return 'info';
}

function elapsed(): string {
  return `${((Date.now() - processStart) / 1000).toFixed(1).padStart(6)}s`;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Runs a step, logging its start and its duration; rethrows after logging failure. */
  step<T>(name: string, run: () => Promise<T>): Promise<T>;
  child(scope: string): Logger;
}

export function createLogger(scope: string): Logger {
  const write = (level: LogLevel, message: string): void => {
    if (order[level] < order[threshold()]) return;
    const tag = level === 'info' ? '' : ` ${level.toUpperCase()}`;
    process.stderr.write(`[${elapsed()}] ${scope}${tag}: ${message}\n`);
  };
  const logger: Logger = {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
    async step(name, run) {
      const started = Date.now();
      write('info', `${name} ...`);
      try {
        const result = await run();
        write('info', `${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return result;
      } catch (error) {
        write('error', `${name} failed after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        throw inStep(name, error);
      }
    },
    child: (sub) => createLogger(`${scope}/${sub}`),
  };
  return logger;
}
