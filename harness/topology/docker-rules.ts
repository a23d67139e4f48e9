import { type Cidr, contains, containsAddress, overlaps, parseCidr } from '../core/ipv4.js';
import type { FieldReader } from '../core/yaml-fields.js';
import type { Topology } from './topology.js';

/**
 * What Docker would refuse (or accept and then fail on at deploy) in a well-formed topology, caught before
 * anything is created: a port published twice through the routing mesh, an ingress port on a dnsrr service,
 * subnets that are no subnets or overlap, a gateway or range outside its subnet, a driver option of a known type
 * with a value of the wrong type. Each refusal names the field, as every topology error does.
 */

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
      if (!containsAddress(subnet, network.gateway))
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
