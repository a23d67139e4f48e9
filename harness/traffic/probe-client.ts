import { execInTask, type TaskContainer } from '../cluster/task-container.js';
import { parseProbeRecords, type ProbeRecord } from './probe-records.js';

export interface ProbeRequestOptions {
  /** Host[:port]: a service name (VIP), an address, tasks.<name>, or a dnsrr name. */
  target: string;
  requests: number;
  concurrency: number;
  timeoutMs: number;
  /** Reuse one connection per worker (default: a fresh TCP connection per request). */
  keepalive: boolean;
  /** Resolve the name before every request (dnsrr and tasks.<name> spread through DNS). */
  resolveEach: boolean;
  /** Stop after this many failed requests when none was answered (a dead target costs seconds, not minutes). */
  giveUpAfter: number;
}

export function probeClientArgs(options: ProbeRequestOptions): string[] {
  return [
    '/probe',
    'get',
    options.target,
    '-n',
    String(options.requests),
    '-c',
    String(options.concurrency),
    '--timeout-ms',
    String(options.timeoutMs),
    ...(options.keepalive ? ['--keepalive'] : []),
    ...(options.resolveEach ? ['--resolve-each'] : []),
    '--give-up-after',
    String(options.giveUpAfter),
  ];
}

/**
 * Runs one long-lived probe client inside a task's network namespace (a fresh
 * process per request manages ~4 requests/s under emulation; one client
 * process does hundreds) and returns a record per request.
 */
export async function runProbeClient(from: TaskContainer, options: ProbeRequestOptions): Promise<ProbeRecord[]> {
  // Worst case every request times out, one after another per worker; a dead target only until the client gives up.
  const budgetMs = Math.ceil(options.requests / options.concurrency) * options.timeoutMs + 30_000;
  const out = await execInTask(from, probeClientArgs(options), budgetMs);
  return parseProbeRecords(out);
}
