import type { WatchTarget } from './engine-watch.js';

/**
 * The engine layer: where swarmlab's containers run. A provider knows how to
 * bring an engine up; a running engine gives a Docker host and facts about it.
 * Everything above (cluster, deploy, checks) sees only `RunningEngine`.
 */
export type EngineKind = 'local' | 'vm';
export type EngineChoice = EngineKind | 'auto';

export interface EngineFacts {
  kind: EngineKind;
  name: string;
  dockerHost: string;
  kernel: string;
  dockerVersion: string;
  /** The engine's kernel could create an IPVS virtual service in a container's namespace. */
  ipvs: boolean;
  /** Why `ipvs` is false, in the kernel's or tool's own words. */
  ipvsDetail: string;
}

/**
 * What a snapshot of an engine holds besides the engine itself (a ready cluster, say), asked for when the engine
 * starts (restore it if saved) and given again to save it.
 */
export interface SnapshotRequest {
  /** For people: "cluster lab (1 manager, 2 workers, trixie)". */
  label: string;
  /** Everything that shapes what is inside: the key, with the engine's own inputs. */
  contents: Record<string, unknown>;
}

/** How long after saving a restore is as good as a fresh start, and why (certificates expire, say). */
export interface SnapshotValidity {
  forMs: number;
  why: string;
}

/** How a restored engine came back. */
export interface RestoredSnapshot {
  label: string;
  savedAt: string;
  /** From starting QEMU to the Docker API answering with the clock set. */
  seconds: number;
  /** Guest minus host in ms before and after the clock was set. */
  clockSkewBeforeMs: number;
  clockSkewAfterMs: number;
}

export interface RunningEngine {
  readonly kind: EngineKind;
  readonly name: string;
  readonly dockerHost: string;
  /** Emulated (a VM under TCG) or native (KVM, a local engine): deadlines scale with it. */
  readonly speed: 'native' | 'emulated';
  facts(): Promise<EngineFacts>;
  /** What the watch (engine-watch.ts) checks while a command uses the engine. */
  watchTarget(): WatchTarget;
  /** This command booted it (a VM that was not running): a run stops what it booted and leaves what it found. */
  readonly bootedHere: boolean;
  /** The snapshot this engine was restored from; undefined when it booted or was found running. */
  readonly restored?: RestoredSnapshot;
  /** The snapshot this engine was asked for and booted without (none saved yet, or --fresh): save it when built. */
  readonly snapshotWanted?: SnapshotRequest;
  /**
   * Saves the engine as it is now as the snapshot for `request`, for a later start that asks for it. Only an
   * engine that can (a VM) has it; a caller saves only what it built in an engine this command booted.
   */
  saveSnapshot?(request: SnapshotRequest, validity: SnapshotValidity): Promise<void>;
  /** Stops what this engine started; for the local engine there is nothing to stop. */
  stop(): Promise<void>;
}

export interface EngineProvider {
  readonly kind: EngineKind;
  start(): Promise<RunningEngine>;
}

export const engineChoices: readonly EngineChoice[] = ['auto', 'local', 'vm'];
