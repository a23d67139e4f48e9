import { clientRate, parseProbeRecords, ProbeOutputError } from '../../harness/traffic/probe-records.js';
import { fixtureText } from '../fixtures/load.js';

// Output of the probe client in the web task of a live web-api (Docker 28.5.2
// nodes, api x2): 20 requests through the api VIP, and 3 to port 81, where
// nothing listens (see test/fixtures/README.md).
const dir = 'docker-28.5.2-probe';

describe('probe client records', () => {
  it('reads answered requests with who answered and when', () => {
    const records = parseProbeRecords(fixtureText(dir, 'web-get-api.txt'));
    expect(records).toHaveLength(20);
    expect(records.every((r) => r.ok && r.to === '10.0.1.5')).toBe(true);
    expect(new Set(records.map((r) => r.reply?.task.split('.').slice(0, 2).join('.')))).toEqual(
      new Set(['api.1', 'api.2']),
    );
    expect(records.map((r) => r.i).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('reads failed requests with their error', () => {
    const records = parseProbeRecords(fixtureText(dir, 'web-get-api-81.txt'));
    expect(records.map((r) => [r.ok, r.error])).toEqual([
      [false, 'connect: Connection refused'],
      [false, 'connect: Connection refused'],
      [false, 'connect: Connection refused'],
    ]);
  });

  it('measures the rate from the first start to the last end', () => {
    const records = parseProbeRecords(fixtureText(dir, 'web-get-api.txt'));
    const first = Math.min(...records.map((r) => r.at));
    const last = Math.max(...records.map((r) => r.at + r.ms));
    expect(clientRate(records)).toBeCloseTo(20 / ((last - first) / 1000), 9);
    expect(clientRate([])).toBe(0);
  });

  it('quotes a malformed line instead of crashing', () => {
    const text = fixtureText(dir, 'web-get-api.txt');
    const [first, second] = text.split('\n');
    expect(() => parseProbeRecords(`${first}\n${second?.slice(0, 40)}\n`)).toThrow(ProbeOutputError);
    expect(() => parseProbeRecords(`${first}\n${second?.slice(0, 40)}\n`)).toThrow(/line 2: not JSON: \{"i":/);
    expect(() => parseProbeRecords(first?.replace(/"at":[\d.]+,/, '') ?? '')).toThrow(/missing i, at, ok, ms or to/);
  });
});
