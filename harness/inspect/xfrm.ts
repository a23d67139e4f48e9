import { ParseError } from './parse-error.js';

/**
 * The IPsec state of a node as `ip xfrm state` and `ip xfrm policy` print it: what Docker programs between the
 * node and each peer of an encrypted overlay (libnetwork's overlay encryption).
 */

/** Which SA: the addresses, protocol, SPI, reqid and mode; what a policy's template names too. */
export interface XfrmTemplate {
  src: string;
  dst: string;
  proto: string;
  spi: number;
  reqid: number;
  mode: string;
}

/** A security association: one direction of one peer's ESP flow. */
export interface XfrmState extends XfrmTemplate {
  /** The AEAD algorithm and its ICV length in bits (`aead rfc4106(gcm(aes)) 0x... 64`); the key is not kept. */
  aead?: { name: string; icvBits: number };
  /** Packets through the SA so far (`ip -s`: `lifetime current:` then `B(bytes), P(packets)`). */
  packets?: number;
}

/** A security policy: which packets (selector and mark) go through which template. */
export interface XfrmPolicy {
  /** The selector as written: `172.18.0.2/32`. */
  src: string;
  dst: string;
  proto?: string;
  dport?: number;
  dir: string;
  mark?: { value: number; mask: number };
  templates: XfrmTemplate[];
  /** The first line as printed, for messages. */
  text: string;
}

/** Entries start at column 0 (`src A dst B`); their attributes follow on indented lines. */
function entries(text: string): { first: string; line: number; rest: string[] }[] {
  const found: { first: string; line: number; rest: string[] }[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    if (!raw.trim()) continue;
    if (/^\S/.test(raw)) found.push({ first: raw.trim(), line: index + 1, rest: [] });
    else found[found.length - 1]?.rest.push(raw.trim());
  }
  return found;
}

/** The value after `word` in a list of words. */
function after(words: readonly string[], word: string): string | undefined {
  const at = words.indexOf(word);
  return at < 0 ? undefined : words[at + 1];
}

/** A number as ip prints it: decimal or hex, with `ip -s` a decoded form in parentheses after it (`0x1f(31)`). */
function number(value: string | undefined): number {
  return value === undefined ? Number.NaN : Number(value.replace(/\(.*$/, ''));
}

/** What names an SA besides its addresses, as a state's and a template's lines write it. */
function saFields(words: readonly string[]): Omit<XfrmTemplate, 'src' | 'dst'> {
  return {
    proto: after(words, 'proto') ?? '',
    spi: number(after(words, 'spi')),
    reqid: number(after(words, 'reqid')),
    mode: after(words, 'mode') ?? '',
  };
}

function sourceAndDestination(first: string, source: string, line: number): { src: string; dst: string } {
  const words = first.split(/\s+/);
  const src = after(words, 'src');
  const dst = after(words, 'dst');
  if (words[0] !== 'src' || !src || !dst) throw new ParseError(source, line, first, 'expected "src A dst B ..."');
  return { src, dst };
}

export function parseXfrmStates(text: string, source: string): XfrmState[] {
  return entries(text).map(({ first, line, rest }) => {
    const words = rest.join(' ').split(/\s+/);
    // `aead NAME KEY [(BITS bits)] ICV`: the ICV length comes last.
    const aead = rest.find((l) => l.startsWith('aead '))?.split(/\s+/);
    const current = rest[rest.indexOf('lifetime current:') + 1] ?? '';
    const packets = rest.includes('lifetime current:') ? /(\d+)\(packets\)/.exec(current)?.[1] : undefined;
    return {
      ...sourceAndDestination(first, source, line),
      ...saFields(words),
      ...(aead ? { aead: { name: aead[1] ?? '', icvBits: number(aead[aead.length - 1]) } } : {}),
      ...(packets === undefined ? {} : { packets: Number(packets) }),
    };
  });
}

export function parseXfrmPolicies(text: string, source: string): XfrmPolicy[] {
  return entries(text).map(({ first, line, rest }) => {
    const selector = first.split(/\s+/);
    // The policy's own attributes, then each template: `tmpl src A dst B` and `proto esp spi ... reqid ... mode ...`.
    const [own = '', ...tmpls] = rest.join('\n').split(/^tmpl /m);
    const templates = tmpls.map((t) => {
      const words = t.split(/\s+/);
      return { src: after(words, 'src') ?? '', dst: after(words, 'dst') ?? '', ...saFields(words) };
    });
    const head = own.split(/\s+/);
    const mark = after(head, 'mark')?.split('/');
    const proto = after(selector, 'proto');
    const dport = after(selector, 'dport');
    return {
      ...sourceAndDestination(first, source, line),
      ...(proto ? { proto } : {}),
      ...(dport ? { dport: Number(dport) } : {}),
      dir: after(head, 'dir') ?? '',
      ...(mark ? { mark: { value: number(mark[0]), mask: number(mark[1] ?? '0xffffffff') } } : {}),
      templates,
      text: first,
    };
  });
}
