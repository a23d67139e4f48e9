import { formatSpreadFromEveryNode } from '../../harness/report/spread-report.js';
import { judgeEveryNode } from '../../harness/traffic/spread-everywhere.js';
import type { SpreadMeasurement } from '../../harness/traffic/spread.js';
import { parseProbeRecords } from '../../harness/traffic/probe-records.js';
import { defaultSpreadRequest } from '../../harness/traffic/spread.js';
import { judgeSpread } from '../../harness/traffic/spread-statistics.js';
import { fixtureText } from '../fixtures/load.js';

// 20 requests from web to api (2 replicas) captured on Docker 28.5.2 (test/fixtures/docker-28.5.2-probe), judged
// against equal shares (a pass) and against shares that make them a clear skew (a fail), as two nodes' results.
const records = parseProbeRecords(fixtureText('docker-28.5.2-probe', 'web-get-api.txt'));

function measured(node: string, expected: Map<string, number>): SpreadMeasurement {
  return {
    request: defaultSpreadRequest('swarmlab-client', 'api', records.length),
    clientTask: `swarmlab-client.${node}`,
    clientNode: node,
    weightsFrom: 'equal shares over the running tasks',
    expected: Object.fromEntries(expected),
    verdict: judgeSpread(records, expected),
    records,
    durationMs: 1000,
    requestsPerSecond: 20,
  };
}

describe('spread from every node, as printed', () => {
  it('ends with a line per node and names the nodes that failed', () => {
    const equal = new Map([
      ['api.1', 1],
      ['api.2', 1],
    ]);
    const skewed = new Map([
      ['api.1', 9],
      ['api.2', 1],
    ]);
    const text = formatSpreadFromEveryNode({
      to: 'api',
      perNode: [
        { node: 'm1', measurement: measured('m1', equal) },
        { node: 'w1', measurement: measured('w1', skewed) },
        { node: 'w2', error: 'timed out after 30 s waiting for api to resolve' },
      ],
      pass: false,
    });
    const summary = text.split('\n').slice(-5);
    expect(summary[0]).toBe('spread to api from a client on every node:');
    expect(summary[1]).toMatch(/^ {2}m1 +PASS +api\.1 \d+, api\.2 \d+$/);
    expect(summary[2]).toMatch(/^ {2}w1 +FAIL +api\.1 \d+, api\.2 \d+ \(.+\)$/);
    expect(summary[3]).toBe('  w2    ERROR  timed out after 30 s waiting for api to resolve');
    expect(summary[4]).toBe('FAIL on w1, w2');
  });

  it('lists a node without a client as skipped, and judges the others alone', () => {
    const equal = new Map([
      ['api.1', 1],
      ['api.2', 1],
    ]);
    const all = judgeEveryNode('api', [
      { node: 'w2', measurement: measured('w2', equal) },
      { node: 'w1', skipped: 'availability drain' },
      { node: 'm1', measurement: measured('m1', equal) },
    ]);
    expect(all.pass).toBe(true);
    expect(all.perNode.map((n) => n.node)).toEqual(['m1', 'w1', 'w2']);
    const summary = formatSpreadFromEveryNode(all).split('\n').slice(-4);
    expect(summary[1]).toBe('  w1    SKIP   no client task: availability drain');
    expect(summary[3]).toBe('PASS');
    expect(judgeEveryNode('api', [{ node: 'w1', skipped: 'node down' }]).pass).toBe(false);
  });
});
