#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=240
#
# Three nodes over veth: values written on every node are read back in the
# same order, byte for byte, on every node, and `paxosctl status` agrees on
# the leader and the commit index.  Prints commit latency and throughput.
# Then a cluster of one commits alone.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

start_cluster 3
leader=$(wait_leader 30) || fail "no leader within 30 s"
echo "leader: node $leader"

for i in 1 2 3; do
	pw "$i" "hello from $i" "second from $i" ||
		fail "write on node $i"
done
# Binary values too: every byte value, through the device.
n 2 sh -c 'printf "\000\001\377 bin" > /dev/paxoslog' || fail "binary write"
n 1 paxosctl propose "via netlink" >/dev/null || fail "propose"

converge "$leader" 10 1 2 3
for v in "hello from 1" "second from 3" "via netlink"; do
	[ "$(grep -c " 1 $(hex "$v")\$" /tmp/log.1)" = 1 ] || fail "\"$v\" not exactly once"
done
grep -q " 1 0001ff2062696e\$" /tmp/log.1 || fail "binary value mangled"
echo "every node holds the same $(wc -l </tmp/log.1) records"

for i in 1 2 3; do
	l=$(field "$i" leader)
	[ "$l" = "$leader" ] || fail "node $i says leader $l, not $leader"
done
c1=$(field 1 commit_index); c2=$(field 2 commit_index); c3=$(field 3 commit_index)
[ "$c1" = "$c2" ] && [ "$c2" = "$c3" ] || fail "commit index differs: $c1 $c2 $c3"
echo "status agrees: leader $leader, commit index $c1"

echo "on the leader:"
n "$leader" plog fill lat 200
f=$(( leader % 3 + 1 ))
echo "on a follower (forwarded):"
n "$f" plog fill fwd 100

# A cluster of one elects itself and commits alone: blocking writes and a
# read barrier return, and the log holds each value once, in order.
cleanup
start_cluster 1
wait_leader 30 >/dev/null || fail "a node alone did not elect itself"
idx=$(n 1 timeout 10 plog write "alone 1" "alone 2") ||
	fail "blocking writes on a node alone"
n 1 timeout 10 plog barrier >/dev/null || fail "read barrier on a node alone"
n 1 plog dump >/tmp/log.alone || fail "dump on a node alone"
a1=$(hex 'alone 1')
a2=$(hex 'alone 2')
[ "$(grep -c " 1 $a1\$" /tmp/log.alone)" = 1 ] && [ "$(grep -c " 1 $a2\$" /tmp/log.alone)" = 1 ] ||
	fail "a node alone: values not exactly once: $(cat /tmp/log.alone)"
[ "$(grep -n " 1 $a1\$" /tmp/log.alone | cut -d: -f1)" -lt "$(grep -n " 1 $a2\$" /tmp/log.alone | cut -d: -f1)" ] ||
	fail "a node alone: values out of order"
echo "a node alone committed at $(echo "$idx" | tr '\n' ' ')"
