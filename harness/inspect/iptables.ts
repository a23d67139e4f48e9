import { ParseError } from './parse-error.js';

/** A rule that sets a firewall mark, in any of the spellings iptables prints. */
export interface MarkRule {
  table: string;
  chain: string;
  /** Destination address without /32, when the rule matches one. */
  destination?: string;
  protocol?: string;
  /** Destination port (ingress rules match published ports). */
  dport?: number;
  mark: number;
  /** The rule as printed, for findings. */
  text: string;
}

/**
 * The mark as an integer from every spelling: `--set-xmark 0x100/0xffffffff`
 * (iptables-save), `--set-mark 256` or `--set-mark 0x100` (older rules),
 * `MARK set 0x128` and `MARK xset 0x100/0xffffffff` (iptables -L).
 */
export function parseMark(text: string): number | undefined {
  const m = /(?:--set-x?mark|MARK x?set)\s+(0x[0-9a-fA-F]+|\d+)(?:\/(0x[0-9a-fA-F]+|\d+))?/.exec(text);
  if (!m?.[1]) return undefined;
  const value = Number(m[1]);
  const mask = m[2] === undefined ? 0xffffffff : Number(m[2]);
  return Number.isFinite(value) ? (value & mask) >>> 0 : undefined;
}

function stripPrefix(address: string): string {
  return address.replace(/\/32$/, '');
}

/** Any rule of an `iptables-save` listing, with what the path checks need to know of it. */
export interface IptablesRule {
  table: string;
  chain: string;
  /** What -j names: ACCEPT, DROP, MARK, SNAT, a user chain... (empty for a rule that only counts). */
  target: string;
  /** The -d match as written (10.0.2.5/32), when there is one, and whether it is negated (! -d). */
  destination?: string;
  destinationNegated: boolean;
  /** For MARK rules, the mark it sets. */
  mark?: number;
  /** The -A line as printed. */
  text: string;
}

/** Parses `iptables-save` output (all tables, or one with -t) into every rule, in order. */
export function parseIptablesRules(text: string, what = 'iptables-save'): IptablesRule[] {
  const rules: IptablesRule[] = [];
  let table = '';
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(':') || line === 'COMMIT') return;
    if (line.startsWith('*')) {
      table = line.slice(1);
      return;
    }
    if (!line.startsWith('-A '))
      throw new ParseError(what, index + 1, raw, 'expected a table (*name), chain (:NAME), rule (-A) or COMMIT');
    if (!table) throw new ParseError(what, index + 1, raw, 'rule before any *table line');
    const chain = line.split(/\s+/)[1] ?? '';
    const target = /\s-j\s+(\S+)/.exec(line)?.[1] ?? '';
    const destination = /(!\s+)?-d\s+(\S+)/.exec(line);
    const mark = target === 'MARK' ? parseMark(line) : undefined;
    if (target === 'MARK' && mark === undefined)
      throw new ParseError(what, index + 1, raw, 'MARK rule without a readable --set-mark/--set-xmark');
    rules.push({
      table,
      chain,
      target,
      ...(destination?.[2] ? { destination: destination[2] } : {}),
      destinationNegated: Boolean(destination?.[1]),
      ...(mark !== undefined ? { mark } : {}),
      text: line,
    });
  });
  return rules;
}

/** Parses `iptables-save` output (all tables, or one with -t) into its MARK rules. */
export function parseIptablesSave(text: string, what = 'iptables-save'): MarkRule[] {
  return markRulesOf(parseIptablesRules(text, what));
}

/** The MARK rules among parsed rules, with their destination, protocol and port. */
export function markRulesOf(rules: readonly IptablesRule[]): MarkRule[] {
  return rules.flatMap((rule) => {
    if (rule.mark === undefined) return [];
    const protocol = /\s-p\s+(\S+)/.exec(rule.text)?.[1];
    const dport = /--dport\s+(\d+)/.exec(rule.text)?.[1];
    return [
      {
        table: rule.table,
        chain: rule.chain,
        ...(rule.destination ? { destination: stripPrefix(rule.destination) } : {}),
        ...(protocol ? { protocol } : {}),
        ...(dport ? { dport: Number(dport) } : {}),
        mark: rule.mark,
        text: rule.text,
      },
    ];
  });
}

/**
 * Parses `iptables -t TABLE -L -n [-v]` output into MARK rules (the listing
 * format of the seed document and of bug reports). Columns differ with -v, so
 * the header line of each chain says where target and destination are.
 */
export function parseIptablesList(text: string, table: string, what = 'iptables -L'): MarkRule[] {
  const rules: MarkRule[] = [];
  let chain = '';
  let columns: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const chainHeader = /^Chain (\S+)/.exec(line);
    if (chainHeader?.[1]) {
      chain = chainHeader[1];
      columns = [];
      return;
    }
    if (/^(pkts\s+)?(bytes\s+)?target\s+prot/.test(line)) {
      columns = line.split(/\s+/);
      return;
    }
    if (!chain || columns.length === 0)
      throw new ParseError(what, index + 1, raw, 'rule before a Chain header and column line');
    const fields = line.split(/\s+/);
    const target = fields[columns.indexOf('target')];
    if (target !== 'MARK') return;
    const mark = parseMark(line);
    if (mark === undefined) throw new ParseError(what, index + 1, raw, 'MARK rule without a readable mark');
    const destination = fields[columns.indexOf('destination')];
    const protocol = fields[columns.indexOf('prot')];
    const dport = /dpt:(\d+)/.exec(line)?.[1];
    rules.push({
      table,
      chain,
      ...(destination && destination !== 'anywhere' && destination !== '0.0.0.0/0'
        ? { destination: stripPrefix(destination) }
        : {}),
      ...(protocol && protocol !== 'all' && protocol !== '0' ? { protocol } : {}),
      ...(dport ? { dport: Number(dport) } : {}),
      mark,
      text: line,
    });
  });
  return rules;
}
