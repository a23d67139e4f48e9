import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Cluster } from '../harness/cluster/cluster.js';
import { runIn } from '../harness/cluster/swarm-node.js';
import { dockerClient } from '../harness/engine/engine-facts.js';
import { deployTopology, topologyLabel } from '../harness/topology/deploy.js';
import { loadTopology } from '../harness/topology/load-topology.js';
import { probeImage } from '../harness/images/probe-image.js';
import { cleanCluster } from '../harness/topology/reusable-cluster.js';
import { sharedEngine, sharedSuiteCluster, suiteLogger } from './shared-engine.js';

// A failure stops everything at once and leaves nothing that looks finished.
const log = suiteLogger('failures');

describe('a step that fails while another is running', () => {
  it(
    'cancels the other build: the command exits within seconds, no child process, no cache entry',
    async () => {
      // A cold cache (its own directory) makes the engine stage build the rootfs (debootstrap, minutes) and the
      // probe side by side; a musl-gcc that fails after 5 s makes the probe build fail while debootstrap runs.
      const cache = await mkdtemp(join(tmpdir(), 'swarmlab-cold-cache-'));
      const shims = await mkdtemp(join(tmpdir(), 'swarmlab-shims-'));
      const failedAt = join(shims, 'failed-at');
      await writeFile(
        join(shims, 'musl-gcc'),
        `#!/bin/sh\nsleep 5\ndate +%s%N > ${failedAt}\necho "musl-gcc: a failure made on purpose by the e2e suite" >&2\nexit 1\n`,
      );
      await chmod(join(shims, 'musl-gcc'), 0o755);
      const result = await execa(
        'node',
        ['bin/swarmlab.js', 'engine', 'up', '--engine', 'vm', '--engine-name', 'e2e-cold-fail'],
        {
          all: true,
          reject: false,
          env: { NODE_OPTIONS: '', SWARMLAB_CACHE: cache, PATH: `${shims}:${process.env['PATH'] ?? ''}` },
        },
      );
      const exitedAt = Date.now();
      log.info(`engine up on a cold cache with a failing probe build ended with exit ${result.exitCode}`);
      expect(result.exitCode).not.toBe(0);
      expect(result.all).toMatch(/musl-gcc: a failure made on purpose/);
      // It was really running debootstrap when the probe failed.
      expect(result.all).toMatch(/debootstrap trixie .* \.\.\./);
      const secondsAfterFailure = (exitedAt - Number(await readFile(failedAt, 'utf8')) / 1e6) / 1000;
      log.info(`exited ${secondsAfterFailure.toFixed(1)} s after the failure`);
      expect(secondsAfterFailure).toBeLessThan(10);
      const left = (await execa('pgrep', ['-af', cache], { reject: false })).stdout.trim();
      expect(left).toBe('');
      // Neither a finished-looking entry nor a partial one: the cache is as empty as it was.
      expect(await readdir(cache)).toEqual([]);
    },
    5 * 60_000,
  );
});

describe('a topology Docker rejects half-way', () => {
  let cluster: Cluster | undefined;
  const docker = async () => dockerClient((await sharedEngine(log)).dockerHost);

  // The suites' shared cluster: what is under test is the topology's removal, which leaves the cluster clean for the
  // next suite (or, when it does not, makes that suite build the cluster again, saying why).
  beforeAll(async () => {
    cluster = await cleanCluster(await sharedEngine(log), sharedSuiteCluster, log);
  }, 20 * 60_000);

  it(
    'leaves no network, service or config of that topology behind',
    async () => {
      if (!cluster) throw new Error('no cluster');
      // Two networks and a service are created before Docker refuses the second service: its port is taken, by a
      // service outside the topology (validation refuses a port the topology itself publishes twice).
      const dir = await mkdtemp(join(tmpdir(), 'swarmlab-reject-'));
      const file = join(dir, 'rejected.yaml');
      await writeFile(
        file,
        [
          'name: e2e-rejected',
          'cluster: { managers: 1, workers: 2 }',
          'networks:',
          '  - name: rejected-a',
          '  - name: rejected-b',
          'services:',
          '  - name: first',
          '    networks: [rejected-a]',
          '    ports: [{ target: 80, published: 8087 }]',
          '  - name: second',
          '    networks: [rejected-b]',
          '    ports: [{ target: 80, published: 8088 }]',
          '',
        ].join('\n'),
      );
      const topology = await loadTopology(file);
      const probe = await probeImage(log);
      const m1 = cluster.node('m1');
      const squatter = ['service', 'create', '--detach', '--name', 'e2e-squatter', '--publish', '8088:80', probe.ref];
      await runIn(m1, ['docker', ...squatter]);
      try {
        await expect(
          deployTopology(await docker(), cluster, topology, { probeRef: probe.ref, onNodes: [probe.ref] }, log),
        ).rejects.toThrow(/8088|port/i);
        const filter = `label=${topologyLabel}=e2e-rejected`;
        const listed = await runIn(m1, [
          'sh',
          '-c',
          'docker service ls -q --filter "$1"; docker network ls -q --filter "$1"; docker config ls -q --filter "$1"',
          'sh',
          filter,
        ]);
        expect(listed.trim()).toBe('');
      } finally {
        await runIn(m1, ['docker', 'service', 'rm', 'e2e-squatter']);
      }
    },
    5 * 60_000,
  );
});
