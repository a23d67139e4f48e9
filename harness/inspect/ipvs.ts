import { ParseError } from './parse-error.js';

export interface IpvsRealServer {
  address: string;
  port: number;
  forward: string;
  weight: number;
  activeConnections: number;
  inactiveConnections: number;
}

/** An IPVS virtual service: by firewall mark (Swarm VIPs and ingress) or by address. */
export interface IpvsService {
  protocol: 'FWM' | 'TCP' | 'UDP' | 'SCTP';
  /** For FWM services. */
  fwmark?: number;
  /** For TCP/UDP/SCTP services. */
  address?: string;
  port?: number;
  scheduler: string;
  /** What ipvsadm prints after the scheduler: persistent 360, ops, mask ... (Swarm sets none). */
  flags: string[];
  reals: IpvsRealServer[];
}

function hexToIPv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function splitHostPort(text: string, hex: boolean): { address: string; port: number } | undefined {
  const at = text.lastIndexOf(':');
  if (at < 0) return undefined;
  const host = text.slice(0, at);
  const port = text.slice(at + 1);
  if (hex) {
    if (!/^[0-9A-Fa-f]{8}$/.test(host) || !/^[0-9A-Fa-f]{4}$/.test(port)) return undefined;
    return { address: hexToIPv4(host), port: Number.parseInt(port, 16) };
  }
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || !/^\d+$/.test(port)) return undefined;
  return { address: host, port: Number(port) };
}

/**
 * Parses the IPVS table as `ipvsadm -Ln` prints it, or as the kernel shows it
 * in /proc/net/ip_vs (hex addresses and marks), for nodes without ipvsadm.
 */
export function parseIpvs(text: string, what = 'ipvsadm -Ln'): IpvsService[] {
  const hex = /^\s*(FWM|TCP|UDP)\s+[0-9A-F]{8}/m.test(text);
  const services: IpvsService[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || /^IP Virtual Server/.test(line) || /^Prot /.test(line) || /^-> RemoteAddress/.test(line)) return;
    const fail = (problem: string): never => {
      throw new ParseError(what, index + 1, raw, problem);
    };
    if (line.startsWith('->')) {
      const current = services[services.length - 1];
      if (!current) fail('real server before any virtual service');
      const [, target = '', forward = '', weight = '', active = '', inactive = ''] = line.split(/\s+/);
      const hostPort = splitHostPort(target, hex) ?? fail('expected ADDRESS:PORT');
      if (!/^-?\d+$/.test(weight)) fail('expected a numeric weight');
      current?.reals.push({
        ...hostPort,
        forward,
        weight: Number(weight),
        activeConnections: Number(active || 0),
        inactiveConnections: Number(inactive || 0),
      });
      return;
    }
    const [protocol = '', target = '', scheduler = '', ...flags] = line.split(/\s+/);
    if (protocol === 'FWM') {
      const fwmark = hex ? Number.parseInt(target, 16) : Number(target);
      if (!Number.isInteger(fwmark)) fail('expected a firewall mark after FWM');
      services.push({ protocol, fwmark, scheduler, flags, reals: [] });
    } else if (protocol === 'TCP' || protocol === 'UDP' || protocol === 'SCTP') {
      const hostPort = splitHostPort(target, hex) ?? fail('expected ADDRESS:PORT');
      services.push({ protocol, ...hostPort, scheduler, flags, reals: [] });
    } else {
      fail('expected FWM, TCP, UDP or SCTP, or a -> real server line');
    }
  });
  return services;
}
