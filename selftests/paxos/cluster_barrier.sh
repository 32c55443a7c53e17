#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=300
#
# Read barriers racing blocking writes: THREADS threads on each of three
# nodes alternate a blocking write to /dev/paxoslog and PAXOS_IOC_BARRIER
# for DURATION seconds.  Every operation must succeed, and every barrier's
# index must be at or above the index of every write, on any node, that
# returned before the barrier was taken (the namespaces of one machine
# share CLOCK_MONOTONIC).  24 threads are more than the engine's 16
# outstanding barriers, so callers also wait for room.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

THREADS=${THREADS:-24}
DURATION=${DURATION:-20}

start_cluster 3
leader=$(wait_leader 30) || fail "no leader within 30 s"
echo "leader: node $leader"
# Followers learn the leader from its heartbeats: wait for all to know it.
end=$(($(date +%s) + 30))
for i in 1 2 3; do
	until [ "$(field "$i" leader)" = "$leader" ]; do
		[ "$(date +%s)" -le "$end" ] || fail "node $i does not follow node $leader"
		sleep 0.1
	done
done

pids=
for i in 1 2 3; do
	n "$i" pxbarrier run "$i" "$THREADS" "$DURATION" "/tmp/barrier.$i" &
	pids="$pids $!"
done
rc=0
for p in $pids; do
	wait "$p" || rc=1
done
[ "$rc" = 0 ] || fail "a pxbarrier run failed"
pxbarrier check /tmp/barrier.1 /tmp/barrier.2 /tmp/barrier.3 ||
	fail "barriers failed or fell below earlier writes"
