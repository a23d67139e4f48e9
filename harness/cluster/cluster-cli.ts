import { Option, type Command } from 'commander';
import { ConfigError } from '../core/errors.js';
import { defaultNodeSuite } from '../images/debian-suites.js';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption, freshOption, suiteOption } from '../engine/engine-cli.js';
import { attachEngine, parseEngineChoice, startEngine } from '../engine/select-engine.js';
import { Cluster } from './cluster.js';
import { collectLogs } from '../inspect/collect-logs.js';
import type { ClusterSpec } from './cluster-spec.js';
import { describeCluster, type ClusterDescription } from './describe-cluster.js';
import { clusterProvider } from '../providers/select-cluster.js';

interface EngineOpts {
  engine: string;
  engineName: string;
}

function count(source: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new ConfigError(source, source.replace(/^--/, ''), 'an integer', value);
    return n;
  };
}

export function registerClusterCommands(program: Command, log: Logger): void {
  program
    .command('up')
    .description('bring up a Swarm of docker-in-docker nodes')
    .option('--name <name>', 'cluster name', 'lab')
    .addOption(new Option('--managers <n>', 'manager nodes').default(1).argParser(count('--managers')))
    .addOption(new Option('--workers <n>', 'worker nodes').default(2).argParser(count('--workers')))
    .option(
      '--node-image <suite-or-image>',
      'Debian suite (bullseye, bookworm, trixie, sid) or a dind image',
      defaultNodeSuite,
    )
    .option('--manager-image <suite-or-image>', 'node image of the managers only (mixed-version clusters)')
    .option('--worker-image <suite-or-image>', 'node image of the workers only (mixed-version clusters)')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .addOption(suiteOption())
    .addOption(freshOption())
    .action(async (opts: EngineOpts & ClusterSpec & { suite: string; fresh?: boolean }) => {
      const started = Date.now();
      const nodeImages = [opts.nodeImage, opts.managerImage, opts.workerImage].filter((i): i is string => Boolean(i));
      const { readyCluster, clusterSnapshotRequest } = await import('../snapshot/ready-cluster.js');
      const spec: ClusterSpec = {
        name: opts.name,
        managers: opts.managers,
        workers: opts.workers,
        nodeImage: opts.nodeImage,
        ...(opts.managerImage ? { managerImage: opts.managerImage } : {}),
        ...(opts.workerImage ? { workerImage: opts.workerImage } : {}),
      };
      const engine = await startEngine(
        {
          choice: parseEngineChoice(opts.engine),
          name: opts.engineName,
          suite: opts.suite,
          nodeImages,
          snapshot: await clusterSnapshotRequest(spec),
          ...(opts.fresh ? { fresh: true } : {}),
        },
        log,
      );
      const cluster = await readyCluster(engine, spec, log);
      log.info(`cluster "${cluster.name}" Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      printClusters([await describeCluster(cluster)]);
    });

  program
    .command('ls')
    .description('clusters on the engine, with nodes, roles, Docker versions and state')
    .option('--json', 'machine-readable output')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .action(async (opts: EngineOpts & { json?: boolean }) => {
      const engine = await attachEngine(parseEngineChoice(opts.engine), opts.engineName, log);
      const provider = clusterProvider(engine);
      const clusters: ClusterDescription[] = [];
      for (const name of await provider.list())
        clusters.push(await describeCluster(await Cluster.attach(provider, name)));
      if (opts.json) process.stdout.write(`${JSON.stringify(clusters, null, 2)}\n`);
      else if (clusters.length === 0) process.stdout.write('no clusters\n');
      else printClusters(clusters);
    });

  program
    .command('down')
    .description('remove a cluster (or all): every container, volume and network it created')
    .argument('[name]', 'cluster name')
    .option('--all', 'remove every swarmlab cluster and leftover on the engine')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .action(async (name: string | undefined, opts: EngineOpts & { all?: boolean }) => {
      if (!name && !opts.all) throw new ConfigError('swarmlab down', 'name', 'a cluster name or --all');
      const engine = await attachEngine(parseEngineChoice(opts.engine), opts.engineName, log);
      await clusterProvider(engine).remove(log, opts.all ? undefined : name);
    });

  program
    .command('logs')
    .description('collect per-node logs, iptables and IPVS tables of a cluster into a folder')
    .argument('<name>', 'cluster name')
    .requiredOption('--out <dir>', 'artifacts folder')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .action(async (name: string, opts: EngineOpts & { out: string }) => {
      const engine = await attachEngine(parseEngineChoice(opts.engine), opts.engineName, log);
      await collectLogs(await Cluster.attach(clusterProvider(engine), name), opts.out, log);
    });
}

function printClusters(clusters: ClusterDescription[]): void {
  for (const cluster of clusters) {
    process.stdout.write(`cluster ${cluster.name}\n`);
    for (const n of cluster.nodes) {
      process.stdout.write(
        `  ${n.hostname.padEnd(20)} ${n.role.padEnd(8)} docker ${n.dockerVersion.padEnd(18)} ${n.state}\n`,
      );
    }
  }
}
