import type { ProbeRecord } from './probe-records.js';
import { nearSynRetransmit } from './spread-statistics.js';

/** What traffic saw while something changed: the numbers a scenario step bounds. */
export interface Disruption {
  requests: number;
  failed: number;
  /** Failed requests by error text ("connect: timeout"). */
  errors: Record<string, number>;
  /** The longest time without an answer completing, from the first request's start to the last one's end. */
  longestGapMs: number;
  /** When that gap began, in ms from the first request. */
  longestGapAtMs: number;
  /** Answered requests that took about a SYN retransmit (1 s or 3 s): a connection that got through late. */
  nearSynRetransmit: number;
  /** Answers per replica (task name). */
  answeredBy: Record<string, number>;
}

/**
 * Accounts for a probe client's records: failures, the longest stretch with
 * no answer, late connections. Gaps are measured between the moments answers
 * completed, including the stretch before the first answer and after the
 * last, so a client that got nothing through at all has one gap of its whole run.
 */
export function measureDisruption(records: readonly ProbeRecord[]): Disruption {
  const errors: Record<string, number> = {};
  const answeredBy: Record<string, number> = {};
  for (const r of records) {
    if (r.ok) {
      const task = r.reply?.task || r.reply?.hostname || r.to;
      answeredBy[task] = (answeredBy[task] ?? 0) + 1;
    } else {
      const error = r.error ?? 'unknown error';
      errors[error] = (errors[error] ?? 0) + 1;
    }
  }
  const end = Math.max(0, ...records.map((r) => r.at + r.ms));
  const completions = records
    .filter((r) => r.ok)
    .map((r) => r.at + r.ms)
    .sort((a, b) => a - b);
  const marks = [0, ...completions, end];
  let longestGapMs = 0;
  let longestGapAtMs = 0;
  for (let i = 1; i < marks.length; i++) {
    const gap = (marks[i] ?? 0) - (marks[i - 1] ?? 0);
    if (gap > longestGapMs) {
      longestGapMs = gap;
      longestGapAtMs = marks[i - 1] ?? 0;
    }
  }
  return {
    requests: records.length,
    failed: records.filter((r) => !r.ok).length,
    errors,
    longestGapMs,
    longestGapAtMs,
    nearSynRetransmit: records.filter((r) => r.ok && nearSynRetransmit(r.ms)).length,
    answeredBy,
  };
}

export function formatDisruption(d: Disruption): string {
  const errors = Object.entries(d.errors)
    .map(([e, n]) => `${e} ${n}`)
    .join(', ');
  return (
    `${d.requests} requests, ${d.failed} failed${errors ? ` (${errors})` : ''}, longest gap without an answer ` +
    `${(d.longestGapMs / 1000).toFixed(2)} s (from ${(d.longestGapAtMs / 1000).toFixed(1)} s), ` +
    `${d.nearSynRetransmit} near a SYN retransmit`
  );
}
