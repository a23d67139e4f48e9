import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkInfo } from '../checks/check-catalog.js';
import { parseTestFilter, selected } from '../checks/check-filter.js';
import { ConfigError } from '../core/errors.js';
import { type FieldReader, type Path, readConfigFile, readYaml } from '../core/yaml-fields.js';
import { loadScenario } from '../scenario/load-scenario.js';
import { compareVersions, isDockerVersion, type VersionRange } from '../core/docker-version.js';
import type { Exposure, KnownBug, Reproduction, TrafficSymptom } from './known-bug.js';

/** The catalogue that ships with swarmlab: one YAML file per bug. */
export const knownBugsDir = fileURLToPath(new URL('../../known-bugs/', import.meta.url));

const idPattern = /^[a-z0-9-]+#\d+$/;
const versionExpected = 'a Docker version such as 20.10.17 (quoted)';

function readVersion(r: FieldReader, path: Path): string | undefined {
  const v = r.value(path);
  if (v === undefined) return undefined;
  // YAML reads 29.0 as a number: the version must be a string so that 20.10 is not 20.1.
  if (typeof v !== 'string' || !isDockerVersion(v)) r.fail(path, versionExpected, v);
  return v;
}

function readCheckIds(r: FieldReader, path: Path): string[] {
  return r.stringList(path).map((id, i) => {
    if (!checkInfo(id)) r.fail([...path, i], 'a check id (see swarmlab explain)', id);
    return id;
  });
}

function readTraffic(r: FieldReader, path: Path): TrafficSymptom | undefined {
  if (!r.map(path, ['failed', 'gap', 'nearSynRetransmit'], false)) return undefined;
  const symptom: TrafficSymptom = {};
  const failed = r.value([...path, 'failed']);
  if (failed !== undefined) symptom.failed = r.integer([...path, 'failed'], 1, 1_000_000);
  const near = r.value([...path, 'nearSynRetransmit']);
  if (near !== undefined) symptom.nearSynRetransmit = r.integer([...path, 'nearSynRetransmit'], 1, 1_000_000);
  if (r.value([...path, 'gap']) !== undefined) symptom.gapSeconds = r.duration([...path, 'gap']);
  if (Object.keys(symptom).length === 0) r.fail(path, 'at least one of failed, gap, nearSynRetransmit');
  return symptom;
}

async function readReproduction(r: FieldReader, file: string): Promise<Reproduction> {
  const p = ['reproduce'];
  r.map(p, ['scenario', 'step', 'checks', 'traffic']);
  const scenarioFile = r.string([...p, 'scenario'], /\.ya?ml$/, 'the path of a scenario file, relative to this file');
  const scenario = await loadScenario(resolve(dirname(file), scenarioFile));
  const step = r.value([...p, 'step']) === undefined ? undefined : r.integer([...p, 'step'], 1, scenario.steps.length);
  const checks = readCheckIds(r, [...p, 'checks']);
  const traffic = readTraffic(r, [...p, 'traffic']);
  if (checks.length === 0 && !traffic) r.fail(p, 'checks (ids whose failure is the bug) or traffic (a symptom)');
  for (const s of scenario.steps.filter((s) => step === undefined || s.index === step)) {
    const filter = parseTestFilter(s.checks);
    const unread = checks.filter((c) => !selected(filter, c));
    if (unread.length)
      r.fail(
        [...p, 'checks'],
        `checks that step ${s.index} of ${scenario.source} runs (its checks: ${s.checks.join(' ')})`,
        unread,
      );
  }
  if (traffic) {
    const stepsWithTraffic = scenario.steps.filter((s) => s.traffic && (step === undefined || s.index === step));
    if (stepsWithTraffic.length === 0)
      r.fail([...p, 'traffic'], `a deciding step with traffic (${scenario.source} sends none there)`);
  }
  return { scenario, ...(step === undefined ? {} : { step }), checks, ...(traffic ? { traffic } : {}) };
}

function readAffects(r: FieldReader): VersionRange {
  r.map(['affects'], ['from', 'fixedIn', 'fixedBefore']);
  const from = readVersion(r, ['affects', 'from']);
  const fixedIn = readVersion(r, ['affects', 'fixedIn']);
  const fixedBefore = readVersion(r, ['affects', 'fixedBefore']);
  if (fixedIn && fixedBefore) r.fail(['affects', 'fixedBefore'], 'fixedIn or fixedBefore, not both', fixedBefore);
  const end = fixedIn ?? fixedBefore;
  if (from && end && compareVersions(from, end) >= 0)
    r.fail(['affects', fixedIn ? 'fixedIn' : 'fixedBefore'], `a release after from (${from})`, end);
  return { ...(from ? { from } : {}), ...(fixedIn ? { fixedIn } : {}), ...(fixedBefore ? { fixedBefore } : {}) };
}

function readExposure(r: FieldReader): Exposure | undefined {
  const p = ['exposure'];
  if (!r.map(p, ['check', 'below', 'says'], false)) return undefined;
  const id = r.string([...p, 'check']);
  if (!checkInfo(id)) r.fail([...p, 'check'], 'a check id (see swarmlab explain)', id);
  const below = readVersion(r, [...p, 'below']);
  if (!below) r.fail([...p, 'below'], versionExpected);
  return { check: id, below, says: r.string([...p, 'says']) };
}

/** Parses and validates one entry; the first mistake is a ConfigError with file, line and field. */
export async function parseKnownBug(text: string, file: string): Promise<KnownBug> {
  const r = readYaml(text, file);
  r.map([], ['id', 'title', 'url', 'summary', 'reported', 'affects', 'fix', 'reproduce', 'unreproducible', 'exposure']);
  const id = r.string(['id'], idPattern, 'an upstream reference such as moby#36988');
  const expectedFile = `${id.replace('#', '-')}.yaml`;
  if (basename(file) !== expectedFile) r.fail(['id'], `the id the file name gives (${expectedFile})`, id);
  const fix = r.optionalString(['fix']);
  const unreproducible = r.optionalString(['unreproducible']);
  const exposure = readExposure(r);
  return {
    id,
    source: file,
    title: r.string(['title']),
    url: r.string(
      ['url'],
      /^https:\/\/github\.com\/[^/]+\/[^/]+\/(issues|pull)\/\d+$/,
      'the GitHub address of the thread',
    ),
    summary: r.string(['summary']).trim(),
    reported: r.string(['reported']),
    affects: readAffects(r),
    ...(fix ? { fix } : {}),
    reproduce: await readReproduction(r, file),
    ...(unreproducible ? { unreproducible: unreproducible.trim() } : {}),
    ...(exposure ? { exposure } : {}),
  };
}

async function loadKnownBug(file: string): Promise<KnownBug> {
  return parseKnownBug(await readConfigFile(file, 'a readable catalogue entry'), file);
}

/** Every entry of a catalogue folder, sorted by id; the first bad entry stops the load. */
export async function loadKnownBugs(dir = knownBugsDir): Promise<KnownBug[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const bugs = await Promise.all(files.map((f) => loadKnownBug(join(dir, f))));
  return bugs.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

let shipped: Promise<KnownBug[]> | undefined;

/** The catalogue that ships with swarmlab, loaded once per process (check, run and every scenario step use it). */
export function shippedKnownBugs(): Promise<KnownBug[]> {
  shipped ??= loadKnownBugs();
  return shipped;
}

/** The entry of an id (moby#36988, or moby-36988 as the file is named). */
export function findKnownBug(bugs: readonly KnownBug[], id: string): KnownBug {
  const bug = bugs.find((b) => b.id === id || b.id === id.replace(/-(\d+)$/, '#$1'));
  if (!bug) throw new ConfigError('swarmlab repro', 'ID', `one of ${bugs.map((b) => b.id).join(', ')}`, id);
  return bug;
}
