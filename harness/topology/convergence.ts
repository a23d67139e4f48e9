import { isRunningTask, taskHostname, taskName, type SwarmState, type SwarmTask } from '../inspect/swarm-state.js';
import type { Topology, TopologyService } from './topology.js';

function expectedTaskCount(service: TopologyService, tasks: readonly SwarmTask[], nodeCount: number): number {
  if (service.replicas !== 'global') return service.replicas;
  // A global service without constraints runs once per node; with them, once per node Swarm scheduled it on.
  if (service.constraints.length === 0) return nodeCount;
  return tasks.filter((t) => t.desiredState === 'running').length;
}

/**
 * The topology's services whose tasks do not all run yet, each as
 * "name running/expected [task@node: state (error); ...]" so that a
 * convergence timeout says what it saw. Empty when the deployment converged.
 */
export function pendingServices(state: SwarmState, topology: Topology, nodeCount: number): string[] {
  return topology.services.flatMap((service) => {
    const swarmService = state.services.find((s) => s.name === service.name);
    if (!swarmService) return [`${service.name}: no such service`];
    const tasks = state.tasks.filter((t) => t.serviceId === swarmService.id);
    const running = tasks.filter(isRunningTask).length;
    const expected = expectedTaskCount(service, tasks, nodeCount);
    // More running than wanted is not converged either: after a scale down or during a start-first update
    // the extra tasks are still on their way out, and the dataplane is not yet what it will be.
    if (running === expected) return [];
    const states = tasks
      .slice(0, 6)
      .map(
        (t) =>
          `${taskName(swarmService, t)}@${taskHostname(state, t) ?? 'unassigned'}: ${t.state}${t.error ? ` (${t.error})` : ''}`,
      );
    return [`${service.name} ${running}/${expected} [${states.join('; ')}]`];
  });
}
