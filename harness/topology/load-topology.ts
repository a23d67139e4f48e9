import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { defaultNodeSuite } from '../images/debian-suites.js';
import type { PublishedPort, Topology, TopologyNetwork, TopologyService, UpdateConfig } from './topology.js';

type Path = (string | number)[];

/**
 * Reads fields out of a parsed YAML document, so that every error can say the
 * file, the line, the field (as a path like services[1].replicas), what was
 * expected and what was found.
 */
class FieldReader {
  private readonly js: unknown;

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {
    this.js = doc.toJS();
  }

  private location(path: Path): string {
    // The closest node that exists: a missing field is reported at its parent's line.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return `${this.file}:${this.lines.linePos(node.range[0]).line}`;
    }
    return this.file;
  }

  fail(path: Path, expected: string, seen?: unknown): never {
    throw new ConfigError(this.location(path), fieldName(path), expected, seen);
  }

  value(path: Path): unknown {
    let v: unknown = this.js;
    for (const key of path) {
      if (typeof v !== 'object' || v === null) return undefined;
      v = (v as Record<string | number, unknown>)[key];
    }
    return v;
  }

  string(path: Path, pattern?: RegExp, expected = 'a string'): string {
    const v = this.value(path);
    if (typeof v !== 'string' || (pattern && !pattern.test(v))) this.fail(path, expected, v);
    return v;
  }

  optionalString(path: Path, pattern?: RegExp, expected?: string): string | undefined {
    return this.value(path) === undefined ? undefined : this.string(path, pattern, expected);
  }

  integer(path: Path, min: number, max: number, fallback?: number): number {
    const v = this.value(path);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(path, `an integer from ${min} to ${max}`, v);
    return v;
  }

  boolean(path: Path, fallback: boolean): boolean {
    const v = this.value(path);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(path, 'true or false', v);
    return v;
  }

  oneOf<T extends string>(path: Path, choices: readonly T[], fallback: T): T {
    const v = this.value(path);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v))
      this.fail(path, `one of ${choices.join(', ')}`, v);
    return v as T;
  }

  list(path: Path, required = false): unknown[] {
    const v = this.value(path);
    if (v === undefined && !required) return [];
    if (!Array.isArray(v) || (required && v.length === 0)) this.fail(path, required ? 'a non-empty list' : 'a list', v);
    return v;
  }

  stringList(path: Path): string[] {
    return this.list(path).map((_, i) => this.string([...path, i]));
  }

  map(path: Path, allowed: readonly string[], required = true): boolean {
    const v = this.value(path);
    if (v === undefined && !required) return false;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'a mapping', v);
    for (const key of Object.keys(v))
      if (!allowed.includes(key)) this.fail([...path, key], `one of the fields ${allowed.join(', ')}`, key);
    return true;
  }
}

function fieldName(path: Path): string {
  if (path.length === 0) return '(document)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

const namePattern = /^[a-z][a-z0-9_-]{0,62}$/;
const nameExpected = 'a name of lower-case letters, digits, - and _, starting with a letter';

function readNetwork(r: FieldReader, i: number): TopologyNetwork {
  const p = ['networks', i];
  r.map(p, ['name', 'driver', 'subnet', 'attachable', 'encrypted', 'options']);
  const options: Record<string, string> = {};
  // Driver options are free-form: any key, values taken as strings.
  const rawOptions = r.value([...p, 'options']);
  if (rawOptions !== undefined) {
    if (typeof rawOptions !== 'object' || rawOptions === null || Array.isArray(rawOptions))
      r.fail([...p, 'options'], 'a mapping of driver options', rawOptions);
    for (const [key, value] of Object.entries(rawOptions)) options[key] = String(value);
  }
  const subnet = r.optionalString(
    [...p, 'subnet'],
    /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/,
    'an IPv4 subnet in CIDR form, such as 10.10.0.0/24',
  );
  return {
    name: r.string([...p, 'name'], namePattern, nameExpected),
    driver: r.optionalString([...p, 'driver'], /^[a-zA-Z0-9][a-zA-Z0-9._/:-]*$/, 'a network driver name') ?? 'overlay',
    ...(subnet ? { subnet } : {}),
    attachable: r.boolean([...p, 'attachable'], true),
    encrypted: r.boolean([...p, 'encrypted'], false),
    options,
  };
}

function readPort(r: FieldReader, p: Path): PublishedPort {
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
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first?.linePos?.[0]?.line;
    throw new ConfigError(`${file}${line ? `:${line}` : ''}`, '(yaml)', 'valid YAML', first?.message.split('\n')[0]);
  }
  const r = new FieldReader(file, doc, lines);
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
  return {
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
}

export async function loadTopology(file: string): Promise<Topology> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      file,
      '(file)',
      'a readable topology file',
      (error as NodeJS.ErrnoException).code ?? String(error),
    );
  }
  return parseTopology(text, file);
}
