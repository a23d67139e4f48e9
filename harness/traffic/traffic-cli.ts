import { Option, type Command } from 'commander';
import { selectCluster, type ClusterSelection } from '../providers/select-cluster.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption } from '../engine/engine-cli.js';
import { formatSpread, writeSpreadArtifacts } from '../report/spread-report.js';
import { measureSpread } from './spread.js';
import { defaultSpreadOptions } from './spread-statistics.js';

interface SpreadOpts extends ClusterSelection {
  from: string;
  to: string;
  requests: number;
  concurrency: number;
  keepalive?: boolean;
  alpha: number;
  timeoutMs: number;
  json?: boolean;
  artifacts?: string;
  expect: 'equal' | 'ipvs';
}

function number(flag: string, min: number, max: number, integer: boolean): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new ConfigError(
        flag,
        flag.replace(/^-+/, ''),
        `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
        value,
      );
    }
    return n;
  };
}

export function registerTrafficCommands(program: Command, log: Logger): void {
  program
    .command('spread')
    .description(
      'send requests from a task to a service and judge how they spread over its replicas; exit 1 when the test fails',
    )
    .requiredOption('--from <service>', 'service whose task sends the requests (e.g. web)')
    .requiredOption(
      '--to <target>',
      'service name (VIP), tasks.<name>, a dnsrr name or an address, with an optional :port',
    )
    .addOption(
      new Option('-n, --requests <n>', 'requests to send')
        .default(600)
        .argParser(number('--requests', 1, 1_000_000, true)),
    )
    .addOption(
      new Option('--concurrency <c>', 'requests in flight').default(4).argParser(number('--concurrency', 1, 256, true)),
    )
    .option('--keepalive', 'reuse connections (default: a fresh TCP connection per request)')
    .addOption(
      new Option('--alpha <a>', 'false-alarm rate of the spread test')
        .default(defaultSpreadOptions.alpha)
        .argParser(number('--alpha', 1e-12, 0.5, false)),
    )
    .addOption(
      new Option('--timeout-ms <ms>', 'per-request timeout')
        .default(5000)
        .argParser(number('--timeout-ms', 1, 120_000, true)),
    )
    .addOption(
      new Option('--expect <shares>', "judge against equal shares (Swarm's intent) or the programmed IPVS weights")
        .choices(['equal', 'ipvs'])
        .default('equal'),
    )
    .option('--cluster <name>', 'cluster (default: the only one)')
    .option('--artifacts <dir>', 'write spread.json and SVG charts here')
    .option('--json', 'the measurement as JSON')
    .addOption(engineOption())
    .addOption(engineNameOption())
    .action(async (opts: SpreadOpts) => {
      const cluster = await selectCluster(opts, log);
      const m = await measureSpread(
        cluster,
        {
          from: opts.from,
          to: opts.to,
          requests: opts.requests,
          concurrency: opts.concurrency,
          keepalive: opts.keepalive === true,
          timeoutMs: opts.timeoutMs,
          statistics: { ...defaultSpreadOptions, alpha: opts.alpha },
          expect: opts.expect,
        },
        log,
      );
      if (opts.artifacts) log.info(`wrote ${(await writeSpreadArtifacts(m, opts.artifacts)).join(', ')}`);
      process.stdout.write(`${opts.json ? JSON.stringify({ ...m, records: undefined }, null, 2) : formatSpread(m)}\n`);
      if (!m.verdict.pass) process.exitCode = 1;
    });
}
