import { Option, type Command } from 'commander';
import { selectCluster, type ClusterSelection } from '../providers/select-cluster.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { engineNameOption, engineOption } from '../engine/engine-cli.js';
import {
  formatReachability,
  formatSpread,
  formatSpreadFromEveryNode,
  writeSpreadArtifacts,
} from '../report/spread-report.js';
import { measureSpread, type SpreadMeasurement } from './spread.js';
import { measureReachability } from './reachability.js';
import { measureSpreadFrom, withClientOnEveryNode } from './spread-everywhere.js';
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

/** A measurement for --json: the per-request records stay in the artifacts. */
function withoutRecords(m: SpreadMeasurement | undefined): Omit<SpreadMeasurement, 'records'> | undefined {
  if (!m) return undefined;
  const { records: _records, ...rest } = m;
  return rest;
}

export function registerTrafficCommands(program: Command, log: Logger): void {
  program
    .command('spread')
    .description(
      'send requests from a task to a service and judge how they spread over its replicas; exit 1 when the test fails',
    )
    .requiredOption(
      '--from <service>',
      'service whose task sends the requests (e.g. web), or `all`: a client task on every node (a global service ' +
        'swarmlab starts on the target’s networks and removes after), each node judged on its own',
    )
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
      const request = {
        to: opts.to,
        requests: opts.requests,
        concurrency: opts.concurrency,
        keepalive: opts.keepalive === true,
        timeoutMs: opts.timeoutMs,
        statistics: { ...defaultSpreadOptions, alpha: opts.alpha },
        expect: opts.expect,
      };
      if (opts.from === 'all') {
        const { spread, reach } = await withClientOnEveryNode(cluster, undefined, log, async (everyNode) => ({
          spread: await measureSpreadFrom(cluster, everyNode, request, log),
          reach: await measureReachability(cluster, everyNode.clients, log),
        }));
        for (const { node, measurement } of spread.perNode)
          if (opts.artifacts && measurement) await writeSpreadArtifacts(measurement, opts.artifacts, `spread-${node}`);
        const perNode = spread.perNode.map((n) => ({ ...n, measurement: withoutRecords(n.measurement) }));
        const text = `${formatSpreadFromEveryNode(spread)}\n\n${formatReachability(reach)}`;
        process.stdout.write(
          `${opts.json ? JSON.stringify({ ...spread, perNode, reachability: reach }, null, 2) : text}\n`,
        );
        if (!spread.pass || !reach.pass) process.exitCode = 1;
        return;
      }
      const m = await measureSpread(cluster, { ...request, from: opts.from }, log);
      if (opts.artifacts) log.info(`wrote ${(await writeSpreadArtifacts(m, opts.artifacts)).join(', ')}`);
      process.stdout.write(`${opts.json ? JSON.stringify(withoutRecords(m), null, 2) : formatSpread(m)}\n`);
      if (!m.verdict.pass) process.exitCode = 1;
    });
}
