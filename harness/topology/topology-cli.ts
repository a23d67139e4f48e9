import type { Command } from 'commander';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption, suiteOption } from '../engine/engine-cli.js';
import { parseEngineChoice, startEngine } from '../engine/select-engine.js';
import { selectCluster } from '../providers/select-cluster.js';

interface DeployOpts {
  cluster?: string;
  nodeImage?: string;
  engine: string;
  engineName: string;
  suite: string;
}

export function registerTopologyCommands(program: Command, log: Logger): void {
  program
    .command('deploy')
    .description('deploy a topology; brings up the cluster it asks for unless --cluster names one')
    .argument('<topology>', 'topology YAML file, e.g. topologies/web-api.yaml')
    .option('--cluster <name>', 'deploy onto this running cluster')
    .option('--node-image <suite-or-image>', "override the topology's node image")
    .addOption(engineOption())
    .addOption(engineNameOption())
    .addOption(suiteOption())
    .action(async (file: string, opts: DeployOpts) => {
      const [{ loadTopology }, { deployLab }] = await Promise.all([import('./load-topology.js'), import('./lab.js')]);
      const topology = await loadTopology(file);
      const started = Date.now();
      const nodeImages = [opts.nodeImage ?? topology.cluster.nodeImage];
      const engine = await startEngine(
        { choice: parseEngineChoice(opts.engine), name: opts.engineName, suite: opts.suite, nodeImages },
        log,
      );
      const lab = await deployLab(
        engine,
        topology,
        {
          ...(opts.cluster ? { existingCluster: opts.cluster } : {}),
          ...(opts.nodeImage ? { nodeImage: opts.nodeImage } : {}),
        },
        log,
      );
      log.info(
        `${topology.name} deployed on cluster "${lab.cluster.name}" in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      process.stdout.write(`cluster ${lab.cluster.name}\n`);
    });
  program
    .command('undeploy')
    .description("remove a topology's services and networks from a cluster")
    .argument('<topology>', 'topology YAML file')
    .requiredOption('--cluster <name>', 'the cluster it was deployed on')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .action(async (file: string, opts: DeployOpts) => {
      const [{ loadTopology }, { undeployTopology }] = await Promise.all([
        import('./load-topology.js'),
        import('./deploy.js'),
      ]);
      const topology = await loadTopology(file);
      await undeployTopology(await selectCluster(opts, log), topology, log);
    });
}
