import { dirname, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { checkCatalog, checkInfo } from '../checks/check-catalog.js';
import { type FieldReader, type Path, readConfigFile, readYaml } from '../core/yaml-fields.js';
import { loadTopology, readPort } from '../topology/load-topology.js';
import type { Topology } from '../topology/topology.js';
import {
  type ActionKind,
  actionKinds,
  type NodeRef,
  type Scenario,
  type ScenarioAction,
  type ScenarioStep,
  type StepTraffic,
  type DisruptionBounds,
} from './scenario.js';
import { probePort } from '../images/probe-image.js';

// The scenario's name names its cluster too, so it follows the cluster name's rule.
const namePattern = /^[a-z][a-z0-9-]{0,23}$/;
const defaultSettleSeconds = 120;

/** The fields each action takes besides the ones every step has. */
const actionFields: Record<ActionKind, readonly string[]> = {
  scale: ['service', 'replicas'],
  update: ['service', 'endpointMode', 'env', 'force', 'publish', 'unpublish', 'networks'],
  remove: ['service'],
  create: ['service'],
  drain: ['node'],
  activate: ['node'],
  pause: ['node'],
  'restart-daemon': ['node'],
  'stop-node': ['node'],
  'start-node': ['node'],
  kill: ['service'],
  wait: ['seconds'],
  exec: ['args'],
  partition: ['node', 'seconds'],
  netem: ['node', 'seconds', 'delay', 'loss'],
};
const stepFields = ['name', 'action', 'checks', 'expect', 'settle', 'traffic', 'disruption'];

function readService(r: FieldReader, path: Path, topology: Topology): string {
  const names = topology.services.map((s) => s.name);
  const name = r.string(path, undefined, `a service of ${topology.source} (${names.join(', ')})`);
  if (!names.includes(name)) r.fail(path, `a service of ${topology.source} (${names.join(', ')})`, name);
  return name;
}

function readNode(r: FieldReader, path: Path, topology: Topology, index: number, previousNode: boolean): NodeRef {
  const { managers, workers } = topology.cluster;
  const ids = [
    ...Array.from({ length: managers }, (_, i) => `m${i + 1}`),
    ...Array.from({ length: workers }, (_, i) => `w${i + 1}`),
  ];
  const expected = `a node id (${ids.join(', ')}), previous, or { taskOf: SERVICE }`;
  const v = r.value(path);
  if (v === 'previous') {
    if (!previousNode) r.fail(path, `a node: no step before step ${index} works on one, so there is no previous`, v);
    return { previous: true };
  }
  if (typeof v === 'string') {
    if (!ids.includes(v)) r.fail(path, expected, v);
    return { id: v };
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    r.map(path, ['taskOf']);
    return { taskOf: readService(r, [...path, 'taskOf'], topology) };
  }
  return r.fail(path, expected, v);
}

function readAction(
  r: FieldReader,
  p: Path,
  kind: ActionKind,
  topology: Topology,
  index: number,
  previousNode: boolean,
): ScenarioAction {
  switch (kind) {
    case 'scale':
      return {
        kind,
        service: readService(r, [...p, 'service'], topology),
        replicas: r.integer([...p, 'replicas'], 0, 50),
      };
    case 'update': {
      const env: Record<string, string> = {};
      const rawEnv = r.value([...p, 'env']);
      if (rawEnv !== undefined) {
        if (typeof rawEnv !== 'object' || rawEnv === null || Array.isArray(rawEnv)) {
          r.fail([...p, 'env'], 'a mapping of environment variables', rawEnv);
        }
        for (const [key, value] of Object.entries(rawEnv)) env[key] = String(value);
      }
      const endpointMode = r.value([...p, 'endpointMode']);
      const service = readService(r, [...p, 'service'], topology);
      const networkNames = topology.networks.map((n) => n.name);
      const readNetworks = (path: Path) =>
        r.stringList(path).map((name, i) => {
          if (!networkNames.includes(name))
            r.fail([...path, i], `a network of ${topology.source} (${networkNames.join(', ')})`, name);
          return name;
        });
      r.map([...p, 'networks'], ['add', 'remove'], false);
      const action: ScenarioAction = {
        kind,
        service,
        ...(endpointMode === undefined
          ? {}
          : { endpointMode: r.oneOf([...p, 'endpointMode'], ['vip', 'dnsrr'] as const, 'vip') }),
        env,
        force: r.boolean([...p, 'force'], false),
        publish: r.list([...p, 'publish']).map((_, j) => readPort(r, [...p, 'publish', j])),
        unpublish: r.list([...p, 'unpublish']).map((_, j) => r.integer([...p, 'unpublish', j], 1, 65535)),
        networksAdd: readNetworks([...p, 'networks', 'add']),
        networksRemove: readNetworks([...p, 'networks', 'remove']),
      };
      const changes = [
        endpointMode !== undefined,
        Object.keys(env).length > 0,
        action.force,
        action.publish.length > 0,
        action.unpublish.length > 0,
        action.networksAdd.length + action.networksRemove.length > 0,
      ];
      if (!changes.some(Boolean)) {
        r.fail(p, 'an update with endpointMode, env, publish, unpublish, networks or force: true', 'none of them');
      }
      return action;
    }
    case 'remove':
    case 'create':
      return { kind, service: readService(r, [...p, 'service'], topology) };
    case 'kill':
      return { kind, service: readService(r, [...p, 'service'], topology) };
    case 'wait':
      return { kind, seconds: r.integer([...p, 'seconds'], 1, 3600) };
    case 'exec': {
      const args = r.stringList([...p, 'args']);
      if (args.length === 0) r.fail([...p, 'args'], 'the docker CLI arguments, e.g. [service, ls]', []);
      return { kind, args };
    }
    case 'partition':
      return {
        kind,
        node: readNode(r, [...p, 'node'], topology, index, previousNode),
        seconds: r.integer([...p, 'seconds'], 1, 3600),
      };
    case 'netem': {
      const delayMs = r.value([...p, 'delay']) === undefined ? 0 : r.duration([...p, 'delay']) * 1000;
      const loss = r.value([...p, 'loss']);
      const lossMatch = typeof loss === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(loss) : null;
      if (loss !== undefined && (!lossMatch || Number(lossMatch[1]) > 100)) {
        r.fail([...p, 'loss'], 'a loss such as 5% (0% to 100%)', loss);
      }
      const lossPercent = lossMatch ? Number(lossMatch[1]) : 0;
      if (delayMs === 0 && lossPercent === 0) r.fail(p, 'netem with a delay, a loss or both', 'neither');
      return {
        kind,
        node: readNode(r, [...p, 'node'], topology, index, previousNode),
        seconds: r.integer([...p, 'seconds'], 1, 3600),
        delayMs,
        lossPercent,
      };
    }
    default:
      return { kind, node: readNode(r, [...p, 'node'], topology, index, previousNode) };
  }
}

function readPatterns(r: FieldReader, path: Path): string[] {
  return r.stringList(path).map((pattern, i) => {
    try {
      new RegExp(pattern.replace(/^!/, ''));
    } catch {
      r.fail([...path, i], 'a regular expression over check ids (a leading ! leaves out)', pattern);
    }
    return pattern;
  });
}

function readExpect(r: FieldReader, path: Path): string[] {
  const v = r.value(path);
  if (v === undefined || v === 'pass') return [];
  r.map(path, ['fail']);
  const ids = r.stringList([...path, 'fail']);
  if (ids.length === 0) r.fail([...path, 'fail'], 'the check ids the step must make fail', []);
  ids.forEach((id, i) => {
    if (!checkInfo(id)) r.fail([...path, 'fail', i], `a check id (${checkCatalog.map((c) => c.id).join(', ')})`, id);
  });
  return ids;
}

function readTraffic(r: FieldReader, path: Path, topology: Topology): StepTraffic | undefined {
  if (!r.map(path, ['from', 'to', 'port', 'published'], false)) return undefined;
  const probes = topology.services.filter((s) => s.image === undefined).map((s) => s.name);
  const from = r.string([...path, 'from'], undefined, `a probe service (${probes.join(', ')})`);
  if (!probes.includes(from)) r.fail([...path, 'from'], `a probe service of the topology (${probes.join(', ')})`, from);
  const to = readService(r, [...path, 'to'], topology);
  const port = r.integer([...path, 'port'], 1, 65535, probePort);
  if (r.value([...path, 'published']) === undefined) return { from, to, port };
  const ports = topology.services.find((s) => s.name === to)?.ports.filter((p) => p.mode === 'ingress') ?? [];
  const published = r.integer([...path, 'published'], 1, 65535);
  if (!ports.some((p) => p.published === published)) {
    const list = ports.map((p) => p.published).join(', ') || 'none';
    r.fail([...path, 'published'], `a port ${to} publishes through the routing mesh (${list})`, published);
  }
  return { from, to, port, published };
}

function readDisruption(r: FieldReader, path: Path, traffic: StepTraffic | undefined): DisruptionBounds | undefined {
  if (!r.map(path, ['failed', 'gap'], false)) return undefined;
  if (!traffic) r.fail(path, 'disruption bounds on a step with traffic (add traffic: { from, to })', 'no traffic');
  const failed = r.value([...path, 'failed']) === undefined ? undefined : r.integer([...path, 'failed'], 0, 1_000_000);
  const gapSeconds = r.value([...path, 'gap']) === undefined ? undefined : r.duration([...path, 'gap']);
  return { ...(failed !== undefined ? { failed } : {}), ...(gapSeconds !== undefined ? { gapSeconds } : {}) };
}

function describeNode(node: NodeRef): string {
  if ('id' in node) return node.id;
  if ('taskOf' in node) return `the node running a task of ${node.taskOf}`;
  return 'the same node';
}

/** A step's name when the file gives none: what it does. */
function actionTitle(action: ScenarioAction): string {
  switch (action.kind) {
    case 'scale':
      return `scale ${action.service} to ${action.replicas}`;
    case 'update': {
      const what = [
        action.endpointMode ? `endpoint mode ${action.endpointMode}` : '',
        Object.keys(action.env).length ? `env ${Object.keys(action.env).join(', ')}` : '',
        action.publish.length ? `publish ${action.publish.map((port) => port.published).join(', ')}` : '',
        action.unpublish.length ? `unpublish ${action.unpublish.join(', ')}` : '',
        action.networksAdd.length ? `join ${action.networksAdd.join(', ')}` : '',
        action.networksRemove.length ? `leave ${action.networksRemove.join(', ')}` : '',
        action.force ? 'forced' : '',
      ].filter(Boolean);
      return `update ${action.service} (${what.join(', ')})`;
    }
    case 'kill':
      return `kill a task of ${action.service}`;
    case 'remove':
    case 'create':
      return `${action.kind} ${action.service}`;
    case 'wait':
      return `wait ${action.seconds} s`;
    case 'exec':
      return `docker ${action.args.join(' ')}`;
    case 'partition':
      return `partition ${describeNode(action.node)} for ${action.seconds} s`;
    case 'netem': {
      const what = [
        action.delayMs ? `delay ${action.delayMs} ms` : '',
        action.lossPercent ? `loss ${action.lossPercent}%` : '',
      ];
      return `netem on ${describeNode(action.node)} (${what.filter(Boolean).join(', ')}) for ${action.seconds} s`;
    }
    default:
      return `${action.kind} ${describeNode(action.node)}`;
  }
}

function readStep(r: FieldReader, index: number, topology: Topology, previousNode: boolean): ScenarioStep {
  const p = ['steps', index - 1];
  const kind = r.oneOf([...p, 'action'], actionKinds, 'wait');
  if (r.value([...p, 'action']) === undefined) r.fail([...p, 'action'], `one of ${actionKinds.join(', ')}`);
  r.map(p, [...stepFields, ...actionFields[kind]]);
  const action = readAction(r, p, kind, topology, index, previousNode);
  const traffic = readTraffic(r, [...p, 'traffic'], topology);
  const disruption = readDisruption(r, [...p, 'disruption'], traffic);
  return {
    index,
    name: r.optionalString([...p, 'name']) ?? actionTitle(action),
    at: r.location(p),
    action,
    checks: readPatterns(r, [...p, 'checks']),
    expectFail: readExpect(r, [...p, 'expect']),
    settleSeconds: r.value([...p, 'settle']) === undefined ? defaultSettleSeconds : r.duration([...p, 'settle']),
    ...(traffic ? { traffic } : {}),
    ...(disruption ? { disruption } : {}),
  };
}

/**
 * Which services exist after each step (remove and create change it): a step may not work on a service an earlier
 * step removed, nor create one that is there.
 */
function followServices(r: FieldReader, p: Path, step: ScenarioStep, present: Set<string>): void {
  const { action, traffic } = step;
  const removed = (path: Path, name: string) =>
    r.fail(
      path,
      `a service that exists at this step (${[...present].join(', ') || 'none'}; ${name} was removed)`,
      name,
    );
  if (action.kind === 'create') {
    if (present.has(action.service)) {
      r.fail([...p, 'service'], 'a service an earlier step removed (create brings it back)', action.service);
    }
    present.add(action.service);
    return;
  }
  if ('service' in action && !present.has(action.service)) removed([...p, 'service'], action.service);
  if ('node' in action && 'taskOf' in action.node && !present.has(action.node.taskOf)) {
    removed([...p, 'node', 'taskOf'], action.node.taskOf);
  }
  for (const end of ['from', 'to'] as const) {
    if (traffic && !present.has(traffic[end])) removed([...p, 'traffic', end], traffic[end]);
  }
  if (action.kind === 'remove') present.delete(action.service);
}

/**
 * Parses and validates a scenario; its topology file is loaded relative to the
 * scenario's folder. The first mistake is thrown as a ConfigError with file and line.
 */
export async function parseScenario(text: string, file: string): Promise<Scenario> {
  const r = readYaml(text, file);
  r.map([], ['name', 'description', 'topology', 'steps']);
  const name = r.string(['name'], namePattern, 'up to 24 lower-case letters, digits and -, starting with a letter');
  const topologyFile = r.string(['topology'], /\.ya?ml$/, 'the path of a topology file (.yaml), relative to this file');
  const topology = await loadTopology(resolve(dirname(file), topologyFile));
  const steps: ScenarioStep[] = [];
  const present = new Set(topology.services.map((s) => s.name));
  r.list(['steps'], true).forEach((_, i) => {
    const previousNode = steps.some((s) => 'node' in s.action);
    const step = readStep(r, i + 1, topology, previousNode);
    followServices(r, ['steps', i], step, present);
    steps.push(step);
  });
  const description = r.optionalString(['description']);
  return { name, source: file, ...(description ? { description } : {}), topology, steps };
}

export async function loadScenario(file: string): Promise<Scenario> {
  return parseScenario(await readConfigFile(file, 'a readable scenario file'), file);
}

/**
 * Every file validated before anything starts (two scenarios of one name would share an artifacts folder).
 */
export async function loadScenarios(files: readonly string[]): Promise<Scenario[]> {
  const scenarios = await Promise.all(files.map((f) => loadScenario(f)));
  scenarios.forEach((scenario, i) => {
    const first = scenarios.findIndex((s) => s.name === scenario.name);
    if (first !== i)
      throw new ConfigError(
        files[i] ?? '',
        'name',
        `a name no other scenario of this run has (${files[first]})`,
        scenario.name,
      );
  });
  return scenarios;
}
