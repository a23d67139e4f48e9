import {
  isRunningTask,
  type SwarmState,
  type SwarmTask,
  takesNewTasks,
  taskHostname,
  taskName,
} from '../inspect/swarm-state.js';
import type { Topology, TopologyService } from './topology.js';

function expectedTaskCount(service: TopologyService, tasks: readonly SwarmTask[], state: SwarmState): number {
  if (service.replicas !== 'global') return service.replicas;
  const scheduled = new Set(tasks.filter((t) => t.desiredState === 'running').map((t) => t.nodeId));
  // With constraints: once per node Swarm scheduled it on. Without: also on every node that takes new tasks and has
  // none yet (Swarm creates them one by one), but not on a drained, paused or down node, which never gets one.
  if (service.constraints.length === 0) for (const n of state.nodes.filter(takesNewTasks)) scheduled.add(n.id);
  return scheduled.size;
}

/**
 * The topology's services whose tasks do not all run yet, each as
 * "name running/expected [task@node: state (error); ...]" so that a
 * convergence timeout says what it saw. Empty when the deployment converged.
 */
export function pendingServices(state: SwarmState, topology: Topology): string[] {
  return topology.services.flatMap((service) => {
    const swarmService = state.services.find((s) => s.name === service.name);
    if (!swarmService) return [`${service.name}: no such service`];
    const tasks = state.tasks.filter((t) => t.serviceId === swarmService.id);
    const running = tasks.filter(isRunningTask).length;
    const expected = expectedTaskCount(service, tasks, state);
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
