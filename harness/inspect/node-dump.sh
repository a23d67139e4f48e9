# shellcheck shell=sh
# Everything the dataplane checks need from one node, in one exec (see node-dump.ts).
# $1: the directory of Docker's network namespaces.
# Every process costs about 0.1 s under emulation (curl 0.3 s), so the script
# forks as little as it can: one curl per round of API calls, shell globs
# instead of ls, one nsenter per namespace, builtins (read) for files.
netns_dir=$1
withhold_keys='s/^([[:space:]]+(aead|enc|auth|auth-trunc|comp) [^ ]+) 0x[0-9a-f]+/\1 (key withheld)/'
if has_curl; then
  # The version comes from the Server header of the network list: /version asks containerd and runs runc, which
  # costs half a second under emulation. Docker answers each call with one line of JSON; curl prints them in URL order.
  api -D - 'http://docker/networks?filters=%7B%22driver%22%3A%5B%22overlay%22%5D%7D' | {
    cr=$(printf '\r') version=
    while IFS= read -r line && [ "$line" != "$cr" ] && [ -n "$line" ]; do
      case $line in "Server: Docker/"*) version=${line#Server: Docker/} version=${version%% *} ;; esac
    done
    read -r list
    # An encrypted overlay: the IPsec state Docker programs between this node and its peers (see xfrm.ts).
    # The SAs' keys are withheld: dumps end up in CI artifacts and bundles.
    case $list in *'"encrypted"'*) echo "=== xfrm-state"; ip -s xfrm state 2>&1 | sed -E "$withhold_keys"
      echo "=== xfrm-policy"; ip xfrm policy 2>&1 ;; esac
    # Without the header (a proxy in between), /version's JSON.
    [ -n "$version" ] || version=$(api http://docker/version)
    echo "=== version"; echo "$version"
    # Each network's id, by parameter expansion (no process): a verbose inspect URL per id.
    urls=
    while :; do
      case $list in
        *'"Id":"'*) list=${list#*'"Id":"'}; urls="$urls http://docker/networks/${list%%'"'*}?verbose=true" ;;
        *) break ;;
      esac
    done
    # Word splitting on purpose: one URL per word.
    # shellcheck disable=SC2086
    if [ -n "$urls" ]; then api $urls | awk '{ print "=== network"; print }'; fi
  }
else
  echo "=== version"; docker version --format '{{.Server.Version}}'
  ids=$(docker network ls -q --filter driver=overlay)
  # shellcheck disable=SC2086
  if [ -n "$ids" ]; then echo "=== network all"; docker network inspect --verbose $ids; fi
  echo "=== xfrm-state"; ip -s xfrm state 2>&1 | sed -E "$withhold_keys"; echo "=== xfrm-policy"; ip xfrm policy 2>&1
fi
# The kernel the node runs on (a bundle for an upstream report names it), by a builtin read.
k=; { read -r k < /proc/sys/kernel/osrelease; } 2>/dev/null; echo "=== kernel"; echo "$k"
# The node's own rules: the host side of the routing mesh (DOCKER-INGRESS in nat and filter).
echo "=== host-iptables"; iptables-save 2>&1
set -- "$netns_dir"/lb_*
if [ -e "$1" ]; then lbs=1; else lbs=0; fi
for p in "$netns_dir"/*; do
  [ -e "$p" ] || continue
  ns=${p##*/}
  echo "=== netns $ns"
  case "$ns" in
    [0-9]-*) continue ;;
    lb_*|ingress_sbox) ;;
    # Container sandboxes hold VIP state only on engines without lb_ namespaces (before 18.09).
    *) [ "$lbs" -eq 1 ] && continue ;;
  esac
  # The namespace's name reaches the inner script as its $1.
  # shellcheck disable=SC2016
  nsenter --net="$p" sh -c 'echo "=== iptables $1"; iptables-save 2>&1
    echo "=== ipvs $1"; if command -v ipvsadm >/dev/null 2>&1; then ipvsadm -Ln; else cat /proc/net/ip_vs; fi
    echo "=== sysctl $1"; for f in conn_reuse_mode expire_nodest_conn expire_quiescent_template; do
      # read returns 1 on these files (no newline after a 1-byte read) yet sets v.
      v=; { read -r v < /proc/sys/net/ipv4/vs/$f; } 2>/dev/null; [ -n "$v" ] && echo "$f:$v"; done
    echo "=== addr $1"; ip -o -4 addr show
    echo "=== route $1"; ip -4 route show' sh "$ns" 2>&1
done
if [ "$lbs" -eq 0 ]; then
  cids=$(docker ps -q)
  echo "=== containers"
  # if, not &&: a node without containers must not make the script exit 1.
  # shellcheck disable=SC2086
  if [ -n "$cids" ]; then docker inspect --format '{{.Id}} {{.NetworkSettings.SandboxKey}} {{index .Config.Labels "com.docker.swarm.task.id"}} {{index .Config.Labels "com.docker.swarm.service.name"}}' $cids; fi
fi
