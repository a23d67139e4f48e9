import { ParseError } from './parse-error.js';

/**
 * Inspection runs one shell script per node (every exec costs seconds under
 * emulation) that prints many outputs, each after a marker line
 * `=== <kind> [<namespace>]`. This splits such output back into sections.
 */
export interface DumpSection {
  kind: string;
  arg: string;
  text: string;
}

export function splitSections(text: string, what: string): DumpSection[] {
  const sections: DumpSection[] = [];
  let current: DumpSection | undefined;
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const marker = /^=== (\S+)(?: (\S+))?$/.exec(line);
    if (marker?.[1]) {
      current = { kind: marker[1], arg: marker[2] ?? '', text: '' };
      sections.push(current);
      return;
    }
    if (!current) {
      if (line.trim()) throw new ParseError(what, index + 1, line, 'output before the first section marker');
      return;
    }
    current.text += `${line}\n`;
  });
  return sections;
}
