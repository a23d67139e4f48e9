import Docker from 'dockerode';
import { deadline } from '../core/deadlines.js';
import { errorMessage } from '../core/errors.js';
import { labels } from '../core/labels.js';
import { withDeadline } from '../core/wait.js';
import { demuxDockerStream } from './docker-stream.js';
import type { EngineFacts, EngineKind } from './engine.js';

export function dockerClient(dockerHost: string): Docker {
  if (dockerHost.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

/**
 * Proves IPVS rather than guessing it from a file: a throwaway privileged
 * container loads ip_vs if it can, then creates a virtual service in its own
 * network namespace and lists it back. Only the engine's kernel is involved.
 */
export const ipvsProofScript = [
  'modprobe ip_vs 2>/dev/null || true',
  'ipvsadm -A -t 10.255.255.1:80 -s rr || exit 3',
  'ipvsadm -a -t 10.255.255.1:80 -r 10.255.255.2:80 -m || exit 4',
  'ipvsadm -Ln',
].join(' && ');

export interface IpvsProof {
  ipvs: boolean;
  output: string;
}

export async function proveIpvs(docker: Docker, image: string): Promise<IpvsProof> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['sh', '-c'],
    Cmd: [ipvsProofScript],
    Labels: { [labels.kind]: 'ipvs-proof' },
    HostConfig: { Privileged: true, Binds: ['/lib/modules:/lib/modules:ro'], NetworkMode: 'none' },
  });
  try {
    await withDeadline('the IPVS proof container to start', deadline('ipvsProof'), container.start());
    const { StatusCode } = await withDeadline(
      'the IPVS proof container to exit',
      deadline('ipvsProof'),
      container.wait(),
    );
    const { stdout, stderr } = demuxDockerStream(await container.logs({ stdout: true, stderr: true }));
    const output = `${stdout}${stderr}`.trim();
    const ipvs = StatusCode === 0 && /10\.255\.255\.1:80/.test(output) && /10\.255\.255\.2:80/.test(output);
    return { ipvs, output };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

export async function engineFacts(
  kind: EngineKind,
  name: string,
  dockerHost: string,
  proofImage: string,
): Promise<EngineFacts> {
  const docker = dockerClient(dockerHost);
  const version = await withDeadline(`the Docker API at ${dockerHost}`, deadline('engineVersion'), docker.version());
  let proof: IpvsProof;
  try {
    proof = await proveIpvs(docker, proofImage);
  } catch (error) {
    proof = { ipvs: false, output: errorMessage(error) };
  }
  return {
    kind,
    name,
    dockerHost,
    kernel: version.KernelVersion,
    dockerVersion: version.Version,
    ipvs: proof.ipvs,
    ipvsDetail: proof.ipvs ? 'created and listed an IPVS virtual service' : proof.output,
  };
}
