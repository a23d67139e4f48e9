import { parseIptablesList, parseIptablesSave, parseMark } from '../../harness/inspect/iptables.js';
import { ParseError } from '../../harness/inspect/parse-error.js';
import { fixtureText } from '../fixtures/load.js';

describe('MARK spellings', () => {
  it.each([
    ['-A INPUT -d 10.0.1.2/32 -j MARK --set-xmark 0x100/0xffffffff', 256],
    ['-A OUTPUT -d 10.0.0.5/32 -j MARK --set-mark 257', 257],
    ['-A OUTPUT -d 10.0.0.5/32 -j MARK --set-mark 0x101', 257],
    ['852K   57M MARK       all  --  any    any     anywhere             172.50.0.20          MARK set 0x128', 296],
    ['0 0 MARK all -- * * 0.0.0.0/0 10.0.1.2 MARK xset 0x100/0xffffffff', 256],
  ])('%s -> %d', (text, mark) => {
    expect(parseMark(text)).toBe(mark);
  });
});

describe('iptables-save', () => {
  it('reads the lb namespace rules of Docker 20.10.24 (nf_tables iptables 1.8.9)', () => {
    const dump = fixtureText('docker-20.10.24-web-api', 'm1.node-dump.txt');
    const lbSection = dump.split('=== ').find((s) => s.startsWith('iptables lb_')) ?? '';
    const rules = parseIptablesSave(lbSection.slice(lbSection.indexOf('\n') + 1));
    expect(rules.map((r) => [r.table, r.chain, r.destination, r.mark])).toEqual([
      // The marks are 258/259, not 256/257: this network was created after an earlier one on the same nodes.
      ['mangle', 'INPUT', '10.0.2.5', 258],
      ['mangle', 'INPUT', '10.0.2.2', 259],
    ]);
  });

  it('reports a malformed line with its number and text instead of crashing', () => {
    expect(() =>
      parseIptablesSave('*mangle\n-A INPUT -j MARK --set-xmark 0x1/0xffffffff\nbogus line\n', 'test'),
    ).toThrow(ParseError);
    expect(() => parseIptablesSave('*mangle\nbogus line\n', 'test')).toThrow(
      'test, line 2: expected a table (*name), chain (:NAME), rule (-A) or COMMIT: "bogus line"',
    );
    expect(() => parseIptablesSave('*mangle\n-A INPUT -d 1.2.3.4/32 -j MARK\n', 'test')).toThrow(
      'MARK rule without a readable',
    );
  });
});

describe('iptables -L -v (the seed document, a pre-18.09 engine: marks in the client container)', () => {
  it('reads the three OUTPUT MARK rules', () => {
    const seed = fixtureText('seed-iptables-vL-mangle.txt');
    const rules = parseIptablesList(seed, 'mangle');
    expect(rules.map((r) => [r.chain, r.destination, r.mark])).toEqual([
      ['OUTPUT', '172.50.0.20', 0x128],
      ['OUTPUT', '172.50.0.18', 0x13b],
      ['OUTPUT', '172.50.0.37', 0x13d],
    ]);
  });
});
