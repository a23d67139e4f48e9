import type { FieldReader } from '../core/yaml-fields.js';
import type { Topology } from './topology.js';

/**
 * What Docker would refuse (or accept and then fail on at deploy) in a well-formed topology, caught before
 * anything is created: a port published twice through the routing mesh, an ingress port on a dnsrr service,
 * subnets that are no subnets or overlap, a gateway or range outside its subnet, a driver option of a known type
 * with a value of the wrong type. Each refusal names the field, as every topology error does.
 */

interface Cidr {
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

function contains(outer: Cidr, inner: Cidr): boolean {
  const size = 2 ** (32 - outer.prefix);
  return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base < outer.base + size;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

/** Driver options whose values have a type Docker parses; a value of another type fails the network or its tasks. */
const typedOptions: Record<string, { pattern: RegExp; expected: string; valid?: (v: string) => boolean }> = {
  'com.docker.network.driver.mtu': {
    pattern: /^\d+$/,
    expected: 'an MTU, a whole number of bytes from 68 (the IPv4 minimum) to 65535',
    valid: (v) => Number(v) >= 68 && Number(v) <= 65535,
  },
  'com.docker.network.driver.overlay.vxlanid_list': {
    pattern: /^\d+(,\d+)*$/,
    expected: 'VXLAN ids, comma-separated whole numbers from 1 to 16777215',
    valid: (v) => v.split(',').every((id) => Number(id) >= 1 && Number(id) <= 16777215),
  },
};

export function checkDockerRules(r: FieldReader, topology: Topology): void {
  const subnets: { cidr: Cidr; network: number }[] = [];
  topology.networks.forEach((network, i) => {
    const p = ['networks', i];
    let subnet: Cidr | undefined;
    if (network.subnet) {
      const parsed = parseCidr(network.subnet);
      if (typeof parsed === 'string')
        r.fail([...p, 'subnet'], `an IPv4 subnet such as 10.10.0.0/24 (this has ${parsed})`, network.subnet);
      subnet = parsed;
      const clash = subnets.find((s) => overlaps(s.cidr, parsed));
      if (clash) {
        const other = topology.networks[clash.network];
        r.fail(
          [...p, 'subnet'],
          `a subnet no other network overlaps (${other?.name} has ${other?.subnet})`,
          network.subnet,
        );
      }
      subnets.push({ cidr: parsed, network: i });
    }
    if (network.gateway) {
      if (!subnet) r.fail([...p, 'gateway'], 'a gateway only with a subnet (add subnet)', network.gateway);
      const gateway = parseCidr(`${network.gateway}/32`);
      if (typeof gateway === 'string' || !contains(subnet, gateway))
        r.fail([...p, 'gateway'], `an address inside the subnet ${network.subnet}`, network.gateway);
    }
    if (network.ipRange) {
      if (!subnet) r.fail([...p, 'ipRange'], 'an address range only with a subnet (add subnet)', network.ipRange);
      const range = parseCidr(network.ipRange);
      if (typeof range === 'string')
        r.fail([...p, 'ipRange'], `a range in CIDR form such as 10.10.0.128/25 (this has ${range})`, network.ipRange);
      if (!contains(subnet, range))
        r.fail([...p, 'ipRange'], `a range inside the subnet ${network.subnet}`, network.ipRange);
    }
    for (const [key, value] of Object.entries(network.options)) {
      const rule = typedOptions[key];
      if (rule && (!rule.pattern.test(value) || rule.valid?.(value) === false))
        r.fail([...p, 'options', key], rule.expected, value);
    }
  });
  const published = new Map<string, string>();
  topology.services.forEach((service, i) => {
    service.ports.forEach((port, j) => {
      if (port.mode !== 'ingress') return;
      const path = ['services', i, 'ports', j];
      if (service.endpointMode === 'dnsrr')
        r.fail(
          [...path, 'mode'],
          'mode: host on a dnsrr service (Docker publishes ingress ports only through a VIP)',
          port.mode,
        );
      const key = `${port.published}/${port.protocol}`;
      const owner = published.get(key);
      if (owner)
        r.fail(
          [...path, 'published'],
          `a port no other service publishes through the routing mesh (${owner} publishes ${key})`,
          port.published,
        );
      published.set(key, service.name);
    });
  });
}
