# shellcheck shell=sh
# Runs a command in a task container's namespaces (network, mount, UTS, IPC)
# from its node (see task-container.ts). $1: the container id; the rest: the command.
id=$1; shift
if has_curl; then
  pid=$(api "http://docker/containers/$id/json" | grep -o '"Pid":[0-9]*' | cut -d: -f2)
else
  pid=$(docker inspect --format '{{.State.Pid}}' "$id")
fi
if [ -z "$pid" ] || [ "$pid" -le 0 ]; then
  echo "container $id is not running on this node" >&2
  exit 125
fi
exec nsenter -t "$pid" -n -m -u -i "$@"
