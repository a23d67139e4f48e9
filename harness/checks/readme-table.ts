import { SwarmlabError } from '../core/errors.js';

const begin = /<!-- checks:begin[^>]*-->\n/;
const end = '\n<!-- checks:end -->';

/** The README with the text between its checks markers replaced by `table`. */
export function replaceChecksTable(readme: string, table: string): string {
  const start = begin.exec(readme);
  const stop = readme.indexOf(end);
  if (!start || stop < start.index)
    throw new SwarmlabError('docs', 'README.md has no <!-- checks:begin --> ... <!-- checks:end --> section');
  return `${readme.slice(0, start.index + start[0].length)}${table}${readme.slice(stop)}`;
}

/** The table between the README's checks markers. */
export function checksTableOf(readme: string): string {
  const start = begin.exec(readme);
  const stop = readme.indexOf(end);
  return start && stop > start.index ? readme.slice(start.index + start[0].length, stop) : '';
}
