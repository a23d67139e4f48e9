import { ConfigError } from '../core/errors.js';

/**
 * The Debian suites swarmlab builds from, and the Docker engine and kernel
 * each one ships (read from the packages each suite installs). A suite gives
 * both a VM kernel and a node image, so the Docker version matrix needs no
 * registry.
 */
export interface DebianSuite {
  name: string;
  dockerVersion: string;
  kernel: string;
  /** Packages beyond the common set; from trixie on the docker CLI is its own package. */
  extraPackages: readonly string[];
}

export const debianSuites: Readonly<Record<string, DebianSuite>> = {
  bullseye: { name: 'bullseye', dockerVersion: '20.10.5', kernel: '5.10', extraPackages: [] },
  bookworm: { name: 'bookworm', dockerVersion: '20.10.24', kernel: '6.1', extraPackages: [] },
  trixie: { name: 'trixie', dockerVersion: '26.1.5', kernel: '6.12', extraPackages: ['docker-cli'] },
  sid: { name: 'sid', dockerVersion: '28.5.2', kernel: 'newest', extraPackages: ['docker-cli'] },
};

/**
 * The node image when none is named: Debian stable's Docker (26.1.5). Under
 * emulation its tasks start in about half the time of 20.10.24's (web-api
 * converged in 26 s against 72 s), and CI users care most about recent engines.
 */
export const defaultNodeSuite = 'trixie';

/**
 * The VM's suite (kernel 6.12, Docker 26.1.5): the same as the default node
 * image, so a cold cache needs one debootstrap, not two. bookworm's kernel 6.1
 * remains available with --suite bookworm.
 */
export const defaultVmSuite = defaultNodeSuite;

/**
 * Packages every rootfs gets: Docker, the tools the dataplane checks run inside
 * nodes, and a kernel. crun is for the VM's own dockerd (see vm-init.sh): under
 * emulation an exec into a node costs 0.35 s with crun against 1.2 s with runc
 * (runc is a Go binary that starts twice per exec). Nodes keep Docker's runc.
 */
export const commonPackages = [
  'linux-image-amd64',
  'docker.io',
  'iptables',
  'ipvsadm',
  'iproute2',
  'kmod',
  'ca-certificates',
  'procps',
  'curl',
  'crun',
] as const;

export function isDebianSuite(name: string): boolean {
  return Object.hasOwn(debianSuites, name);
}

export function debianSuite(name: string, source = '--suite'): DebianSuite {
  const suite = debianSuites[name];
  if (!suite) throw new ConfigError(source, 'suite', `one of ${Object.keys(debianSuites).join(', ')}`, name);
  return suite;
}
