# shellcheck shell=sh
# The managers' state: nodes, services and tasks as JSON, one section each (see swarm-state.ts).
if has_curl; then
  # One curl for three calls: Docker answers each with one line of JSON, in URL order.
  api http://docker/nodes http://docker/services http://docker/tasks |
    awk 'NR == 1 { print "=== nodes" } NR == 2 { print "=== services" } NR == 3 { print "=== tasks" } { print }'
else
  # The CLI's inspect output has the same shapes as the API's lists.
  # Word splitting on purpose below: one id per word.
  echo "=== nodes"
  # shellcheck disable=SC2046
  docker node inspect $(docker node ls -q)
  s=$(docker service ls -q)
  echo "=== services"
  # shellcheck disable=SC2086
  if [ -n "$s" ]; then docker service inspect $s; else echo '[]'; fi
  # shellcheck disable=SC2086
  t=$(docker service ps -q $s 2>/dev/null)
  echo "=== tasks"
  # shellcheck disable=SC2086
  if [ -n "$t" ]; then docker inspect $t; else echo '[]'; fi
fi
