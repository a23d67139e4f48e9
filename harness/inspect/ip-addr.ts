import { ParseError } from './parse-error.js';

/** One IPv4 address of an interface, from `ip -o -4 addr show`. */
export interface InterfaceAddress {
  iface: string;
  address: string;
  prefix: number;
}

/** One IPv4 route, from `ip -4 route show`: its destination (`default` or a CIDR) and device. */
export interface Route {
  destination: string;
  dev?: string;
  text: string;
}

/**
 * `ip -o -4 addr show`, one line per address:
 * `14: eth0    inet 10.0.1.4/24 brd 10.0.1.255 scope global eth0\       valid_lft forever ...`
 * (the name may carry `@ifN` on some iproute2 versions; it is cut off).
 */
export function parseIpAddresses(text: string, source: string): InterfaceAddress[] {
  const addresses: InterfaceAddress[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const match = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/(\d+)\s/.exec(line);
    if (!match) throw new ParseError(source, index + 1, line, 'expected "N: IFACE inet A.B.C.D/P ..."');
    const [, iface = '', address = '', prefix = ''] = match;
    addresses.push({ iface: iface.split('@')[0] ?? iface, address, prefix: Number(prefix) });
  }
  return addresses;
}

/** `ip -4 route show`: `10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.4`. */
export function parseRoutes(text: string): Route[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [destination = '', ...rest] = line.split(/\s+/);
      const dev = rest[rest.indexOf('dev') + 1];
      return { destination, ...(rest.includes('dev') && dev ? { dev } : {}), text: line };
    });
}
