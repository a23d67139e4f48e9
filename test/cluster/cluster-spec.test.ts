import { ConfigError } from '../../harness/core/errors.js';
import { nodeSpecs, validateClusterSpec, type ClusterSpec } from '../../harness/cluster/cluster-spec.js';

const valid: ClusterSpec = { name: 'lab', managers: 1, workers: 2, nodeImage: 'bookworm' };

describe('cluster spec', () => {
  it('accepts a 1+2 cluster and names nodes m1, w1, w2', () => {
    expect(nodeSpecs(validateClusterSpec(valid))).toEqual([
      { id: 'm1', role: 'manager', image: 'bookworm' },
      { id: 'w1', role: 'worker', image: 'bookworm' },
      { id: 'w2', role: 'worker', image: 'bookworm' },
    ]);
  });
  it('gives managers and workers their own images in a mixed cluster', () => {
    const nodes = nodeSpecs({ ...valid, managerImage: 'bookworm', workerImage: 'sid' });
    expect(nodes.map((n) => `${n.id}:${n.image}`)).toEqual(['m1:bookworm', 'w1:sid', 'w2:sid']);
  });
  it.each([
    [{ managers: 0 }, 'managers: expected an integer of at least 1 (a Swarm needs a manager), got 0'],
    [{ workers: -1 }, 'workers: expected an integer of 0 or more, got -1'],
    [{ managers: 5, workers: 5 }, 'managers + workers: expected at most 9 nodes in all, got 10'],
    [
      { name: 'Lab_1' },
      'name: expected a lower-case name of 1-24 letters, digits and dashes, starting with a letter, got "Lab_1"',
    ],
    [{ nodeImage: 'bad image' }, 'nodeImage: expected a Debian suite name or an image reference, got "bad image"'],
  ])('rejects %j', (change, message) => {
    expect(() => validateClusterSpec({ ...valid, ...change })).toThrow(ConfigError);
    expect(() => validateClusterSpec({ ...valid, ...change })).toThrow(message);
  });
});
