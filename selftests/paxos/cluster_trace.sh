#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=300
#
# Tracepoints (system paxos, kmod/trace.h).  With the events enabled
# through tracefs before the cluster starts, the leader's trace shows its
# election, its lease, a commit event for each of N writes (each index
# once), and a drop event with its reason for a malformed and a bad-MAC
# datagram.  Then the admin guide's perf one-liner counts the leader's
# commits per second while 5 writes run (skipped when the VM has no perf).
set -e
cd "$(dirname "$0")"
. ./lib.sh

SKIP=4
N=20
T=/sys/kernel/tracing

wait_for() {	# SECONDS CMD...
	end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -le "$end" ] || return 1
		sleep 0.2
	done
}
# events NAME FIELDS-REGEX: the trace's lines of event NAME matching.
events() { grep -E "paxos_$1: .*$2" "$T/trace" || true; }
has() { [ -n "$(events "$@")" ]; }

stop_tracing() {
	[ -w "$T/events/paxos/enable" ] && echo 0 >"$T/events/paxos/enable"
	cleanup
}
trap stop_tracing EXIT

[ -d "$T/events" ] || mount -t tracefs nodev "$T" 2>/dev/null || true
if [ ! -d "$T/events" ]; then
	echo "SKIP: no tracefs on this kernel (CONFIG_TRACING)"
	exit $SKIP
fi
load_module
if [ ! -d "$T/events/paxos" ]; then
	echo "SKIP: no paxos events in $T/events (CONFIG_EVENT_TRACING?)"
	exit $SKIP
fi
echo 0 >"$T/tracing_on"
: >"$T/trace"
echo 1 >"$T/events/paxos/enable"
echo 1 >"$T/tracing_on"

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
wait_for 10 has leader "node=$leader leader=$leader ballot=" ||
	fail "no leader event on node $leader: $(events leader)"
events leader "node=$leader "
wait_for 10 has lease "node=$leader lease=acquired" ||
	fail "no lease event on node $leader: $(events lease)"
events lease "node=$leader "

# N writes on the leader: each returns once committed there, so its
# commit event is in the trace by then.
vals=""
for v in $(seq 1 $N); do
	vals="$vals trace-$v"
done
# shellcheck disable=SC2086
idx=$(n "$leader" plog write $vals) || fail "writes on node $leader"
[ "$(echo "$idx" | wc -l)" = $N ] || fail "plog printed: $idx"
for i in $idx; do
	c=$(events commit "node=$leader index=$i type=data" | wc -l)
	[ "$c" = 1 ] || fail "index $i: $c commit events on node $leader"
done
dup=$(events commit "node=$leader " | sed 's/.* index=\([0-9]*\) .*/\1/' |
	sort | uniq -d)
[ -z "$dup" ] || fail "indexes committed twice on node $leader: $dup"
echo "$N writes: one commit event each on node $leader, indexes $(echo "$idx" | tr "\n" " ")"

# Hostile datagrams from an intruder on the bridge (pxinject, as in
# cluster_badinput.sh): each drop is traced with its reason.
ip netns add pxevil
ip link add pxve netns pxevil type veth peer name pxse netns pxsw
ip -n pxevil addr add 10.0.0.99/24 dev pxve
ip -n pxevil link set pxve up
ip -n pxsw link set pxse master br0
ip -n pxsw link set pxse up
ip netns exec pxevil pxinject 10.0.0.99 "$PORT" 10.0.0.1 "$PORT" short 3
wait_for 10 has drop "node=1 reason=malformed " ||
	fail "no malformed drop event: $(events drop)"
events drop "node=1 reason=malformed " | tail -n 1
key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
for i in 1 2 3; do
	n "$i" paxosctl key set $key
done
ip netns exec pxevil pxinject 10.0.0.2 "$PORT" 10.0.0.1 "$PORT" badmac 3
wait_for 10 has drop "node=1 reason=bad_mac sender=2 " ||
	fail "no bad-MAC drop event: $(events drop)"
events drop "node=1 reason=bad_mac " | tail -n 1
n 1 paxosctl status | grep -q '^  events_dropped 0$' ||
	fail "events_dropped missing or nonzero: $(n 1 paxosctl status | grep events_)"

# The admin guide's one-liner, run for the time 5 writes take on the
# leader: every node commits every entry, so node $leader counts 5 at least.
if ! command -v perf >/dev/null; then
	echo "SKIP (perf part only): no perf in the VM (linux-perf on the host)"
	exit 0
fi
leader=$(wait_leader 30) || fail "no leader after the key change"
# plog's indexes go nowhere: mixed into perf's lines on a slow kernel,
# they split an interval's count from its event name.
out=$(perf stat -e paxos:paxos_commit --filter "node == $leader" -a \
	-I 1000 -- ip netns exec "pxn$leader" \
	sh -c 'plog write p1 p2 p3 p4 p5 >/dev/null' 2>&1) ||
	fail "perf stat failed: $out"
echo "$out"
total=$(echo "$out" | awk '/paxos:paxos_commit/ { s += $2 } END { print s + 0 }')
[ "$total" -ge 5 ] || fail "perf counted $total commits on node $leader, not 5"
echo "perf: $total commits on node $leader"
