#!/bin/sh
# Entry point of a swarmlab node image: a Docker engine inside a privileged
# container (docker-in-docker). On cgroup v2 the container's own processes
# must leave the root cgroup before controllers can be delegated to the
# cgroups dockerd creates for its tasks (the "no internal processes" rule).
set -e
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/swarmlab-init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/swarmlab-init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control
fi
# Network namespaces are bind-mounted under /var/run/docker/netns; shared
# propagation keeps them visible to nsenter from docker exec.
mount --make-rshared / 2>/dev/null || :
exec dockerd -H unix:///var/run/docker.sock --tls=false "$@"
