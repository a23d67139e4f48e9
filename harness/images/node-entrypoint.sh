#!/bin/sh
# Entry point of a swarmlab node image: a Docker engine inside a privileged
# container (docker-in-docker). On cgroup v2 the container's own processes
# must leave the root cgroup before controllers can be delegated to the
# cgroups dockerd creates for its tasks (the "no internal processes" rule).
set -e
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/swarmlab-init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/swarmlab-init/cgroup.procs 2>/dev/null || :
  controllers=$(sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers)
  if ! echo "$controllers" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
    # A node started again (swarmlab's start-node) keeps its cgroup tree, and the kernel answers EBUSY:
    # the controllers were delegated by its first start.
    # (cgroup files report a size of 0: read the content, not the size.)
    if [ -z "$(cat /sys/fs/cgroup/cgroup.subtree_control)" ]; then
      echo "swarmlab: cannot delegate the cgroup controllers ($controllers)" >&2
      exit 1
    fi
  fi
fi
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
