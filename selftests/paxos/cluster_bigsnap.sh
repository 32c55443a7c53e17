#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A big snapshot crosses a lossy path intact.  Node V is cut off while the
# two others write, take a snapshot of BIGSNAP_SIZE bytes (64 MiB, the
# default snapshot_max, on Debian's kernel; 1 MiB on the debug kernel,
# where KASAN and lockdep make every datagram many times dearer)
# and trim the log past what V has.  V comes back with netem dropping
# LOSS (10%) of the packets both ways on its path: it receives the
# snapshot, and its bytes, read back through PAXOS_IOC_SNAP_READ, have the
# same SHA-256 as the sender's.  Prints the transfer's time and rate and
# the snapshot counters of every node.  The links' MTU is Ethernet's 1500:
# a 1 KiB chunk is one frame, so LOSS is the chunks' loss.
#
#   BIGSNAP_SIZE=bytes  LOSS=percent  BIGSNAP_WAIT=seconds (default 240)
#   BIGSNAP_MTU=bytes   the links' MTU (default 1500)
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT
load_module

if [ -e /sys/kernel/debug/kasan ] || grep -q '^KERNEL=debug' /kpaxos-run.conf 2>/dev/null; then
	SIZE=${BIGSNAP_SIZE:-1048576}
else
	SIZE=${BIGSNAP_SIZE:-67108864}
fi
LOSS=${LOSS:-10}
WAIT=${BIGSNAP_WAIT:-240}
MTU=${BIGSNAP_MTU:-1500}
max=$(cat /sys/module/paxos/parameters/snapshot_max)
[ "$SIZE" -le "$max" ] || fail "BIGSNAP_SIZE $SIZE above snapshot_max $max"

# ctr I NAME: counter NAME of node I.
ctr() { n "$1" paxosctl status | sed -n "s/^  $2 //p"; }
counters() {
	for i in 1 2 3; do
		echo "node $i: $(n "$i" paxosctl status |
			sed -n 's/^  \(snap_[a-z_]*\|drop_malformed\|drop_no_memory\) \([0-9]*\)$/\1 \2/p' |
			tr '\n' ' ')"
	done
}
sync_nodes() {	# NODE...: each delivered the leader's commit index ($top)
	top=$(n "$leader" plog commit)
	for i in "$@"; do
		n "$i" plog wait "$top" 30000 || fail "node $i stuck below $top"
	done
}

start_cluster 3
for i in 1 2 3; do
	n "$i" ip link set eth0 mtu "$MTU"
	ip -n pxsw link set "pxs$i" mtu "$MTU"
done
leader=$(wait_leader 30) || fail "no leader"
v=$((leader % 3 + 1))
other=$((v % 3 + 1))
[ "$other" = "$leader" ] && other=$((other % 3 + 1))
n "$leader" plog fill a 20 >/dev/null || fail "writes"
sync_nodes 1 2 3

ip -n "pxn$v" link set eth0 down
n "$leader" plog fill b 20 >/dev/null || fail "writes while node $v is cut off"
sync_nodes "$leader" "$other"
s=$top
for i in "$leader" "$other"; do
	n "$i" plog snapwrite "$s" "$SIZE" 1048576 >/dev/null ||
		fail "snapshot of $SIZE bytes on node $i"
done
want=$(n "$leader" plog snapcat "$s" | sha256sum | cut -d' ' -f1)
n "$leader" plog fill c 5 >/dev/null || fail "writes"
sync_nodes "$leader" "$other"
for i in "$leader" "$other"; do
	n "$i" paxosctl trim $((s + 1)) >/dev/null || fail "trim on node $i"
	end=$(($(date +%s) + 30))
	until [ "$(field "$i" first_index)" -gt "$s" ]; do
		[ "$(date +%s)" -le "$end" ] ||
			fail "node $i retains $(field "$i" first_index) after trim $((s + 1))"
		sleep 0.1
	done
done
echo "snapshot at $s: $SIZE bytes, sha256 $want; nodes $leader and $other trimmed past it"

# 10% of the packets lost both ways on node v's path: its own egress (its
# acknowledgements) and the bridge port's (the chunks sent to it).
n "$v" tc qdisc add dev eth0 root netem loss "$LOSS%" || fail "netem on node $v"
ip netns exec pxsw tc qdisc add dev "pxs$v" root netem loss "$LOSS%" ||
	fail "netem on the bridge port of node $v"
[ "$(field "$v" commit_index)" -lt "$s" ] || fail "node $v already at $s"
t0=$(now_ms)
ip -n "pxn$v" link set eth0 up
pw "$leader" mark || fail "write mark"
# Installing the snapshot moves node v's commit index to s at once.
end=$(($(date +%s) + WAIT))
until [ "$(field "$v" commit_index)" -ge "$s" ]; do
	[ "$(date +%s)" -le "$end" ] || {
		counters
		fail "node $v: no snapshot installed after ${WAIT}s ($(ctr "$v" snap_rx_bytes) bytes in)"
	}
	sleep 0.2
done
ms=$(($(now_ms) - t0))
[ "$ms" -gt 0 ] || ms=1
echo "node $v installed the snapshot $ms ms after its link came up," \
	"$((SIZE * 1000 / 1024 / ms)) KiB/s, with $LOSS% loss both ways (MTU $MTU)"
n "$v" tc qdisc del dev eth0 root
ip netns exec pxsw tc qdisc del dev "pxs$v" root
counters

got=$(n "$v" plog snapcat "$s" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "node $v holds snapshot bytes with sha256 $got, sent $want"
echo "node $v: sha256 of the installed bytes $got, as written"
sync_nodes 1 2 3
[ "$(field "$v" first_index)" -gt "$s" ] ||
	fail "node $v retains from $(field "$v" first_index): entries, not the snapshot"
got=$(n "$v" plog state "$top" 60000) || fail "state on node $v: $got"
case "$got" in
*" via $s") ;;
*) fail "node $v: state $got, not from snapshot $s" ;;
esac
[ "$(echo "$got" | cut -d' ' -f2)" = "$(n "$leader" plog state "$top" 60000 | cut -d' ' -f2)" ] ||
	fail "node $v: state $got differs from the leader's"
echo "node $v: state at $top from snapshot $s, the same as the leader's"
