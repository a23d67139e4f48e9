import { createLogger } from '../harness/core/log.js';
import { withLbFault } from '../harness/faults/lb-faults.js';
import { defaultSpreadRequest, measureSpread } from '../harness/traffic/spread.js';
import { checkLab, labPerSuite } from './suite-lab.js';

// api on two overlays (front, back), web on front and worker on back: api has
// one VIP per network, each network's lb namespace holds only that network's
// task addresses, and each client reaches every api replica through its own
// network's VIP. api's address on back put into front's pool is found.
const log = createLogger('e2e/multi-network');

describe('multi-network: api on two overlays, a client on each', () => {
  const lab = labPerSuite('topologies/multi-network.yaml', log);

  it('passes every check; api has a distinct VIP and pool on each network', async () => {
    const { snapshot, results, failures } = await checkLab(lab());
    expect(failures).toEqual([]);
    const apiBackends = results.filter((r) => r.check === 'lb.backends' && r.service === 'api');
    expect(new Set(apiBackends.map((r) => r.network))).toEqual(new Set(['front', 'back']));
    const vips = snapshot.swarm.services.find((s) => s.name === 'api')?.vips ?? [];
    expect(vips).toHaveLength(2);
    expect(new Set(vips.map((v) => v.address)).size).toBe(2);
  }, 120_000);

  it.each([
    ['web', 'front'],
    ['worker', 'back'],
  ])(
    'spreads requests from %s over both api replicas through the %s VIP',
    async (from) => {
      const m = await measureSpread(lab().cluster, defaultSpreadRequest(from, 'api', 300), log);
      log.info(
        `${from} -> api: ${m.verdict.replicas.map((r) => `${r.replica} ${r.count}`).join(', ')}, p=${m.verdict.pValue.toPrecision(3)}`,
      );
      expect(m.verdict.errors).toEqual({});
      expect(m.verdict.silent).toEqual([]);
      expect(m.verdict.replicas).toHaveLength(2);
      expect(m.verdict.pass).toBe(true);
    },
    180_000,
  );

  it("finds api's back address put into front's pool, and is clean once it is undone", async () => {
    const { snapshot } = await checkLab(lab());
    // A node where both networks exist, so front's lb namespace is there to break.
    const model = snapshot.models.find((m) =>
      ['front', 'back'].every((n) => m.networks.some((v) => v.network === n && v.locations.length > 0)),
    );
    const front = model?.networks.find((n) => n.network === 'front');
    const back = model?.networks.find((n) => n.network === 'back');
    const frontApi = front?.services.find((s) => s.service === 'api');
    const backIp = back?.services.find((s) => s.service === 'api')?.expected[0]?.ip;
    const namespace = front?.locations[0]?.namespace;
    const node = lab().cluster.nodes.find((n) => n.hostname === model?.node);
    if (!node || !frontApi?.fwmark || !backIp || !namespace)
      throw new Error('no node holds lb state for both networks');
    const extra = { kind: 'extra-real-server', fwmark: frontApi.fwmark, ip: backIp } as const;
    const found = await withLbFault(node, namespace, extra, log, async () => (await checkLab(lab())).failures);
    expect(found.filter((f) => f.check === 'lb.backends').map((f) => [f.node, f.network, f.service, f.seen])).toEqual([
      [node.hostname, 'front', 'api', `missing none; stale ${backIp}`],
    ]);
    expect((await checkLab(lab())).failures).toEqual([]);
  }, 180_000);
});
