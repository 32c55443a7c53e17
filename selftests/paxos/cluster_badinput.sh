#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=300
#
# Hostile input.  Random, truncated, unknown-sender, wrong-cluster,
# stale and wrong-MAC datagrams from a raw socket are each dropped and
# counted under their reason, and the cluster keeps committing.  Bad
# netlink requests and bad writes get their documented errors.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

ctr() { n "$1" paxosctl status | sed -n "s/^  $2 //p"; }

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
# An intruder at 10.0.0.99 on the same bridge.
ip netns add pxevil
ip link add pxve netns pxevil type veth peer name pxse netns pxsw
ip -n pxevil addr add 10.0.0.99/24 dev pxve
ip -n pxevil link set pxve up
ip -n pxsw link set pxse master br0
ip -n pxsw link set pxse up
inject() { ip netns exec pxevil pxinject "$@"; }

# reaches WANT CMD...: until CMD prints WANT or more (30 s: the node
# counts a datagram when its worker gets to it, later on a loaded host);
# the last value in $after.
reaches() {
	want=$1
	shift
	end=$(($(date +%s) + 30))
	while after=$("$@"); [ "${after:-0}" -lt "$want" ]; do
		[ "$(date +%s)" -le "$end" ] || return 1
		sleep 0.2
	done
}

expect_drop() {	# counter kind src count
	before=$(ctr 1 "$1")
	inject "$3" $PORT 10.0.0.1 $PORT "$2" "$4"
	reaches $((before + $4)) ctr 1 "$1" ||
		fail "$2: $1 went from $before to $after, expected +$4"
	echo "$2: $1 $before -> $after"
}

expect_drop drop_malformed short 10.0.0.99 20
expect_drop drop_unknown_sender unknown 10.0.0.99 20
expect_drop drop_wrong_cluster cluster 10.0.0.2 20
expect_drop drop_stale_ballot stale 10.0.0.2 20
# Random datagrams: whatever their reason, all are dropped.
total() { n 1 paxosctl status | sed -n 's/^  drop_[a-z_]* //p' | awk '{s += $1} END {print s}'; }
before=$(total)
inject 10.0.0.2 $PORT 10.0.0.1 $PORT random 200
reaches $((before + 200)) total || fail "random: drops $before -> $after"
echo "random: drops $before -> $after"
pw 2 "still committing" || fail "cluster stopped committing"

# With a cluster key, a wrong MAC is dropped and counted.
key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
for i in 1 2 3; do
	n "$i" paxosctl key set $key
done
expect_drop drop_bad_mac badmac 10.0.0.2 20
pw 3 "committing with a key" || fail "no commits with a key"
[ "$(field 1 key)" = set ] || fail "key not reported"

# Netlink: missing, oversized, wrong-type attributes (basic_genl covers
# the raw forms); paxosctl shows the kernel's extack message.
msg=$(n 1 paxosctl member add 7 2>&1) && fail "member add without address succeeded"
echo "$msg" | grep -q "address missing" || fail "no extack for a missing address: $msg"
msg=$(n 1 paxosctl node set id 4 2>&1) && fail "node set while up succeeded"
echo "$msg" | grep -q "take it down first" || fail "no extack for a busy node: $msg"
big=$(head -c 9000 /dev/zero | tr '\0' x)
msg=$(n 1 paxosctl propose "$big" 2>&1) && fail "oversized propose succeeded"
echo "oversized propose refused: $(echo "$msg" | head -n 1)"

[ "$(n 1 plog errno zero)" = EINVAL ] || fail "0-byte write"
[ "$(n 1 plog errno big)" = EMSGSIZE ] || fail "oversized write"
[ "$(n 1 plog errno smallread)" = EMSGSIZE ] || fail "read into a tiny buffer"
n 1 paxosctl status | sed -n '/^counters:/,$p' | grep drop_
pw 1 "final" || fail "cluster stopped committing"
