import { ConfigError } from '../core/errors.js';

export type NodeRole = 'manager' | 'worker';

/** What a cluster should be. Node images are a Debian suite name or any dind image reference. */
export interface ClusterSpec {
  name: string;
  managers: number;
  workers: number;
  /** Image for every node unless overridden: a suite (bookworm) or an image (docker:28-dind). */
  nodeImage: string;
  /** Per-role overrides, for mixed-version (upgrade) clusters. */
  managerImage?: string;
  workerImage?: string;
}

export interface NodeSpec {
  /** Short id inside the cluster: m1, m2, w1, ... */
  id: string;
  role: NodeRole;
  image: string;
}

const namePattern = /^[a-z][a-z0-9-]{0,23}$/;
export const maxNodes = 9;

/** Checks a spec before anything is created; errors name the field and what was expected. */
export function validateClusterSpec(spec: ClusterSpec, source = 'cluster spec'): ClusterSpec {
  if (!namePattern.test(spec.name)) {
    throw new ConfigError(
      source,
      'name',
      'a lower-case name of 1-24 letters, digits and dashes, starting with a letter',
      spec.name,
    );
  }
  if (!Number.isInteger(spec.managers) || spec.managers < 1) {
    throw new ConfigError(source, 'managers', 'an integer of at least 1 (a Swarm needs a manager)', spec.managers);
  }
  if (!Number.isInteger(spec.workers) || spec.workers < 0)
    throw new ConfigError(source, 'workers', 'an integer of 0 or more', spec.workers);
  if (spec.managers + spec.workers > maxNodes) {
    throw new ConfigError(
      source,
      'managers + workers',
      `at most ${maxNodes} nodes in all`,
      spec.managers + spec.workers,
    );
  }
  for (const field of ['nodeImage', 'managerImage', 'workerImage'] as const) {
    const value = spec[field];
    if (value !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/.test(value)) {
      throw new ConfigError(source, field, 'a Debian suite name or an image reference', value);
    }
  }
  return spec;
}

export function nodeSpecs(spec: ClusterSpec): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  for (let i = 1; i <= spec.managers; i++)
    nodes.push({ id: `m${i}`, role: 'manager', image: spec.managerImage ?? spec.nodeImage });
  for (let i = 1; i <= spec.workers; i++)
    nodes.push({ id: `w${i}`, role: 'worker', image: spec.workerImage ?? spec.nodeImage });
  return nodes;
}
