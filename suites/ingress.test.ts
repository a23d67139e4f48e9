import { createLogger } from '../harness/core/log.js';
import { hostNamespace, withLbFault, type LbFault } from '../harness/faults/lb-faults.js';
import { ingressGatewayAddress } from '../harness/checks/ingress-host-checks.js';
import { spreadTarget } from '../harness/traffic/spread-plan.js';
import { defaultSpreadRequest, measureSpread } from '../harness/traffic/spread.js';
import { checkLab, labPerSuite } from './suite-lab.js';

// api published on 8080 through the routing mesh: every node's ingress_sbox
// marks the port and balances it over the api tasks. Traffic from the web task
// to another node's address on 8080 crosses the mesh and must reach every
// replica; a fault in one node's ingress_sbox is found on that node alone.
const log = createLogger('e2e/ingress');
const publishedPort = 8080;

describe('ingress: api published through the routing mesh', () => {
  const lab = labPerSuite('topologies/ingress.yaml', log);

  it('passes every check, with the port mark and backends on every node', async () => {
    const { results, failures } = await checkLab(lab());
    expect(failures).toEqual([]);
    for (const check of ['ingress.port-mark', 'ingress.backends']) {
      expect(
        results
          .filter((r) => r.check === check)
          .map((r) => r.node)
          .sort(),
      ).toEqual(
        lab()
          .cluster.nodes.map((n) => n.hostname)
          .sort(),
      );
    }
  }, 120_000);

  it("spreads requests to another node's published port over every api replica", async () => {
    // Through another node than the client's, so the requests leave it and enter the mesh there.
    const to = await spreadTarget(lab().cluster, {
      check: 'spread.api.mesh',
      from: 'web',
      service: 'api',
      meshPort: publishedPort,
    });
    const m = await measureSpread(lab().cluster, defaultSpreadRequest('web', to, 300, 'api'), log);
    log.info(
      `mesh spread via ${to}: ${m.verdict.replicas.map((r) => `${r.replica} ${r.count}`).join(', ')}, p=${m.verdict.pValue.toPrecision(3)}`,
    );
    expect(m.verdict.errors).toEqual({});
    expect(m.verdict.silent).toEqual([]);
    expect(m.verdict.replicas).toHaveLength(3);
    expect(m.verdict.pass).toBe(true);
  }, 180_000);

  /** One node's routing-mesh state: the port's mark, the api tasks' ingress addresses, api's ingress VIP and alias. */
  async function meshTarget(nodeIndex: number) {
    const node = lab().cluster.nodes[nodeIndex];
    const model = (await checkLab(lab())).snapshot.models.find((m) => m.node === node?.hostname);
    const rule = model?.ingress?.markRules.find((r) => r.chain === 'PREROUTING' && r.dport === publishedPort);
    const pool = model?.ingress?.ipvs.find((s) => s.protocol === 'FWM' && s.fwmark === rule?.mark);
    const ingress = model?.networks.find((n) => n.ingress);
    const vip = ingress?.services.find((s) => s.service === 'api')?.vip;
    const vipIface = model?.ingress?.addresses?.find((a) => a.address === vip)?.iface;
    const gateway = model ? ingressGatewayAddress(model, ingress?.nodeView.subnet) : undefined;
    if (!node || !rule || !pool?.reals[0] || !vip || !vipIface || !gateway)
      throw new Error(`no ingress_sbox state for port ${publishedPort} on node ${nodeIndex}`);
    return { node, fwmark: rule.mark, firstReal: pool.reals[0].address, vip, vipIface, gateway };
  }

  // The missing side of ingress.backends (a removed real server) is proven on lb.backends in the dataplane suite and
  // on captures (test/checks): one ingress_sbox pool fault here keeps the suite short.
  const cases: [string, (t: Awaited<ReturnType<typeof meshTarget>>) => LbFault, string, string][] = [
    [
      'a deleted port MARK rule',
      (t) => ({ kind: 'delete-port-mark-rule', port: publishedPort, protocol: 'tcp', fwmark: t.fwmark }),
      'ingress.port-mark',
      'ingress_sbox',
    ],
    [
      'a real server that is no task',
      (t) => ({ kind: 'extra-real-server', fwmark: t.fwmark, ip: t.firstReal.replace(/\d+$/, '250') }),
      'ingress.backends',
      'ingress_sbox',
    ],
    [
      "api's ingress VIP alias taken off",
      (t) => ({ kind: 'delete-vip-alias', vip: t.vip, iface: t.vipIface }),
      'ingress.local-addresses',
      'ingress_sbox',
    ],
    [
      "the port's DNAT into ingress_sbox deleted",
      (t) => ({ kind: 'delete-ingress-dnat', port: publishedPort, protocol: 'tcp', gateway: t.gateway }),
      'ingress.host-rules',
      hostNamespace,
    ],
  ];

  it.each(cases)(
    'finds %s on that node alone',
    async (_, makeFault, check, namespace) => {
      const t = await meshTarget(2);
      const found = await withLbFault(
        t.node,
        namespace,
        makeFault(t),
        log,
        async () => (await checkLab(lab())).failures,
      );
      expect(found.map((f) => [f.check, f.node, f.namespace])).toEqual([[check, t.node.hostname, namespace]]);
    },
    180_000,
  );

  it('is clean again once every fault is undone', async () => {
    expect((await checkLab(lab())).failures).toEqual([]);
  }, 120_000);
});
