/**
 * A topology: what to deploy onto a cluster and test. Loaded from YAML by
 * load-topology.ts, which is the only place that accepts untyped input.
 */
export type EndpointMode = 'vip' | 'dnsrr';
export type PublishMode = 'ingress' | 'host';

export interface TopologyCluster {
  managers: number;
  workers: number;
  /** Debian suite or dind image for every node. */
  nodeImage: string;
}

export interface TopologyNetwork {
  name: string;
  /** overlay by default; a third-party driver name is passed through. */
  driver: string;
  subnet?: string;
  /** The subnet's gateway address and the range tasks get addresses from (both inside the subnet). */
  gateway?: string;
  ipRange?: string;
  attachable: boolean;
  encrypted: boolean;
  options: Record<string, string>;
}

export interface PublishedPort {
  target: number;
  published: number;
  protocol: 'tcp' | 'udp';
  mode: PublishMode;
}

export interface UpdateConfig {
  parallelism?: number;
  delay?: string;
  order?: 'stop-first' | 'start-first';
}

export interface TopologyService {
  name: string;
  /** The probe image when not set. */
  image?: string;
  /** A replica count, or 'global' for one task per node. */
  replicas: number | 'global';
  endpointMode: EndpointMode;
  networks: string[];
  ports: PublishedPort[];
  constraints: string[];
  update?: UpdateConfig;
  command?: string[];
}

export interface Topology {
  name: string;
  /** Where it was loaded from, for messages. */
  source: string;
  description?: string;
  cluster: TopologyCluster;
  networks: TopologyNetwork[];
  services: TopologyService[];
}
