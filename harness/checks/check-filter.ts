import { ConfigError } from '../core/errors.js';
import { checkCatalog, type CheckFamily } from './check-catalog.js';

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
    } catch {
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

/** Whether any check of the family is selected: a family none of whose checks is wanted is not even read. */
export function familySelected(filter: TestFilter, family: CheckFamily): boolean {
  return checkCatalog.some((c) => c.family === family && selected(filter, c.id));
}
