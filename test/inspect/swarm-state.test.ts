import { isRunningTask } from '../../harness/inspect/swarm-state.js';
import { clusterFixture } from '../fixtures/load.js';

// The managers' state of a live web-api (api x2, web x1), as `swarmlab check` reads it.
const captures = [
  { engine: 'Docker 20.10.24', dir: 'docker-20.10.24-web-api' },
  { engine: 'Docker 28.5.2', dir: 'docker-28.5.2-web-api' },
  { engine: 'Docker 26.1.5', dir: 'docker-26.1.5-mixed-web-api' },
  { engine: 'Docker 20.10.5', dir: 'docker-20.10.5-web-api' },
];

describe.each(captures)('swarm state of a captured $engine web-api', ({ dir }) => {
  const { swarm } = clusterFixture(dir, []);

  it('gives every running task its container and node, so DNS can be read without asking the nodes', () => {
    const running = swarm.tasks.filter(isRunningTask);
    const nodeIds = new Set(swarm.nodes.map((n) => n.id));
    expect(running.length).toBeGreaterThanOrEqual(3);
    for (const task of running) {
      expect(task.containerId).toMatch(/^[0-9a-f]{64}$/);
      expect(nodeIds.has(task.nodeId)).toBe(true);
    }
  });
});
