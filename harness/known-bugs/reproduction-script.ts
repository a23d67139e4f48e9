import { relative } from 'node:path';
import { networkCreateArgs, serviceCreateArgs, topologyLabel } from '../topology/deploy.js';
import type { Topology } from '../topology/topology.js';
import type { NodeRef, Scenario, ScenarioStep } from '../scenario/scenario.js';
import { desiredAfter, isManagerAction, managerArgs } from '../scenario/swarm-commands.js';

/**
 * A scenario as a shell script of plain docker commands, for a maintainer who does not have swarmlab: it creates
 * the topology on an existing Swarm (run on a manager), carries out each step that a manager can, stops for the
 * ones that need a node (a daemon restart, a power-off, a partition) with what to do there, waits for Swarm to
 * converge after each step and shows the load-balancer state of the node it runs on. The commands come from the
 * same builders as swarmlab's own deploy and actions.
 */

// Stands for the node a step works on, written out as "$NODE" after quoting.
const nodeVariable = '\u0000NODE';

/** A file of the scenario as the user would name it: relative to where swarmlab runs. */
const shown = (path: string) => relative(process.cwd(), path) || path;

function quote(arg: string): string {
  if (arg === nodeVariable) return '"$NODE"';
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

const command = (args: readonly string[]) => ['docker', ...args].map(quote).join(' ');

/** Shell that sets NODE to the node a step works on. */
function chooseNode(ref: NodeRef): string[] {
  if ('id' in ref) return [`NODE=$${ref.id.toUpperCase()}`];
  if ('taskOf' in ref) return [`NODE=$(task_node ${quote(ref.taskOf)})`];
  return ['# the same node as the step before ($NODE)'];
}

function nodeIds(topology: Topology): string[] {
  const { managers, workers } = topology.cluster;
  return [
    ...Array.from({ length: managers }, (_, i) => `m${i + 1}`),
    ...Array.from({ length: workers }, (_, i) => `w${i + 1}`),
  ];
}

/** What a maintainer does by hand for a step no manager command carries out. */
function byHand(step: ScenarioStep): string[] {
  const { action } = step;
  switch (action.kind) {
    case 'kill':
      return [
        `by_hand "kill the container of one running task of ${action.service}: ` +
          `on node $(task_node ${quote(action.service)}), docker kill <its container>"`,
      ];
    case 'wait':
      return [`sleep ${action.seconds}`];
    case 'restart-daemon':
      return ['by_hand "restart the Docker daemon of node $NODE (systemctl restart docker there)"'];
    case 'stop-node':
      return ['by_hand "power off node $NODE (or stop its Docker daemon and containerd)"'];
    case 'start-node':
      return ['by_hand "power node $NODE on again (or start its Docker daemon)"'];
    case 'partition':
      return [
        `by_hand "cut node $NODE off from the other nodes for ${action.seconds} s, then heal: on $NODE, for each other node's address A: ` +
          `iptables -I INPUT -s A -j DROP; iptables -I OUTPUT -d A -j DROP; after ${action.seconds} s delete those rules"`,
      ];
    case 'netem': {
      const delay = action.delayMs ? ` delay ${action.delayMs}ms` : '';
      const loss = action.lossPercent ? ` loss ${action.lossPercent}%` : '';
      return [
        `by_hand "on node $NODE, for ${action.seconds} s: tc qdisc add dev <its underlay interface> root netem${delay}${loss}; ` +
          'then tc qdisc del dev <it> root"',
      ];
    }
    default:
      return [];
  }
}

const prelude = `set -eu
# Services with no image of their own ran swarmlab's probe (an HTTP server on port 80 that answers with its task's
# name); any HTTP server on port 80 does here.
IMAGE=\${IMAGE:-nginx:alpine}

task_node() { docker service ps --filter desired-state=running --format '{{.Node}}' "$1" | head -n 1; }

# Every service runs as many tasks as it asks for (2 minutes at most).
wait_converged() {
  i=0
  until docker service ls --format '{{.Replicas}}' | awk -F'[/ ]' '$1 != $2 { bad = 1 } END { exit bad }'; do
    i=$((i + 1))
    if [ "$i" -ge 120 ]; then echo "Swarm did not converge in 120 s:" >&2; docker service ls >&2; exit 1; fi
    sleep 1
  done
}

# What to do on a node by hand; waits for Enter (or 30 s without a terminal).
by_hand() {
  echo ">>> $1" >&2
  if [ -t 0 ]; then printf 'press Enter when done ' >&2; read -r _; else sleep 30; fi
}

# The load-balancer state of this node: per namespace, the MARK rules and IPVS services (needs root, nsenter and
# ipvsadm); and the services' VIPs as the managers see them.
show() {
  docker service inspect --format '{{.Spec.Name}} {{.Endpoint.Spec.Mode}} {{range .Endpoint.VirtualIPs}}{{.Addr}} {{end}}' \\
    $(docker service ls -q --filter label=${topologyLabel}) 2>/dev/null || true
  for ns in /var/run/docker/netns/lb_* /var/run/docker/netns/ingress_sbox; do
    [ -e "$ns" ] || continue
    echo "== $(hostname) $(basename "$ns")"
    nsenter --net="$ns" iptables-save -t mangle | grep -e MARK || true
    nsenter --net="$ns" ipvsadm -Ln 2>/dev/null || echo "(no ipvsadm)"
  done
}

clean() {
  docker service rm $(docker service ls -q --filter label=${topologyLabel}) 2>/dev/null || true
  sleep 5
  docker network rm $(docker network ls -q --filter label=${topologyLabel}) 2>/dev/null || true
}

case \${1:-run} in
  show) show; exit 0 ;;
  clean) clean; exit 0 ;;
  run) ;;
  *) echo "usage: $0 [run|show|clean]" >&2; exit 2 ;;
esac
`;

export function reproductionScript(scenario: Scenario, heading: readonly string[]): string {
  const { topology } = scenario;
  const ids = nodeIds(topology);
  const named = new Set(
    scenario.steps.flatMap((s) => ('node' in s.action && 'id' in s.action.node ? [s.action.node.id] : [])),
  );
  const lines = [
    '#!/bin/sh',
    ...heading.map((h) => `# ${h}`),
    `# Run on a manager of a Swarm of ${topology.cluster.managers} manager(s) and ${topology.cluster.workers} worker(s):`,
    "#   sh reproduce.sh          create the topology and carry out the steps, showing this node's state after each",
    '#   sh reproduce.sh show     the load-balancer state of the node it runs on (run it on every node)',
    '#   sh reproduce.sh clean    remove what it created',
    prelude,
    ...[...named].map((id) => {
      const role = ids.indexOf(id) < topology.cluster.managers ? 'a manager' : 'a worker';
      return `: "\${${id.toUpperCase()}:?set ${id.toUpperCase()} to the hostname of node ${id} (${role})}"`;
    }),
    `# The topology: ${shown(topology.source)}`,
    ...topology.networks.map((n) => command(networkCreateArgs(topology, n))),
    ...topology.services.map((s) =>
      command(serviceCreateArgs(topology, s, s.image ?? '$IMAGE')).replace(`'$IMAGE'`, '"$IMAGE"'),
    ),
    'wait_converged',
    'echo "== deployed"; show',
  ];
  let topologies = { desired: topology, deployed: topology };
  for (const step of scenario.steps) {
    lines.push('', `# step ${step.index}: ${step.name} (${shown(step.at)})`);
    if (step.traffic)
      lines.push(`# (swarmlab sent requests from a ${step.traffic.from} task to ${step.traffic.to} during this step)`);
    if ('node' in step.action) lines.push(...chooseNode(step.action.node));
    const { action } = step;
    if (isManagerAction(action)) {
      const args = managerArgs(action, topologies, (s) => s.image ?? '$IMAGE', nodeVariable);
      lines.push(command(args).replace(`'$IMAGE'`, '"$IMAGE"'));
    } else lines.push(...byHand(step));
    topologies = { ...topologies, desired: desiredAfter(action, topologies) };
    lines.push('wait_converged', `echo "== after step ${step.index}"; show`);
  }
  return `${lines.join('\n')}\n`;
}
