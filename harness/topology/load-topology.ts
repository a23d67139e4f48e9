import { type FieldReader, type Path, readConfigFile, readYaml } from '../core/yaml-fields.js';
import { defaultNodeSuite } from '../images/debian-suites.js';
import { checkDockerRules } from './docker-rules.js';
import type { PublishedPort, Topology, TopologyNetwork, TopologyService, UpdateConfig } from './topology.js';

const namePattern = /^[a-z][a-z0-9_-]{0,62}$/;
const nameExpected = 'a name of lower-case letters, digits, - and _, starting with a letter';

function readNetwork(r: FieldReader, i: number): TopologyNetwork {
  const p = ['networks', i];
  r.map(p, ['name', 'driver', 'subnet', 'gateway', 'ipRange', 'attachable', 'encrypted', 'options']);
  const options: Record<string, string> = {};
  // Driver options are free-form: any key, values taken as strings.
  const rawOptions = r.value([...p, 'options']);
  if (rawOptions !== undefined) {
    if (typeof rawOptions !== 'object' || rawOptions === null || Array.isArray(rawOptions))
      r.fail([...p, 'options'], 'a mapping of driver options', rawOptions);
    for (const [key, value] of Object.entries(rawOptions)) options[key] = String(value);
  }
  // Whether they are valid addresses, and inside the subnet, is checked with the other rules of Docker's.
  const subnet = r.optionalString([...p, 'subnet']);
  const gateway = r.optionalString([...p, 'gateway']);
  const ipRange = r.optionalString([...p, 'ipRange']);
  return {
    name: r.string([...p, 'name'], namePattern, nameExpected),
    driver: r.optionalString([...p, 'driver'], /^[a-zA-Z0-9][a-zA-Z0-9._/:-]*$/, 'a network driver name') ?? 'overlay',
    ...(subnet ? { subnet } : {}),
    ...(gateway ? { gateway } : {}),
    ...(ipRange ? { ipRange } : {}),
    attachable: r.boolean([...p, 'attachable'], true),
    encrypted: r.boolean([...p, 'encrypted'], false),
    options,
  };
}

/** A published port, as topologies and scenario updates write it. */
export function readPort(r: FieldReader, p: Path): PublishedPort {
  r.map(p, ['target', 'published', 'protocol', 'mode']);
  return {
    target: r.integer([...p, 'target'], 1, 65535),
    published: r.integer([...p, 'published'], 1, 65535),
    protocol: r.oneOf([...p, 'protocol'], ['tcp', 'udp'] as const, 'tcp'),
    mode: r.oneOf([...p, 'mode'], ['ingress', 'host'] as const, 'ingress'),
  };
}

function readUpdate(r: FieldReader, p: Path): UpdateConfig | undefined {
  if (!r.map(p, ['parallelism', 'delay', 'order'], false)) return undefined;
  const delay = r.optionalString([...p, 'delay'], /^\d+(ms|s|m)$/, 'a duration such as 500ms, 2s or 1m');
  const parallelism =
    r.value([...p, 'parallelism']) === undefined ? undefined : r.integer([...p, 'parallelism'], 0, 100);
  return {
    ...(parallelism !== undefined ? { parallelism } : {}),
    ...(delay ? { delay } : {}),
    order: r.oneOf([...p, 'order'], ['stop-first', 'start-first'] as const, 'stop-first'),
  };
}

function readService(r: FieldReader, i: number, networks: Set<string>): TopologyService {
  const p = ['services', i];
  r.map(p, ['name', 'image', 'replicas', 'endpointMode', 'networks', 'ports', 'constraints', 'update', 'command']);
  const replicasRaw = r.value([...p, 'replicas']);
  const replicas = replicasRaw === 'global' ? 'global' : r.integer([...p, 'replicas'], 0, 50, 1);
  const serviceNetworks = r.stringList([...p, 'networks']);
  serviceNetworks.forEach((n, j) => {
    if (!networks.has(n))
      r.fail(
        [...p, 'networks', j],
        `a network declared under networks (${[...networks].join(', ') || 'none declared'})`,
        n,
      );
  });
  const image = r.optionalString([...p, 'image'], /^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/, 'an image reference');
  const update = readUpdate(r, [...p, 'update']);
  const command = r.value([...p, 'command']) === undefined ? undefined : r.stringList([...p, 'command']);
  return {
    name: r.string([...p, 'name'], namePattern, nameExpected),
    ...(image ? { image } : {}),
    replicas,
    endpointMode: r.oneOf([...p, 'endpointMode'], ['vip', 'dnsrr'] as const, 'vip'),
    networks: serviceNetworks,
    ports: r.list([...p, 'ports']).map((_, j) => readPort(r, [...p, 'ports', j])),
    constraints: r.stringList([...p, 'constraints']),
    ...(update ? { update } : {}),
    ...(command ? { command } : {}),
  };
}

/** Parses and validates a topology; the first mistake found is thrown as a ConfigError with file and line. */
export function parseTopology(text: string, file: string): Topology {
  const r = readYaml(text, file);
  r.map([], ['name', 'description', 'cluster', 'networks', 'services']);
  r.map(['cluster'], ['managers', 'workers', 'nodeImage'], false);
  const networks = r.list(['networks'], true).map((_, i) => readNetwork(r, i));
  const networkNames = new Set<string>();
  networks.forEach((n, i) => {
    if (networkNames.has(n.name)) r.fail(['networks', i, 'name'], 'a network name used once', n.name);
    networkNames.add(n.name);
  });
  const services = r.list(['services'], true).map((_, i) => readService(r, i, networkNames));
  const serviceNames = new Set<string>();
  services.forEach((s, i) => {
    if (serviceNames.has(s.name)) r.fail(['services', i, 'name'], 'a service name used once', s.name);
    serviceNames.add(s.name);
  });
  const description = r.optionalString(['description']);
  const topology: Topology = {
    name: r.string(['name'], namePattern, nameExpected),
    source: file,
    ...(description ? { description } : {}),
    cluster: {
      managers: r.integer(['cluster', 'managers'], 1, 9, 1),
      workers: r.integer(['cluster', 'workers'], 0, 8, 2),
      nodeImage: r.optionalString(['cluster', 'nodeImage']) ?? defaultNodeSuite,
    },
    networks,
    services,
  };
  checkDockerRules(r, topology);
  return topology;
}

export async function loadTopology(file: string): Promise<Topology> {
  return parseTopology(await readConfigFile(file, 'a readable topology file'), file);
}
