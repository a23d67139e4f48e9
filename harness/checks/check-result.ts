/**
 * The outcome of one check on one subject (a node, a namespace, a service).
 * A failure says what was expected and what was seen, so a CI log alone is
 * enough to understand it.
 */
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable id, e.g. lb.mark-rule; `--test` regexes match it. */
  check: string;
  status: CheckStatus;
  node: string;
  namespace?: string;
  network?: string;
  service?: string;
  expected: string;
  seen: string;
}

/** Where a result was seen: node, and as far as it applies, namespace, network and service. */
export type CheckSubject = Pick<CheckResult, 'node' | 'namespace' | 'network' | 'service'>;
