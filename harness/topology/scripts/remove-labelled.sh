# shellcheck shell=sh
# Removes the Swarm services, or the networks, that match a label filter.
# For networks it then prints those still listed: Swarm removes a network
# asynchronously, so `rm` can succeed while the name is still taken.
# $1: services or networks; $2: a docker --filter value (label=KEY=VALUE).
kind=$1
filter=$2
case $kind in
  services)
    ids=$(docker service ls -q --filter "$filter")
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086 # one service id per word
      docker service rm $ids >/dev/null
    fi
    ;;
  networks)
    ids=$(docker network ls -q --filter "$filter")
    if [ -n "$ids" ]; then
      # A network whose tasks are still leaving refuses removal now and is retried by the caller.
      # shellcheck disable=SC2086 # one network id per word
      docker network rm $ids >/dev/null 2>&1 || :
    fi
    docker network ls --format '{{.Name}}' --filter "$filter"
    ;;
  *)
    echo "remove-labelled.sh: expected services or networks, got '$kind'" >&2
    exit 2
    ;;
esac
