import { parseIpvs } from '../../harness/inspect/ipvs.js';
import { ParseError } from '../../harness/inspect/parse-error.js';
import { fixtureText } from '../fixtures/load.js';

function section(dump: string, header: string): string {
  const part = dump.split('=== ').find((s) => s.startsWith(header)) ?? '';
  return part.slice(part.indexOf('\n') + 1);
}

describe('IPVS tables', () => {
  const m1 = fixtureText('docker-20.10.24-web-api', 'm1.node-dump.txt');

  it('reads ipvsadm -Ln of a Docker 20.10.24 lb namespace', () => {
    const services = parseIpvs(section(m1, 'ipvs lb_'));
    expect(
      services.map((s) => [
        s.protocol,
        s.fwmark,
        s.scheduler,
        s.reals.map((r) => `${r.address}:${r.port}/${r.forward}/${r.weight}`),
      ]),
    ).toEqual([
      ['FWM', 258, 'rr', ['10.0.2.6:0/Masq/1', '10.0.2.7:0/Masq/1']],
      ['FWM', 259, 'rr', ['10.0.2.3:0/Masq/1']],
    ]);
  });

  it('reads /proc/net/ip_vs (hex) as the same table, for nodes without ipvsadm', () => {
    const proc = fixtureText('docker-20.10.24-lb-proc-net-ip_vs.txt');
    const services = parseIpvs(proc, '/proc/net/ip_vs');
    expect(
      services.map((s) => [s.protocol, s.fwmark, s.reals.map((r) => `${r.address}:${r.port}/${r.weight}`)]),
    ).toEqual([
      ['FWM', 256, ['10.0.1.3:0/1']],
      ['FWM', 257, ['10.0.1.6:0/1', '10.0.1.7:0/1']],
    ]);
  });

  it('reads address-based services (the engine IPVS proof)', () => {
    const text =
      'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> ' +
      'RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.255.255.1:80 rr\n  -> ' +
      '10.255.255.2:80              Masq    1      0          0\n';
    expect(parseIpvs(text)).toEqual([
      {
        protocol: 'TCP',
        address: '10.255.255.1',
        port: 80,
        scheduler: 'rr',
        flags: [],
        reals: [
          {
            address: '10.255.255.2',
            port: 80,
            forward: 'Masq',
            weight: 1,
            activeConnections: 0,
            inactiveConnections: 0,
          },
        ],
      },
    ]);
  });

  it.each([
    ['  -> 10.0.1.3:0 Masq 1 0 0', 'real server before any virtual service'],
    ['FWM  256 rr\n  -> 10.0.1.3 Masq 1 0 0', 'expected ADDRESS:PORT'],
    ['FWM  256 rr\n  -> 10.0.1.3:0 Masq heavy 0 0', 'expected a numeric weight'],
    ['ICMP 1.2.3.4 rr', 'expected FWM, TCP, UDP or SCTP'],
  ])('rejects %j with a parse error quoting the line', (text, problem) => {
    expect(() => parseIpvs(text, 'test')).toThrow(ParseError);
    expect(() => parseIpvs(text, 'test')).toThrow(problem);
  });
});
