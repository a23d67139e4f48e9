import { measureDisruption } from '../../harness/traffic/disruption.js';
import { parseProbeRecords } from '../../harness/traffic/probe-records.js';
import { fixtureText } from '../fixtures/load.js';

// Probe client output captured in a web task of a real cluster (Docker 28.5.2 sid nodes, test/fixtures/README.md).
const dir = 'docker-28.5.2-probe';

describe('disruption accounting on recorded traffic', () => {
  it('counts no failure and a gap no longer than the spacing of answers when every request was answered', () => {
    const records = parseProbeRecords(fixtureText(dir, 'web-get-api.txt'));
    const d = measureDisruption(records);
    expect(d).toMatchObject({ requests: 20, failed: 0, errors: {}, nearSynRetransmit: 0 });
    expect(Object.values(d.answeredBy).reduce((a, b) => a + b, 0)).toBe(20);
    const completions = records.map((r) => r.at + r.ms).sort((a, b) => a - b);
    const spacing = Math.max(completions[0] ?? 0, ...completions.slice(1).map((c, i) => c - (completions[i] ?? 0)));
    expect(d.longestGapMs).toBeCloseTo(spacing, 6);
  });

  it('counts every refused request, and the whole run as one gap when nothing got through', () => {
    const records = parseProbeRecords(fixtureText(dir, 'web-get-api-81.txt'));
    const d = measureDisruption(records);
    expect(d).toMatchObject({ requests: 3, failed: 3, errors: { 'connect: Connection refused': 3 }, answeredBy: {} });
    expect(d.longestGapAtMs).toBe(0);
    expect(d.longestGapMs).toBeCloseTo(Math.max(...records.map((r) => r.at + r.ms)), 6);
  });
});

describe('disruption accounting on the traffic of a real rolling update', () => {
  // The scenario suite's rolling update of api (Docker 26.1.5, trixie nodes; test/fixtures/README.md).
  const records = parseProbeRecords(fixtureText('docker-26.1.5-rolling-update', 'web-to-api-traffic.jsonl'));

  it('counts every request answered, by the old tasks and then by their replacements', () => {
    const d = measureDisruption(records);
    expect(d).toMatchObject({ requests: 1598, failed: 0, errors: {} });
    const tasks = Object.keys(d.answeredBy).sort();
    expect(tasks).toHaveLength(4);
    expect(new Set(tasks.map((t) => t.split('.')[1]))).toEqual(new Set(['1', '2']));
  });

  it('finds the longest stretch without an answer where the answers thin out, well under a second', () => {
    const d = measureDisruption(records);
    expect(d.longestGapMs).toBeGreaterThan(100);
    expect(d.longestGapMs).toBeLessThan(1000);
    const completions = records.map((r) => r.at + r.ms).sort((a, b) => a - b);
    expect(completions.some((c) => Math.abs(c - d.longestGapAtMs) < 1e-6)).toBe(true);
  });
});
