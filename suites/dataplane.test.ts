import { evaluateDataplane, type DataplaneSnapshot } from '../harness/checks/dataplane.js';
import type { CheckResult } from '../harness/checks/check-result.js';
import { createLogger } from '../harness/core/log.js';
import { withLbFault, type LbFault } from '../harness/faults/lb-faults.js';
import { suiteNodeImage } from './shared-engine.js';
import { checkLab, labPerSuite } from './suite-lab.js';

// The dataplane checks against a live web-api: clean on a healthy cluster,
// each fault written into a node's lb namespace is found, then clean again.
// (api scaled to 0 and back is a step of the scenario suite.)
const log = createLogger('e2e/dataplane');

describe(`dataplane checks on web-api (node image ${suiteNodeImage})`, () => {
  const lab = labPerSuite('topologies/web-api.yaml', log);
  let healthy: DataplaneSnapshot;

  const failures = async (): Promise<CheckResult[]> => (await checkLab(lab())).failures;

  beforeAll(async () => {
    healthy = (await checkLab(lab())).snapshot;
  }, 120_000);

  it('passes every check on a healthy deployment', async () => {
    const results = evaluateDataplane(healthy);
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(results.filter((r) => r.check === 'lb.backends')).toHaveLength(2 * 3);
  });

  /** What a fault on one node needs: its lb namespace, and the fwmarks and addresses of api and web there. */
  function target(nodeIndex: number) {
    const node = lab().cluster.nodes[nodeIndex];
    const model = healthy.models.find((m) => m.node === node?.hostname);
    const backend = model?.networks.find((n) => n.network === 'backend');
    const api = backend?.services.find((s) => s.service === 'api');
    const web = backend?.services.find((s) => s.service === 'web');
    const namespace = backend?.locations[0]?.namespace;
    if (!node || !api?.fwmark || !api.vip || !web?.fwmark || !namespace)
      throw new Error(`no lb state on node ${nodeIndex}`);
    const lbAddress = backend?.nodeView.containers.find((c) => c.key === 'lb-backend')?.ip;
    const subnet = backend?.nodeView.subnet;
    if (!lbAddress || !subnet) throw new Error(`no lb endpoint or subnet for backend on node ${nodeIndex}`);
    const vipIface = backend?.locations[0]?.addresses?.find((a) => a.address === api.vip)?.iface;
    if (!vipIface) throw new Error(`no alias for api's VIP ${api.vip} in ${namespace} on node ${nodeIndex}`);
    return {
      node,
      namespace,
      vipIface,
      api: { ...api, fwmark: api.fwmark, vip: api.vip },
      web: { ...web, fwmark: web.fwmark },
      snat: { subnet, source: lbAddress },
    };
  }

  const cases: [string, (t: ReturnType<typeof target>) => LbFault, string[]][] = [
    [
      'an extra real server that is no task',
      (t) => ({ kind: 'extra-real-server', fwmark: t.api.fwmark, ip: t.api.vip.replace(/\d+$/, '250') }),
      ['lb.backends'],
    ],
    [
      'a deleted MARK rule',
      (t) => ({ kind: 'delete-mark-rule', vip: t.api.vip, fwmark: t.api.fwmark }),
      ['lb.mark-rule'],
    ],
    [
      'a removed real server',
      (t) => ({ kind: 'remove-real-server', fwmark: t.api.fwmark, ip: t.api.expected[0]?.ip ?? '' }),
      ['lb.backends'],
    ],
    [
      'a real server of another service in this pool',
      (t) => ({ kind: 'extra-real-server', fwmark: t.api.fwmark, ip: t.web.expected[0]?.ip ?? '' }),
      ['lb.backends', 'lb.pool-overlap'],
    ],
    // Attributes beyond presence (each skews or breaks traffic through this node alone); persistence and direct
    // routing, also lb.ipvs-attributes, are proven on captures (test/checks) to keep this suite short.
    [
      'a source-hashing scheduler',
      (t) => ({ kind: 'ipvs-scheduler', fwmark: t.api.fwmark, scheduler: 'sh' }),
      ['lb.ipvs-attributes'],
    ],
    ['an ACCEPT before the MARK rule', (t) => ({ kind: 'accept-before-mark', vip: t.api.vip }), ['lb.mark-path']],
    ['a deleted SNAT rule', (t) => ({ kind: 'delete-snat', ...t.snat }), ['lb.snat']],
    [
      "a VIP's alias taken off the lb interface",
      (t) => ({ kind: 'delete-vip-alias', vip: t.api.vip, iface: t.vipIface }),
      ['lb.local-addresses'],
    ],
  ];

  it.each(cases)(
    'finds %s on that node',
    async (_, makeFault, expectedChecks) => {
      const t = target(1);
      const found = await withLbFault(t.node, t.namespace, makeFault(t), log, failures);
      expect(found.map((f) => f.check).sort()).toEqual(expectedChecks);
      for (const f of found)
        expect(f).toMatchObject({ node: t.node.hostname, namespace: t.namespace, network: 'backend' });
    },
    120_000,
  );

  // Once, after every case (a read costs seconds under emulation): an undo that left something behind would also
  // show in the next case's findings, beside that case's own.
  it('is clean again once every fault is undone', async () => {
    expect(await failures()).toEqual([]);
  }, 120_000);
});
