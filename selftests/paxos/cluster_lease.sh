#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=240
#
# Read barriers.  On the leader, while its lease holds, a barrier needs no
# round trip: it returns with every follower's link down.  On a follower
# it goes through the leader, and covers every write completed before it.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

LEASE=3000
start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
n "$leader" plog write warm >/dev/null
sleep 0.5
[ "$(field "$leader" lease)" = valid ] || fail "leader holds no valid lease"

for i in 1 2 3; do
	[ "$i" = "$leader" ] || ip -n "pxn$i" link set eth0 down
done
idx=$(timeout 2 /usr/sbin/ip netns exec "pxn$leader" plog barrier) ||
	fail "leader barrier needed the network"
echo "leader barrier with every follower cut off: index $idx"
for i in 1 2 3; do
	ip -n "pxn$i" link set eth0 up
done

leader=$(wait_leader 30) || fail "no leader after healing"
f=$((leader % 3 + 1))
g=$((f % 3 + 1))
[ "$g" = "$leader" ] && g=$((g % 3 + 1))
w=$(n "$f" plog write "write before barrier")
b=$(timeout 10 /usr/sbin/ip netns exec "pxn$g" plog barrier) || fail "follower barrier"
[ "$b" -ge "$w" ] || fail "barrier $b on node $g is below completed write $w"
echo "follower barrier on node $g: $b >= write $w from node $f"
