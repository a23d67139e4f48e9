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
  /** Stops what this engine started; for the local engine there is nothing to stop. */
  stop(): Promise<void>;
}

export interface EngineProvider {
  readonly kind: EngineKind;
  start(): Promise<RunningEngine>;
}

export const engineChoices: readonly EngineChoice[] = ['auto', 'local', 'vm'];
