#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=300
#
# Leadership transfer.  Three nodes, a writer on each follower.  The
# leader hands over to a follower (paxosctl leader transfer), and back;
# each time the target leads, the old leader holds no lease and counted
# the handover, and the time is printed next to a takeover after the
# leader is taken down, which waits out the lease.  Every write a writer
# saw acknowledged is in the log once, at the index it was given.  Bad
# requests fail with their reason.
set -e
cd "$(dirname "$0")"
. ./lib.sh
W=/tmp/xfer
restore() {
	rc=$?
	stop_writers "$W"
	[ -z "${TRACED:-}" ] || untrace
	cleanup
	exit $rc
}
trap restore EXIT
rm -rf "$W"
mkdir -p "$W"

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"

# A writer through each follower (lib.sh, start_writers).
start_writers "$W" xfer $(for i in 1 2 3; do [ "$i" = "$leader" ] || echo "$i"; done)
# Load before the handover: some writes acknowledged on every writer.
for i in 1 2 3; do
	[ "$i" = "$leader" ] && continue
	k=0
	until [ -s "$W/acked.$i" ]; do
		k=$((k + 1))
		[ "$k" -lt 300 ] || fail "writer on node $i: nothing acknowledged"
		sleep 0.1
	done
done

# Refused: not the leader, not another member, out of range.
follower=$(for i in 1 2 3; do [ "$i" != "$leader" ] && echo "$i" && break; done)
msg=$(n "$follower" paxosctl leader transfer "$leader" 2>&1) &&
	fail "a follower started a transfer"
echo "$msg" | grep -q "not the leader" || fail "follower: $msg"
msg=$(n "$leader" paxosctl leader transfer "$leader" 2>&1) &&
	fail "a transfer to the leader itself"
echo "$msg" | grep -q "not another member" || fail "to itself: $msg"
msg=$(n "$leader" paxosctl leader transfer 9 2>&1) && fail "a transfer to node 9"
echo "$msg" | grep -q "not another member" || fail "to node 9: $msg"
echo "refused: from a follower, to the leader itself, to a non-member"

ctr() { n "$1" paxosctl status | sed -n "s/^ *$2 //p"; }

trace_leaders

# handover FROM TO: FROM hands over to TO; wait until TO leads.  A
# transfer the leader gave up (on a slow host the target may not catch up
# within two election timeouts) is asked again of whoever leads then, at
# most 5 times; the attempts are printed.
handover() {
	before=$(ctr "$1" transfers)
	t0=$(now_ms)
	mark "xfer-$1-$2"
	n "$1" paxosctl leader transfer "$2" || fail "transfer $1 -> $2 refused"
	tries=1
	k=0
	until [ "$(field "$2" state)" = leader ]; do
		k=$((k + 1))
		if [ "$k" -ge 300 ]; then
			[ "$tries" -lt 5 ] || fail "node $2 does not lead after $tries transfers"
			cur=$(wait_leader 30) || fail "no leader after a transfer"
			[ "$cur" = "$2" ] && break
			n "$cur" paxosctl leader transfer "$2" || true
			tries=$((tries + 1))
			k=0
		fi
		sleep 0.01
	done
	took=$(($(now_ms) - t0))
	[ "$(field "$1" state)" != leader ] || fail "node $1 still leads"
	[ "$(field "$1" lease)" != valid ] || fail "node $1 still holds its lease"
	[ "$(ctr "$1" transfers)" -gt "$before" ] ||
		fail "node $1 did not count the handover"
	echo "transfer: node $1 -> node $2 in $took ms, $tries request(s) (lease $LEASE ms); in the kernel: $(since_mark "xfer-$1-$2" "$2") ms from the command to its leader event"
}

target=$follower
handover "$leader" "$target"
handover "$target" "$leader"

# The same change of leader by taking the leader down: the others wait
# out its lease first.
t0=$(now_ms)
mark "down-$leader"
n "$leader" paxosctl down
new=$(wait_leader 60 "$leader") || fail "no leader after the leader went down"
echo "takeover: node $leader down -> node $new in $(($(now_ms) - t0)) ms; in the kernel: $(since_mark "down-$leader" "$new") ms from the command to its leader event"
untrace
n "$leader" paxosctl up
stop_writers "$W"

# Every acknowledged write is in the log once, at its index.
acked_in_log "$new" "$W" xfer
