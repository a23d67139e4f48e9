import { SwarmlabError } from '../core/errors.js';
import { record } from './json-shape.js';

/** A service as one node's network database sees it (`docker network inspect --verbose`). */
export interface NodeServiceView {
  name: string;
  vip: string;
  /** The firewall mark this node uses for the service: node-local, never assume it. */
  localLbIndex: number;
  tasks: { name: string; ip: string }[];
  ports: string[];
}

export interface NodeNetworkView {
  name: string;
  id: string;
  ingress: boolean;
  subnet?: string;
  /** The overlay's `encrypted` option: IPsec between the nodes that share it. */
  encrypted: boolean;
  /** The VXLAN network id (the first of `com.docker.network.driver.overlay.vxlanid_list`). */
  vni?: number;
  /** The nodes in the network's gossip, this one included, by their underlay address. */
  peers: { name: string; ip: string }[];
  /** Container id (or lb-<net>) -> address on this network, as attached on this node. */
  containers: { key: string; name: string; ip: string }[];
  services: NodeServiceView[];
}

function stripPrefix(address: unknown): string {
  return typeof address === 'string' ? address.replace(/\/\d+$/, '') : '';
}

/** Parses network inspect output: the CLI's JSON array, or the API's one object per network. */
export function parseNetworkInspect(jsonDocuments: readonly string[], what: string): NodeNetworkView[] {
  const networks = jsonDocuments.flatMap((json) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new SwarmlabError('parse', `${what}: not JSON (${String(error)}): ${json.slice(0, 200)}`);
    }
    return Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  });
  return networks.map((raw): NodeNetworkView => {
    const n = record(raw);
    const config = (record(n['IPAM'])['Config'] as unknown[] | null) ?? [];
    const subnet = record(config[0])['Subnet'];
    const options = record(n['Options']);
    const vni = Number.parseInt(String(options['com.docker.network.driver.overlay.vxlanid_list'] ?? ''), 10);
    return {
      name: String(n['Name'] ?? ''),
      id: String(n['Id'] ?? ''),
      ingress: n['Ingress'] === true,
      ...(typeof subnet === 'string' ? { subnet } : {}),
      encrypted: 'encrypted' in options,
      ...(Number.isNaN(vni) ? {} : { vni }),
      peers: ((n['Peers'] as unknown[] | null) ?? []).map((p) => ({
        name: String(record(p)['Name'] ?? ''),
        ip: String(record(p)['IP'] ?? ''),
      })),
      containers: Object.entries(record(n['Containers'])).map(([key, c]) => ({
        key,
        name: String(record(c)['Name'] ?? ''),
        ip: stripPrefix(record(c)['IPv4Address']),
      })),
      services: Object.entries(record(n['Services']))
        .filter(([name]) => name !== '')
        .map(([name, s]) => {
          const service = record(s);
          return {
            name,
            vip: String(service['VIP'] ?? ''),
            localLbIndex: Number(service['LocalLBIndex'] ?? 0),
            tasks: ((service['Tasks'] as unknown[] | null) ?? []).map((t) => ({
              name: String(record(t)['Name'] ?? ''),
              ip: String(record(t)['EndpointIP'] ?? ''),
            })),
            ports: ((service['Ports'] as unknown[] | null) ?? []).map(String),
          };
        }),
    };
  });
}
