import { deadline } from '../core/deadlines.js';
import { SwarmlabError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { withDeadline } from '../core/wait.js';
import { ensureImage, type ImageSource } from '../images/image-source.js';
import { dockerClient, engineFacts } from './engine-facts.js';
import type { EngineFacts, EngineProvider, RunningEngine } from './engine.js';
import type { WatchTarget } from './engine-watch.js';

/**
 * The user's DOCKER_HOST as it was when swarmlab started: the dind provider
 * points testcontainers at the chosen engine through that same variable later.
 */
const userDockerHost = process.env['DOCKER_HOST'];

export function localDockerHost(): string {
  return userDockerHost ?? 'unix:///var/run/docker.sock';
}

/** Whether the local engine answers at all; the reason when it does not. */
export async function localEngineReachable(dockerHost: string): Promise<{ ok: boolean; reason: string }> {
  try {
    await withDeadline(`the Docker API at ${dockerHost}`, deadline('localPing'), dockerClient(dockerHost).ping());
    return { ok: true, reason: `answers at ${dockerHost}` };
  } catch (error) {
    return { ok: false, reason: `no Docker engine answers at ${dockerHost} (${errorMessage(error)})` };
  }
}

/** The user's own engine (DOCKER_HOST or the default socket). It is never stopped by swarmlab. */
export class LocalEngineProvider implements EngineProvider {
  readonly kind = 'local' as const;

  constructor(
    /** Images swarmlab needs on the engine; the first is the node image, which also runs the IPVS proof. */
    private readonly images: readonly [ImageSource, ...ImageSource[]],
    private readonly log: Logger,
    private readonly dockerHost = localDockerHost(),
  ) {}

  async start(): Promise<RunningEngine> {
    const reachable = await localEngineReachable(this.dockerHost);
    if (!reachable.ok)
      throw new SwarmlabError('local-engine', `${reachable.reason}; use --engine vm for the embedded engine`);
    for (const image of this.images) await ensureImage(this.dockerHost, image, this.log);
    const engine = new LocalEngine(this.dockerHost, this.images[0].ref);
    const facts = await engine.facts();
    if (!facts.ipvs) throw new NoIpvsError(facts);
    return engine;
  }
}

export class NoIpvsError extends SwarmlabError {
  constructor(readonly facts: EngineFacts) {
    super(
      'no-ipvs',
      `the Docker engine at ${facts.dockerHost} (Docker ${facts.dockerVersion}, kernel ${facts.kernel}) has no IPVS: ` +
        `a privileged container could not create an IPVS virtual service (${facts.ipvsDetail.split('\n')[0]}). ` +
        'Swarm would program no MARK rules and no IPVS services there. Use --engine vm to run on the embedded engine.',
      { ...facts },
    );
    this.name = 'NoIpvsError';
  }
}

export class LocalEngine implements RunningEngine {
  readonly kind = 'local' as const;
  readonly name = 'local';
  readonly speed = 'native' as const;
  readonly bootedHere = false;

  constructor(
    readonly dockerHost: string,
    /** The node image that runs the IPVS proof. */
    private readonly proofImage: string,
  ) {}

  facts(): Promise<EngineFacts> {
    return engineFacts('local', this.name, this.dockerHost, this.proofImage);
  }

  watchTarget(): WatchTarget {
    return { label: `local engine at ${this.dockerHost}`, dockerHost: this.dockerHost };
  }

  async stop(): Promise<void> {
    // The user's engine is theirs: swarmlab removes what it created on it, never the engine.
  }
}
