/**
 * Every check swarmlab runs, in one place: the README's table, `swarmlab
 * explain`, and `--test` (which selects before anything is read) all come
 * from here. A check's code reports results under these ids; a test fails when
 * a result carries an id that is not listed.
 */
export type CheckFamily = 'lb' | 'ingress' | 'ipsec' | 'dns' | 'spread';

export interface CheckInfo {
  /**
   * The id `--test` matches; `spread.<service>` stands for one id per service (and `.mesh-<port>` per published port),
   * `reach.<service>` for one per service.
   */
  id: string;
  family: CheckFamily;
  title: string;
  /** Where the seen state comes from. */
  reads: string;
  /** When it passes (the README's table). */
  passes: string;
  /** What a failure means and where to look. */
  finding: string;
  /** Which topologies it runs on. */
  appliesTo: string;
  /** Public reports of the symptom this check would show (upstream issue references). */
  relatedReports: readonly string[];
}

const inLbNamespace =
  "each node's lb_<network id> namespace (or, before Docker 18.09, the client containers' own), read " +
  "with the node's iptables-save and ipvsadm (or /proc/net/ip_vs)";
const inHostXfrm = "each node's own `ip -s xfrm state` and `ip xfrm policy` (read where an overlay is encrypted)";
const everyEncryptedPeer = 'every encrypted overlay, on every node in its gossip, for each other node in it';
const everyVipService = 'every vip-mode service on an overlay network, on every node with a task on that network';

export const checkCatalog: readonly CheckInfo[] = [
  {
    id: 'lb.state-present',
    family: 'lb',
    title: 'load-balancer state exists',
    reads: 'the namespaces under /var/run/docker/netns on each node',
    passes:
      "a node with tasks on an overlay network has that network's load-balancer state: the `lb_<network " +
      "id>` namespace (Docker 18.09+) or, on older engines, MARK rules in the client containers' own " +
      'namespaces',
    finding:
      'the node takes part in the network but cannot balance to any VIP on it: requests from its tasks to a service name fail',
    appliesTo: 'every overlay network, on every node with a task on it',
    relatedReports: [],
  },
  {
    id: 'lb.fwmark-known',
    family: 'lb',
    title: "the node knows the service's mark",
    reads: "the node's `docker network inspect --verbose` (Services.<name>.LocalLBIndex)",
    passes:
      "the node's network database (`docker network inspect --verbose`) knows the service and its `LocalLBIndex`, the node-local firewall mark",
    finding:
      'the node never learned the service from the other nodes (gossip): its tasks cannot reach the service by its VIP',
    appliesTo: everyVipService,
    relatedReports: ['moby#25325'],
  },
  {
    id: 'lb.mark-rule',
    family: 'lb',
    title: 'one MARK rule per VIP, with the right mark',
    reads: inLbNamespace,
    passes:
      'exactly one mangle MARK rule for the service VIP, setting exactly that mark (`--set-xmark ' +
      '0x100/0xffffffff`, `--set-mark 256`, `MARK set 0x100` are all read)',
    finding:
      'packets to the VIP are not marked, or marked for another IPVS service: requests fail or reach the wrong service',
    appliesTo: everyVipService,
    relatedReports: [],
  },
  {
    id: 'lb.ipvs-service',
    family: 'lb',
    title: 'an IPVS service for the mark',
    reads: inLbNamespace,
    passes: 'an IPVS virtual service exists for the mark (`FWM 256 rr`)',
    finding: 'marked packets find no virtual service: requests to the VIP time out',
    appliesTo: everyVipService,
    relatedReports: [],
  },
  {
    id: 'lb.backends',
    family: 'lb',
    title: 'IPVS backends are the running tasks',
    reads: `${inLbNamespace}, against the managers' running tasks`,
    passes:
      "the IPVS real servers with weight > 0 are exactly the service's running task IPs on that network; " +
      'the finding lists *missing* (a running task IPVS never sends to) and *stale* (an address that is no ' +
      'running task) apart',
    finding:
      'stale: requests go to an address nobody serves (failures or 1 s/3 s stalls); missing: a replica gets no traffic from this node',
    appliesTo: everyVipService,
    relatedReports: ['moby#26060', 'moby#25325'],
  },
  {
    id: 'lb.draining',
    family: 'lb',
    title: 'weight 0 only for tasks shutting down',
    reads: inLbNamespace,
    passes:
      'real servers with weight 0 belong to tasks that are shutting down (a running task at weight 0 gets no traffic)',
    finding: 'a running task gets no new connections from this node',
    appliesTo: everyVipService,
    relatedReports: ['moby#41896'],
  },
  {
    id: 'lb.ipvs-attributes',
    family: 'lb',
    title: 'the IPVS service exactly as Docker creates it',
    reads: inLbNamespace,
    passes:
      "the VIP's IPVS service uses round robin with no persistence or other flags, and every real server is " +
      'masqueraded to port 0 with weight 1 (0 while its task shuts down), as every Docker from 20.10.5 to 28.5.2 creates it',
    finding:
      'another scheduler, persistence or a weight above 1 skews the spread (a client sticks to one replica); ' +
      'another forwarding method sends requests the backends cannot answer',
    appliesTo: everyVipService,
    relatedReports: [],
  },
  {
    id: 'lb.mark-path',
    family: 'lb',
    title: 'nothing stops a packet to the VIP before IPVS',
    reads: 'every iptables rule of the lb namespace (raw and mangle PREROUTING, mangle and filter INPUT)',
    passes:
      'no rule on the way to the VIP drops or rejects it or marks it with another mark, and none before its MARK ' +
      'rule in mangle INPUT accepts, returns or jumps to another chain',
    finding: 'requests to the VIP through this node are dropped, or reach IPVS unmarked or with the wrong mark',
    appliesTo: everyVipService,
    relatedReports: [],
  },
  {
    id: 'lb.snat',
    family: 'lb',
    title: 'the lb namespace masquerades what IPVS sends on',
    reads: "the lb namespace's nat POSTROUTING, against the network's subnet and lb endpoint address",
    passes:
      'nat POSTROUTING holds `-d <subnet> -m ipvs --ipvs -j SNAT --to-source <lb endpoint address>`, as Docker programs it',
    finding: 'the backends answer the client directly, past IPVS: connections through the VIP hang',
    appliesTo: 'every lb namespace of an overlay network',
    relatedReports: [],
  },
  {
    id: 'lb.local-addresses',
    family: 'lb',
    title: "the lb namespace's own addresses and route: the VIPs it answers for",
    reads: "`ip -o -4 addr` and `ip -4 route` in each node's lb namespace, against the node's view of the network",
    passes:
      'the lb endpoint address with the subnet prefix on one interface, a /32 alias there for each VIP whose IPVS ' +
      'service the node holds and no other, and the connected route of the subnet on that interface',
    finding:
      'a VIP without its alias is not a local address: packets to it are never marked nor balanced (requests through ' +
      'this node fail); an alias without a service answers for a VIP that is gone',
    appliesTo: 'every lb namespace of an overlay network',
    relatedReports: [],
  },
  {
    id: 'lb.pool-overlap',
    family: 'lb',
    title: 'no backend in two pools',
    reads: inLbNamespace,
    passes:
      "no real server IP sits in the pools of two virtual services (one service's traffic reaching another's task)",
    finding: "one service's requests reach another service's task",
    appliesTo: 'every lb namespace',
    relatedReports: [],
  },
  {
    id: 'lb.unknown-vip',
    family: 'lb',
    title: 'no MARK rule for an unknown address',
    reads: inLbNamespace,
    passes:
      'every MARK rule for an address targets a VIP of a service on that network (a rule left behind for a removed service)',
    finding: 'a rule outlived its service; a new service given that address later may be marked wrongly',
    appliesTo: 'every lb namespace',
    relatedReports: [],
  },
  {
    id: 'net.addresses',
    family: 'lb',
    title: 'addresses are unique',
    reads: "the managers' state: VIPs and task addresses per network",
    passes: 'no VIP equals a task IP and no address is used twice on a network',
    finding: 'two endpoints share an address: traffic to one reaches the other',
    appliesTo: 'every overlay network',
    relatedReports: [],
  },
  {
    id: 'lb.sysctls',
    family: 'lb',
    title: 'IPVS sysctls as Docker sets them',
    reads: '/proc/sys/net/ipv4/vs/* inside each lb namespace',
    passes:
      'the IPVS sysctls in the lb namespace have the values Docker sets from 20.10.17 on: ' +
      '`conn_reuse_mode=0`, `expire_nodest_conn=1`, `expire_quiescent_template=1` (skipped on older ' +
      'engines, which leave the kernel defaults)',
    finding: 'connection reuse to a removed backend: new connections stall about 1 s, or go to a task that is gone',
    appliesTo: 'every lb namespace (Docker 20.10.17 and later)',
    relatedReports: ['moby#35082', 'moby#43146'],
  },
  {
    id: 'ingress.port-mark',
    family: 'ingress',
    title: 'routing-mesh port is marked',
    reads: "each node's ingress_sbox namespace (mangle PREROUTING)",
    passes:
      'for each port published through the routing mesh, `ingress_sbox` marks it (mangle PREROUTING ' +
      '`--dport P -j MARK`); with no running task, no rule',
    finding: 'requests to the published port on this node are not balanced: they fail',
    appliesTo: 'services publishing a port in ingress mode',
    relatedReports: [],
  },
  {
    id: 'ingress.backends',
    family: 'ingress',
    title: 'routing-mesh backends are the running tasks',
    reads: "each node's ingress_sbox IPVS table, against the managers' running tasks",
    passes: "the IPVS service for that mark holds exactly the service's running task IPs on the ingress network",
    finding: 'requests through the mesh reach an address nobody serves, or never reach a replica',
    appliesTo: 'services publishing a port in ingress mode',
    relatedReports: [],
  },
  {
    id: 'ingress.ipvs-attributes',
    family: 'ingress',
    title: "the routing mesh's IPVS service exactly as Docker creates it",
    reads: "each node's ingress_sbox IPVS table",
    passes:
      "a published port's IPVS service uses round robin with no persistence or other flags, its real servers " +
      'masqueraded to port 0 with weight 1 (0 while a task shuts down)',
    finding: 'requests entering the port on this node stick to one replica, or reach replicas that cannot answer',
    appliesTo: 'services publishing a port in ingress mode',
    relatedReports: [],
  },
  {
    id: 'ingress.snat',
    family: 'ingress',
    title: 'ingress_sbox masquerades what IPVS sends on',
    reads: "each node's ingress_sbox nat POSTROUTING, against the ingress network's subnet and ingress-sbox address",
    passes:
      'nat POSTROUTING holds `-d <ingress subnet> -m ipvs --ipvs -j SNAT --to-source <ingress-sbox address>`, as Docker programs it',
    finding: 'replicas answer requests that entered the routing mesh past IPVS: connections to published ports hang',
    appliesTo: 'every node whose ingress_sbox balances a published port (Docker adds the rule with the first one)',
    relatedReports: [],
  },
  {
    id: 'ingress.host-rules',
    family: 'ingress',
    title: 'the host side of the routing mesh: DOCKER-INGRESS sends the port into ingress_sbox',
    reads: "each node's own iptables-save (the dind node's namespace), against ingress_sbox's docker_gwbridge address",
    passes:
      'nat DOCKER-INGRESS DNATs the published port to ingress_sbox on docker_gwbridge, filter DOCKER-INGRESS accepts ' +
      'the port and its replies, and nat PREROUTING, nat OUTPUT and filter FORWARD jump to DOCKER-INGRESS (directly, ' +
      'or through DOCKER-FORWARD on Docker 28); none of these for a port whose service has no task',
    finding: 'requests to the published port on this node never reach the routing mesh (refused or dropped here)',
    appliesTo: 'services publishing a port in ingress mode, on every node',
    relatedReports: ['moby#46636'],
  },
  {
    id: 'ingress.local-addresses',
    family: 'ingress',
    title: "ingress_sbox's own addresses on the ingress network and its route",
    reads:
      "`ip -o -4 addr` and `ip -4 route` in each node's ingress_sbox, against the node's view of the ingress network",
    passes:
      'the ingress-sbox address with the ingress subnet prefix on one interface, a /32 alias there for the ingress ' +
      'VIP of each service whose IPVS service the node holds and no other, and the route of the ingress subnet there',
    finding: 'the routing mesh cannot reach the replicas from this node, or answers for a VIP that is gone',
    appliesTo: 'every node with an ingress_sbox',
    relatedReports: [],
  },
  {
    id: 'dns.service-name',
    family: 'dns',
    title: 'service name resolves right',
    reads: "a lookup from a probe task on the network (Swarm's embedded DNS)",
    passes:
      "from a client task on the network, a vip-mode service name resolves to the service's VIP alone, a dnsrr name to exactly its running task IPs",
    finding: 'clients resolve the name to the wrong address, or not at all',
    appliesTo: 'every service that shares a network with a probe service',
    relatedReports: ['moby#36988'],
  },
  {
    id: 'dns.tasks-name',
    family: 'dns',
    title: 'tasks.<name> lists the running tasks',
    reads: 'a lookup of tasks.<name> from a probe task on the network',
    passes: "`tasks.<name>` resolves to exactly the service's running task IPs",
    finding: 'clients that balance by DNS reach addresses of tasks that are gone, or miss running ones',
    appliesTo: 'every service that shares a network with a probe service',
    relatedReports: ['moby#33790', 'moby#47728'],
  },
  {
    id: 'ipsec.states',
    family: 'ipsec',
    title: 'an ESP security association each way with every peer of an encrypted overlay',
    reads: inHostXfrm,
    passes:
      'for every other node in the gossip of an encrypted overlay (its Peers): one SA from this node to the peer and ' +
      'one or more back (one per key), ESP in transport mode, reqid 0xd0c4e3 (13681891), rfc4106(gcm(aes)) with a ' +
      '64-bit ICV',
    finding: 'VXLAN to or from that peer cannot be encrypted or decrypted: traffic between those nodes is dropped',
    appliesTo: everyEncryptedPeer,
    relatedReports: ['moby#43382'],
  },
  {
    id: 'ipsec.policy',
    family: 'ipsec',
    title: 'the outbound policy sends VXLAN to each peer through its SA',
    reads: inHostXfrm,
    passes:
      'one outbound policy <node>/32 -> <peer>/32 udp dport 4789 with mark 0xd0c4e3/0xffffffff and one template: ' +
      "ESP in transport mode from this node to the peer, reqid 0xd0c4e3, with the outbound SA's SPI",
    finding: 'marked VXLAN to that peer leaves in clear (no policy) or through the wrong SA (the peer drops it)',
    appliesTo: everyEncryptedPeer,
    relatedReports: ['moby#43382'],
  },
  {
    id: 'ipsec.leftovers',
    family: 'ipsec',
    title: 'no Docker IPsec state for a node that is no peer',
    reads: inHostXfrm,
    passes: 'every SA with reqid 0xd0c4e3 and every policy marked 0xd0c4e3 is between this node and a peer',
    finding:
      'state left behind for a node that left the network (or the swarm): stale keys, and a leak of its addresses',
    appliesTo: 'every node with an encrypted overlay',
    relatedReports: [],
  },
  {
    id: 'ipsec.rules',
    family: 'ipsec',
    title: "the encrypted overlay's VXLAN id is marked on the way out and dropped in clear on the way in",
    reads: "each node's own iptables-save",
    passes:
      "mangle OUTPUT marks the network's VXLAN datagrams (udp 4789, a u32 or bpf match on its VXLAN id) with " +
      '0xd0c4e3, and filter INPUT drops those that arrive without IPsec (-m policy --dir in --pol none)',
    finding:
      'without the mark the policy never applies (VXLAN leaves in clear); without the drop clear VXLAN is accepted',
    appliesTo: 'every node with an encrypted overlay',
    relatedReports: ['moby#43382'],
  },
  {
    id: 'spread.<service>',
    family: 'spread',
    title: 'requests spread over every replica',
    reads: 'the answers of N requests from a probe task (each answer names its replica), against the running tasks',
    passes:
      'requests from a client task through the service VIP (or by DNS for dnsrr, or through a published ' +
      'port of the routing mesh: `spread.<service>.mesh-<port>`) reach every replica, and the counts fit ' +
      'the expected shares (chi-square goodness of fit, p >= alpha) with no failed request',
    finding:
      'a replica never answers, requests fail, or the shares are skewed beyond chance (the report shows counts, p-value and latency)',
    appliesTo: 'probe services reached from another probe service',
    relatedReports: ['moby#35082'],
  },
  {
    id: 'reach.<service>',
    family: 'spread',
    title: 'every node reaches the service by every path',
    reads: 'a few fresh connections from a client task on every node (a global service swarmlab adds for the test)',
    passes:
      'from every node the service answers every request by its name, its VIP, tasks.<name>, and each port it ' +
      "publishes through the routing mesh entered on every node's address (`run --spread-from all`, the default)",
    finding: 'a path that fails from some nodes only: the table in the report shows which node, which path',
    appliesTo: 'probe services, from every node that can run a task on their networks',
    relatedReports: ['moby#53141', 'moby#36988'],
  },
];

/** The catalogue entry of a check id (`spread.api.mesh-8080` is an instance of `spread.<service>`, `reach.api` of `reach.<service>`). */
export function checkInfo(id: string): CheckInfo | undefined {
  const family = /^(spread|reach)\./.exec(id)?.[1];
  return (
    checkCatalog.find((c) => c.id === id) ??
    (family ? checkCatalog.find((c) => c.id === `${family}.<service>`) : undefined)
  );
}

/** The README's table of checks. */
export function checkTableMarkdown(): string {
  return ['| check | passes when |', '|---|---|', ...checkCatalog.map((c) => `| \`${c.id}\` | ${c.passes} |`)].join(
    '\n',
  );
}

/** A check explained; `knownBugs` lists the catalogue entries (known-bugs/) whose reproduction this check decides. */
export function explainCheck(c: CheckInfo, knownBugs: readonly string[] = []): string {
  return [
    `${c.id}: ${c.title}`,
    `  applies to: ${c.appliesTo}`,
    `  reads:      ${c.reads}`,
    `  passes:     ${c.passes.replace(/`/g, '')}`,
    `  a finding:  ${c.finding}`,
    ...(c.relatedReports.length ? [`  related upstream reports: ${c.relatedReports.join(', ')}`] : []),
    ...(knownBugs.length ? [`  known bugs it decides (swarmlab repro run ID): ${knownBugs.join(', ')}`] : []),
  ].join('\n');
}
