#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=300
#
# A partitioned node catches up after the partition heals; a node restarted
# with its memory wiped (down, up) recovers before it votes, then holds the
# whole log.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
cut=$((leader % 3 + 1))
ip -n "pxn$cut" link set eth0 down
n "$leader" plog fill part 50 >/dev/null || fail "writes during the partition"
ip -n "pxn$cut" link set eth0 up
top=$(n "$leader" plog commit)
n "$cut" plog wait "$top" 30000 || fail "node $cut did not catch up"
echo "partitioned node $cut caught up to $top"

victim=$((cut % 3 + 1))
[ "$victim" = "$leader" ] && victim=$((victim % 3 + 1))
inc0=$(field "$victim" incarnation)
n "$victim" paxosctl down
[ "$(field "$victim" state)" = down ] || fail "not down"
n "$victim" paxosctl up
st=$(field "$victim" state)
# On a slow (debug, emulated) kernel the node may be done before we look.
case "$st" in
recovering|follower|leader) ;;
*) fail "restarted node is $st" ;;
esac
[ "$(field "$victim" incarnation)" != "$inc0" ] || fail "same incarnation after restart"
t0=$(now_ms)
end=$(($(date +%s) + 30))
while [ "$(field "$victim" state)" = recovering ]; do
	[ "$(date +%s)" -le "$end" ] || fail "still recovering after 30 s"
	sleep 0.1
done
echo "node $victim recovered in $(($(now_ms) - t0)) ms: $(field "$victim" state)"
n "$leader" plog write "after recovery" >/dev/null
top=$(n "$leader" plog commit)
for i in 1 2 3; do
	n "$i" plog wait "$top" 30000 || fail "node $i stuck"
done
same_logs 1 2 3 || fail "logs differ after recovery"
echo "all three nodes hold the same $(wc -l </tmp/log.1) records"
