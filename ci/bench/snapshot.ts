// npm run bench:snapshot: a 1+2 cluster brought up cold (VM boot, nodes, Swarm; the snapshot saved) and then
// restored from that snapshot --repeat times (default 3), side by side, on a warm image cache and the embedded
// VM engine. Add --node-image=bookworm (Docker 20.10.24) or sid (28.5.2) for other nodes (default trixie, 26.1.5).
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { createLogger } from '../../harness/core/log.js';
import { listSnapshots } from '../../harness/engine/vm/vm-snapshot.js';
import { startEngine } from '../../harness/engine/select-engine.js';
import { defaultNodeSuite, defaultVmSuite } from '../../harness/images/debian-suites.js';
import { clusterSnapshotRequest, readyCluster } from '../../harness/snapshot/ready-cluster.js';

const repeat = Number(process.argv.find((a) => a.startsWith('--repeat='))?.slice(9) ?? 3);
const nodeImage = process.argv.find((a) => a.startsWith('--node-image='))?.slice(13) ?? defaultNodeSuite;
const log = createLogger('bench/snapshot');
const spec = { name: 'bench-snapshot', managers: 1, workers: 2, nodeImage };
const snapshot = await clusterSnapshotRequest(spec);
const request = {
  choice: 'vm',
  name: 'bench-snapshot',
  suite: defaultVmSuite,
  nodeImages: [nodeImage],
  snapshot,
} as const;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// Cold means no snapshot: drop the one an earlier run saved.
for (const s of await listSnapshots())
  if (s.manifest.label === snapshot.label) await rm(s.dir, { recursive: true, force: true });

const rows: [string, string][] = [['machine', `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`]];
const started = Date.now();
const cold = await startEngine(request, log);
const booted = Date.now();
try {
  const facts = await cold.facts();
  rows.unshift(['engine', `${facts.kind} (${cold.speed}): Docker ${facts.dockerVersion}, kernel ${facts.kernel}`]);
  rows.push(['node image', nodeImage]);
  const factsMs = Date.now() - booted;
  await readyCluster(cold, spec, log);
  const saved = (await listSnapshots()).find((s) => s.manifest.label === snapshot.label)?.manifest;
  if (!saved) throw new Error('the cold bring-up saved no snapshot');
  const saveMs = saved.saveSeconds * 1000;
  rows.push(['cold: VM boot', seconds(booted - started)]);
  rows.push(['cold: nodes, Swarm, all Ready', seconds(Date.now() - booted - factsMs - saveMs)]);
  rows.push(['cold: total to Ready (without the save)', seconds(Date.now() - started - factsMs - saveMs)]);
  rows.push([
    'save the snapshot (VM paused)',
    `${seconds(saveMs)}, ${((saved.stateBytes + saved.diskBytes) / 2 ** 20).toFixed(0)} MiB`,
  ]);
} finally {
  await cold.stop();
}
const restores: number[] = [];
for (let i = 0; i < repeat; i++) {
  const t0 = Date.now();
  const engine = await startEngine(request, log);
  try {
    if (!engine.restored) throw new Error('the engine booted instead of restoring the snapshot');
    await readyCluster(engine, spec, log);
    restores.push(Date.now() - t0);
    rows.push([
      `restore ${i + 1}: VM back, clock set / all Ready`,
      `${engine.restored.seconds.toFixed(1)} s / ${seconds(Date.now() - t0)} (clock ${engine.restored.clockSkewAfterMs} ms off)`,
    ]);
  } finally {
    await engine.stop();
  }
}
for (const [key, value] of rows) process.stdout.write(`${key.padEnd(44)} ${value}\n`);
