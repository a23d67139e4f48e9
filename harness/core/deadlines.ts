import { ConfigError } from './errors.js';

/**
 * Every deadline swarmlab waits with, in one table. The values were set on a
 * 2-core machine under software emulation (no KVM), the slowest setting
 * swarmlab supports, with headroom over what was measured there (the
 * comments). A slower machine stretches them all with --timeout-scale (or
 * SWARMLAB_TIMEOUT_SCALE); on an engine at native speed (KVM, or a local
 * engine) they are halved, so that a hang is reported sooner.
 */
const base = {
  /** QEMU start to the Docker API answering: 27-45 s measured. */
  vmBoot: 240_000,
  /** Starting the nodes together until each inner dockerd listens: 23-35 s for three. */
  nodeStart: 120_000,
  /** A node's Docker daemon answering again after a restart of the daemon, or of the whole node. */
  daemonRestart: 120_000,
  /** Every node Ready in `docker node ls` after the joins: 2-11 s. */
  nodesReady: 90_000,
  /** One `docker swarm join` (retried twice): 2-12 s. */
  swarmJoin: 120_000,
  /** Creating a topology's networks and services in one exec: 6-24 s. */
  createTopology: 120_000,
  /** Every desired task running: web-api 23-35 s on 26.1.5, 60-115 s on 20.10.24. */
  converge: 180_000,
  /** The least left for DNS after convergence. */
  dnsAfterConverge: 30_000,
  /** A removed topology's networks gone from the managers: about 26 s once. */
  networksGone: 60_000,
  /** A node command that reads state (node dump 1.1-1.9 s, managers' state about 1 s), and exec's default. */
  nodeExec: 60_000,
  /** A short CLI call in a node (node ls, version). */
  nodeCliQuick: 15_000,
  /** One command of the log collection. */
  logCommand: 30_000,
  /** `docker load` of an image in a node: 6-11 s for the probe into three. */
  sideLoad: 120_000,
  /** Labelled containers gone after their removal. */
  teardown: 60_000,
  /** The IPVS proof container starting, and again exiting. */
  ipvsProof: 60_000,
  /** An engine's version call. */
  engineVersion: 15_000,
  /** A ping of the local engine, to choose one. */
  localPing: 5_000,
  /** The throwaway host dockerd answering (seconds). */
  scratchDockerd: 60_000,
  /** Another apt or dpkg holding its lock (an unattended upgrade). */
  aptLock: 600_000,
} as const;

export type DeadlineName = keyof typeof base;

let userScale = 1;
let engineScale = 1;

/** The deadline, in ms, with both scales applied. */
export function deadline(name: DeadlineName): number {
  return Math.round(base[name] * userScale * engineScale);
}

export function parseTimeoutScale(value: string, source: string): number {
  const scale = Number(value);
  if (!Number.isFinite(scale) || scale < 0.1 || scale > 100)
    throw new ConfigError(source, 'timeout scale', 'a number from 0.1 to 100', value);
  return scale;
}

/** --timeout-scale, or SWARMLAB_TIMEOUT_SCALE when the flag is not given. */
export function setTimeoutScale(flag: string | undefined): void {
  const fromEnv = process.env['SWARMLAB_TIMEOUT_SCALE'];
  if (flag !== undefined) userScale = parseTimeoutScale(flag, '--timeout-scale');
  else if (fromEnv !== undefined) userScale = parseTimeoutScale(fromEnv, 'SWARMLAB_TIMEOUT_SCALE');
}

/** Called once the engine is known: native speed halves every deadline. */
export function setEngineSpeed(speed: 'emulated' | 'native'): void {
  engineScale = speed === 'native' ? 0.5 : 1;
}
