#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=400
#
# Three nodes under a write load; one follower's link flaps (down 2 s, up
# 2 s) for FLAP_SECONDS (60; a debug kernel may run it shorter).  The
# leader and the other follower stay connected, so pre-vote and
# check-quorum must keep the flapping node from deposing the leader: no
# node starts an election, no node sees the leader change, and every
# write acknowledged meanwhile is in the log, once.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap 'touch /tmp/flap.stop; [ -z "$mon" ] || kill "$mon" 2>/dev/null || true; cleanup' EXIT

FLAP_SECONDS=${FLAP_SECONDS:-60}
mon=
rm -f /tmp/flap.stop /tmp/flap.acked.* /tmp/flap.mon

# counter NAME: its sum over the three nodes.
counter() {
	s=0
	for i in 1 2 3; do
		v=$(n "$i" paxosctl status | sed -n "s/^  $1 //p")
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

# writer NODE: write until told to stop, at most 4 a second (the node
# retains the newest 1024 entries, and every write is checked in the log
# at the end); note each write acknowledged.
writer() {
	k=0
	while [ ! -e /tmp/flap.stop ]; do
		k=$((k + 1))
		v="flap-$1-$k"
		if idx=$(n "$1" timeout 30 plog write "$v" 2>/dev/null); then
			echo "$idx $v" >>"/tmp/flap.acked.$1"
		fi
		sleep 0.25
	done
}

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
pw "$leader" warm || fail "first write"
# The start is over once one node led for 3 s with no election: the
# last node to finish recovering may still have started one.
k=0
while :; do
	e0=$(counter elections)
	leader=$(wait_leader 10) || fail "no leader after the start"
	sleep 3
	[ "$(counter elections)" = "$e0" ] && [ "$(field "$leader" state)" = leader ] && break
	k=$((k + 1))
	[ "$k" -lt 10 ] || fail "the cluster never settled"
done
f=$((leader % 3 + 1))
g=$((f % 3 + 1))
[ "$g" = "$leader" ] && g=$((g % 3 + 1))
echo "leader $leader, node $f flaps, node $g stays"

# Every change of leader node $g sees (not through n(): $! is paxosctl).
ip netns exec "pxn$g" paxosctl monitor >/tmp/flap.mon &
mon=$!
k=0
until n "$g" awk '$2 == 16 && $4 != "00000000" { f = 1 } END { exit !f }' \
		/proc/net/netlink; do
	k=$((k + 1))
	[ "$k" -lt 300 ] || fail "paxosctl monitor never joined the group"
	sleep 0.1
done

[ "$(counter elections)" = "$e0" ] && [ "$(field "$leader" state)" = leader ] ||
	fail "an election before the link began to flap"
writer "$leader" &
w1=$!
writer "$g" &
w2=$!
writer "$f" &
w3=$!

t0=$(now_ms)
end=$((t0 + FLAP_SECONDS * 1000))
cycles=0
while [ "$(now_ms)" -lt "$end" ]; do
	ip -n "pxn$f" link set eth0 down
	sleep 2
	ip -n "pxn$f" link set eth0 up
	sleep 2
	cycles=$((cycles + 1))
done
took=$(($(now_ms) - t0))
# Measured as the flapping ends: what a loaded host may do later to any
# cluster is not the flapping's doing.
e1=$(counter elections)
lstate=$(field "$leader" state)
kill "$mon" 2>/dev/null || true
wait "$mon" 2>/dev/null || true
mon=
touch /tmp/flap.stop
wait "$w1" "$w2" "$w3" || true

changes=$(grep -c '^leader ' /tmp/flap.mon || true)
echo "$cycles flaps of node $f in $took ms: $((e1 - e0)) elections, $changes leader changes seen on node $g"
echo "pre-votes: $(counter prevotes) asked, $(counter prevotes_granted) granted, $(counter prevotes_refused) refused;" \
	"phase 1 refused $(counter prepare_refused) times; check-quorum step-downs $(counter checkq_stepdowns)"
acked=$(cat /tmp/flap.acked.* 2>/dev/null | wc -l)
echo "writes acknowledged: $acked"

[ "$cycles" -ge 1 ] || fail "the link never flapped"
[ "$((e1 - e0))" -eq 0 ] ||
	fail "$((e1 - e0)) elections while node $f flapped; node $g saw: $(grep '^leader ' /tmp/flap.mon)"
[ "$changes" -eq 0 ] || fail "$changes leader changes while node $f flapped: $(grep '^leader ' /tmp/flap.mon)"
[ "$lstate" = leader ] || fail "node $leader no longer leads"
[ "$acked" -gt 0 ] || fail "no write acknowledged"

# Every node delivers the same log; each acknowledged write is in it
# once, at the index its writer was told.
converge "$leader" 30 1 2 3
first=$(field "$leader" first_index)
[ "$first" -le "$(sort -n /tmp/flap.acked.* | head -n1 | cut -d' ' -f1)" ] ||
	fail "the log was trimmed to $first, below writes to check: write less"
cat /tmp/flap.acked.* | while read -r idx v; do
	c=$(grep -c " $(hex "$v")\$" "/tmp/log.$leader" || true)
	[ "$c" = 1 ] || fail "write $v acknowledged at $idx is in the log $c times"
	grep -q "^$idx [0-9]* $(hex "$v")\$" "/tmp/log.$leader" ||
		fail "write $v is not at index $idx"
done
echo "all $acked acknowledged writes are in the log of every node"
