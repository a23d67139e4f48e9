import { Option, type Command } from 'commander';
import type { Logger } from '../core/log.js';
import { defaultVmSuite } from '../images/debian-suites.js';
import { attachEngine, parseEngineChoice, startEngine } from './select-engine.js';
import type { EngineFacts } from './engine.js';

export const engineOption = (): Option =>
  new Option('--engine <kind>', 'where containers run: auto, local (DOCKER_HOST) or vm (embedded QEMU VM)').default(
    'auto',
  );
export const engineNameOption = (): Option =>
  new Option('--engine-name <name>', 'name of the VM engine instance (two may run side by side)').default('default');
export const suiteOption = (): Option =>
  new Option('--suite <name>', 'Debian suite of the VM: bullseye, bookworm, trixie or sid').default(defaultVmSuite);

export const freshOption = (): Option =>
  new Option('--fresh', 'boot the VM and build the cluster even when a snapshot of them is saved (a ready cluster)');

function printFacts(facts: EngineFacts, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(facts, null, 2)}\n`);
    return;
  }
  const rows: [string, string][] = [
    ['engine', `${facts.kind} (${facts.name})`],
    ['docker host', facts.dockerHost],
    ['kernel', facts.kernel],
    ['docker', facts.dockerVersion],
    ['ipvs', facts.ipvs ? 'true' : `false (${facts.ipvsDetail.split('\n')[0]})`],
  ];
  for (const [key, value] of rows) process.stdout.write(`${key.padEnd(12)} ${value}\n`);
}

export function registerEngineCommands(program: Command, log: Logger): void {
  const engine = program.command('engine').description('the Docker engine swarmlab runs on');
  engine
    .command('up')
    .description('start (or reuse) an engine with IPVS; prints DOCKER_HOST=...')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .addOption(suiteOption())
    .action(async (opts: { engine: string; engineName: string; suite: string }) => {
      const started = Date.now();
      const running = await startEngine(
        { choice: parseEngineChoice(opts.engine), name: opts.engineName, suite: opts.suite },
        log,
      );
      const facts = await log.step('prove IPVS on the engine', () => running.facts());
      log.info(
        `engine ${facts.kind} "${facts.name}" ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
          `Docker ${facts.dockerVersion}, kernel ${facts.kernel}, ipvs ${facts.ipvs}`,
      );
      process.stdout.write(`DOCKER_HOST=${running.dockerHost}\n`);
    });
  engine
    .command('status')
    .description('kind, Docker host, kernel, Docker version and IPVS of the engine')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .option('--json', 'machine-readable output')
    .action(async (opts: { engine: string; engineName: string; json?: boolean }) => {
      const running = await attachEngine(parseEngineChoice(opts.engine), opts.engineName, log);
      printFacts(await running.facts(), opts.json === true);
    });
  engine
    .command('down')
    .description('stop the VM engine (the local engine is never stopped)')
    .addOption(engineNameOption())
    .action(async (opts: { engineName: string }) => {
      const running = await attachEngine('vm', opts.engineName, log).catch(() => undefined);
      if (!running) {
        log.info(`no VM engine "${opts.engineName}" is running`);
        return;
      }
      await running.stop();
    });
}
