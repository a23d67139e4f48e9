import { Command } from 'commander';
import { cancellationReason } from './core/cancel.js';
import { setTimeoutScale } from './core/deadlines.js';
import { SwarmlabError, errorMessage } from './core/errors.js';
import { InterruptedError } from './core/interrupt.js';
import { createLogger } from './core/log.js';
import { registerCheckCommands } from './checks/check-cli.js';
import { registerClusterCommands } from './cluster/cluster-cli.js';
import { registerCacheCommand } from './doctor/cache-cli.js';
import { registerDoctorCommand } from './doctor/doctor-cli.js';
import { registerEngineCommands } from './engine/engine-cli.js';
import { explainFailure } from './engine/engine-watch.js';
import { registerReproCommands } from './known-bugs/repro-cli.js';
import { registerMatrixCommand, registerRunCommand } from './run/run-cli.js';
import { registerScenarioCommand } from './scenario/scenario-cli.js';
import { registerTopologyCommands } from './topology/topology-cli.js';
import { registerTrafficCommands } from './traffic/traffic-cli.js';

const log = createLogger('swarmlab');

// Every command is registered, but the heavy parts (testcontainers, the topology
// parser, the JUnit writer) are imported by the actions that use them: a
// command's start-up under tsx costs what it imports, and check or ls need little.

const program = new Command('swarmlab')
  .description(
    'Integration tests for Docker Swarm networking: MARK rules, IPVS services and request spread on real Swarms',
  )
  .option('--timeout-scale <factor>', 'stretch every deadline (a slow machine); SWARMLAB_TIMEOUT_SCALE does the same')
  .hook('preAction', (command) => setTimeoutScale(command.opts<{ timeoutScale?: string }>().timeoutScale))
  .showHelpAfterError();

registerEngineCommands(program, log);
registerClusterCommands(program, log);
registerTopologyCommands(program, log);
registerCheckCommands(program, log);
registerTrafficCommands(program, log);
registerRunCommand(program, log);
registerMatrixCommand(program, log);
registerScenarioCommand(program, log);
registerReproCommands(program, log);
registerCacheCommand(program, log);
registerDoctorCommand(program, log);

try {
  await program.parseAsync(process.argv);
} catch (thrown) {
  // When the engine died or the user interrupted, that is the story, not the socket error it caused.
  const error = await explainFailure(thrown);
  if (error instanceof SwarmlabError) {
    log.error(error.message);
    process.exitCode = 2;
  } else {
    log.error(error instanceof Error ? (error.stack ?? error.message) : errorMessage(error));
    process.exitCode = 3;
  }
}
// Work a failure cancelled may still hold a socket or a timer (a testcontainers
// wait that takes no signal): the command is over, so exit now rather than when
// the last of those lets go. After Ctrl-C the interrupt handler exits (130)
// once its clean-up is done.
if (!(cancellationReason() instanceof InterruptedError)) process.exit(process.exitCode ?? 0);
