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

/** Traffic that runs beside something else: until stopped (or a longest duration), paced per worker. */
export interface BackgroundTrafficOptions {
  target: string;
  timeoutMs: number;
  /** Each worker starts a request at most this often. */
  intervalMs: number;
  /** The longest it may run if nobody stops it. */
  maxDurationMs: number;
  /** Names the client process, so that it can be stopped by name. */
  tag: string;
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

function backgroundArgs(options: BackgroundTrafficOptions): string[] {
  return [
    '/probe',
    'get',
    options.target,
    '--duration-ms',
    String(options.maxDurationMs),
    '--interval-ms',
    String(options.intervalMs),
    '--timeout-ms',
    String(options.timeoutMs),
    '--tag',
    options.tag,
  ];
}

export interface RunningTraffic {
  /** The task the requests come from. */
  from: TaskContainer;
  /** Stops the client (SIGTERM: it finishes the requests in flight) and returns a record per request. */
  stop(): Promise<ProbeRecord[]>;
}

/**
 * Starts a probe client in a task that keeps sending fresh-connection
 * requests, one at a time, until stopped: the traffic a scenario step runs
 * while it changes the Swarm.
 */
export function startBackgroundTraffic(from: TaskContainer, options: BackgroundTrafficOptions): RunningTraffic {
  const running = execInTask(from, backgroundArgs(options), options.maxDurationMs + options.timeoutMs + 60_000);
  // Until stop() awaits it, a failure is kept, not thrown into nowhere.
  const settled = running.then(
    (out) => ({ out }),
    (error: unknown) => ({ error }),
  );
  return {
    from,
    stop: async () => {
      // The client runs in the node's PID namespace (nsenter keeps it): pkill there finds it by its tag.
      await from.node.exec(['pkill', '-TERM', '-f', '--', `--tag ${options.tag}`]);
      const result = await settled;
      if ('error' in result) throw result.error;
      return parseProbeRecords(result.out);
    },
  };
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
