#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make soak`, inside the VM (not part of make check): a 3-node cluster
# under a steady pxkv write load for SOAK_SECONDS (default 600), each
# pxkvd snapshotting every SOAK_SNAP (100) entries and the log trimmed
# through the snapshots; every SOAK_RESTART (120) seconds one follower is
# restarted with its memory wiped, so that snapshots also cross the
# network.  Prints the kernel's slab and vmalloc use, and the module's
# own, at the start, every minute and at the end; fails if the nodes
# disagree at the end.  Memory is measured with the load stopped and the
# daemons still up, after the same settling time at both ends.
set -e
cd "$(dirname "$0")"
. ./lib.sh
PATH=$(cd ../../tools/pxkv && pwd):$PATH
SECONDS_TOTAL=${SOAK_SECONDS:-600}
SNAP=${SOAK_SNAP:-100}
RESTART=${SOAK_RESTART:-120}
pids=""
stop_all() {
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null || true
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	cleanup
}
trap stop_all EXIT
daemon() {	# I: pxkvd in node I's namespace, its pid in pxkvd_I
	ip netns exec "pxn$1" pxkvd -s "/tmp/pxkv.$1.sock" -n "$SNAP" -v \
		2>>"/tmp/pxkvd.$1.log" &
	pids="$pids $!"
	eval "pxkvd_$1=\$!"
}
kvq() { i=$1; shift; n "$i" pxkv -s "/tmp/pxkv.$i.sock" -t 60 "$@"; }

# kB in /proc/meminfo of FIELD.
mi() { sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo; }
# Bytes of vmalloc areas the module (paxos) allocated, and their count.
pxvm() {
	awk '/\[paxos\]|paxos/ { n++; s += $2 } END { printf "%d kB in %d areas", s / 1024, n }' \
		/proc/vmallocinfo 2>/dev/null
}
# The module's own figure: retained bytes per node if status shows them.
retained() {
	for i in 1 2 3; do
		r=$(n "$i" paxosctl status | sed -n 's/^\(retain[a-z_]*\): /\1 /p' | tr '\n' ' ')
		printf 'node %s: first %s commit %s %s\n' "$i" \
			"$(field "$i" first_index)" "$(field "$i" commit_index)" \
			"${r:-(status shows no retained bytes)}"
	done
}
# The largest slab caches by memory, kB.
topslab() {
	awk 'NR > 2 { printf "%s %d\n", $1, $3 * $4 / 1024 }' /proc/slabinfo |
		sort -k2 -n -r | head -n 6 | tr '\n' ' '
}
report() {	# LABEL
	echo "== memory, $1 (uptime $(cut -d' ' -f1 /proc/uptime) s)"
	echo "Slab $(mi Slab) kB, SUnreclaim $(mi SUnreclaim) kB, SReclaimable $(mi SReclaimable) kB"
	echo "VmallocUsed $(mi VmallocUsed) kB; paxos vmalloc: $(pxvm)"
	echo "MemFree $(mi MemFree) kB, MemAvailable $(mi MemAvailable) kB"
	echo "largest slab caches (kB): $(topslab)"
	retained
	for i in 1 2 3; do
		echo "node $i: $(n "$i" paxosctl status |
			sed -n 's/^  \(commits\|snap_[a-z_]*\) \([0-9]*\)$/\1 \2/p' | tr '\n' ' ')"
	done
}
settle() {	# wait for the three digests to agree, then a little more
	end=$(($(date +%s) + 120))
	until [ "$(kvq 1 hash)" = "$(kvq 2 hash)" ] &&
	      [ "$(kvq 2 hash)" = "$(kvq 3 hash)" ]; do
		[ "$(date +%s)" -le "$end" ] || fail "digests differ after the load"
		sleep 1
	done
	sleep 5
	echo 3 >/proc/sys/vm/drop_caches
}
# trim_all: each node's log trimmed through its daemon's last snapshot.
trim_all() {
	for i in 1 2 3; do
		s=$(sed -n 's/^pxkvd: snapshot at \([0-9]*\):.*/\1/p' "/tmp/pxkvd.$i.log" | tail -n 1)
		if [ -n "$s" ]; then
			n "$i" paxosctl trim $((s + 1)) >/dev/null 2>&1 || true
		fi
	done
}
# writer I: puts on node I until the load ends; a count in /tmp/ops.I.
writer() {
	c=0
	while [ ! -e /tmp/soak.stop ]; do
		c=$((c + 1))
		kvq "$1" put "k$1-$((c % 300))" "value $c of writer $1, padded to some length ......" \
			>/dev/null 2>&1 || true
		echo "$c" >"/tmp/ops.$1"
	done
}

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
for i in 1 2 3; do
	daemon "$i"
done
for i in 1 2 3; do
	kvq "$i" hash >/dev/null || fail "pxkvd on node $i does not answer"
done
settle
report "start (3 nodes up, pxkvd on each, no load yet)"

rm -f /tmp/soak.stop
for i in 1 2 3; do
	writer "$i" &
	pids="$pids $!"
done
t0=$(date +%s)
next_restart=$((t0 + RESTART))
next_report=$((t0 + 60))
victim=0
while [ $(($(date +%s) - t0)) -lt "$SECONDS_TOTAL" ]; do
	sleep 5
	trim_all
	now=$(date +%s)
	if [ "$now" -ge "$next_restart" ]; then
		next_restart=$((now + RESTART))
		leader=$(wait_leader 30) || fail "no leader"
		victim=$((victim % 3 + 1))
		[ "$victim" = "$leader" ] && victim=$((victim % 3 + 1))
		pid=$(eval "echo \$pxkvd_$victim")
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		n "$victim" paxosctl down
		sleep 2
		n "$victim" paxosctl up
		daemon "$victim"
		echo "[$((now - t0)) s] node $victim restarted with its memory wiped"
	fi
	if [ "$now" -ge "$next_report" ]; then
		next_report=$((now + 60))
		echo "[$((now - t0)) s] writes $(cat /tmp/ops.1 /tmp/ops.2 /tmp/ops.3 2>/dev/null | tr '\n' ' ')" \
			"Slab $(mi Slab) kB SUnreclaim $(mi SUnreclaim) kB VmallocUsed $(mi VmallocUsed) kB paxos vmalloc $(pxvm)"
	fi
done
touch /tmp/soak.stop
sleep 3
ops=$(cat /tmp/ops.1 /tmp/ops.2 /tmp/ops.3 | awk '{ s += $1 } END { print s }')
echo "load stopped after $(($(date +%s) - t0)) s: $ops writes"
trim_all
settle
report "end (load stopped, same settling as at the start)"
for i in 1 2 3; do
	kvq "$i" dump >"/tmp/dump.$i"
done
if ! cmp -s /tmp/dump.1 /tmp/dump.2 || ! cmp -s /tmp/dump.2 /tmp/dump.3; then
	fail "the nodes' dumps differ"
fi
echo "the three nodes agree: $(kvq 1 hash)"
