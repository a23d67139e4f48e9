import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkCatalog, checkInfo, checkTableMarkdown } from '../../harness/checks/check-catalog.js';
import { evaluateDataplane } from '../../harness/checks/dataplane.js';
import { checksTableOf } from '../../harness/checks/readme-table.js';
import { buildNodeModel } from '../../harness/inspect/lb-model.js';
import { clusterFixture } from '../fixtures/load.js';

const repo = new URL('../../', import.meta.url).pathname;

describe('the check catalogue', () => {
  it("is what the README's table shows (npm run docs rewrites it)", () => {
    expect(checksTableOf(readFileSync(join(repo, 'README.md'), 'utf8'))).toBe(checkTableMarkdown());
  });

  it('lists every check id the check code reports', () => {
    const dir = join(repo, 'harness/checks');
    const ids = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('-checks.ts'))) {
      for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/'((?:lb|net|ingress|dns)\.[a-z-]+)'/g))
        ids.add(m[1] ?? '');
    }
    expect(ids.size).toBeGreaterThan(10);
    expect([...ids].filter((id) => !checkInfo(id)).sort()).toEqual([]);
  });

  it('lists every check a real capture produces (Docker 26.1.5, web-api with a published port)', () => {
    const fixture = clusterFixture('docker-26.1.5-ingress', ['m1', 'w1', 'w2']);
    const results = evaluateDataplane({
      swarm: fixture.swarm,
      models: fixture.dumps.map((d) => buildNodeModel(d, fixture.swarm)),
    });
    expect(results.length).toBeGreaterThan(20);
    expect([...new Set(results.map((r) => r.check))].filter((id) => !checkInfo(id))).toEqual([]);
  });

  it('has unique ids, and every entry says what it reads, when it passes and what a finding means', () => {
    expect(new Set(checkCatalog.map((c) => c.id)).size).toBe(checkCatalog.length);
    for (const c of checkCatalog)
      for (const field of [c.title, c.reads, c.passes, c.finding, c.appliesTo])
        expect(field.length).toBeGreaterThan(10);
  });

  it('maps a spread id of any service or mesh port to spread.<service>', () => {
    expect(checkInfo('spread.api')?.id).toBe('spread.<service>');
    expect(checkInfo('spread.api.mesh-8080')?.id).toBe('spread.<service>');
    expect(checkInfo('lb.nonsense')).toBeUndefined();
  });
});
