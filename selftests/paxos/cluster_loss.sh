#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=400
#
# 10% loss and 2 ms +- 1 ms of delay on every link (netem on each node's
# egress): every value written commits exactly once, on every node.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

start_cluster 3
wait_leader 30 >/dev/null || fail "no leader"
for i in 1 2 3; do
	n "$i" tc qdisc add dev eth0 root netem loss 10% delay 2ms 1ms ||
		fail "netem on node $i"
done
for i in 1 2 3; do
	n "$i" plog fill "lossy$i" 40 >"/tmp/fill.$i" &
done
wait
cat /tmp/fill.1 /tmp/fill.2 /tmp/fill.3
for i in 1 2 3; do
	n "$i" tc qdisc del dev eth0 root
done
leader=$(wait_leader 30) || fail "no leader after the loss"
converge "$leader" 30 1 2 3
for i in 1 2 3; do
	for k in $(seq 1 40); do
		c=$(grep -c " 1 $(hex "lossy$i-$k")\$" /tmp/log.1 || true)
		[ "$c" = 1 ] || fail "lossy$i-$k committed $c times"
	done
done
echo "120 values, each committed exactly once on all 3 nodes"
n 1 paxosctl status | grep -E 'retransmits|drop_|elections'
