#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=400
#
# Five nodes.  The leader is stopped three ways (its link cut, the node
# taken down, its namespace deleted).  Each time a new leader takes over no
# earlier than the lease allows and within a bound, and nothing committed
# is lost or reordered.  paxosctl monitor on a surviving node prints
# each change of leader.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

start_cluster 5
alive="1 2 3 4 5"
leader=$(wait_leader 30) || fail "no leader"

# takeover HOW: stop the leader, measure the takeover, check the logs.
takeover() {
	how=$1
	# A node that comes back may take the lead again: ask who leads now.
	leader=$(wait_leader 60) || fail "$how: no leader before the stop"
	old=$leader
	other=$(for i in $alive; do [ "$i" != "$old" ] && echo "$i" && break; done)
	n "$other" plog write "before-$how-1" "before-$how-2" >/dev/null
	n "$old" plog dump >/tmp/before
	# Not through n(): $! must be paxosctl itself (ip netns exec execs it),
	# or kill leaves it running in the namespace, which then outlives
	# "ip netns del" and keeps its node alive.
	ip netns exec "pxn$other" paxosctl monitor >"/tmp/mon.$how" &
	mon=$!
	# Listening once a generic netlink socket there joined a group.
	k=0
	until n "$other" awk '$2 == 16 && $4 != "00000000" { f = 1 } END { exit !f }' \
			/proc/net/netlink; do
		k=$((k + 1))
		[ "$k" -lt 300 ] || fail "$how: paxosctl monitor never joined the group"
		sleep 0.1
	done
	t0=$(now_ms)
	case $how in
	link) ip -n "pxn$old" link set eth0 down ;;
	down) n "$old" paxosctl down ;;
	netns) ip netns del "pxn$old"; alive=$(echo "$alive" | tr ' ' '\n' | grep -vx "$old" | tr '\n' ' ') ;;
	esac
	leader=$(wait_leader 60 "$old") || fail "$how: no new leader within 60 s"
	t1=$(now_ms)
	took=$((t1 - t0))
	echo "$how: node $old -> node $leader in ${took} ms (lease ${LEASE} ms)"
	# The monitor prints the new leader (within 10 s: a bound, not a
	# figure; the figure is printed).
	k=0
	until grep -q "^leader node $other leader $leader " "/tmp/mon.$how"; do
		k=$((k + 1))
		[ "$k" -lt 100 ] || fail "$how: monitor on $other did not print leader $leader"
		sleep 0.1
	done
	echo "$how: monitor on node $other printed it by $(($(now_ms) - t1)) ms after status showed it"
	kill "$mon" 2>/dev/null || true
	wait "$mon" 2>/dev/null || true
	# No node may lead while the lease it granted runs: at least the
	# lease minus the heartbeat that last renewed it.
	[ "$took" -ge $((LEASE - HEARTBEAT)) ] ||
		fail "$how: takeover after $took ms, before the lease allows"
	pw "$leader" "after-$how" || fail "$how: write after takeover"
	n "$leader" plog dump >/tmp/after
	# What was committed before is a prefix of the log after.
	head -n "$(wc -l </tmp/before)" /tmp/after | cmp -s - /tmp/before ||
		fail "$how: committed entries lost or reordered"
	case $how in
	link) ip -n "pxn$old" link set eth0 up ;;
	down) n "$old" paxosctl up ;;
	esac
}

takeover link
takeover down
takeover netns

# Every surviving node converges on one log.
# shellcheck disable=SC2086
converge "$leader" 30 $alive
echo "nodes $alive agree on $(wc -l </tmp/log.$leader) records"
