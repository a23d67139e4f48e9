#!/bin/sh
# Entry point of a swarmlab node image: a Docker engine inside a privileged
# container (docker-in-docker). On cgroup v2 the container's own processes
# must leave the root cgroup before controllers can be delegated to the
# cgroups dockerd creates for its tasks (the "no internal processes" rule).
set -e
cg=/sys/fs/cgroup
if [ -f $cg/cgroup.controllers ]; then
  mkdir -p $cg/swarmlab-init
  controllers=$(sed -e 's/ / +/g' -e 's/^/+/' < $cg/cgroup.controllers)
  # A process that enters the root cgroup between the move and the write (a `docker exec` that arrives
  # while the node starts: swarmlab's start-node polls the daemon at once) makes the kernel refuse the
  # delegation with EBUSY: move everyone again and retry, for up to 10 s.
  tries=0
  xargs -rn1 < $cg/cgroup.procs > $cg/swarmlab-init/cgroup.procs 2>/dev/null || :
  until [ -n "$(cat $cg/cgroup.subtree_control)" ]; do
    why=$( { echo "$controllers" > $cg/cgroup.subtree_control; } 2>&1) && break
    tries=$((tries + 1))
    if [ "$tries" -ge 50 ]; then
      echo "swarmlab: cannot delegate the cgroup controllers ($controllers): $why" >&2
      echo "swarmlab: still in the root cgroup: $(tr '\n' ' ' < $cg/cgroup.procs)" >&2
      exit 1
    fi
    sleep 0.2
    xargs -rn1 < $cg/cgroup.procs > $cg/swarmlab-init/cgroup.procs 2>/dev/null || :
  done
  [ "$tries" = 0 ] || echo "swarmlab: cgroup controllers delegated after $tries refusals ($why)" >&2
fi
# A node started again keeps its file system: a pid file of the daemon killed with the node would make
# dockerd refuse to start ("process with PID N is still running": another process has that pid now).
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
# Network namespaces are bind-mounted under /var/run/docker/netns; shared
# propagation keeps them visible to nsenter from docker exec.
mount --make-rshared / 2>/dev/null || :
# dockerd runs as this shell's child, not in its place, so that its restart
# (SIGHUP to this process, swarmlab's restartDaemon) ends the daemon alone, as
# `systemctl restart docker` does on a host: the node, its network namespace
# and its address stay. SIGTERM (docker stop) stops dockerd and then the node.
restart=0
daemon=
attempt=1
trap 'restart=1; kill -TERM "$daemon" 2>/dev/null || :' HUP
trap 'kill -TERM "$daemon" 2>/dev/null || :; wait "$daemon" || :; exit 0' TERM INT
while :; do
  started=$(date +%s)
  dockerd -H unix:///var/run/docker.sock --tls=false "$@" &
  daemon=$!
  # A trapped signal ends `wait` early: wait again until dockerd has really exited.
  status=0
  wait "$daemon" || status=$?
  while kill -0 "$daemon" 2>/dev/null; do
    status=0
    wait "$daemon" || status=$?
  done
  if [ "$restart" = 1 ]; then
    restart=0
    echo "swarmlab: dockerd exited ($status) for a restart; starting it again" >&2
    continue
  fi
  # Under emulation, with several nodes starting at once, dockerd can give up on its own containerd
  # ("timeout waiting for containerd to start"). A failure within its first 90 s is retried twice,
  # in the open; a daemon that fails later, or a third time, ends the node.
  if [ "$status" -ne 0 ] && [ $(($(date +%s) - started)) -lt 90 ] && [ "$attempt" -lt 3 ]; then
    attempt=$((attempt + 1))
    echo "swarmlab: dockerd failed during start-up ($status); starting it again (attempt $attempt of 3)" >&2
    continue
  fi
  exit "$status"
done
