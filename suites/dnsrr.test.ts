import { createLogger } from '../harness/core/log.js';
import { defaultSpreadRequest, measureSpread } from '../harness/traffic/spread.js';
import { checkLab, labPerSuite } from './suite-lab.js';

// web-api with api in dnsrr mode: no VIP, so no MARK rule and no IPVS service
// for api anywhere; the name resolves to exactly the running task IPs, and a
// client that looks the name up for every request reaches every replica.
const log = createLogger('e2e/dnsrr');

describe('web-api-dnsrr: DNS round robin instead of a VIP', () => {
  const lab = labPerSuite('topologies/web-api-dnsrr.yaml', log);

  it('passes every check; api has DNS answers but no load-balancer state', async () => {
    const { results, failures } = await checkLab(lab());
    expect(failures).toEqual([]);
    const forApi = results.filter((r) => r.service === 'api' || r.service === 'tasks.api');
    expect(forApi.map((r) => r.check).sort()).toEqual(['dns.service-name', 'dns.tasks-name']);
    // web keeps its VIP on every node: the lb checks did run on this network.
    expect(results.filter((r) => r.check === 'lb.backends' && r.service === 'web')).toHaveLength(3);
  }, 120_000);

  it('spreads requests over every api replica when each request resolves the name again', async () => {
    const m = await measureSpread(lab().cluster, defaultSpreadRequest('web', 'api', 300), log);
    log.info(
      `dnsrr spread: ${m.verdict.replicas.map((r) => `${r.replica} ${r.count}`).join(', ')}, p=${m.verdict.pValue.toPrecision(3)}`,
    );
    expect(m.verdict.replicas).toHaveLength(3);
    expect(m.verdict.silent).toEqual([]);
    expect(m.verdict.errors).toEqual({});
  }, 180_000);
});
