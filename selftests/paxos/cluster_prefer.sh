#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=300
#
# The preferred leader, set on a running cluster.  Three nodes, a writer
# on each.  `paxosctl lease set preferred T` on every node while up (T a
# follower): the leader hands over to T (the time from the command to T
# leading is printed).  T taken down: the others elect one leader and then
# no more elections while T stays down (none counted over 10 election
# timeouts, a back-off included).  T back up: it is handed the leadership
# again.  Every write a writer saw acknowledged is in the log once, at the
# index it was given; the lease duration stays down-only, with its reason.
set -e
cd "$(dirname "$0")"
. ./lib.sh
W=/tmp/prefer
restore() {
	rc=$?
	stop_writers "$W"
	cleanup
	exit $rc
}
trap restore EXIT
rm -rf "$W"
mkdir -p "$W"

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"

# A writer through each node (lib.sh, start_writers).
start_writers "$W" pref 1 2 3
for i in 1 2 3; do
	k=0
	until [ -s "$W/acked.$i" ]; do
		k=$((k + 1))
		[ "$k" -lt 300 ] || fail "writer on node $i: nothing acknowledged"
		sleep 0.1
	done
done

ctr() { n "$1" paxosctl status | sed -n "s/^ *$2 //p"; }
# elections EXCEPT: elections counted on every node but EXCEPT.
elections() {
	s=0
	for i in 1 2 3; do
		[ "$i" = "$1" ] && continue
		v=$(ctr "$i" elections)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
# leads NODE SECONDS: wait until NODE leads.
leads() {
	k=0
	until [ "$(field "$1" state)" = leader ]; do
		k=$((k + 1))
		[ "$k" -lt $(($2 * 50)) ] || return 1
		sleep 0.02
	done
}

# Duration and drift stay down-only; the refusal says what changes.
msg=$(n "$leader" paxosctl lease set duration 900ms 2>&1) &&
	fail "lease duration changed while up"
echo "$msg" | grep -q "only the preferred leader" || fail "duration: $msg"

# The followers first, then the leader, whose command starts the clock:
# on a loaded host each paxosctl takes a while.
target=$((leader % 3 + 1))
before=$(ctr "$leader" transfers)
for i in 1 2 3; do
	[ "$i" = "$leader" ] && continue
	n "$i" paxosctl lease set preferred "$target" ||
		fail "preferred $target refused on node $i"
done
t0=$(now_ms)
n "$leader" paxosctl lease set preferred "$target" ||
	fail "preferred $target refused on node $leader"
leads "$target" 30 || fail "node $target preferred, does not lead"
took=$(($(now_ms) - t0))
[ "$(field "$leader" state)" != leader ] || fail "node $leader still leads"
[ "$(ctr "$leader" transfers)" -gt "$before" ] ||
	fail "node $leader did not count the handover"
n "$target" paxosctl lease show | grep -q "preferred $target\$" ||
	fail "lease show: $(n "$target" paxosctl lease show)"
echo "preferred: node $leader -> node $target in $took ms after the command on the leader (election ${ELECTION} ms, lease ${LEASE} ms)"

# The preferred node down: one takeover after its lease, then quiet.
others=$(for i in 1 2 3; do [ "$i" = "$target" ] || echo "$i"; done)
e0=$(elections "$target")
t0=$(now_ms)
n "$target" paxosctl down
new=$(wait_leader 60 "$target") || fail "no leader after node $target went down"
echo "takeover: node $target down -> node $new in $(($(now_ms) - t0)) ms"
# Settled: the other node follows the new leader.
k=0
for i in $others; do
	until [ "$(field "$i" leader)" = "$new" ]; do
		k=$((k + 1))
		[ "$k" -lt 500 ] || fail "node $i does not follow node $new"
		sleep 0.02
	done
done
e1=$(elections "$target")
# Absence over a window: 10 election timeouts, the back-off after a
# hand-over (nothing may be handed to a node that is down meanwhile).
t1=$(now_ms)
until [ $(($(now_ms) - t1)) -ge $((10 * ELECTION + 500)) ]; do
	sleep 0.2
done
e2=$(elections "$target")
echo "preferred node $target down: $((e1 - e0)) election(s) to replace it, $((e2 - e1)) in the $(($(now_ms) - t1)) ms after"
[ "$e2" = "$e1" ] || fail "$((e2 - e1)) elections with node $target down"
[ "$(field "$new" state)" = leader ] || fail "node $new lost the lead"

# Back up: it recovers, catches up and is handed the leadership.
t0=$(now_ms)
n "$target" paxosctl up
leads "$target" 60 || fail "node $target back, preferred, does not lead"
echo "preferred node $target back up: leads again in $(($(now_ms) - t0)) ms; $(($(elections "$target") - e2)) election(s) on the others meanwhile"
stop_writers "$W"

# Every acknowledged write is in the log once, at its index.
acked_in_log "$target" "$W" pref
