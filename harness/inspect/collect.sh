# shellcheck shell=sh
# What `swarmlab logs` reads in a node beyond single commands (see
# collect-logs.ts). $1: what to print:
#   service-ps       docker service ps of every service (a manager's view)
#   network-inspect  docker network inspect --verbose of every overlay network
#   ipvs NETNS_PATH  the IPVS table in that namespace (ipvsadm, else the kernel's own listing)
case $1 in
  service-ps)
    for s in $(docker service ls -q); do docker service ps --no-trunc "$s"; done
    ;;
  network-inspect)
    for n in $(docker network ls -q --filter driver=overlay); do docker network inspect --verbose "$n"; done
    ;;
  ipvs)
    nsenter --net="$2" ipvsadm -Ln 2>/dev/null || nsenter --net="$2" cat /proc/net/ip_vs
    ;;
  *)
    echo "collect.sh: unknown request '$1'" >&2
    exit 2
    ;;
esac
