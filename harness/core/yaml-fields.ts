import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from './errors.js';

export type Path = (string | number)[];

/**
 * Reads fields out of a parsed YAML document, so that every error can say the
 * file, the line, the field (as a path like services[1].replicas), what was
 * expected and what was found.
 */
export class FieldReader {
  private readonly js: unknown;

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {
    this.js = doc.toJS();
  }

  /** file:line of a field (of its closest parent that exists). */
  location(path: Path): string {
    // The closest node that exists: a missing field is reported at its parent's line.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return `${this.file}:${this.lines.linePos(node.range[0]).line}`;
    }
    return this.file;
  }

  fail(path: Path, expected: string, seen?: unknown): never {
    throw new ConfigError(this.location(path), fieldName(path), expected, seen);
  }

  value(path: Path): unknown {
    let v: unknown = this.js;
    for (const key of path) {
      if (typeof v !== 'object' || v === null) return undefined;
      v = (v as Record<string | number, unknown>)[key];
    }
    return v;
  }

  string(path: Path, pattern?: RegExp, expected = 'a string'): string {
    const v = this.value(path);
    if (typeof v !== 'string' || (pattern && !pattern.test(v))) this.fail(path, expected, v);
    return v;
  }

  optionalString(path: Path, pattern?: RegExp, expected?: string): string | undefined {
    return this.value(path) === undefined ? undefined : this.string(path, pattern, expected);
  }

  integer(path: Path, min: number, max: number, fallback?: number): number {
    const v = this.value(path);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(path, `an integer from ${min} to ${max}`, v);
    return v;
  }

  boolean(path: Path, fallback: boolean): boolean {
    const v = this.value(path);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(path, 'true or false', v);
    return v;
  }

  oneOf<T extends string>(path: Path, choices: readonly T[], fallback: T): T {
    const v = this.value(path);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v))
      this.fail(path, `one of ${choices.join(', ')}`, v);
    return v as T;
  }

  /** A duration written as 500ms, 90s or 3m, in seconds (above 0, up to an hour). */
  duration(path: Path): number {
    const v = this.value(path);
    const match = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v) : null;
    if (!match) return this.fail(path, 'a duration such as 500ms, 90s or 3m', v);
    const seconds = Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2] as 'ms' | 's' | 'm'];
    if (seconds <= 0 || seconds > 3600) this.fail(path, 'a duration above 0 and up to 60m', v);
    return seconds;
  }

  list(path: Path, required = false): unknown[] {
    const v = this.value(path);
    if (v === undefined && !required) return [];
    if (!Array.isArray(v) || (required && v.length === 0)) this.fail(path, required ? 'a non-empty list' : 'a list', v);
    return v;
  }

  stringList(path: Path): string[] {
    return this.list(path).map((_, i) => this.string([...path, i]));
  }

  map(path: Path, allowed: readonly string[], required = true): boolean {
    const v = this.value(path);
    if (v === undefined && !required) return false;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'a mapping', v);
    for (const key of Object.keys(v))
      if (!allowed.includes(key)) this.fail([...path, key], `one of the fields ${allowed.join(', ')}`, key);
    return true;
  }
}

function fieldName(path: Path): string {
  if (path.length === 0) return '(document)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Parses YAML text; a syntax error is a ConfigError naming the file and line. */
export function readYaml(text: string, file: string): FieldReader {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first?.linePos?.[0]?.line;
    throw new ConfigError(`${file}${line ? `:${line}` : ''}`, '(yaml)', 'valid YAML', first?.message.split('\n')[0]);
  }
  return new FieldReader(file, doc, lines);
}

/** A user's file as text; one that cannot be read is a ConfigError naming it. */
export async function readConfigFile(file: string, expected: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, '(file)', expected, (error as NodeJS.ErrnoException).code ?? String(error));
  }
}
