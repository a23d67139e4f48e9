import type { CheckResult } from '../checks/check-result.js';
import { ConfigError } from '../core/errors.js';

/** One line of a run's verdict, whatever stage produced it: a JUnit testcase. */
export interface Outcome {
  stage: string;
  check: string;
  subject: string;
  status: 'pass' | 'fail' | 'skip';
  message: string;
}

export function outcomeOfCheck(stage: string, r: CheckResult): Outcome {
  const subject = [r.node, r.namespace, r.network, r.service].filter(Boolean).join(' / ');
  return { stage, check: r.check, subject, status: r.status, message: r.status === 'fail' ? `expected ${r.expected}; seen ${r.seen}` : r.seen };
}

/**
 * `--test` filters, as regexes on check ids: a check runs when it matches one
 * of the plain patterns (or there are none) and none of the `!` patterns.
 */
export interface TestFilter {
  include: RegExp[];
  exclude: RegExp[];
}

export function parseTestFilter(patterns: readonly string[]): TestFilter {
  const compile = (p: string): RegExp => {
    try {
      return new RegExp(p);
    } catch (error) {
      throw new ConfigError('--test', 'test', 'a valid regular expression', p);
    }
  };
  return {
    include: patterns.filter((p) => !p.startsWith('!')).map(compile),
    exclude: patterns.filter((p) => p.startsWith('!')).map((p) => compile(p.slice(1))),
  };
}

export function selected(filter: TestFilter, check: string): boolean {
  const included = filter.include.length === 0 || filter.include.some((r) => r.test(check));
  return included && !filter.exclude.some((r) => r.test(check));
}

/** Outcomes the filter leaves out become skipped: they stay visible in the report. */
export function applyFilter(filter: TestFilter, outcomes: readonly Outcome[]): Outcome[] {
  return outcomes.map((o) => (selected(filter, o.check) ? o : { ...o, status: 'skip', message: 'not selected by --test' }));
}
