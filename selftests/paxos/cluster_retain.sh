#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=600
#
# Retention, stated and enforced.  (a) Strict retention and a 64 KiB bound
# on the retained log (paxosctl log set retain 64KiB): 1000-byte writes go
# until the values no snapshot covers fill it, then write() and PROPOSE
# fail with ENOSPC, the log_full counter counts them and the events group
# says "full"; no node ever holds more than the bound.  Once every node
# snapshots, the events group says "room" and writes go again.
# (b) Without strict retention the bound drops the oldest entries, even
# those a node that is down lacks, and counts them (evicted).  That node,
# restarted with strict retention, lacks what every member dropped with no
# snapshot for it: it says "behind" in paxosctl status and the events
# group, its readers and barriers get ENODATA; once a member has a
# snapshot it would install it (unit tests: test_behind_strict); restarted
# without strict retention it skips to where the others' logs start,
# counted (skipped) and announced.
set -e
cd "$(dirname "$0")"
. ./lib.sh
STRICT=/sys/module/paxos/parameters/strict_retention
MON=/tmp/retain.mon
mon=
restore() {
	[ -n "$mon" ] && kill "$mon" 2>/dev/null
	cleanup
	echo N >"$STRICT"
}
trap restore EXIT
load_module
echo Y >"$STRICT"

VALUE=$(head -c 1000 /dev/zero | tr '\0' v)
BOUND=65536

counter() { n "$1" paxosctl status | sed -n "s/^  $2 //p"; }
held() { n "$1" paxosctl log show | sed -n 's/^retain: [0-9]* bytes, \([0-9]*\) held.*/\1/p'; }
most=0
# note_held I...: the most any node held so far, in $most; fail above the bound.
note_held() {
	for i in "$@"; do
		h=$(held "$i")
		[ "$h" -le "$BOUND" ] || fail "node $i holds $h bytes, bound $BOUND"
		[ "$h" -gt "$most" ] && most=$h
	done
	return 0
}
# wait_for SECONDS CMD...: until CMD succeeds.
wait_for() {
	end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -le "$end" ] || return 1
		sleep 0.2
	done
}
monitor_has() { grep -q "$1" "$MON"; }
# joined I: a generic netlink socket in node I's namespace joined a group
# (the monitor listens).
joined() {
	n "$1" awk '$2 == 16 && $4 != "00000000" { f = 1 } END { exit !f }' /proc/net/netlink
}
snapshot_all() {
	for i in "$@"; do
		c=$(n "$i" plog commit) || fail "commit index on node $i"
		n "$i" plog snapwrite "$c" 4096 >/dev/null || fail "snapshot on node $i"
	done
}

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
for i in 1 2 3; do
	n "$i" paxosctl log set retain 64KiB || fail "log set retain on node $i"
done
n "$leader" paxosctl log show | grep -q "^retain: $BOUND bytes, 0 held (strict)$" ||
	fail "log show: $(n "$leader" paxosctl log show)"
n 1 paxosctl log set retain 1KiB 2>/dev/null && fail "a 1 KiB bound was taken"
n "$leader" paxosctl monitor >"$MON" &
mon=$!
wait_for 30 joined "$leader" || fail "the monitor on node $leader never joined the group"

# fill_full: 1000-byte writes on the leader until ENOSPC; how many went in $ok.
fill_full() {
	out=$(n "$leader" plog fill "$VALUE" 200) && fail "200 writes, no ENOSPC"
	echo "$out" | grep -q "^write [0-9]*: No space left on device$" ||
		fail "writes: $out"
	ok=$(($(echo "$out" | sed -n 's/^write \([0-9]*\):.*/\1/p') - 1))
}

# (a) Writes until the log is full.
fill_full
if [ $ok -lt 60 ] || [ $ok -gt 65 ]; then
	fail "$ok writes of 1000 bytes before ENOSPC"
fi
err=$(n "$leader" paxosctl propose more 2>&1) && fail "PROPOSE into a full log"
echo "$err" | grep -q "retained log full: take a snapshot" || fail "PROPOSE: $err"
[ "$(counter "$leader" log_full)" -ge 2 ] || fail "log_full counter $(counter "$leader" log_full)"
n "$leader" paxosctl status | grep -q "^retain: $BOUND bytes, [0-9]* held (strict, full)$" ||
	fail "status does not say full"
wait_for 5 monitor_has "^log node $leader full retained" || fail "no full event: $(cat "$MON")"
note_held 1 2 3
echo "$ok writes of 1000 bytes, then ENOSPC (write and PROPOSE); log_full $(counter "$leader" log_full); at most $most of $BOUND bytes held"

# A snapshot on every node lets the log trim: writes go again.
sync_top=$(n "$leader" plog commit)
for i in 1 2 3; do
	n "$i" plog wait "$sync_top" 10000 || fail "node $i below $sync_top"
done
snapshot_all 1 2 3
wait_for 5 monitor_has "^log node $leader room retained" || fail "no room event: $(cat "$MON")"
more=0
for _ in 1 2 3; do
	fill_full
	more=$((more + ok))
	note_held 1 2 3
	# Full again: the application snapshots, as it must.
	sync_top=$(n "$leader" plog commit)
	for i in 1 2 3; do
		n "$i" plog wait "$sync_top" 10000 || fail "node $i below $sync_top"
	done
	snapshot_all 1 2 3
done
[ $more -ge 150 ] || fail "$more writes in three rounds"
pw "$leader" "$VALUE" || fail "no write after the last snapshot"
echo "$more more writes in three rounds, a snapshot whenever full; at most $most of $BOUND bytes held on any node; evicted $(counter "$leader" evicted)"
kill "$mon"
mon=

# (b) Non-strict: the bound evicts, counted; a strict node restarted
# behind all that is BEHIND until a snapshot comes.
cleanup
echo N >"$STRICT"
start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
lag=$((leader % 3 + 1))
for i in 1 2 3; do
	n "$i" paxosctl log set retain 64KiB || fail "log set retain on node $i"
done
n "$lag" paxosctl down
n "$leader" paxosctl monitor >"$MON" &
mon=$!
wait_for 30 joined "$leader" || fail "the monitor on node $leader never joined the group"
out=$(n "$leader" plog fill "$VALUE" 150) || fail "writes without strict retention: $out"

note_held 1 2 3
first=$(field "$leader" first_index)
[ "$first" -gt 60 ] || fail "first index $first: the bound did not evict"
[ "$(counter "$leader" evicted)" -gt 60 ] || fail "evicted $(counter "$leader" evicted)"
[ "$(counter "$leader" log_full)" = 0 ] || fail "non-strict log refused writes"
echo "non-strict: 150 writes, first index $first, evicted $(counter "$leader" evicted), at most $most bytes held"

kill "$mon"
MON=$MON.behind
n "$lag" paxosctl monitor >"$MON" &
mon=$!
wait_for 30 joined "$lag" || fail "the monitor on node $lag never joined the group"
echo Y >"$STRICT"
n "$lag" paxosctl up
echo N >"$STRICT"
wait_for 10 sh -c "ip netns exec pxn$lag paxosctl status | grep -q '^state: behind$'" ||
	fail "node $lag never said behind"
n "$lag" paxosctl status | grep -q "^  behind [1-9]" || fail "behind counter"
[ "$(counter "$lag" skipped)" = 0 ] || fail "a strict node skipped"
wait_for 5 monitor_has "^log node $lag behind index [0-9]* skipped 0$" ||
	fail "no behind event: $(cat "$MON")"
got=$(n "$lag" plog dump) && fail "a reader of a node behind got $got"
echo "$got" | grep -q "No data available" || fail "reader of a node behind: $got"
got=$(n "$lag" plog barrier) && fail "a barrier on a node behind gave $got"
echo "$got" | grep -q "No data available" || fail "barrier on a node behind: $got"
err=$(n "$lag" paxosctl log 2>&1) && fail "paxosctl log on a node behind"
echo "$err" | grep -q "behind" || fail "paxosctl log: $err"
echo "node $lag: state behind, behind $(counter "$lag" behind), readers and barriers ENODATA"

# Without strict retention the same node skips, counted and announced.
n "$lag" paxosctl down
n "$lag" paxosctl up
wait_for 20 sh -c "ip netns exec pxn$lag paxosctl status | grep -q '^state: follower$'" ||
	fail "node $lag did not follow without strict retention"
top=$(n "$leader" plog commit)
n "$lag" plog wait "$top" 10000 || fail "node $lag stuck below $top"
skipped=$(counter "$lag" skipped)
[ "$skipped" -gt 60 ] || fail "skipped $skipped"
wait_for 5 monitor_has "^log node $lag skipped index [0-9]* skipped [1-9]" ||
	fail "no skipped event: $(cat "$MON")"
first=$(n "$lag" plog dump | sed -n 1p | cut -d' ' -f1)
[ "$first" -gt 60 ] || fail "node $lag: a new reader starts at $first"
echo "restarted without strict retention, node $lag skipped $skipped entries (counted and announced), its log starts at $first, follows at $top"
