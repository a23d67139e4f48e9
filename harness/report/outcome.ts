import type { CheckResult } from '../checks/check-result.js';
import { selected, type TestFilter } from '../checks/check-filter.js';

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
  return {
    stage,
    check: r.check,
    subject,
    status: r.status,
    message: r.status === 'fail' ? `expected ${r.expected}; seen ${r.seen}` : r.seen,
  };
}

/** Outcomes the filter leaves out become skipped: they stay visible in the report. */
export function applyFilter(filter: TestFilter, outcomes: readonly Outcome[]): Outcome[] {
  return outcomes.map((o) =>
    selected(filter, o.check) ? o : { ...o, status: 'skip', message: 'not selected by --test' },
  );
}
