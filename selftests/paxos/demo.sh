#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside the VM: a 3-node cluster configured with paxosctl,
# values written on every node and read back everywhere, the leader
# killed, the takeover, more commits, and a summary.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }

say "three nodes in namespaces pxn1..pxn3, 10.0.0.1-3, one bridge"
make_cluster 3
for i in 1 2 3; do
	echo "+ paxosctl node set id $i addr 10.0.0.$i port 7400; member add ...; lease set duration 1000ms drift 1000ppm; up"
	configure "$i"
done
leader=$(wait_leader 30) || fail "no leader"
say "node $leader is leader"
n "$leader" paxosctl status | head -n 12

say "writing values on every node (echo value > /dev/paxoslog)"
for i in 1 2 3; do
	for v in apple banana cherry; do
		n "$i" sh -c "printf '%s' '$v from node $i' > /dev/paxoslog"
	done
done
top=$(n "$leader" plog commit)
for i in 1 2 3; do
	n "$i" plog wait "$top" 10000
	say "paxosctl log on node $i"
	n "$i" paxosctl log
done

say "killing leader node $leader (link down, then paxosctl down)"
old=$leader
t0=$(now_ms)
ip -n "pxn$old" link set eth0 down
n "$old" paxosctl down
leader=$(wait_leader 60 "$old") || fail "no takeover"
took=$(($(now_ms) - t0))
say "node $leader took over after $took ms (the lease is 1000 ms)"
for i in 1 2 3; do
	[ "$i" = "$old" ] && continue
	n "$i" sh -c "printf '%s' 'after failover, from node $i' > /dev/paxoslog"
done
n "$leader" paxosctl log --from "$top"

say "bringing node $old back: it recovers, then catches up"
ip -n "pxn$old" link set eth0 up
n "$old" paxosctl up
top=$(n "$leader" plog commit)
n "$old" plog wait "$top" 30000
n "$old" paxosctl status | head -n 6

same_logs 1 2 3 && same=yes || same=no
say "summary"
echo "leader before: node $old, after: node $leader, takeover: $took ms"
for i in 1 2 3; do
	echo "node $i: $(wc -l </tmp/log.$i) entries, commit index $(field "$i" commit_index), state $(field "$i" state)"
done
echo "identical logs on every node: $same"
[ "$same" = yes ]
