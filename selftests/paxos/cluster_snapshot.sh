#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=600
#
# Snapshots: a reader of /dev/paxoslog never skips an entry.  Each node
# takes a snapshot of the test application's state (plog snapwrite: a hash
# of every record up to its index, then a pattern derived from it) and
# trims the entries it covers.  A new reader then gets the snapshot record,
# the snapshot's bytes intact, then the entries after it, and builds the
# state the whole log gave.  A node cut off while the others snapshot and
# trim past what it has, and a node restarted with its memory wiped,
# receive the snapshot over the network; their readers build the same
# state, never across a gap.  Bad snapshot ioctls fail as documented.
# The nodes run with strict retention: nothing goes that no snapshot covers.
set -e
cd "$(dirname "$0")"
. ./lib.sh
STRICT=/sys/module/paxos/parameters/strict_retention
restore() {
	cleanup
	echo N >"$STRICT"
}
trap restore EXIT
load_module
echo Y >"$STRICT"

SNAP=4	# PAXOS_REC_SNAPSHOT

# state I INDEX: node I's application state as of INDEX, "HASH via ...".
state() { n "$1" plog state "$2" 30000 | cut -d' ' -f2-; }
hash_of() { echo "$1" | cut -d' ' -f1; }

# wait_first I MIN: until node I retains nothing below MIN.
wait_first() {
	end=$(($(date +%s) + 30))
	while [ "$(field "$1" first_index)" -lt "$2" ]; do
		[ "$(date +%s)" -le "$end" ] ||
			fail "node $1 still retains $(field "$1" first_index), not trimmed to $2"
		sleep 0.1
	done
}

# sync_nodes I...: until each node delivered the leader's commit index,
# which is left in $top.
sync_nodes() {
	top=$(n "$leader" plog commit)
	for i in "$@"; do
		n "$i" plog wait "$top" 30000 || fail "node $i stuck below $top"
	done
}

# expect CASE ERRNO [INDEX]: plog snaperr CASE on the leader gives ERRNO.
expect() {
	got=$(n "$leader" plog snaperr "$1" ${3:+"$3"}) || fail "snaperr $1 did not run"
	[ "$got" = "$2" ] || fail "snaperr $1: $got, expected $2"
}

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
n "$leader" plog fill a 40 >/dev/null || fail "writes"
sync_nodes 1 2 3
s1=$top
for i in 1 2 3; do
	# 100000 bytes in 7000-byte pieces: pieces across pages and chunks.
	n "$i" plog snapwrite "$s1" 100000 7000 >/dev/null ||
		fail "snapshot on node $i"
done
n "$leader" plog fill b 20 >/dev/null || fail "writes"
sync_nodes 1 2 3
t1=$top
full=$(state 1 "$t1") || fail "state from node 1's log"
[ "$full" = "$(hash_of "$full") via log" ] || fail "node 1: $full before trimming"
for i in 2 3; do
	got=$(state "$i" "$t1")
	[ "$got" = "$full" ] || fail "node $i: state $got, node 1 $full"
done
for i in 1 2 3; do
	# Asked to trim past the snapshot, a node trims what it covers.
	n "$i" paxosctl trim "$t1" >/dev/null || fail "trim on node $i"
	wait_first "$i" $((s1 + 1))
	[ "$(field "$i" first_index)" = $((s1 + 1)) ] ||
		fail "node $i trimmed to $(field "$i" first_index), past snapshot $s1"
done
echo "snapshot at $s1 on every node, the entries it covers trimmed, no more"

# (a) A new reader: the snapshot record, its bytes, the entries after it.
for i in 1 2 3; do
	got=$(state "$i" "$t1") || fail "node $i: $got"
	[ "$got" = "$(hash_of "$full") via $s1" ] ||
		fail "node $i: state $got, the whole log gave $full"
	n "$i" plog dump >/tmp/snapdump || fail "dump on node $i"
	[ "$(sed -n 1p /tmp/snapdump)" = "$s1 $SNAP " ] ||
		fail "node $i: a new reader starts with $(sed -n 1p /tmp/snapdump)"
	[ "$(sed -n 2p /tmp/snapdump | cut -d' ' -f1)" = $((s1 + 1)) ] ||
		fail "node $i: $(sed -n 2p /tmp/snapdump) after the snapshot"
	# A reader positioned on a trimmed index gets the snapshot as well.
	[ "$(n "$i" plog dump 3 | sed -n 1p)" = "$s1 $SNAP " ] ||
		fail "node $i: reading from 3 does not start with the snapshot"
done
echo "new readers on every node: snapshot $s1, then entries to $t1, state $(hash_of "$full")"

# (c) Bad arguments.
expect flags EINVAL
expect nosize EINVAL
expect nolen EINVAL
expect overrun EINVAL
expect big EFBIG
expect future ERANGE
expect zero ERANGE
expect old ERANGE $((s1 - 5))
expect unstarted EINVAL
expect skip EINVAL
expect resize EINVAL
expect reindex EINVAL
expect fault EFAULT
expect stale ESTALE $((s1 - 1))
expect readflags EINVAL "$s1"
expect readoff EINVAL "$s1"
echo "bad snapshot ioctls give the documented errors"

# (b) A node cut off while the others snapshot and trim past what it has;
# a reader it had keeps reading across the snapshot it then receives.
cut=$((leader % 3 + 1))
other=$((cut % 3 + 1))
[ "$other" = "$leader" ] && other=$((other % 3 + 1))
n "$cut" plog state until:mark-1 120000 >/tmp/snapbg 2>&1 &
bg=$!
end=$(($(date +%s) + 30))
until grep -q '^waiting at' /tmp/snapbg; do
	kill -0 "$bg" 2>/dev/null || fail "reader on node $cut: $(cat /tmp/snapbg)"
	[ "$(date +%s)" -le "$end" ] || fail "reader on node $cut never caught up"
	sleep 0.1
done
ip -n "pxn$cut" link set eth0 down
n "$leader" plog fill c 30 >/dev/null || fail "writes while node $cut is cut off"
sync_nodes "$leader" "$other"
s2=$top
for i in "$leader" "$other"; do
	# 1 MiB: 128 chunks, many windows of the transfer.
	n "$i" plog snapwrite "$s2" 1048576 65536 >/dev/null ||
		fail "snapshot on node $i"
done
n "$leader" plog fill d 5 >/dev/null || fail "writes"
sync_nodes "$leader" "$other"
for i in "$leader" "$other"; do
	n "$i" paxosctl trim $((s2 + 1)) >/dev/null || fail "trim on node $i"
	wait_first "$i" $((s2 + 1))
done
ip -n "pxn$cut" link set eth0 up
pw "$leader" mark-1 || fail "write mark-1"
sync_nodes 1 2 3
wait "$bg" || fail "reader on node $cut: $(cat /tmp/snapbg)"
got=$(tail -n 1 /tmp/snapbg)
mark=${got%% *}
want=$(state "$leader" "$mark")
[ "$got" = "$mark $(hash_of "$want") via $s1,$s2" ] ||
	fail "reader on node $cut: $got; the leader's state at $mark: $want"
[ "$(field "$cut" first_index)" -gt "$t1" ] ||
	fail "node $cut retains from $(field "$cut" first_index): it got entries, not the snapshot"
echo "node $cut, cut off below $s2, received snapshot $s2; its reader went on from $t1 through snapshot $s2 to $mark"

# (b) A node restarted with its memory wiped gets the newest snapshot.
victim=$cut
inc0=$(field "$victim" incarnation)
n "$victim" paxosctl down
n "$victim" paxosctl up
[ "$(field "$victim" incarnation)" != "$inc0" ] || fail "same incarnation after restart"
pw "$leader" mark-2 || fail "write mark-2"
sync_nodes 1 2 3
for i in 1 2 3; do
	got=$(state "$i" "$top") || fail "node $i: $got"
	[ "$(hash_of "$got")" = "$(hash_of "$(state "$leader" "$top")")" ] ||
		fail "node $i: state $got at $top"
done
got=$(state "$victim" "$top")
case "$got" in
*" via $s2") ;;
*) fail "restarted node $victim: state $got, not from snapshot $s2" ;;
esac
echo "node $victim restarted with its memory wiped: snapshot $s2 and entries to $top, same state on all three"
