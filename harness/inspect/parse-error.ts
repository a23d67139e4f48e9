import { SwarmlabError } from '../core/errors.js';

/** Input that a parser could not read: quotes the line, so a new engine's format is easy to see. */
export class ParseError extends SwarmlabError {
  constructor(
    readonly what: string,
    readonly lineNumber: number,
    readonly line: string,
    readonly problem: string,
  ) {
    super('parse', `${what}, line ${lineNumber}: ${problem}: "${line.trim().slice(0, 200)}"`, { what, lineNumber });
    this.name = 'ParseError';
  }
}
