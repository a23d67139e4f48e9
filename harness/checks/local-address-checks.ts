import type { KernelLbState, NetworkLbView } from '../inspect/lb-model.js';
import type { CheckResult, CheckSubject } from './check-result.js';

/**
 * A load-balancing namespace takes a packet to a VIP in because the VIP is one of its own addresses: when Docker
 * creates a VIP's IPVS service it adds the VIP as a /32 alias on the interface of the network's load-balancer
 * endpoint, and removes it with the service (libnetwork's addLBBackend and rmLBBackend). Without the alias a packet
 * to the VIP is not for this namespace: mangle INPUT never marks it and IPVS never sees it. Without the connected
 * route of the subnet on that interface IPVS cannot reach the tasks.
 *
 * `check` is lb.local-addresses for an lb namespace (its lb-<network> endpoint), ingress.local-addresses for ingress_sbox
 * (ingress-sbox); `vips` are the VIPs whose IPVS service the namespace must hold. Undefined when the dump has no
 * addresses (captured before swarmlab read them) or the node's view names no endpoint or subnet.
 */
export function checkLocalAddresses(
  check: string,
  subject: CheckSubject,
  location: KernelLbState,
  network: Pick<NetworkLbView, 'nodeView'>,
  endpointKey: string,
  vips: readonly string[],
): CheckResult | undefined {
  const { addresses, routes } = location;
  const { subnet } = network.nodeView;
  const endpoint = network.nodeView.containers.find((c) => c.key === endpointKey)?.ip;
  if (!addresses || !routes || !subnet || !endpoint) return undefined;
  const prefix = Number(subnet.split('/')[1]);
  const own = addresses.find((a) => a.address === endpoint);
  const wantedVips = [...new Set(vips)].sort();
  const expected =
    `${endpoint}/${prefix} (the ${endpointKey} endpoint) on an interface, a /32 alias there for each VIP with an IPVS ` +
    `service (${wantedVips.join(', ') || 'none'}) and no other, and the route ${subnet} on that interface`;
  if (!own) {
    const seen = addresses.map((a) => `${a.address}/${a.prefix} on ${a.iface}`).join(', ') || 'no IPv4 address';
    return { check, status: 'fail', ...subject, expected, seen: `no ${endpoint}: ${seen}` };
  }
  const aliases = new Set(addresses.filter((a) => a.iface === own.iface && a.prefix === 32).map((a) => a.address));
  const missing = wantedVips.filter((v) => !aliases.has(v));
  const stale = [...aliases].filter((a) => !wantedVips.includes(a)).sort();
  const route = routes.find((r) => r.destination === subnet && r.dev === own.iface);
  const problems = [
    ...(own.prefix === prefix ? [] : [`${endpoint}/${own.prefix} where the subnet is /${prefix}`]),
    ...(missing.length ? [`no alias for ${missing.join(', ')}`] : []),
    ...(stale.length ? [`aliases for ${stale.join(', ')}, no VIP with an IPVS service here`] : []),
    ...(route
      ? []
      : [`no route ${subnet} dev ${own.iface} (routes: ${routes.map((r) => r.text).join('; ') || 'none'})`]),
  ];
  return {
    check,
    status: problems.length ? 'fail' : 'pass',
    ...subject,
    expected,
    seen:
      problems.join('; ') ||
      `${own.iface}: ${endpoint}/${own.prefix}, aliases ${[...aliases].sort().join(', ') || 'none'}; ${route?.text}`,
  };
}
