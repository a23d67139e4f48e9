import { ConfigError } from '../../harness/core/errors.js';
import { parseTestFilter, selected } from '../../harness/checks/check-filter.js';
import { applyFilter, type Outcome } from '../../harness/report/outcome.js';
import { spreadPlans } from '../../harness/traffic/spread-plan.js';
import { loadTopology } from '../../harness/topology/load-topology.js';

describe('--test filters', () => {
  it('selects by regex and skips with a leading !', () => {
    const filter = parseTestFilter(['^lb\\.', '!sysctls']);
    expect(selected(filter, 'lb.mark-rule')).toBe(true);
    expect(selected(filter, 'lb.sysctls')).toBe(false);
    expect(selected(filter, 'spread.api')).toBe(false);
  });
  it('selects everything without patterns, and only skips with ! patterns alone', () => {
    expect(selected(parseTestFilter([]), 'spread.api')).toBe(true);
    expect(selected(parseTestFilter(['!spread']), 'spread.api')).toBe(false);
    expect(selected(parseTestFilter(['!spread']), 'lb.backends')).toBe(true);
  });
  it('keeps filtered-out outcomes visible as skipped', () => {
    const outcomes: Outcome[] = [
      { stage: 'dataplane', check: 'lb.sysctls', subject: 'n1', status: 'fail', message: 'x' },
    ];
    expect(applyFilter(parseTestFilter(['!sysctls']), outcomes)[0]).toMatchObject({
      status: 'skip',
      message: 'not selected by --test',
    });
  });
  it('rejects an invalid regex naming the flag', () => {
    expect(() => parseTestFilter(['lb.('])).toThrow(ConfigError);
    expect(() => parseTestFilter(['lb.('])).toThrow('--test: test: expected a valid regular expression, got "lb.("');
  });
});

describe('spread tests of the shipped topologies', () => {
  const plans = async (file: string) => spreadPlans(await loadTopology(file));

  it('tests each probe service by name from a probe service on a shared network', async () => {
    expect(await plans('topologies/web-api.yaml')).toEqual([
      { check: 'spread.web', from: 'api', service: 'web' },
      { check: 'spread.api', from: 'web', service: 'api' },
    ]);
    expect(await plans('topologies/multi-network.yaml')).toEqual([
      { check: 'spread.web', from: 'api', service: 'web' },
      { check: 'spread.worker', from: 'api', service: 'worker' },
      { check: 'spread.api', from: 'web', service: 'api' },
    ]);
  });

  it('tests a dnsrr service by name too (the client resolves it before every request)', async () => {
    expect(await plans('topologies/web-api-dnsrr.yaml')).toEqual([
      { check: 'spread.web', from: 'api', service: 'web' },
      { check: 'spread.api', from: 'web', service: 'api' },
    ]);
  });

  it('tests a port published through the routing mesh from another probe service', async () => {
    expect(await plans('topologies/ingress.yaml')).toEqual([
      { check: 'spread.web', from: 'api', service: 'web' },
      { check: 'spread.api', from: 'web', service: 'api' },
      { check: 'spread.api.mesh-8080', from: 'web', service: 'api', meshPort: 8080 },
    ]);
  });
});
