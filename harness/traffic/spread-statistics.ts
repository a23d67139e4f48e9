import { chiSquareCritical, chiSquarePValue, noncentralChiSquareSurvival } from './chi-square.js';
import type { ProbeRecord } from './probe-records.js';

export interface ReplicaShare {
  replica: string;
  count: number;
  share: number;
  expectedShare: number;
  /** (observed - expected) / expected count: +0.5 means 50 % more requests than its share. */
  deviation: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Requests whose latency sits near a TCP SYN retransmit (1 s or 3 s): the signature of dropped SYNs. */
  nearSynRetransmit: number;
}

export interface SpreadVerdict {
  requests: number;
  answered: number;
  replicas: ReplicaShare[];
  /** Replicas expected to answer that never did. */
  silent: string[];
  errors: Record<string, number>;
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
  alpha: number;
  /** Requests needed to detect the configured skew with the configured power. */
  requiredRequests: number;
  /** True when `answered` is below requiredRequests: a pass then says little. */
  underpowered: boolean;
  latencyMs: LatencySummary;
  pass: boolean;
}

export interface SpreadOptions {
  alpha: number;
  /** The skew the test should detect: one replica getting (1 + skew) times its share. */
  skew: number;
  power: number;
}

export const defaultSpreadOptions: SpreadOptions = { alpha: 0.001, skew: 0.5, power: 0.9 };

/** Pearson's statistic for observed counts against expected shares (shares sum to 1). */
export function chiSquareStatistic(counts: readonly number[], shares: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.reduce((sum, observed, i) => {
    const expected = total * (shares[i] ?? 0);
    return expected > 0 ? sum + (observed - expected) ** 2 / expected : sum;
  }, 0);
}

/** Cohen's effect size w between expected shares and the alternative where replica 0 gets (1 + skew) times its share. */
export function skewEffectSize(shares: readonly number[], skew: number): number {
  const first = shares[0] ?? 0;
  const boosted = first * (1 + skew);
  const rest = 1 - first;
  const alternative = shares.map((p, i) => (i === 0 ? boosted : rest > 0 ? (p * (1 - boosted)) / rest : 0));
  return Math.sqrt(shares.reduce((sum, p, i) => (p > 0 ? sum + ((alternative[i] ?? 0) - p) ** 2 / p : sum), 0));
}

/** Power of the chi-square test with n requests against effect size w. */
export function chiSquarePower(n: number, w: number, degreesOfFreedom: number, alpha: number): number {
  return noncentralChiSquareSurvival(chiSquareCritical(alpha, degreesOfFreedom), degreesOfFreedom, n * w * w);
}

/** The smallest n whose power reaches the target (doubling, then bisection). */
export function requiredSampleSize(w: number, degreesOfFreedom: number, alpha: number, power: number): number {
  if (w <= 0 || degreesOfFreedom < 1) return Number.POSITIVE_INFINITY;
  const critical = chiSquareCritical(alpha, degreesOfFreedom);
  const powerAt = (n: number) => noncentralChiSquareSurvival(critical, degreesOfFreedom, n * w * w);
  let hi = 2;
  while (powerAt(hi) < power) hi *= 2;
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (powerAt(mid) >= power) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** A latency that looks like a lost SYN retransmitted after 1 s or 3 s. */
export function nearSynRetransmit(ms: number): boolean {
  return (ms >= 900 && ms < 1500) || (ms >= 2800 && ms < 3600);
}

export function summariseLatency(records: readonly ProbeRecord[]): LatencySummary {
  const sorted = records
    .filter((r) => r.ok)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
    nearSynRetransmit: sorted.filter(nearSynRetransmit).length,
  };
}

/**
 * Judges how requests spread over replicas. `expected` maps each replica that
 * should answer to its weight (1 each under round robin, or the IPVS weights
 * actually programmed). The test fails when a replica never answered, when the
 * chi-square p-value falls below alpha, or when any request failed.
 */
export function judgeSpread(
  records: readonly ProbeRecord[],
  expected: ReadonlyMap<string, number>,
  options: SpreadOptions = defaultSpreadOptions,
): SpreadVerdict {
  const replicaOf = (r: ProbeRecord) => r.reply?.task.split('.').slice(0, 2).join('.') ?? '';
  const counts = new Map<string, number>([...expected.keys()].map((k) => [k, 0]));
  const errors: Record<string, number> = {};
  for (const r of records) {
    if (r.ok) counts.set(replicaOf(r), (counts.get(replicaOf(r)) ?? 0) + 1);
    else {
      const kind = (r.error ?? 'unknown').split(':')[0] ?? 'unknown';
      errors[kind] = (errors[kind] ?? 0) + 1;
    }
  }
  const totalWeight = [...expected.values()].reduce((a, b) => a + b, 0);
  const names = [...counts.keys()].sort();
  const shares = names.map((n) => (totalWeight > 0 ? (expected.get(n) ?? 0) / totalWeight : 0));
  const observed = names.map((n) => counts.get(n) ?? 0);
  const answered = observed.reduce((a, b) => a + b, 0);
  // One replica leaves no spread to judge (0 degrees of freedom): only whether it answered.
  const df = names.length - 1;
  const statistic = chiSquareStatistic(observed, shares);
  const pValue = df > 0 ? chiSquarePValue(statistic, df) : 1;
  const requiredRequests =
    df > 0 ? requiredSampleSize(skewEffectSize(shares, options.skew), df, options.alpha, options.power) : 1;
  const silent = [...expected.keys()].filter((n) => (counts.get(n) ?? 0) === 0 && (expected.get(n) ?? 0) > 0).sort();
  const replicas = names.map((replica, i) => {
    const share = answered ? (observed[i] ?? 0) / answered : 0;
    const expectedShare = shares[i] ?? 0;
    return {
      replica,
      count: observed[i] ?? 0,
      share,
      expectedShare,
      deviation: expectedShare ? share / expectedShare - 1 : share > 0 ? Number.POSITIVE_INFINITY : 0,
    };
  });
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    requests: records.length,
    answered,
    replicas,
    silent,
    errors,
    chiSquare: statistic,
    degreesOfFreedom: df,
    pValue,
    alpha: options.alpha,
    requiredRequests,
    underpowered: answered < requiredRequests,
    latencyMs: summariseLatency(records),
    pass: silent.length === 0 && pValue >= options.alpha && failed === 0,
  };
}
