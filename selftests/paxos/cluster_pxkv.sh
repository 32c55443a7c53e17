#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=500
#
# pxkv on three nodes, a pxkvd in each node's namespace: a key written on
# one node is read on another at once (linearizable get), cas and locks
# decide once for the whole cluster, a retried request applies once, the
# leader is taken down and brought up again while a lock is held (the
# lock survives, the old leader's daemon catches up), and at the end every
# node's state digest is the same.
set -e
cd "$(dirname "$0")"
. ./lib.sh
PATH=$(cd ../../tools/pxkv && pwd):$PATH
pids=""
# Daemons are started with ip netns exec itself, which execs them: $! is
# the daemon (n, a function, would give a subshell that kill leaves it
# behind, holding the device open).
daemon() {	# NODE ARGS...
	i=$1
	shift
	ip netns exec "pxn$i" pxkvd "$@" &
	pids="$pids $!"
	eval "pxkvd_$i=\$!"
}
stop_all() {	# under set -e: a daemon's SIGTERM status must not end it
	kill $pids 2>/dev/null || true
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	cleanup
}
trap stop_all EXIT

# kv I ARGS...: pxkv against node I's daemon.
kv() { i=$1; shift; n "$i" pxkv -s "/tmp/pxkv.$i.sock" -t 60 "$@"; }
# expect I WANT ARGS...: pxkv on node I prints WANT and exits 0.
expect() {
	node=$1
	want=$2
	shift 2
	got=$(kv "$node" "$@") || fail "node $node: pxkv $* exited $?: $got"
	[ "$got" = "$want" ] || fail "node $node: pxkv $*: \"$got\", want \"$want\""
}
# refused I CODE WANT ARGS...: pxkv exits CODE printing WANT.
refused() {
	node=$1
	code=$2
	want=$3
	shift 3
	rc=0
	got=$(kv "$node" "$@") || rc=$?
	[ "$rc" = "$code" ] && [ "$got" = "$want" ] ||
		fail "node $node: pxkv $*: exit $rc \"$got\", want exit $code \"$want\""
}
logs_clean() {
	for i in 1 2 3; do
		! grep -q 'applier stopped' "/tmp/pxkvd.$i.log" ||
			fail "pxkvd on node $i stopped: $(cat "/tmp/pxkvd.$i.log")"
	done
}

start_cluster 3
leader=$(wait_leader 30) || fail "no leader within 30 s"
echo "leader: node $leader"
for i in 1 2 3; do
	daemon "$i" -s "/tmp/pxkv.$i.sock" -n 40 -p 512 -v 2>"/tmp/pxkvd.$i.log"
done
# pxkv retries until the daemon listens and has caught up.
for i in 1 2 3; do
	kv "$i" hash >/dev/null || fail "pxkvd on node $i does not answer"
done
echo "a pxkvd on every node"

# Linearizable reads: a write acknowledged on one node is seen by a read
# started after it on any node, with no waiting in between.
f1=$(( leader % 3 + 1 ))
f2=$(( f1 % 3 + 1 ))
for w in 1 2 3; do
	expect "$w" ok put "key-$w" "value from $w"
	for r in 1 2 3; do
		expect "$r" "value from $w" get "key-$w"
	done
done
expect "$f1" ok put shared one
expect "$f2" one get shared
expect "$leader" ok put shared two
expect "$f1" two get shared
expect "$f2" ok del shared
refused "$f1" 1 "not found" get shared
refused "$leader" 1 "not found" del shared
echo "reads see every acknowledged write, on every node"

# cas: expected absence, expected value, failures name the current value.
expect "$f1" ok cas -n slot first
refused "$f2" 1 "cas failed: first" cas -n slot second
refused "$leader" 1 "cas failed: first" cas slot wrong third
expect "$f2" ok cas slot first third
expect "$f1" third get slot
refused "$f1" 1 "cas failed: absent" cas nothing x y
# Racing cas -n from every node: exactly one wins.
# race ARGS...: the same pxkv command from every node at once (ARGS with
# OWNER replaced by node-I), each output in /tmp/race.I.
race() {
	rp=""
	for i in 1 2 3; do
		# shellcheck disable=SC2046
		(set +e; kv "$i" $(echo "$@" | sed "s/OWNER/node-$i/") >"/tmp/race.$i" 2>&1
		 echo "exit $?" >>"/tmp/race.$i") &
		rp="$rp $!"
	done
	for p in $rp; do
		wait "$p" || fail "racing $*: a client failed"
	done
}
race cas -n race OWNER
winners=$(cat /tmp/race.1 /tmp/race.2 /tmp/race.3 | grep -c '^ok$' || true)
losers=$(cat /tmp/race.1 /tmp/race.2 /tmp/race.3 | grep -c '^exit 1$' || true)
[ "$winners" = 1 ] && [ "$losers" = 2 ] ||
	fail "racing cas: $winners winners, $losers losers: $(cat /tmp/race.*)"
winner=$(kv "$f2" get race)
echo "racing cas -n: one winner ($winner)"

# Exactly once: a request retried with the same client and request number
# (as after a timeout) applies once and answers as the first time.
expect "$f1" ok -c 77 -r 1 put counter a
got=$(kv "$f2" -j -c 77 -r 1 put counter b) || fail "retry: exit $?"
echo "$got" | grep -q '"result":"ok"' && echo "$got" | grep -q '"duplicate":true' ||
	fail "retry not answered as a duplicate: $got"
expect "$leader" a get counter
expect "$f2" ok -c 77 -r 2 cas counter a b
refused "$f1" 4 "" -c 77 -r 1 put counter c
expect "$f1" b get counter
echo "a retried request applied once"

# Locks: held until the owner releases them; racing takers, one wins.
expect "$f1" ok lock L alice
expect "$f2" ok lock L alice
refused "$leader" 1 "held by alice" lock L bob
refused "$f2" 1 "held by alice" unlock L bob
expect "$leader" ok unlock L alice
refused "$f1" 1 "not held" unlock L alice
race lock race-lock OWNER
winners=$(cat /tmp/race.1 /tmp/race.2 /tmp/race.3 | grep -c '^ok$' || true)
losers=$(cat /tmp/race.1 /tmp/race.2 /tmp/race.3 | grep -c '^exit 1$' || true)
[ "$winners" = 1 ] && [ "$losers" = 2 ] ||
	fail "racing lock: $winners winners, $losers losers: $(cat /tmp/race.*)"
echo "racing lock: one owner"

# Failover with a lock held: take the leader down, the lock stays held on
# the new leader; a write sent to the old leader's daemon while its node is
# down is retried until the node is back; then the old leader catches up.
expect "$f1" ok lock failover-lock owner-A
old=$leader
t0=$(now_ms)
n "$old" paxosctl down || fail "down on the leader"
kv "$old" -j -c 991 -r 1 put written-while-down yes >/tmp/down-put 2>&1 &
downput=$!
leader=$(wait_leader 60 "$old") || fail "no new leader after node $old went down"
echo "node $old down; node $leader leads after $(( $(now_ms) - t0 )) ms"
refused "$leader" 1 "held by owner-A" lock failover-lock owner-B
for i in 1 2 3; do
	[ "$i" = "$old" ] && continue
	refused "$i" 1 "held by owner-A" lock failover-lock owner-B
	expect "$i" ok put "after-failover-$i" "$i"
done
n "$old" paxosctl up || fail "up on the old leader"
wait "$downput" || fail "the write sent while down: $(cat /tmp/down-put)"
grep -q '"result":"ok"' /tmp/down-put || fail "write while down: $(cat /tmp/down-put)"
echo "a write sent to node $old while it was down applied once it came back"
refused "$old" 1 "held by owner-A" lock failover-lock owner-B
for i in 1 2 3; do
	[ "$i" = "$old" ] || expect "$old" "$i" get "after-failover-$i"
done
expect "$f2" yes get written-while-down
expect "$old" ok unlock failover-lock owner-A
expect "$leader" ok lock failover-lock owner-B
echo "the lock held across the failover; released by its owner, then taken"

# More writes than a snapshot interval, from every node.
for k in $(seq 1 30); do
	kv $(( k % 3 + 1 )) put "bulk-$k" "$k" >/dev/null || fail "bulk put $k"
done

# Every node ends with the same state: digests and dumps equal.
end=$(($(date +%s) + 60))
while :; do
	h1=$(kv 1 hash) && h2=$(kv 2 hash) && h3=$(kv 3 hash) || fail "hash"
	[ "$h1" = "$h2" ] && [ "$h2" = "$h3" ] && break
	[ "$(date +%s)" -le "$end" ] || fail "digests differ: $h1 / $h2 / $h3"
	sleep 0.2
done
echo "every node: digest and applied index $h1"
for i in 1 2 3; do
	kv "$i" dump >"/tmp/dump.$i" || fail "dump on node $i"
done
cmp -s /tmp/dump.1 /tmp/dump.2 && cmp -s /tmp/dump.2 /tmp/dump.3 ||
	fail "dumps differ"
echo "dumps agree: $(grep -c '^key ' /tmp/dump.1) keys, $(grep -c '^lock ' /tmp/dump.1) locks"
logs_clean

# Snapshots, where the kernel has them: node f1's daemon handed it one
# (-n 40); trim the node's log through it and start a second daemon there:
# it must start from the snapshot and reach the same state.
if grep -q 'snapshots not supported' "/tmp/pxkvd.$f1.log"; then
	echo "snapshots: not in this kernel; pxkvd went on without them"
else
	si=$(sed -n 's/^pxkvd: snapshot at \([0-9]*\):.*/\1/p' "/tmp/pxkvd.$f1.log" | tail -n 1)
	[ -n "$si" ] || fail "no snapshot from pxkvd on node $f1: $(cat "/tmp/pxkvd.$f1.log")"
	n "$f1" paxosctl trim $((si + 1)) || fail "trim through the snapshot at $si"
	first=$(field "$f1" first_index)
	[ "$first" -gt 1 ] || fail "node $f1 still starts at $first after the trim"
	daemon "$f1" -s /tmp/pxkv.late.sock -n 0 2>/tmp/pxkvd.late.log
	hl=$(n "$f1" pxkv -s /tmp/pxkv.late.sock -t 60 hash) || fail "the late daemon"
	[ "$hl" = "$h1" ] || fail "late daemon: $hl, the others $h1"
	grep -q "state replaced by the snapshot at $si " /tmp/pxkvd.late.log ||
		fail "the late daemon did not start from the snapshot: $(cat /tmp/pxkvd.late.log)"
	expect "$f2" ok put after-snapshot yes
	expect "$f1" yes -s /tmp/pxkv.late.sock get after-snapshot
	echo "snapshot at $si: node $f1 trimmed to $first; a daemon started there from the snapshot, same state"

	# Node x loses its memory (daemon and node) while the two others
	# trim their logs through their snapshots: once up, x receives a
	# snapshot from a member, and a new daemon there starts from it.
	x=$f2
	pid=$(eval "echo \$pxkvd_$x")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	[ ! -e "/tmp/pxkv.$x.sock" ] || fail "pxkvd on node $x still there"
	n "$x" paxosctl down || fail "down on node $x"
	for i in 1 2 3; do
		[ "$i" = "$x" ] && continue
		s=$(sed -n 's/^pxkvd: snapshot at \([0-9]*\):.*/\1/p' "/tmp/pxkvd.$i.log" | tail -n 1)
		[ -n "$s" ] || fail "no snapshot from pxkvd on node $i"
		n "$i" paxosctl trim $((s + 1)) || fail "trim on node $i through $s"
		expect "$i" ok put "while-$x-down-$i" "$i"
	done
	n "$x" paxosctl up || fail "up on node $x"
	daemon "$x" -s "/tmp/pxkv.$x.sock" -n 0 2>"/tmp/pxkvd.$x.restart.log"
	h=$(kv "$leader" hash) || fail "hash on the leader"
	end=$(($(date +%s) + 60))
	until [ "$(kv "$x" hash)" = "$h" ]; do
		[ "$(date +%s)" -le "$end" ] || fail "node $x: $(kv "$x" hash), the leader $h"
		sleep 0.2
	done
	grep -q "state replaced by the snapshot at" "/tmp/pxkvd.$x.restart.log" ||
		fail "node $x's new daemon did not start from a snapshot: $(cat "/tmp/pxkvd.$x.restart.log")"
	echo "node $x, restarted after the others trimmed: $(grep -o 'snapshot at [0-9]*' "/tmp/pxkvd.$x.restart.log") over the network; same state ($h)"
fi
for i in 1 2 3; do
	echo "pxkvd on node $i said:"
	sed 's/^/  /' "/tmp/pxkvd.$i.log"
done
