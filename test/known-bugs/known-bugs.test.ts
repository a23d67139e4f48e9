import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateDataplane } from '../../harness/checks/dataplane.js';
import { compareVersions, formatRange, inRange } from '../../harness/core/docker-version.js';
import { diagnose, exposureWarnings } from '../../harness/known-bugs/diagnose.js';
import { findKnownBug, knownBugsDir, loadKnownBugs, parseKnownBug } from '../../harness/known-bugs/load-known-bugs.js';
import { judgeReproduction } from '../../harness/known-bugs/repro-verdict.js';
import { reproTable, reproTableMarkdown } from '../../harness/known-bugs/run-repro.js';
import { buildNodeModel } from '../../harness/inspect/lb-model.js';
import type { ScenarioSummary } from '../../harness/scenario/run-scenario.js';
import { clusterFixture, fixtureText } from '../fixtures/load.js';

// Scenario summaries captured on Docker 26.1.5 (trixie nodes, 1+2) by `swarmlab scenario scenarios/*.yaml`; see
// test/fixtures/README.md. endpoint-mode's step 2 (dnsrr -> vip) showed the moby#36988 state on two nodes.
function capturedSummary(name: string): ScenarioSummary {
  return JSON.parse(fixtureText('docker-26.1.5-scenario-summaries', `${name}.json`)) as ScenarioSummary;
}

const bugs = await loadKnownBugs();
const bug = (id: string) => findKnownBug(bugs, id);

describe('Docker versions', () => {
  test('compare by release, ignoring Debian suffixes; a missing part is 0', () => {
    expect(compareVersions('20.10.24+dfsg1', '20.10.17')).toBeGreaterThan(0);
    expect(compareVersions('20.10.5+dfsg1', '20.10.17')).toBeLessThan(0);
    expect(compareVersions('29.0', '29.0.0')).toBe(0);
    expect(compareVersions('28.5.2', '29.0.0')).toBeLessThan(0);
  });
  test('a range runs from `from` up to, not including, its fix', () => {
    expect(inRange('20.10.16', { fixedIn: '20.10.17' })).toBe(true);
    expect(inRange('20.10.17', { fixedIn: '20.10.17' })).toBe(false);
    expect(inRange('28.5.2', { from: '29.0.0' })).toBe(false);
    expect(inRange('26.1.5', { from: '1.12.0', fixedBefore: '20.10.5' })).toBe(false);
    expect(formatRange({ from: '29.0.0' })).toBe('affects 29.0.0 and later, no fixing release named');
    expect(formatRange({ fixedBefore: '20.10.5' })).toBe('affects every version, fixed before 20.10.5');
  });
});

describe('the shipped catalogue', () => {
  test('has at least 10 entries, each with its own scenario step and an observable', () => {
    expect(bugs.length).toBeGreaterThanOrEqual(10);
    expect(new Set(bugs.map((b) => b.id)).size).toBe(bugs.length);
    for (const b of bugs) {
      expect(b.reproduce.checks.length + (b.reproduce.traffic ? 1 : 0)).toBeGreaterThan(0);
      expect(b.summary.length).toBeGreaterThan(80);
    }
  });
  test('finds an entry by id or by file name, and names the ids it has when not', () => {
    expect(bug('moby-36988').id).toBe('moby#36988');
    expect(() => findKnownBug(bugs, 'moby#1')).toThrow(/ID: expected one of moby#25325, .*moby#53141, got "moby#1"/);
  });
});

describe('catalogue entry format', () => {
  const scenario = join(knownBugsDir, 'scenarios', 'moby-36988.yaml');
  const valid = [
    'id: moby#36988',
    'title: a title',
    'url: https://github.com/moby/moby/issues/36988',
    'summary: what it is',
    'reported: "18.03"',
    'affects: { from: "17.06" }',
    'reproduce:',
    `  scenario: ${scenario}`,
    '  step: 2',
    '  checks: [lb.mark-rule]',
  ].join('\n');
  const parse = (text: string, file = 'moby-36988.yaml') => parseKnownBug(text, join('/x', file));
  const edited = (from: string, to: string) => {
    if (!valid.includes(from)) throw new Error(`not in the valid entry: ${from}`);
    return valid.replace(from, to);
  };

  test('a valid entry loads with its scenario', async () => {
    const b = await parse(valid);
    expect(b.reproduce.scenario.name).toBe('moby-36988');
    expect(b.affects).toEqual({ from: '17.06' });
  });
  test.each([
    [
      'an id that is no reference',
      edited('id: moby#36988', 'id: 36988'),
      /moby-36988.yaml:1: id: expected an upstream reference such as moby#36988, got 36988/,
    ],
    [
      'an id the file name does not give',
      edited('id: moby#36988', 'id: moby#1'),
      /id: expected the id the file name gives \(moby-1.yaml\)/,
    ],
    [
      'a version YAML reads as a number',
      edited('{ from: "17.06" }', '{ from: 17.06 }'),
      /affects.from: expected a Docker version such as 20.10.17 \(quoted\), got 17.06/,
    ],
    [
      'a fix before the first affected release',
      edited('{ from: "17.06" }', '{ from: "17.06", fixedIn: "17.03" }'),
      /affects.fixedIn: expected a release after from \(17.06\), got "17.03"/,
    ],
    [
      'both fixedIn and fixedBefore',
      edited('{ from: "17.06" }', '{ fixedIn: "20.10.17", fixedBefore: "20.10.5" }'),
      /affects.fixedBefore: expected fixedIn or fixedBefore, not both/,
    ],
    [
      'an unknown check id',
      edited('[lb.mark-rule]', '[lb.mark-rules]'),
      /reproduce.checks\[0\]: expected a check id \(see swarmlab explain\), got "lb.mark-rules"/,
    ],
    [
      'a step the scenario does not have',
      edited('step: 2', 'step: 3'),
      /reproduce.step: expected an integer from 1 to 2, got 3/,
    ],
    [
      'a traffic symptom on a step without traffic',
      edited('  checks: [lb.mark-rule]', '  traffic: { failed: 1 }'),
      /reproduce.traffic: expected a deciding step with traffic/,
    ],
    [
      'neither checks nor traffic',
      edited('  checks: [lb.mark-rule]', ''),
      /reproduce: expected checks \(ids whose failure is the bug\) or traffic \(a symptom\)/,
    ],
    ['a field the format does not have', `${valid}\nseverity: high`, /severity: expected one of the fields id, title/],
    [
      'a thread address that is not GitHub',
      edited('https://github.com/moby/moby/issues/36988', 'http://example.com/1'),
      /url: expected the GitHub address of the thread/,
    ],
  ])('%s is refused with file, line and field', async (_what, text, message) => {
    await expect(parse(text)).rejects.toThrow(message);
  });
  test('the deciding step must run the checks that decide', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swarmlab-bug-'));
    const onlyDns = (await readFile(scenario, 'utf8')).replace(
      /endpointMode: vip\n/,
      'endpointMode: vip\n    checks: [dns.]\n',
    );
    await writeFile(
      join(dir, 'only-dns.yaml'),
      onlyDns.replace('../../topologies/', `${join(knownBugsDir, '..', 'topologies')}/`),
    );
    const text = edited(`scenario: ${scenario}`, `scenario: ${join(dir, 'only-dns.yaml')}`);
    await expect(parse(text)).rejects.toThrow(
      /reproduce.checks: expected checks that step 2 of .*only-dns.yaml runs \(its checks: dns.\), got \["lb.mark-rule"\]/,
    );
  });
});

describe('judging a reproduction on captured scenario summaries (Docker 26.1.5)', () => {
  test('moby#36988: the dnsrr -> vip step shows its findings: REPRODUCED, as expected on an affected version', () => {
    const v = judgeReproduction(bug('moby#36988'), capturedSummary('endpoint-mode'), '26.1.5+dfsg1');
    expect(v.outcome).toBe('reproduced');
    expect(v.asExpected).toBe(true);
    expect(v.evidence[0]).toBe('step 2 (docker service update --detach --endpoint-mode vip api):');
    expect(v.evidence.join('\n')).toMatch(/lb.mark-rule on scn-1m2w-trixie-w1 .*expected/);
    expect(v.evidence.join('\n')).toMatch(/dns.service-name on scn-1m2w-trixie-m1/);
    // Step 1's findings (lb.unknown-vip) are not the bug's and do not count.
    expect(v.evidence.join('\n')).not.toMatch(/unknown-vip/);
  });
  test('moby#26060: a drain with no finding and no failed request is NOT REPRODUCED, as expected where fixed', () => {
    const v = judgeReproduction(bug('moby#26060'), capturedSummary('drain'), '26.1.5+dfsg1');
    expect(v.outcome).toBe('not-reproduced');
    expect(v.expected).toBe('not-reproduced');
    expect(v.asExpected).toBe(true);
    expect(v.expectedBecause).toBe(
      'Docker 26.1.5+dfsg1 is not affected (affects 1.12.0 and later, fixed before 20.10.5)',
    );
    expect(v.evidence[0]).toMatch(
      /^step 1 \(drain .*\): none of lb.backends nor the traffic symptom; traffic: \d+ requests, 0 failed/,
    );
  });
  test('moby#41896: a rolling update that lost no request is NOT REPRODUCED, against the entry that expects it', () => {
    const v = judgeReproduction(bug('moby#41896'), capturedSummary('rolling-update'), '26.1.5+dfsg1');
    expect(v.outcome).toBe('not-reproduced');
    expect(v.expected).toBe('reproduced');
    expect(v.asExpected).toBe(false);
  });
  test('a traffic symptom decides when the step lost requests', () => {
    const summary = capturedSummary('rolling-update');
    const step = summary.steps[0];
    if (!step?.disruption) throw new Error('the capture has traffic on step 1');
    step.disruption.failed = 3;
    const v = judgeReproduction(bug('moby#41896'), summary, '26.1.5+dfsg1');
    expect(v.outcome).toBe('reproduced');
    expect(v.evidence).toContain('  3 failed requests (the bug: at least 1)');
  });
  test('a scenario that stopped, or a deciding step whose action failed, decides nothing', () => {
    const stopped = { ...capturedSummary('drain'), steps: [], error: 'deploy failed: no such image' };
    const v = judgeReproduction(bug('moby#26060'), stopped, '26.1.5');
    expect(v.outcome).toBeUndefined();
    expect(v.asExpected).toBe(false);
    expect(v.evidence).toEqual(['the scenario stopped: deploy failed: no such image']);
    const failed = capturedSummary('drain');
    const first = failed.steps[0];
    if (!first) throw new Error('the capture has step 1');
    first.status = 'fail';
    first.error = 'the Swarm did not converge';
    first.disruption = undefined;
    expect(judgeReproduction(bug('moby#26060'), failed, '26.1.5').outcome).toBeUndefined();
  });
  test('an entry whose recipe reproduces nowhere expects NOT REPRODUCED on every version', () => {
    const v = judgeReproduction(bug('moby#35082'), capturedSummary('drain'), '20.10.5');
    expect(v.expected).toBe('not-reproduced');
    expect(v.expectedBecause).toMatch(/^its recipe reproduces nowhere: /);
  });
});

describe('diagnosis of findings', () => {
  const step2 = capturedSummary('endpoint-mode').steps[1];
  if (!step2) throw new Error('the capture has step 2');
  const versions = Object.fromEntries(step2.findings.map((f) => [f.node, '26.1.5+dfsg1']));

  test('findings after an endpoint-mode update on 26.1.5 look like moby#36988', () => {
    const lines = diagnose(bugs, step2.findings, { dockerVersions: versions, after: 'update' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^lb.mark-rule, lb.ipvs-service, dns.service-name on scn-1m2w-trixie-m1, scn-1m2w-trixie-w1 looks like moby#36988, /,
    );
    expect(lines[0]).toMatch(
      /: affects every version, no fixing release named; https:\/\/github.com\/moby\/moby\/issues\/36988$/,
    );
  });
  test('the same findings after another kind of action do not', () => {
    expect(diagnose(bugs, step2.findings, { dockerVersions: versions, after: 'drain' })).toEqual([]);
  });
  test('outside a scenario the line says which action the reproduction follows', () => {
    const lines = diagnose(bugs, step2.findings, { dockerVersions: versions });
    expect(lines.find((l) => l.includes('moby#36988'))).toMatch(/its reproduction: after update;/);
  });
  test('a version outside the affected range does not match', () => {
    const old = Object.fromEntries(Object.keys(versions).map((n) => [n, '1.11.0']));
    const onlyLb = step2.findings.filter((f) => f.check.startsWith('lb.'));
    // 1.11 is older than every entry's first affected release that lists lb checks, except unbounded ones.
    const lines = diagnose(bugs, onlyLb, { dockerVersions: old, after: 'update' });
    expect(lines.every((l) => !l.includes('moby#33790'))).toBe(true);
  });
  test('Docker 20.10.5 (captured web-api) skips lb.sysctls: a warning of exposure to moby#35082, not a bare skip', () => {
    const fixture = clusterFixture('docker-20.10.5-web-api', ['m1', 'w1', 'w2']);
    const models = fixture.dumps.map((d) => buildNodeModel(d, fixture.swarm));
    const results = evaluateDataplane({ swarm: fixture.swarm, models });
    expect(results.some((r) => r.check === 'lb.sysctls' && r.status === 'skip')).toBe(true);
    const dockerVersions = Object.fromEntries(models.map((m) => [m.node, m.dockerVersion]));
    const warnings = exposureWarnings(bugs, results, dockerVersions);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^Docker 20.10.5\+dfsg1 leaves the IPVS connection-reuse sysctls .*: exposed to moby#35082, /,
      ),
    ]);
  });
});

describe('the bug x version table', () => {
  test('marks outcomes the entry did not expect, and renders as Markdown', () => {
    const reproduced = judgeReproduction(bug('moby#36988'), capturedSummary('endpoint-mode'), '26.1.5');
    const notExpected = judgeReproduction(bug('moby#41896'), capturedSummary('rolling-update'), '26.1.5');
    const rows = reproTable([{ nodeImage: 'trixie', verdicts: [reproduced, notExpected] }]);
    expect(rows).toEqual([
      ['bug', 'trixie (26.1.5)'],
      ['moby#36988', 'REPRODUCED'],
      ['moby#41896', 'not reproduced (!)'],
    ]);
    expect(reproTableMarkdown(rows)).toMatch(
      /^\| bug \| trixie \(26.1.5\) \|\n\|---\|---\|\n\| moby#36988 \| REPRODUCED \|/,
    );
  });
});
