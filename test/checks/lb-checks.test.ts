import { evaluateDataplane } from '../../harness/checks/dataplane.js';
import type { CheckResult } from '../../harness/checks/check-result.js';
import { buildNodeModel } from '../../harness/inspect/lb-model.js';
import { clusterFixture, type ClusterFixture } from '../fixtures/load.js';

// Five captures of web-api (web 1, api 2 replicas), in swarmlab's VM; see
// test/fixtures/README.md. Fwmarks are node-local and differ
// between the captures, so each names its own addresses and marks.
interface Capture {
  engine: string;
  dir: string;
  nodes: string[];
  lbNamespace: string;
  api: { vip: string; fwmark: number; tasks: [string, string] };
  web: { task: string; fwmark: number };
  subnet: string;
}

const captures: Capture[] = [
  {
    engine: 'Docker 20.10.24 (bookworm nodes, 1+2)',
    dir: 'docker-20.10.24-web-api',
    nodes: ['m1', 'w1', 'w2'],
    lbNamespace: 'lb_jyt6q7s6v',
    api: { vip: '10.0.2.5', fwmark: 258, tasks: ['10.0.2.6', '10.0.2.7'] },
    web: { task: '10.0.2.3', fwmark: 259 },
    subnet: '10.0.2',
  },
  {
    engine: 'Docker 28.5.2 (sid nodes, 1+1)',
    dir: 'docker-28.5.2-web-api',
    nodes: ['m1', 'w1'],
    lbNamespace: 'lb_x07cmsc1c',
    api: { vip: '10.0.1.5', fwmark: 256, tasks: ['10.0.1.6', '10.0.1.7'] },
    web: { task: '10.0.1.3', fwmark: 257 },
    subnet: '10.0.1',
  },
  {
    engine: 'a mixed cluster: Docker 26.1.5 manager (trixie), 20.10.24 workers (bookworm)',
    dir: 'docker-26.1.5-mixed-web-api',
    nodes: ['m1', 'w1', 'w2'],
    lbNamespace: 'lb_clbvghfm9',
    api: { vip: '10.0.1.5', fwmark: 257, tasks: ['10.0.1.6', '10.0.1.7'] },
    web: { task: '10.0.1.3', fwmark: 256 },
    subnet: '10.0.1',
  },
  {
    engine: 'Docker 26.1.5 (trixie nodes and VM, 1+2) beside a service whose tasks are all rejected',
    dir: 'docker-26.1.5-rejected-task',
    nodes: ['m1', 'w1', 'w2'],
    lbNamespace: 'lb_zp4175pfw',
    api: { vip: '10.0.1.5', fwmark: 257, tasks: ['10.0.1.6', '10.0.1.7'] },
    web: { task: '10.0.1.3', fwmark: 256 },
    subnet: '10.0.1',
  },
  {
    engine: 'Docker 20.10.5 (bullseye nodes, 1+2)',
    dir: 'docker-20.10.5-web-api',
    nodes: ['m1', 'w1', 'w2'],
    lbNamespace: 'lb_m60p7drf6',
    api: { vip: '10.0.1.5', fwmark: 257, tasks: ['10.0.1.6', '10.0.1.7'] },
    web: { task: '10.0.1.3', fwmark: 256 },
    subnet: '10.0.1',
  },
];

function evaluate(fixture: ClusterFixture): CheckResult[] {
  return evaluateDataplane({
    swarm: fixture.swarm,
    models: fixture.dumps.map((d) => buildNodeModel(d, fixture.swarm)),
  });
}

const failures = (results: CheckResult[]) => results.filter((r) => r.status === 'fail');

/** Edits one node's lb namespace section of the dump, as a fault injected into the kernel would change it. */
function editLb(node: string, edit: (section: string) => string) {
  return (file: string, text: string): string => {
    if (file !== `${node}.node-dump.txt`) return text;
    return text.replace(
      /(=== (?:iptables|ipvs) lb_\S+\n)([\s\S]*?)(?==== )/g,
      (_, header: string, body: string) => header + edit(body),
    );
  };
}

const re = (ip: string) => ip.replace(/\./g, '\\.');

describe.each(captures)('dataplane checks on $engine', (c) => {
  const { dir, nodes } = c;
  const first = nodes[0]!;
  const last = nodes[nodes.length - 1]!;
  const ipvsLine = (ip: string, weight = 1) => `  -> ${ip}:0                   Masq    ${weight}      0          0\n`;
  const apiPool = new RegExp(`(FWM  ${c.api.fwmark} rr\n)`);

  it('builds a model with the VIP, the node-local fwmark and the backends', () => {
    const fixture = clusterFixture(dir, nodes);
    const model = buildNodeModel(fixture.dumps[0]!, fixture.swarm);
    const backend = model.networks.find((n) => n.network === 'backend');
    const api = backend?.services.find((s) => s.service === 'api');
    expect(backend?.locations.map((l) => l.namespace)).toEqual([c.lbNamespace]);
    expect(api).toMatchObject({ vip: c.api.vip, fwmark: c.api.fwmark, endpointMode: 'vip' });
    expect(api?.expected.map((b) => b.ip).sort()).toEqual([...c.api.tasks]);
  });

  it('passes every check on every node', () => {
    const results = evaluate(clusterFixture(dir, nodes));
    expect(failures(results)).toEqual([]);
    const checks = new Set(results.map((r) => r.check));
    for (const id of [
      'lb.state-present',
      'lb.fwmark-known',
      'lb.mark-rule',
      'lb.ipvs-service',
      'lb.backends',
      'lb.draining',
      'lb.pool-overlap',
      'lb.unknown-vip',
      'net.addresses',
      'lb.sysctls',
      'lb.ipvs-attributes',
      'lb.mark-path',
      'lb.snat',
    ]) {
      expect(checks).toContain(id);
    }
    expect(new Set(results.map((r) => r.node))).toEqual(new Set(nodes.map((n) => `web-api-${n}`)));
  });

  it('catches a deleted MARK rule', () => {
    const found = failures(
      evaluate(
        clusterFixture(
          dir,
          nodes,
          editLb(last, (s) => s.replace(new RegExp(`^-A INPUT -d ${re(c.api.vip)}/32 .*\n`, 'm'), '')),
        ),
      ),
    );
    expect(found.map((f) => [f.check, f.node, f.service])).toEqual([['lb.mark-rule', `web-api-${last}`, 'api']]);
    expect(found[0]?.seen).toBe('no rule');
  });

  it('catches an extra real server that is no task (stale)', () => {
    const stale = `${c.subnet}.99`;
    const found = failures(
      evaluate(
        clusterFixture(
          dir,
          nodes,
          editLb(first, (s) => s.replace(apiPool, `$1${ipvsLine(stale)}`)),
        ),
      ),
    );
    expect(found.map((f) => [f.check, f.node, f.service, f.seen])).toEqual([
      ['lb.backends', `web-api-${first}`, 'api', `missing none; stale ${stale}`],
    ]);
  });

  it('catches a removed real server (missing)', () => {
    const [, removed] = c.api.tasks;
    const found = failures(
      evaluate(
        clusterFixture(
          dir,
          nodes,
          editLb(first, (s) => s.replace(new RegExp(`^ {2}-> ${re(removed)}:0 .*\n`, 'm'), '')),
        ),
      ),
    );
    expect(found.map((f) => [f.check, f.seen])).toEqual([['lb.backends', `missing ${removed}; stale none`]]);
  });

  it('catches a real server of another service added to this pool', () => {
    const found = failures(
      evaluate(
        clusterFixture(
          dir,
          nodes,
          editLb(first, (s) => s.replace(apiPool, `$1${ipvsLine(c.web.task)}`)),
        ),
      ),
    );
    expect(found.map((f) => f.check).sort()).toEqual(['lb.backends', 'lb.pool-overlap']);
    expect(found.find((f) => f.check === 'lb.pool-overlap')?.seen).toBe(
      `${c.web.task} in FWM ${[c.api.fwmark, c.web.fwmark].sort().join(' and ')}`,
    );
  });

  // Attributes a presence check misses: each skews or breaks traffic through that node alone.
  const on = (node: string, edit: (section: string) => string) =>
    failures(evaluate(clusterFixture(dir, nodes, editLb(node, edit)))).map((f) => [f.check, f.node, f.service, f.seen]);
  const onLast = (edit: (section: string) => string) => on(last, edit);
  const vipMark = new RegExp(`^(-A INPUT -d ${re(c.api.vip)}/32 .*\n)`, 'm');

  it.each([
    ['another scheduler', (s: string) => s.replace(apiPool, `FWM  ${c.api.fwmark} sh\n`), `scheduler sh`],
    [
      'persistence',
      (s: string) => s.replace(apiPool, `FWM  ${c.api.fwmark} rr persistent 360\n`),
      'flags persistent 360',
    ],
    [
      'a weight above 1',
      (s: string) => s.replace(new RegExp(`(-> ${re(c.api.tasks[0])}:0\\s+Masq\\s+)1`), '$15'),
      `${c.api.tasks[0]} with weight 5`,
    ],
    [
      'direct routing instead of masquerading',
      (s: string) => s.replace(new RegExp(`(-> ${re(c.api.tasks[0])}:0\\s+)Masq`), '$1Route'),
      `${c.api.tasks[0]} forwarded by Route`,
    ],
  ])('catches %s in the IPVS service (lb.ipvs-attributes)', (_, edit, seen) => {
    // Marks are node-local: the capture's api mark is the first node's.
    expect(on(first, edit)).toEqual([['lb.ipvs-attributes', `web-api-${first}`, 'api', seen]]);
  });

  it('catches a rule that accepts packets to the VIP before they are marked (lb.mark-path)', () => {
    const accept = `-A INPUT -d ${c.api.vip}/32 -p tcp -j ACCEPT`;
    expect(onLast((s) => s.replace(vipMark, `${accept}\n$1`))).toEqual([
      ['lb.mark-path', `web-api-${last}`, 'api', `mangle INPUT ends the chain before the MARK rule: ${accept}`],
    ]);
  });

  it('catches a DROP in filter INPUT and a later MARK that overrides every mark (lb.mark-path)', () => {
    const drop = `-A INPUT -d ${c.subnet}.0/24 -j DROP`;
    const remark = '-A INPUT -j MARK --set-xmark 0x999/0xffffffff';
    const found = onLast((s) =>
      s.replace(/^COMMIT\n/m, `${remark}\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n${drop}\nCOMMIT\n`),
    );
    expect(found.map(([check, , service]) => [check, service]).sort()).toEqual([
      ['lb.mark-path', 'api'],
      ['lb.mark-path', 'web'],
    ]);
    expect(found[0]?.[3]).toBe(`mangle INPUT marks it 2457: ${remark}; filter INPUT drops it: ${drop}`);
  });

  it('catches a missing or wrong SNAT rule (lb.snat)', () => {
    const snat = /^-A POSTROUTING -d \S+ -m ipvs --ipvs -j SNAT --to-source (\S+)\n/m;
    expect(onLast((s) => s.replace(snat, ''))).toEqual([
      ['lb.snat', `web-api-${last}`, undefined, 'no SNAT rule in nat POSTROUTING'],
    ]);
    const wrong = onLast((s) =>
      s.replace(snat, (line) => line.replace(/--to-source \S+/, `--to-source ${c.subnet}.250`)),
    );
    expect(wrong.map(([check]) => check)).toEqual(['lb.snat']);
    expect(wrong[0]?.[3]).toMatch(/^SNAT rules: .*--to-source .*\.250$/);
  });

  it('catches a weight left at 0 for a running task', () => {
    const [, drained] = c.api.tasks;
    const found = failures(
      evaluate(
        clusterFixture(
          dir,
          nodes,
          editLb(first, (s) => s.replace(new RegExp(`(-> ${re(drained)}:0\\s+Masq\\s+)1`), '$10')),
        ),
      ),
    );
    expect(found.map((f) => f.check).sort()).toEqual(['lb.backends', 'lb.draining']);
  });

  it('catches a MARK rule whose mark differs from the fwmark', () => {
    const found = failures(
      evaluate(
        clusterFixture(
          dir,
          nodes,
          editLb(last, (s) => s.replace(new RegExp(`(-d ${re(c.api.vip)}/32 -j MARK --set-xmark )0x\\w+`), '$10x1ff')),
        ),
      ),
    );
    expect(found.map((f) => [f.check, f.node])).toEqual([['lb.mark-rule', `web-api-${last}`]]);
  });

  it('catches a MARK rule for an address that is no VIP', () => {
    const found = failures(
      evaluate(
        clusterFixture(
          dir,
          nodes,
          editLb(last, (s) =>
            s.replace(
              /(\*mangle\n(?::.*\n)*)/,
              `$1-A INPUT -d ${c.subnet}.200/32 -j MARK --set-xmark 0x120/0xffffffff\n`,
            ),
          ),
        ),
      ),
    );
    expect(found.map((f) => f.check)).toEqual(['lb.unknown-vip']);
  });
});

// Services with no running task: Swarm's nodes keep no load-balancer state for
// them, and the lb_ namespace of a network that left a node lingers as a file
// nsenter cannot enter (Docker 26.1.5, trixie nodes; test/fixtures/README.md).
describe('dataplane checks on services without a running task', () => {
  it('expect no state for a service whose every task was rejected, and find none', () => {
    const results = evaluate(clusterFixture('docker-26.1.5-rejected-task', ['m1', 'w1', 'w2']));
    expect(failures(results)).toEqual([]);
    const broken = results.filter((r) => r.service === 'broken');
    expect(broken.map((r) => [r.check, r.node, r.status])).toEqual(
      ['m1', 'w1', 'w2'].flatMap((n) => [
        ['lb.fwmark-known', `web-api-${n}`, 'pass'],
        ['lb.mark-rule', `web-api-${n}`, 'pass'],
      ]),
    );
    expect(broken[0]?.expected).toBe('no state for broken: none of its tasks runs on backend');
  });

  it('catches a MARK rule left behind for the VIP of a service with no running task', () => {
    const edit = editLb('w1', (section) =>
      section.replace(/(\*mangle\n(?::.*\n)*)/, '$1-A INPUT -d 10.0.1.10/32 -j MARK --set-xmark 0x102/0xffffffff\n'),
    );
    const found = failures(evaluate(clusterFixture('docker-26.1.5-rejected-task', ['m1', 'w1', 'w2'], edit)));
    expect(found.map((f) => [f.check, f.node, f.service, f.expected])).toEqual([
      ['lb.mark-rule', 'web-api-w1', 'broken', 'no MARK rule for 10.0.1.10: none of its tasks runs on backend'],
    ]);
  });

  it('pass after api was scaled to 0, with the lingering lb_ files of m1 and w2 left out', () => {
    const fixture = clusterFixture('docker-26.1.5-scaled-to-zero', ['m1', 'w1', 'w2']);
    const lb = (node: number) => fixture.dumps[node]?.namespaces.find((ns) => ns.kind === 'lb');
    expect([0, 1, 2].map((n) => [lb(n)?.name, lb(n)?.entered])).toEqual([
      ['lb_zp4175pfw', false],
      ['lb_zp4175pfw', true],
      ['lb_zp4175pfw', false],
    ]);
    const models = fixture.dumps.map((d) => buildNodeModel(d, fixture.swarm));
    expect(models.map((m) => m.all.map((s) => s.namespace))).toEqual([
      ['ingress_sbox'],
      ['ingress_sbox', 'lb_zp4175pfw'],
      ['ingress_sbox'],
    ]);
    const results = evaluate(fixture);
    expect(failures(results)).toEqual([]);
    expect(results.filter((r) => r.node === 'web-api-w1' && r.service).map((r) => [r.check, r.service])).toEqual([
      ['lb.fwmark-known', 'api'],
      ['lb.mark-rule', 'api'],
      ['lb.fwmark-known', 'web'],
      ['lb.mark-rule', 'web'],
      ['lb.mark-path', 'web'],
      ['lb.ipvs-service', 'web'],
      ['lb.ipvs-attributes', 'web'],
      ['lb.backends', 'web'],
      ['lb.draining', 'web'],
    ]);
  });

  it('still catches IPVS state left behind for a service scaled to 0 on a node that knows it', () => {
    // w1 as it was seen with api running (rejected-task capture, same network), judged against the state after scale 0.
    const before = clusterFixture('docker-26.1.5-rejected-task', ['w1']);
    const after = clusterFixture('docker-26.1.5-scaled-to-zero', []);
    const found = failures(
      evaluateDataplane({ swarm: after.swarm, models: [buildNodeModel(before.dumps[0]!, after.swarm)] }),
    );
    expect(found.map((f) => [f.check, f.service, f.seen])).toEqual([
      ['lb.backends', 'api', 'missing none; stale 10.0.1.6, 10.0.1.7'],
    ]);
  });
});

// multi-network (api on front and back) on Docker 20.10.24, captured after api
// was moved off the manager: m1 then runs only web (front), yet a manager lists
// every swarm network, so `back` appears there with no endpoint and no lb namespace.
describe('dataplane checks on a captured multi-network deployment (Docker 20.10.24)', () => {
  const fixture = clusterFixture('docker-20.10.24-multi-network', ['m1', 'w1', 'w2']);
  const models = fixture.dumps.map((d) => buildNodeModel(d, fixture.swarm));

  it('expects no load-balancer state on a manager that only lists the network', () => {
    const back = models[0]?.networks.find((n) => n.network === 'back');
    expect(back?.nodeView.containers).toEqual([]);
    expect(back?.locations).toEqual([]);
    const results = evaluate(fixture);
    expect(failures(results)).toEqual([]);
    expect(
      results.filter((r) => r.check === 'lb.state-present' && r.node === 'web-api-m1').map((r) => r.network),
    ).toEqual(['front']);
  });

  it('keeps one VIP and one pool per network for api', () => {
    const pools = models.flatMap((m) =>
      m.networks.flatMap((n) =>
        n.services.filter((s) => s.service === 'api' && n.locations.length > 0).map((s) => `${n.network} ${s.vip}`),
      ),
    );
    expect(new Set(pools)).toEqual(new Set(['front 10.0.1.5', 'back 10.0.2.5']));
  });
});

describe('lb.sysctls by engine version', () => {
  const sysctlResults = (dir: string) =>
    evaluate(clusterFixture(dir, ['m1', 'w1', 'w2'])).filter((r) => r.check === 'lb.sysctls');

  it('skips on Docker 20.10.5, which leaves the kernel defaults in lb namespaces (the tuning came in 20.10.17)', () => {
    const results = sysctlResults('docker-20.10.5-web-api');
    expect(results.map((r) => r.status)).toEqual(['skip', 'skip', 'skip']);
    expect(results[0]?.seen).toBe('conn_reuse_mode=1 expire_nodest_conn=0 expire_quiescent_template=0');
    expect(results[0]?.expected).toMatch(/Docker 20\.10\.5\+dfsg1 sets no IPVS sysctls \(from 20\.10\.17 on/);
  });

  it('passes on Docker 20.10.24, which sets conn_reuse_mode=0, expire_nodest_conn=1, expire_quiescent_template=1', () => {
    expect(sysctlResults('docker-20.10.24-web-api').map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
  });
});

describe('dataplane checks with a drained node (Docker 26.1.5, w2 drained; dumps read the version from a header)', () => {
  it('pass on every node, and the drained node holds no lb state for backend', () => {
    const fixture = clusterFixture('docker-26.1.5-drained-node', ['m1', 'w1', 'w2']);
    expect(failures(evaluate(fixture))).toEqual([]);
    const models = fixture.dumps.map((d) => buildNodeModel(d, fixture.swarm));
    expect(models.map((m) => m.dockerVersion)).toEqual(['26.1.5+dfsg1', '26.1.5+dfsg1', '26.1.5+dfsg1']);
    expect(models.map((m) => m.networks.some((n) => n.network === 'backend' && n.locations.length > 0))).toEqual([
      true,
      true,
      false,
    ]);
  });
});
