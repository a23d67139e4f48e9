# shellcheck shell=sh
# Faults on a node's underlay (the network the nodes reach each other on),
# run in the node's own namespace (see scenario/actions.ts).
#   partition ADDRESS...        drop every packet to and from those nodes
#   heal-partition              remove that
#   netem ADDRESS DELAY LOSS    delay (e.g. 100ms) and loss (e.g. 5%) on the interface holding ADDRESS
#   heal-netem ADDRESS          remove that
set -e
# One at a time per node: a heal that Ctrl-C starts while the cut still runs (its chain made, its jumps not yet;
# stopping our wait does not stop the exec in the node) waits for the cut to end, so nothing is added after it.
exec 9>/run/swarmlab-underlay.lock
flock 9
chain=SWARMLAB-PARTITION
underlay_device() {
  ip -o -4 addr show | awk -v a="$1" '{ split($4, p, "/"); if (p[1] == a) { print $2; exit } }'
}
case $1 in
  partition)
    shift
    iptables -N "$chain"
    for peer in "$@"; do
      iptables -A "$chain" -s "$peer" -j DROP
      iptables -A "$chain" -d "$peer" -j DROP
    done
    iptables -I INPUT 1 -j "$chain"
    iptables -I OUTPUT 1 -j "$chain"
    ;;
  heal-partition)
    # Each part may be missing when the cut failed half-way: remove what is there.
    iptables -D INPUT -j "$chain" 2>/dev/null || :
    iptables -D OUTPUT -j "$chain" 2>/dev/null || :
    iptables -F "$chain" 2>/dev/null || :
    iptables -X "$chain" 2>/dev/null || :
    ;;
  netem)
    dev=$(underlay_device "$2")
    [ -n "$dev" ] || { echo "no interface holds $2" >&2; exit 1; }
    set -- "$dev" "$3" "$4"
    if [ "$2" = 0ms ]; then tc qdisc add dev "$1" root netem loss "$3"
    elif [ "$3" = 0% ]; then tc qdisc add dev "$1" root netem delay "$2"
    else tc qdisc add dev "$1" root netem delay "$2" loss "$3"
    fi
    ;;
  heal-netem)
    dev=$(underlay_device "$2")
    [ -z "$dev" ] || tc qdisc del dev "$dev" root 2>/dev/null || :
    ;;
  *)
    echo "underlay.sh: unknown request '$1'" >&2
    exit 2
    ;;
esac
