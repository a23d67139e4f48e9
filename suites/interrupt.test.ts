import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type Docker from 'dockerode';
import { Cluster } from '../harness/cluster/cluster.js';
import { leftoversOf } from '../harness/providers/dind/teardown.js';
import { clusterProvider } from '../harness/providers/select-cluster.js';
import { loadTopology } from '../harness/topology/load-topology.js';
import { sharedClusterSpec } from '../harness/topology/reusable-cluster.js';
import { clusterFilter } from '../harness/core/labels.js';
import { dockerClient } from '../harness/engine/engine-facts.js';
import { vmStates } from '../harness/engine/vm/vm-state.js';
import { sharedEngine, sharedEngineName, suiteLogger, suiteNodeImage } from './shared-engine.js';

// Ctrl-C at each stage leaves nothing behind: the CLI is run as a user runs
// it, SIGINT is sent once a given progress line has appeared, and then no
// container, volume or network of that cluster (nor the VM it was booting) may
// remain.
const log = suiteLogger('interrupt');
const onSharedEngine = ['--engine', 'vm', '--engine-name', sharedEngineName];

interface Interrupted {
  exitCode: number | undefined;
  output: string;
}

/** Runs the CLI, sends SIGINT once `line` has been printed (and `ready` says so), returns how it ended. */
async function interruptAt(
  args: string[],
  line: RegExp,
  ready: () => Promise<boolean> = async () => true,
): Promise<Interrupted> {
  const child = execa('node', ['bin/swarmlab.js', ...args], { all: true, reject: false, env: { NODE_OPTIONS: '' } });
  let output = '';
  let sent = false;
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 10 * 60_000;
  while (!sent && child.exitCode === null && Date.now() < deadline) {
    if (line.test(output) && (await ready())) {
      log.info(`sending SIGINT to swarmlab ${args[0]} after "${line.source}"`);
      child.kill('SIGINT');
      sent = true;
    } else {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const result = await child;
  if (!sent)
    throw new Error(
      `swarmlab ${args.join(' ')} never printed ${line} (exit ${result.exitCode}); last output:\n${output.slice(-2000)}`,
    );
  return { exitCode: result.exitCode, output };
}

describe('Ctrl-C leaves nothing behind', () => {
  let docker: Docker;
  let topologyFile: string;

  beforeAll(async () => {
    docker = dockerClient((await sharedEngine(log)).dockerHost);
    // web-api on one node: every stage still runs, in a fraction of the time.
    const dir = await mkdtemp(join(tmpdir(), 'swarmlab-interrupt-'));
    topologyFile = join(dir, 'web-api-one-node.yaml');
    const text = (await readFile('topologies/web-api.yaml', 'utf8'))
      .replace(/^name: .*$/m, 'name: e2e-int-run')
      .replace(/^ {2}workers: \d+$/m, '  workers: 0');
    await writeFile(topologyFile, text);
  }, 20 * 60_000);

  it(
    'during up, while the nodes start',
    async () => {
      const cluster = 'e2e-int-up';
      const nodesExist = async () =>
        (await docker.listContainers({ all: true, filters: clusterFilter(cluster) })).length > 0;
      const r = await interruptAt(['up', '--name', cluster, ...onSharedEngine], /start 3 nodes/, nodesExist);
      expect(r.output).toMatch(/SIGINT: cleaning up/);
      expect(r.exitCode).toBe(130);
      expect(await leftoversOf(docker, cluster)).toEqual([]);
    },
    5 * 60_000,
  );

  // Two moments of run: while the topology converges, and once it is deployed and a stage execs into its tasks (the
  // dataplane stage leaves the same things to clean up as spread, a deployed topology on a cluster of its own).
  it.each([
    ['deploy, while waiting for convergence', /wait for e2e-int-run to converge/],
    ['spread', /stage spread \.\.\./],
  ])(
    'during run, at stage %s',
    async (_, line) => {
      const artifacts = await mkdtemp(join(tmpdir(), 'swarmlab-interrupt-art-'));
      const r = await interruptAt(
        ['run', '--topology', topologyFile, '--artifacts', artifacts, '--requests', '200', ...onSharedEngine],
        line,
      );
      expect(r.output).toMatch(/SIGINT: cleaning up/);
      expect(r.exitCode).toBe(130);
      expect(await leftoversOf(docker, 'e2e-int-run')).toEqual([]);
    },
    10 * 60_000,
  );

  it(
    'during a scenario, while a partition holds a node cut off: the partition is healed (checked with --keep)',
    async () => {
      const engine = await sharedEngine(log);
      const dir = await mkdtemp(join(tmpdir(), 'swarmlab-interrupt-scn-'));
      const topology = join(dir, 'web-api-two-nodes.yaml');
      const text = (await readFile('topologies/web-api.yaml', 'utf8')).replace(/^ {2}workers: \d+$/m, '  workers: 1');
      await writeFile(topology, text);
      // The cluster the scenario command brings up for a topology of this shape.
      const { name } = sharedClusterSpec('scn', (await loadTopology(topology)).cluster, suiteNodeImage);
      const scenario = join(dir, 'partition.yaml');
      await writeFile(
        scenario,
        `name: e2e-int-scn\ntopology: ${topology}\nsteps:\n  - action: partition\n    node: w1\n    seconds: 600\n`,
      );
      const provider = clusterProvider(engine);
      const onW1 = async (argv: string[]) => (await Cluster.attach(provider, name)).node('w1').exec(argv);
      const partitioned = async () => (await onW1(['iptables', '-S', 'SWARMLAB-PARTITION'])).exitCode === 0;
      const artifacts = await mkdtemp(join(tmpdir(), 'swarmlab-interrupt-art-'));
      const r = await interruptAt(
        ['scenario', scenario, '--keep', '--node-image', suiteNodeImage, '--artifacts', artifacts, ...onSharedEngine],
        /step 1: partition w1/,
        partitioned,
      );
      try {
        expect(r.output).toMatch(/SIGINT: cleaning up/);
        expect(r.exitCode).toBe(130);
        // The cut is gone from the node that was kept: neither the chain nor a jump to it.
        expect(await partitioned()).toBe(false);
        expect((await onW1(['iptables', '-S', 'INPUT'])).stdout).not.toContain('SWARMLAB');
      } finally {
        await provider.remove(log, name);
      }
      expect(await leftoversOf(docker, name)).toEqual([]);
    },
    10 * 60_000,
  );

  it(
    'during engine up, while the VM boots',
    async () => {
      const name = 'e2e-int-vm';
      const r = await interruptAt(['engine', 'up', '--engine', 'vm', '--engine-name', name], /boot VM "e2e-int-vm"/);
      expect(r.exitCode).toBe(130);
      const ours = [];
      for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (cmdline.includes(`swarmlab-${name}`)) ours.push(pid);
      }
      expect(ours).toEqual([]);
      expect(await vmStates.read(name)).toBeUndefined();
    },
    5 * 60_000,
  );
});
