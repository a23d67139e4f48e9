import {
  chiSquareCdf,
  chiSquareCritical,
  chiSquarePValue,
  lowerGammaP,
  noncentralChiSquareSurvival,
} from '../../harness/traffic/chi-square.js';
import {
  chiSquarePower,
  chiSquareStatistic,
  judgeSpread,
  percentile,
  requiredSampleSize,
  skewEffectSize,
} from '../../harness/traffic/spread-statistics.js';
import type { ProbeRecord } from '../../harness/traffic/probe-records.js';

describe('chi-square p-values against published critical values', () => {
  // Upper-tail critical values from the standard table (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
  it.each([
    [3.841, 1, 0.05],
    [6.635, 1, 0.01],
    [10.828, 1, 0.001],
    [5.991, 2, 0.05],
    [9.21, 2, 0.01],
    [13.816, 2, 0.001],
    [11.345, 3, 0.01],
    [18.307, 10, 0.05],
    [31.41, 20, 0.05],
    [124.342, 100, 0.05],
  ])('chi2=%d with %d df has p=%d', (x, df, p) => {
    expect(chiSquarePValue(x, df)).toBeCloseTo(p, 4);
    expect(chiSquareCdf(x, df) + chiSquarePValue(x, df)).toBeCloseTo(1, 12);
    expect(chiSquareCritical(p, df)).toBeCloseTo(x, 2);
  });

  it('keeps precision far in the tail', () => {
    // P(X >= 100) for 2 df is exactly e^-50.
    expect(chiSquarePValue(100, 2) / Math.exp(-50)).toBeCloseTo(1, 10);
    expect(lowerGammaP(1, 2)).toBeCloseTo(1 - Math.exp(-2), 14);
  });

  it('a noncentral chi-square with λ=0 is the central one', () => {
    expect(noncentralChiSquareSurvival(5.991, 2, 0)).toBeCloseTo(chiSquarePValue(5.991, 2), 12);
  });
});

describe('power and sample size', () => {
  // Cohen (1988), Statistical Power Analysis, table 7.4.6: N for power .80 at alpha .05, df 1.
  it.each([
    [0.1, 785],
    [0.3, 88],
    [0.5, 32],
  ])('w=%d, df=1, alpha=.05, power=.80 needs N=%d', (w, n) => {
    expect(Math.abs(requiredSampleSize(w, 1, 0.05, 0.8) - n)).toBeLessThanOrEqual(1);
    expect(chiSquarePower(n, w, 1, 0.05)).toBeGreaterThanOrEqual(0.795);
  });
});

describe('effect size of a skewed replica', () => {
  it('is 0.5 for two equal replicas when one gets 1.5x its share (75/25)', () => {
    expect(skewEffectSize([0.5, 0.5], 0.5)).toBeCloseTo(0.5, 12);
  });
});

describe('judging a spread', () => {
  const records = (counts: Record<string, number>, extra: Partial<ProbeRecord>[] = []): ProbeRecord[] => {
    let i = 0;
    const out: ProbeRecord[] = [];
    for (const [task, n] of Object.entries(counts)) {
      for (let k = 0; k < n; k++)
        out.push({
          i,
          at: 2 * i++,
          ok: true,
          ms: 2 + (k % 5),
          to: '10.0.1.5',
          reply: { hostname: 'h', service: 'api', task: `${task}.abc`, slot: '1', node: 'n', addresses: [] },
        });
    }
    return [...out, ...extra.map((e) => ({ i, at: 2 * i++, ok: false, ms: 5000, to: '10.0.1.5', ...e }))];
  };
  const equal = new Map([
    ['api.1', 1],
    ['api.2', 1],
    ['api.3', 1],
  ]);

  it('passes an exact round robin (the 200/200/200 of 600 requests)', () => {
    const verdict = judgeSpread(records({ 'api.1': 200, 'api.2': 200, 'api.3': 200 }), equal);
    expect(verdict).toMatchObject({ pass: true, chiSquare: 0, pValue: 1, answered: 600, silent: [] });
    expect(verdict.underpowered).toBe(false);
  });

  it('fails when one replica has three times the weight, and names it', () => {
    const verdict = judgeSpread(records({ 'api.1': 360, 'api.2': 120, 'api.3': 120 }), equal);
    expect(verdict.pass).toBe(false);
    expect(verdict.pValue).toBeLessThan(1e-20);
    expect(verdict.replicas.reduce((a, b) => (b.deviation > a.deviation ? b : a)).replica).toBe('api.1');
  });

  it('judges against the programmed weights when they differ', () => {
    const weighted = new Map([
      ['api.1', 3],
      ['api.2', 1],
      ['api.3', 1],
    ]);
    expect(judgeSpread(records({ 'api.1': 360, 'api.2': 120, 'api.3': 120 }), weighted).pass).toBe(true);
  });

  it('fails on a replica that never answered, and on errors', () => {
    const silent = judgeSpread(records({ 'api.1': 300, 'api.2': 300 }), equal);
    expect(silent).toMatchObject({ pass: false, silent: ['api.3'] });
    const errors = judgeSpread(
      records({ 'api.1': 100, 'api.2': 100, 'api.3': 100 }, [{ error: 'connect: timeout' }]),
      equal,
    );
    expect(errors).toMatchObject({ pass: false, errors: { connect: 1 } });
  });

  it('warns when too few requests were sent to judge', () => {
    expect(judgeSpread(records({ 'api.1': 3, 'api.2': 3, 'api.3': 3 }), equal).underpowered).toBe(true);
  });

  it('counts latencies near a SYN retransmit', () => {
    const rs = records({ 'api.1': 10 });
    rs[0] = { ...rs[0]!, ms: 1003 };
    rs[1] = { ...rs[1]!, ms: 3010 };
    expect(judgeSpread(rs, new Map([['api.1', 1]])).latencyMs).toMatchObject({ nearSynRetransmit: 2, max: 3010 });
  });

  it('computes the statistic and percentiles', () => {
    expect(chiSquareStatistic([10, 20], [0.5, 0.5])).toBeCloseTo(25 / 15 + 25 / 15, 10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  });
});
