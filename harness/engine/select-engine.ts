import { allOrCancel } from '../core/cancel.js';
import { setEngineSpeed } from '../core/deadlines.js';
import { ConfigError, SwarmlabError } from '../core/errors.js';
import { installHostTools, type HostTool } from '../core/host-tools.js';
import { cleanupOnInterrupt, sharedCleanup } from '../core/interrupt.js';
import type { Logger } from '../core/log.js';
import { rootfsHostTools } from '../images/debian-rootfs.js';
import { debianSuite, isDebianSuite } from '../images/debian-suites.js';
import { dockerCliHostTools } from '../images/image-source.js';
import { debianNodeImage } from '../images/node-image.js';
import { probeHostTools, probeImage } from '../images/probe-image.js';
import { scratchDockerdHostTools } from '../images/scratch-dockerd.js';
import type { EngineChoice, RunningEngine, SnapshotRequest } from './engine.js';
import { engineChoices } from './engine.js';
import {
  LocalEngine,
  LocalEngineProvider,
  NoIpvsError,
  localDockerHost,
  localEngineReachable,
} from './local-engine.js';
import { dockerClient } from './engine-facts.js';
import { labels } from '../core/labels.js';
import { VmEngine, VmEngineProvider } from './vm/vm-engine.js';
import { vmHostTools } from './vm/vm-disk.js';
import { watchEngine } from './engine-watch.js';

export interface EngineRequest {
  choice: EngineChoice;
  /** Name of the VM instance (ignored by the local engine). */
  name: string;
  /** Debian suite of the VM (its kernel and Docker) and of the default node image. */
  suite: string;
  /**
   * Node images to bake into a new VM's disk besides the VM suite's own: Debian
   * suites, and dind image references (ignored here: those come from a registry).
   * Anything missing later is imported through the API, which is much slower.
   */
  nodeImages?: readonly string[];
  /** A VM engine restores this snapshot instead of booting when it is saved (harness/snapshot). */
  snapshot?: SnapshotRequest;
  /** Boot even when the snapshot is saved (--fresh). */
  fresh?: boolean;
}

export function parseEngineChoice(value: string, source = '--engine'): EngineChoice {
  if ((engineChoices as readonly string[]).includes(value)) return value as EngineChoice;
  throw new ConfigError(source, 'engine', `one of ${engineChoices.join(', ')}`, value);
}

/**
 * Every host program an engine choice may need: the images are built on the
 * host for both engines (debootstrap, musl), the VM adds QEMU, its disk and the
 * scratch dockerd that preloads images; `auto` may end up on either.
 */
export function hostToolsFor(choice: EngineChoice): HostTool[] {
  const images = [...rootfsHostTools, ...probeHostTools, ...dockerCliHostTools];
  return choice === 'local' ? images : [...images, ...scratchDockerdHostTools, ...vmHostTools];
}

/**
 * Brings up the requested engine. `auto` takes the local engine when it
 * answers and proves IPVS, the VM otherwise, and says which and why.
 */
export async function startEngine(request: EngineRequest, log: Logger): Promise<RunningEngine> {
  return inUse(await provideEngine(request, log), log);
}

/** An engine a command is about to use: watched while it does, and its speed sets the deadlines. */
function inUse(engine: RunningEngine, log: Logger): RunningEngine {
  watchEngine(engine.watchTarget(), log);
  setEngineSpeed(engine.speed);
  return engine;
}

async function provideEngine(request: EngineRequest, log: Logger): Promise<RunningEngine> {
  const suite = debianSuite(request.suite);
  const extraSuites = [...new Set(request.nodeImages ?? [])].filter((n) => isDebianSuite(n) && n !== suite.name);
  await installHostTools(hostToolsFor(request.choice), log);
  // On a cold cache each suite is a debootstrap of minutes, built side by side: on 2 cores no faster than one
  // after the other (two took 328 s together), no slower either, and machines with more cores overlap them.
  // The first failure stops the others (allOrCancel): nothing builds on behind an error.
  const [nodeImage, probe, ...extraImages] = await allOrCancel([
    () => debianNodeImage(suite, log),
    () => probeImage(log),
    ...extraSuites.map((n) => () => debianNodeImage(debianSuite(n), log)),
  ]);
  const vm = new VmEngineProvider(
    {
      name: request.name,
      suite,
      preload: [nodeImage, probe, ...extraImages],
      ...(request.snapshot ? { snapshot: request.snapshot } : {}),
      ...(request.fresh ? { fresh: true } : {}),
    },
    log,
  );
  if (request.choice === 'vm') return vm.start();
  const local = new LocalEngineProvider([nodeImage, probe], log);
  if (request.choice === 'local') return local.start();

  const running = await VmEngine.attach(request.name, log);
  const dockerHost = localDockerHost();
  const reachable = running ? { ok: false, reason: 'not asked' } : await localEngineReachable(dockerHost);
  let localIpvs: boolean | undefined;
  let localEngine: RunningEngine | undefined;
  let kernel = 'unknown';
  if (reachable.ok) {
    try {
      localEngine = await local.start();
      localIpvs = true;
    } catch (error) {
      if (!(error instanceof NoIpvsError)) throw error;
      localIpvs = false;
      kernel = error.facts.kernel;
    }
  }
  const choice = chooseAutoEngine({
    vmRunning: running !== undefined,
    localReachable: reachable,
    localIpvs,
    localKernel: kernel,
    dockerHost,
    vmName: request.name,
  });
  log.info(`engine auto: ${choice.why}`);
  if (choice.kind === 'local' && localEngine) return localEngine;
  return running ?? vm.start();
}

/**
 * An engine for several runs (matrix, repro): started (or found running) once, and stopped at the end, also on
 * Ctrl-C, when this command booted it and `keep` is not asked. The runs inside register their own clean-up later,
 * so theirs (their clusters) runs first on Ctrl-C.
 */
export async function withEngine<T>(
  request: EngineRequest,
  keep: boolean,
  log: Logger,
  work: (engine: RunningEngine) => Promise<T>,
): Promise<T> {
  const engine = await startEngine(request, log);
  const stop = sharedCleanup(async () => {
    if (engine.bootedHere && !keep) await engine.stop();
  });
  const unregister = cleanupOnInterrupt(stop);
  try {
    return await work(engine);
  } finally {
    await stop();
    unregister();
  }
}

export interface AutoEngineInputs {
  vmRunning: boolean;
  localReachable: { ok: boolean; reason: string };
  /** undefined when the local engine was not reachable, so IPVS was not tried. */
  localIpvs: boolean | undefined;
  localKernel: string;
  dockerHost: string;
  vmName: string;
}

/** The `auto` rule, apart from the probing so it can be tested: a running VM, else a local engine with IPVS, else a new VM. */
export function chooseAutoEngine(inputs: AutoEngineInputs): { kind: 'local' | 'vm'; why: string } {
  if (inputs.vmRunning) return { kind: 'vm', why: `using the running VM engine "${inputs.vmName}"` };
  if (!inputs.localReachable.ok)
    return { kind: 'vm', why: `chose the VM engine because ${inputs.localReachable.reason}` };
  if (inputs.localIpvs)
    return { kind: 'local', why: `chose the local engine at ${inputs.dockerHost}: it answers and has IPVS` };
  return {
    kind: 'vm',
    why: `chose the VM engine because the local engine at ${inputs.dockerHost} has no IPVS (kernel ${inputs.localKernel})`,
  };
}

/** The engine a later command (status, down, cluster verbs) talks to, without starting anything. */
export async function attachEngine(choice: EngineChoice, name: string, log: Logger): Promise<RunningEngine> {
  return inUse(await findEngine(choice, name, log), log);
}

async function findEngine(choice: EngineChoice, name: string, log: Logger): Promise<RunningEngine> {
  if (choice !== 'local') {
    const vm = await VmEngine.attach(name, log);
    if (vm) return vm;
    if (choice === 'vm')
      throw new SwarmlabError(
        'no-engine',
        `no VM engine "${name}" is running; start one with: swarmlab engine up --engine vm`,
      );
  }
  const dockerHost = localDockerHost();
  const reachable = await localEngineReachable(dockerHost);
  if (!reachable.ok) {
    throw new SwarmlabError(
      'no-engine',
      `no engine: no VM engine "${name}" is running and ${reachable.reason}; start one with: swarmlab engine up`,
    );
  }
  return new LocalEngine(dockerHost, await findNodeImage(dockerHost));
}

/** Any swarmlab node image already on the engine: enough for the IPVS proof, and nothing is imported. */
async function findNodeImage(dockerHost: string): Promise<string> {
  const images = await dockerClient(dockerHost).listImages({ filters: { label: [`${labels.kind}=node`] } });
  return (
    images[0]?.RepoTags?.[0] ?? 'no swarmlab node image on this engine yet (run swarmlab engine up --engine local)'
  );
}
