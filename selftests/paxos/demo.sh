#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside the VM: a 3-node cluster configured with paxosctl,
# values written on every node and read back everywhere, the leader
# killed, the takeover, more commits; then pxkv, the key-value and lock
# service, on the same cluster: keys written on one node and read on the
# others, a lock held across a leader failover, a node restarted with its
# memory wiped and its state back; and a summary.  Every step waits for
# the state it needs, not for a fixed time.
set -e
cd "$(dirname "$0")"
. ./lib.sh
PATH=$(cd ../../tools/pxkv && pwd):$PATH
pids=""
stop_all() {
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null || true
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	cleanup
}
trap stop_all EXIT
say() { printf '\n== %s\n' "$*"; }
# daemon I: pxkvd in node I's namespace (ip netns exec execs it: $! is
# the daemon), a snapshot every 20 entries; its pid in pxkvd_I.
daemon() {
	ip netns exec "pxn$1" pxkvd -s "/tmp/pxkv.$1.sock" -n 20 -v \
		2>>"/tmp/pxkvd.$1.log" &
	pids="$pids $!"
	eval "pxkvd_$1=\$!"
}
# kv I ARGS...: pxkv against node I's daemon, shown as typed.
kv() {
	i=$1
	shift
	echo "node $i\$ pxkv $*"
	n "$i" pxkv -s "/tmp/pxkv.$i.sock" -t 60 "$@" | sed 's/^/    /'
}
# kvq I ARGS...: the same, quietly, for the script's own checks.
kvq() { i=$1; shift; n "$i" pxkv -s "/tmp/pxkv.$i.sock" -t 60 "$@"; }
# same_state I...: until those nodes' pxkv digests agree (60 s).
same_state() {
	end=$(($(date +%s) + 60))
	while :; do
		h=""
		ok=yes
		for i in "$@"; do
			hx=$(kvq "$i" hash) || hx="node $i: no answer"
			[ -z "$h" ] || [ "$hx" = "$h" ] || ok=no
			h=$hx
		done
		[ "$ok" = yes ] && return 0
		[ "$(date +%s)" -le "$end" ] || return 1
		sleep 0.2
	done
}

say "three nodes in namespaces pxn1..pxn3, 10.0.0.1-3, one bridge"
make_cluster 3
for i in 1 2 3; do
	echo "+ paxosctl node set id $i addr 10.0.0.$i port 7400; member add ...; lease set duration 1000ms drift 1000ppm; up"
	configure "$i"
done
leader=$(wait_leader 30) || fail "no leader"
say "node $leader is leader"
n "$leader" paxosctl status | head -n 12

say "writing values on every node (echo value > /dev/paxoslog)"
for i in 1 2 3; do
	for v in apple banana cherry; do
		n "$i" sh -c "printf '%s' '$v from node $i' > /dev/paxoslog"
	done
done
top=$(n "$leader" plog commit)
for i in 1 2 3; do
	n "$i" plog wait "$top" 10000
	say "paxosctl log on node $i"
	n "$i" paxosctl log
done

say "killing leader node $leader (link down, then paxosctl down)"
old=$leader
t0=$(now_ms)
ip -n "pxn$old" link set eth0 down
n "$old" paxosctl down
leader=$(wait_leader 60 "$old") || fail "no takeover"
took=$(($(now_ms) - t0))
say "node $leader took over after $took ms (the lease is 1000 ms)"
for i in 1 2 3; do
	[ "$i" = "$old" ] && continue
	n "$i" sh -c "printf '%s' 'after failover, from node $i' > /dev/paxoslog"
done
n "$leader" paxosctl log --from "$top"

say "bringing node $old back: it recovers, then catches up"
ip -n "pxn$old" link set eth0 up
n "$old" paxosctl up
top=$(n "$leader" plog commit)
n "$old" plog wait "$top" 30000
n "$old" paxosctl status | head -n 6

same_logs 1 2 3 && same=yes || same=no
log_took=$took
log_old=$old
log_new=$leader

say "pxkv: a key-value and lock service on the log; a pxkvd on every node"
for i in 1 2 3; do
	echo "+ ip netns exec pxn$i pxkvd -s /tmp/pxkv.$i.sock -n 20 &"
	daemon "$i"
done
for i in 1 2 3; do
	kvq "$i" hash >/dev/null || fail "pxkvd on node $i does not answer"
done
f1=$((leader % 3 + 1))
f2=$((f1 % 3 + 1))

say "keys written on node $f1, read on nodes $f2 and $leader (reads are linearizable)"
kv "$f1" put color blue
kv "$f1" put answer 42
kv "$f2" get color
kv "$leader" get answer
kv "$f2" cas answer 42 43
kv "$leader" get answer

say "a lock taken through node $f1; others are refused"
kv "$f1" lock printer alice
kv "$f2" lock printer bob || true

say "leader failover while alice holds the lock: node $leader goes down"
old=$leader
t0=$(now_ms)
ip -n "pxn$old" link set eth0 down
n "$old" paxosctl down
leader=$(wait_leader 60 "$old") || fail "no takeover"
took=$(($(now_ms) - t0))
echo "node $leader leads after $took ms"
kv "$leader" lock printer bob || true
lock=$(kvq "$leader" lock printer bob || true)
[ "$lock" = "held by alice" ] || fail "the lock after the failover: $lock"
kv "$leader" put written-during-failover yes
ip -n "pxn$old" link set eth0 up
n "$old" paxosctl up
same_state 1 2 3 || fail "node $old did not catch up"
kv "$old" get written-during-failover
kv "$old" unlock printer alice
kv "$f2" lock printer bob
lock_took=$took
lock_old=$old
lock_new=$leader

x=$f1
[ "$x" = "$leader" ] && x=$f2
say "node $x restarted: its pxkvd stopped and the node taken down, wiping its memory"
pid=$(eval "echo \$pxkvd_$x")
kill "$pid"
wait "$pid" 2>/dev/null || true
n "$x" paxosctl down
echo "node $x: $(field "$x" state)"
for i in 1 2 3; do
	[ "$i" = "$x" ] && continue
	for k in 1 2 3 4 5; do
		kvq "$i" put "while-$x-down-$i-$k" "$k" >/dev/null ||
			fail "put on node $i"
	done
done
kv "$leader" get "while-$x-down-$leader-5"
for i in 1 2 3; do
	[ "$i" = "$x" ] && continue
	s=$(sed -n 's/^pxkvd: snapshot at \([0-9]*\):.*/\1/p' "/tmp/pxkvd.$i.log" | tail -n 1)
	[ -n "$s" ] || continue
	n "$i" paxosctl trim $((s + 1)) >/dev/null || fail "trim on node $i"
	echo "node $i: log trimmed through its pxkvd's snapshot at $s (paxosctl trim $((s + 1)))"
done
echo "+ paxosctl up; ip netns exec pxn$x pxkvd -s /tmp/pxkv.$x.sock -n 20 &"
n "$x" paxosctl up
daemon "$x"
same_state 1 2 3 || fail "node $x's state did not come back"
grep -h 'state replaced by the snapshot' "/tmp/pxkvd.$x.log" | tail -n 1 |
	sed "s/^/node $x: /" || true
echo "node $x: $(n "$x" paxosctl status |
	sed -n 's/^  \(snap_installed\|snap_rx_bytes\) \([0-9]*\)$/\1 \2/p' | tr '\n' ' ')"
kv "$x" get color
kv "$x" get "while-$x-down-$leader-5"
kv "$x" lock printer carol || true
for i in 1 2 3; do
	kv "$i" hash
done
kvq 1 dump >/tmp/dump.1
kvs_same=yes
for i in 2 3; do
	kvq "$i" dump >"/tmp/dump.$i"
	cmp -s /tmp/dump.1 "/tmp/dump.$i" || kvs_same=no
done

say "summary"
echo "log: leader before node $log_old, after node $log_new, takeover $log_took ms"
for i in 1 2 3; do
	echo "node $i: $(wc -l </tmp/log.$i) entries, commit index $(field "$i" commit_index), state $(field "$i" state)"
done
echo "identical logs on every node: $same"
echo "pxkv: lock held by alice across the failover of node $lock_old (node $lock_new took over in $lock_took ms)"
echo "pxkv: node $x restarted with its memory wiped, state back: $(kvq "$x" hash)"
echo "pxkv: identical keys and locks on every node: $kvs_same ($(grep -c '^key ' /tmp/dump.1) keys, $(grep -c '^lock ' /tmp/dump.1) locks)"
[ "$same" = yes ] && [ "$kvs_same" = yes ]
