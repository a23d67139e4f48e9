import { readdir } from 'node:fs/promises';
import { ConfigError } from '../../harness/core/errors.js';
import { loadTopology, parseTopology } from '../../harness/topology/load-topology.js';

const minimal = `name: t
networks:
  - name: backend
services:
  - name: api
    replicas: 2
    networks: [backend]
`;

describe('topology files', () => {
  it('loads every shipped topology', async () => {
    const files = (await readdir('topologies')).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual([
      'encrypted.yaml',
      'ingress.yaml',
      'multi-network.yaml',
      'web-api-dnsrr.yaml',
      'web-api.yaml',
    ]);
    for (const file of files) expect((await loadTopology(`topologies/${file}`)).services.length).toBeGreaterThan(0);
  });

  it('reads web-api as the classic case with defaults filled in', async () => {
    const t = await loadTopology('topologies/web-api.yaml');
    expect(t.cluster).toEqual({ managers: 1, workers: 2, nodeImage: 'trixie' });
    expect(t.networks).toEqual([
      { name: 'backend', driver: 'overlay', attachable: true, encrypted: false, options: {} },
    ]);
    expect(t.services.map((s) => [s.name, s.replicas, s.endpointMode])).toEqual([
      ['web', 1, 'vip'],
      ['api', 2, 'vip'],
    ]);
  });

  it('passes a third-party driver and its options through', () => {
    const t = parseTopology(
      minimal.replace(
        '  - name: backend',
        '  - name: backend\n    driver: weaveworks/net-plugin:latest\n    options: { mtu: 1400 }',
      ),
      'x.yaml',
    );
    expect(t.networks[0]).toMatchObject({ driver: 'weaveworks/net-plugin:latest', options: { mtu: '1400' } });
  });

  it.each([
    [
      'a replica count that is not a number',
      minimal.replace('replicas: 2', 'replicas: two'),
      'x.yaml:6: services[0].replicas: expected an integer from 0 to 50, got "two"',
    ],
    [
      'an unknown endpoint mode',
      minimal.replace('replicas: 2', 'replicas: 2\n    endpointMode: round-robin'),
      'x.yaml:7: services[0].endpointMode: expected one of vip, dnsrr, got "round-robin"',
    ],
    [
      'a network that is not declared',
      minimal.replace('networks: [backend]', 'networks: [frontend]'),
      'x.yaml:7: services[0].networks[0]: expected a network declared under networks (backend), got "frontend"',
    ],
    [
      'a misspelt field',
      minimal.replace('replicas: 2', 'replica: 2'),
      'x.yaml:6: services[0].replica: expected one of the fields name, image, replicas',
    ],
    [
      'a port out of range',
      minimal.replace('replicas: 2', 'replicas: 2\n    ports:\n      - { target: 80, published: 70000 }'),
      'x.yaml:8: services[0].ports[0].published: expected an integer from 1 to 65535, got 70000',
    ],
    [
      'a bad subnet',
      minimal.replace('  - name: backend', '  - name: backend\n    subnet: 10.0.0.0'),
      'x.yaml:4: networks[0].subnet: expected an IPv4 subnet such as 10.10.0.0/24 (this has not in CIDR form)',
    ],
    ['no services', 'name: t\nnetworks:\n  - name: backend\n', 'x.yaml:1: services: expected a non-empty list'],
    [
      'a duplicate service',
      `${minimal}  - name: api\n    networks: [backend]\n`,
      'x.yaml:8: services[1].name: expected a service name used once, got "api"',
    ],
    ['broken YAML', 'name: [unclosed', 'x.yaml:1: (yaml): expected valid YAML'],
  ])('rejects %s, naming file, line and field', (_, text, message) => {
    expect(() => parseTopology(text, 'x.yaml')).toThrow(ConfigError);
    expect(() => parseTopology(text, 'x.yaml')).toThrow(message);
  });

  // What Docker refuses, or accepts and fails on later (seen on Docker 20.10.24: `network create` takes an MTU of
  // "abc" and a subnet with host bits set, and refuses a gateway outside the subnet), caught before anything exists.
  const twoNetworks = `name: t
networks:
  - name: front
    subnet: 10.10.0.0/16
  - name: back
    subnet: 10.20.0.0/24
services:
  - name: api
    networks: [front, back]
    ports:
      - { target: 80, published: 8080 }
  - name: web
    networks: [front]
`;
  it('accepts subnets, a gateway and a range that fit, and ports published once', () => {
    const t = parseTopology(
      twoNetworks.replace(
        'subnet: 10.20.0.0/24',
        'subnet: 10.20.0.0/24\n    gateway: 10.20.0.254\n    ipRange: 10.20.0.128/25',
      ),
      'x.yaml',
    );
    expect(t.networks[1]).toMatchObject({ subnet: '10.20.0.0/24', gateway: '10.20.0.254', ipRange: '10.20.0.128/25' });
  });

  it.each([
    [
      'an octet above 255',
      twoNetworks.replace('10.20.0.0/24', '10.300.0.0/24'),
      'x.yaml:6: networks[1].subnet: expected an IPv4 subnet such as 10.10.0.0/24 (this has an octet above 255), got "10.300.0.0/24"',
    ],
    [
      'host bits set',
      twoNetworks.replace('10.20.0.0/24', '10.20.0.1/24'),
      'networks[1].subnet: expected an IPv4 subnet such as 10.10.0.0/24 (this has host bits set (the subnet is 10.20.0.0/24))',
    ],
    [
      'overlapping subnets',
      twoNetworks.replace('10.20.0.0/24', '10.10.5.0/24'),
      'x.yaml:6: networks[1].subnet: expected a subnet no other network overlaps (front has 10.10.0.0/16), got "10.10.5.0/24"',
    ],
    [
      'a gateway outside its subnet',
      twoNetworks.replace('subnet: 10.20.0.0/24', 'subnet: 10.20.0.0/24\n    gateway: 10.21.0.1'),
      'x.yaml:7: networks[1].gateway: expected an address inside the subnet 10.20.0.0/24, got "10.21.0.1"',
    ],
    [
      'a range outside its subnet',
      twoNetworks.replace('subnet: 10.20.0.0/24', 'subnet: 10.20.0.0/24\n    ipRange: 10.20.1.0/25'),
      'x.yaml:7: networks[1].ipRange: expected a range inside the subnet 10.20.0.0/24, got "10.20.1.0/25"',
    ],
    [
      'a gateway without a subnet',
      twoNetworks.replace('    subnet: 10.20.0.0/24', '    gateway: 10.20.0.1'),
      'networks[1].gateway: expected a gateway only with a subnet (add subnet), got "10.20.0.1"',
    ],
    [
      'an MTU that is not a number',
      twoNetworks.replace(
        'subnet: 10.20.0.0/24',
        'subnet: 10.20.0.0/24\n    options: { com.docker.network.driver.mtu: abc }',
      ),
      'networks[1].options.com.docker.network.driver.mtu: expected an MTU, a whole number of bytes from 68 (the IPv4 minimum) to 65535, got "abc"',
    ],
    [
      'a port published twice through the routing mesh',
      twoNetworks.replace(
        '    networks: [front]\n',
        '    networks: [front]\n    ports:\n      - { target: 8000, published: 8080 }\n',
      ),
      'x.yaml:15: services[1].ports[0].published: expected a port no other service publishes through the routing mesh ' +
        '(api publishes 8080/tcp), got 8080',
    ],
    [
      'an ingress port on a dnsrr service',
      twoNetworks.replace('  - name: api\n', '  - name: api\n    endpointMode: dnsrr\n'),
      'services[0].ports[0].mode: expected mode: host on a dnsrr service (Docker publishes ingress ports only through a VIP), got "ingress"',
    ],
  ])('refuses %s, as Docker would (or would fail on later)', (_, text, message) => {
    expect(() => parseTopology(text, 'x.yaml')).toThrow(ConfigError);
    expect(() => parseTopology(text, 'x.yaml')).toThrow(message);
  });

  it('names a missing file', async () => {
    await expect(loadTopology('topologies/nope.yaml')).rejects.toThrow(
      'topologies/nope.yaml: (file): expected a readable topology file, got "ENOENT"',
    );
  });
});
