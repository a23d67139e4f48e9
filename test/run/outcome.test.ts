import { ConfigError } from '../../harness/core/errors.js';
import { applyFilter, parseTestFilter, selected, type Outcome } from '../../harness/run/outcome.js';
import { spreadPairs } from '../../harness/run/run-pipeline.js';
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
    const outcomes: Outcome[] = [{ stage: 'dataplane', check: 'lb.sysctls', subject: 'n1', status: 'fail', message: 'x' }];
    expect(applyFilter(parseTestFilter(['!sysctls']), outcomes)[0]).toMatchObject({ status: 'skip', message: 'not selected by --test' });
  });
  it('rejects an invalid regex naming the flag', () => {
    expect(() => parseTestFilter(['lb.('])).toThrow(ConfigError);
    expect(() => parseTestFilter(['lb.('])).toThrow('--test: test: expected a valid regular expression, got "lb.("');
  });
});

describe('spread pairs of the shipped topologies', () => {
  it('tests each VIP service from a probe service on a shared network', async () => {
    expect(spreadPairs(await loadTopology('topologies/web-api.yaml'))).toEqual([
      { from: 'api', to: 'web' },
      { from: 'web', to: 'api' },
    ]);
    expect(spreadPairs(await loadTopology('topologies/web-api-dnsrr.yaml'))).toEqual([{ from: 'api', to: 'web' }]);
    expect(spreadPairs(await loadTopology('topologies/multi-network.yaml'))).toEqual([
      { from: 'api', to: 'web' },
      { from: 'api', to: 'worker' },
      { from: 'web', to: 'api' },
    ]);
  });
});
