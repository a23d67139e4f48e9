import { SwarmlabError } from '../core/errors.js';

/** The identity a probe server answers with. */
export interface ProbeReply {
  hostname: string;
  service: string;
  task: string;
  slot: string;
  node: string;
  addresses: string[];
}

/** One request the probe client made: who answered (or the error), and how long it took. */
export interface ProbeRecord {
  i: number;
  /** When the request started, in ms since the client's first request started. */
  at: number;
  ok: boolean;
  ms: number;
  /** The address the client connected to (the VIP, or a task IP under dnsrr). */
  to: string;
  reply?: ProbeReply;
  error?: string;
}

export class ProbeOutputError extends SwarmlabError {
  constructor(lineNumber: number, line: string, problem: string) {
    super('probe-output', `probe client output line ${lineNumber}: ${problem}: ${line.slice(0, 200)}`, { lineNumber });
    this.name = 'ProbeOutputError';
  }
}

function isReply(value: unknown): value is ProbeReply {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    ['hostname', 'service', 'task', 'slot', 'node'].every((k) => typeof r[k] === 'string') &&
    Array.isArray(r['addresses'])
  );
}

/** Parses the client's JSON lines; a malformed line is an error that quotes it. */
export function parseProbeRecords(text: string): ProbeRecord[] {
  const records: ProbeRecord[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ProbeOutputError(index + 1, line, 'not JSON');
    }
    const r = value as Record<string, unknown>;
    if (
      typeof r['i'] !== 'number' ||
      typeof r['at'] !== 'number' ||
      typeof r['ok'] !== 'boolean' ||
      typeof r['ms'] !== 'number' ||
      typeof r['to'] !== 'string'
    ) {
      throw new ProbeOutputError(index + 1, line, 'missing i, at, ok, ms or to');
    }
    if (r['ok'] && !isReply(r['reply'])) throw new ProbeOutputError(index + 1, line, 'ok without a valid reply');
    records.push({
      i: r['i'],
      at: r['at'],
      ok: r['ok'],
      ms: r['ms'],
      to: r['to'],
      ...(isReply(r['reply']) ? { reply: r['reply'] } : {}),
      ...(typeof r['error'] === 'string' ? { error: r['error'] } : {}),
    });
  });
  return records;
}

/**
 * Requests per second the client sustained, from its first request's start to
 * its last one's end: the exec that starts the client is not in it.
 */
export function clientRate(records: readonly ProbeRecord[]): number {
  if (records.length === 0) return 0;
  const first = Math.min(...records.map((r) => r.at));
  const last = Math.max(...records.map((r) => r.at + r.ms));
  return last > first ? records.length / ((last - first) / 1000) : 0;
}
