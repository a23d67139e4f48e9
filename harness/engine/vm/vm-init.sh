#!/bin/sh
# PID 1 of the swarmlab VM. No systemd: the VM exists only to give Docker a
# kernel with IPVS, so init mounts what dockerd needs, loads the kernel modules
# that Swarm's load balancer and overlay networks use, configures QEMU's user
# network, starts dockerd and then reaps orphans for the rest of the VM's life.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "swarmlab-init: $*" > /dev/console; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /run/lock
say "mounted"

# ip_vs and friends are what the host kernel lacks; the rest make overlay
# networks, MARK rules and veth pairs work without on-demand module loading.
for module in ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh vxlan overlay br_netfilter xt_mark xt_ipvs nf_conntrack \
  iptable_mangle iptable_nat iptable_filter ip6table_filter ip6table_nat xt_conntrack xt_MASQUERADE xt_addrtype \
  xt_nat xt_tcpudp veth bridge virtio_net; do
  modprobe "$module" 2>/dev/null || say "modprobe $module failed"
done
say "modules loaded"

hostname swarmlab-vm
ip link set lo up
# The NIC name depends on the PCI slot (enp0s2 on q35), so take the first non-lo.
nic=
for n in /sys/class/net/*; do
  [ "${n##*/}" = lo ] || { nic=${n##*/}; break; }
done
ip link set "$nic" up
ip addr add 10.0.2.15/24 dev "$nic"
ip route add default via 10.0.2.2
echo "nameserver 10.0.2.3" > /etc/resolv.conf
echo 1 > /proc/sys/net/ipv4/ip_forward
say "network up on $nic"

# The API is plain TCP inside the VM; QEMU forwards it from 127.0.0.1 only on
# the host. --tls=false says so and skips dockerd's deliberate 15 s slow start.
# The VM's containers are the Swarm nodes, not the system under test: they run
# with crun, whose exec under emulation is a third of runc's (every check and
# deploy step is an exec). The nodes' own engines keep runc.
dockerd -H tcp://0.0.0.0:2375 -H unix:///var/run/docker.sock --tls=false \
  --add-runtime crun=/usr/bin/crun --default-runtime crun > /dev/console 2>&1 &
say "dockerd started"

trap '' TERM INT
while :; do wait; sleep 1; done
