/** IPv4 subnets as topologies and iptables rules write them (10.0.2.0/24), as numbers that compare. */

export interface Cidr {
  base: number;
  prefix: number;
}

const cidrPattern = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** An IPv4 CIDR as a 32-bit base and a prefix, or a reason it is none. */
export function parseCidr(text: string): Cidr | string {
  const m = cidrPattern.exec(text);
  if (!m) return 'not in CIDR form';
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return 'an octet above 255';
  const prefix = Number(m[5]);
  if (prefix > 32) return 'a prefix above 32';
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) {
    const network = base - (base % size);
    return `host bits set (the subnet is ${formatIp(network)}/${prefix})`;
  }
  return { base, prefix };
}

function formatIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  const size = 2 ** (32 - outer.prefix);
  return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base < outer.base + size;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

/** Whether an address lies in a subnet. */
export function containsAddress(subnet: Cidr, address: string): boolean {
  const host = parseCidr(`${address}/32`);
  return typeof host !== 'string' && contains(subnet, host);
}
