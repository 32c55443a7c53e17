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
# Each value's count in node 1's log ("INDEX 1 HEX" lines), all in one
# pass: one hex and grep per value is 360 execs, a minute on the debug
# kernel.  od prints the values' bytes, 0a ends each.
for i in 1 2 3; do
	for k in $(seq 1 40); do
		echo "lossy$i-$k"
	done
done >/tmp/loss.values
od -An -tx1 -v /tmp/loss.values |
	awk '{ for (f = 1; f <= NF; f++) if ($f == "0a") { print h; h = "" } else h = h $f }' \
	>/tmp/loss.hex
bad=$(awk 'NR == FNR { want[FNR] = $1; next }
	$2 == 1 { seen[$3]++ }
	END {
		for (l = 1; l in want; l++)
			if (seen[want[l]] != 1) { print l, seen[want[l]] + 0; exit }
	}' /tmp/loss.hex /tmp/log.1)
[ "$(wc -l </tmp/loss.hex)" = 120 ] || fail "$(wc -l </tmp/loss.hex) values to look for, not 120"
if [ -n "$bad" ]; then
	fail "$(sed -n "${bad% *}p" /tmp/loss.values) committed ${bad#* } times"
fi
echo "120 values, each committed exactly once on all 3 nodes"
n 1 paxosctl status | grep -E 'retransmits|drop_|elections'
