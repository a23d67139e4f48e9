import type { EndpointMode, PublishedPort, Topology } from '../topology/topology.js';

/**
 * A scenario: a topology and a list of steps, each changing the Swarm and
 * saying what must hold on every node after it. Loaded from YAML by
 * load-scenario.ts, the only place that accepts untyped input.
 */

/** Which node an action works on. */
export type NodeRef =
  /** A node by its id in the cluster: m1, w2. */
  | { id: string }
  /** The node of a running task of a service (the first, by task slot). */
  | { taskOf: string }
  /** The node the latest earlier step with a node worked on. */
  | { previous: true };

export type NodeAction = 'drain' | 'activate' | 'pause' | 'restart-daemon' | 'stop-node' | 'start-node';
export const nodeActions: readonly NodeAction[] = [
  'drain',
  'activate',
  'pause',
  'restart-daemon',
  'stop-node',
  'start-node',
];

export type ScenarioAction =
  | { kind: 'scale'; service: string; replicas: number }
  /**
   * A rolling update: a new endpoint mode, environment, ports published or withdrawn, networks joined or left,
   * or (force) the same spec again.
   */
  | {
      kind: 'update';
      service: string;
      endpointMode?: EndpointMode;
      env: Record<string, string>;
      force: boolean;
      publish: PublishedPort[];
      /** Published port numbers to withdraw. */
      unpublish: number[];
      networksAdd: string[];
      networksRemove: string[];
    }
  /** Removes a service; `create` brings it back as the topology defines it (a new service of the same name). */
  | { kind: 'remove'; service: string }
  | { kind: 'create'; service: string }
  /** A node's availability, set on a manager. */
  | { kind: 'drain' | 'activate' | 'pause'; node: NodeRef }
  /** The node's daemon or the node itself, through the provider. */
  | { kind: 'restart-daemon' | 'stop-node' | 'start-node'; node: NodeRef }
  /** Kills the container of one running task of a service; Swarm replaces the task. */
  | { kind: 'kill'; service: string }
  | { kind: 'wait'; seconds: number }
  /** A docker CLI command on a manager, for what the list lacks. */
  | { kind: 'exec'; args: string[] }
  /** Cuts a node off from every other node on the underlay for a while, then heals. */
  | { kind: 'partition'; node: NodeRef; seconds: number }
  /** Delay and/or loss on a node's underlay for a while, then removed. */
  | { kind: 'netem'; node: NodeRef; seconds: number; delayMs: number; lossPercent: number };

export type ActionKind = ScenarioAction['kind'];
export const actionKinds: readonly ActionKind[] = [
  'scale',
  'update',
  'remove',
  'create',
  ...nodeActions,
  'kill',
  'wait',
  'exec',
  'partition',
  'netem',
];

/** Requests a probe service sends to a service while the step runs. */
export interface StepTraffic {
  /** A probe service of the topology (no image of its own): the client. */
  from: string;
  /** The service the requests go to, by name (its VIP, or DNS round robin). */
  to: string;
  port: number;
  /** A port the service publishes through the routing mesh: requests enter on another node's address instead. */
  published?: number;
}

/** How much the traffic may suffer; a bound left out is reported, not judged. */
export interface DisruptionBounds {
  failed?: number;
  gapSeconds?: number;
}

export interface ScenarioStep {
  /** Its number from 1, and its name (given, or made from the action). */
  index: number;
  name: string;
  /** Where it is written, file:line, for messages. */
  at: string;
  action: ScenarioAction;
  /** Check id patterns, as `--test` takes them; empty: every check. */
  checks: string[];
  /** Check ids that must fail after the step (a step meant to show a bug); empty: every check must pass. */
  expectFail: string[];
  /** How long the checks may take to become what is expected after the Swarm converged. */
  settleSeconds: number;
  traffic?: StepTraffic;
  disruption?: DisruptionBounds;
}

export interface Scenario {
  name: string;
  /** Where it was loaded from. */
  source: string;
  description?: string;
  topology: Topology;
  steps: ScenarioStep[];
}
