#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=300
#
# Many writes outstanding at once: non-blocking writers on the leader and
# on a follower keep writing until the node has no room (EAGAIN), then read
# the log.  Each value commits exactly once; the leader's writer sees its
# values in the order it wrote them (a follower's travel in datagrams the
# network may reorder); every node holds the same log.  Prints how many
# values shared an ACCEPT datagram.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

start_cluster 3
leader=$(wait_leader 30) || fail "no leader within 30 s"
f=$((leader % 3 + 1))
before=$(n "$leader" paxosctl status | sed -n 's/^  *tx_accept //p')

n "$leader" plog burst lead 600 >/tmp/burst.lead 2>&1 &
lp=$!
n "$f" plog burst fwd 400 any >/tmp/burst.fwd 2>&1 || {
	cat /tmp/burst.fwd
	fail "burst on follower $f"
}
wait $lp || { cat /tmp/burst.lead; fail "burst on leader $leader"; }
echo "leader $leader: $(cat /tmp/burst.lead)"
echo "follower $f: $(cat /tmp/burst.fwd)"

converge "$leader" 30 1 2 3
after=$(n "$leader" paxosctl status | sed -n 's/^  *tx_accept //p')
echo "$top entries in $((after - before)) ACCEPT datagrams"
