#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench-storage`, inside the VM: durable commit latency and
# throughput of three nodes with a disk each (/dev/vda, /dev/vdb,
# /dev/vdc) next to the disk's own flush latency (flushlat dev on
# /dev/vdd, a fourth disk of the same kind: a 4 KiB O_DIRECT|O_DSYNC
# write) and the network's floor (udpping between the nodes'
# namespaces).  All three are measured in turn, BENCH_ROUNDS (5) rounds
# in the same run, and each figure is the median over the rounds, as in
# bench.sh, with a cluster of three nodes without disks (nodes 4-6) for
# comparison; receive processing steered to CPU 1 and clients on CPU 0 the
# same way (BENCH_STEER=0: not).  Prints one table, writes
# /out/bench-storage.json and /out/bench-storage.txt.
#
#   target A: durable p50 at depth 1 <= ping-pong p50 + 1.2 x flush p50
#   target B: commits/s at depth 64 >= 10 x commits/s at depth 1
#
# Under strict retention (which storage needs) a log nobody snapshots
# stops when its ring is full: every node takes a 4 KiB snapshot at its
# commit index before each paxosbench run, as an application would, and
# every 20 ms during the depth-64 runs (plog snaploop: the 1024-entry
# ring holds a fifth of a second at depth 64).
#
# Where the time goes, besides: the flush floor with two and three of
# the nodes' disks flushed at once (their images share one host file
# system), the cluster without disks at depth 64 (the CPU's bound), the
# entries a batch holds (store_writes against the commit index), and
# the paxos_store tracepoint's wait and write times in the nodes.
set -e
cd "$(dirname "$0")/../paxos"
. ./lib.sh
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECONDS:-2}
OUT=/out
mkdir -p $OUT
trap 'killall -q udpping 2>/dev/null; cleanup' EXIT
STEER=${BENCH_STEER:-1}
[ "$(nproc)" -ge 2 ] || STEER=0
if [ "$STEER" = 1 ]; then
	CLIENT="taskset 1"
	NODE="taskset 2"
else
	CLIENT=""
	NODE=""
fi
BENCH="timeout 120 $CLIENT /kpaxos/tools/paxosbench/paxosbench"

for d in vda vdb vdc vdd; do
	[ -b "/dev/$d" ] || { echo "bench-storage: no /dev/$d (run.sh --disk FILE x4)"; exit 1; }
done
load_module
udp_p50() { sed -n 's/.*p50 \([0-9.]*\) us.*/\1/p'; }
kv() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
col() { awk -v c="$1" 'NR > 1 {print $c}' | sed -n "${2}p"; }
median() { grep -v '^0$' "$1" | sort -n | awk '{v[NR] = $1} END {if (NR) print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print 0}'; }
median0() { sort -n "$1" | awk '{v[NR] = $1} END {if (NR) print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print 0}'; }
range() { grep -v '^0$' "$1" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'; }
echo Y >/sys/module/paxos/parameters/strict_retention
DEPTH=/sys/module/paxos/parameters/store_depth
depth0=$(cat $DEPTH)
alt=$((3 - depth0))	# the other store_depth, 1 or 2
echo 1048576 >/sys/module/paxos/parameters/snapshot_max
# The flush floor two ways, before the nodes' disks are formatted:
# flushlat dev on the fourth disk alone, and on two and on three of
# the nodes' disks at once (their images share one host file system, as the nodes'
# flushes do), 3 times each; the median of the p50s.
rm -f $OUT/s-*.txt
for _ in 1 2 3; do
	$CLIENT flushlat dev /dev/vdd -n 200 -w 10 | kv p50_us >>$OUT/s-flush1.txt
	for d in vda vdb; do
		flushlat dev /dev/$d -n 200 -w 10 >/tmp/fl.$d &
	done
	wait
	cat /tmp/fl.vda /tmp/fl.vdb | kv p50_us >>$OUT/s-flush2.txt
	for d in vda vdb vdc; do
		flushlat dev /dev/$d -n 200 -w 10 >/tmp/fl.$d &
	done
	wait
	cat /tmp/fl.vda /tmp/fl.vdb /tmp/fl.vdc | kv p50_us >>$OUT/s-flush3.txt
done
# Fresh disks: the first up formats them.
for d in vda vdb vdc; do
	dd if=/dev/zero of=/dev/$d bs=4096 count=2 conv=notrunc,fsync 2>/dev/null
done
q=/sys/block/vda/queue
echo "# disks: write_cache $(cat $q/write_cache), fua $(cat $q/fua); kernel $(uname -r)"

# Nodes 1-3 with storage; nodes 4-6, a cluster of their own without, for
# what the same commits cost here without the disks.
make_cluster 6
if [ "$STEER" = 1 ]; then
	for ns in $(ip netns list | sed -n 's/^\(px[a-z0-9]*\).*/\1/p'); do
		ip netns exec "$ns" sh -c \
			'for q in /sys/class/net/*/queues/rx-*/rps_cpus; do echo 2 >"$q"; done'
	done
fi
for i in 1 2 3 4 5 6; do
	if [ "$i" -le 3 ]; then configure_steps "$i" 1 3; else configure_steps "$i" 4 6; fi
	n "$i" paxosctl log set retain 1MiB || fail "log set retain on node $i"
	if [ "$i" -le 3 ]; then
		n "$i" paxosctl storage set "/dev/vd$(echo abc | cut -c"$i")" ||
			fail "storage set on node $i"
	fi
	n "$i" paxosctl up || fail "up on node $i"
done
leader=$(wait_leader 60 0 1 3) || fail "no leader among nodes 1-3"
mleader=$(wait_leader 60 0 4 6) || fail "no leader among nodes 4-6"
other=$((leader % 3 + 1))
n "$other" $NODE udpping server 7600 &
# snap: every node takes a 4 KiB snapshot at its commit index, so that
# its log has room again (between the measurements, not during them).
# run NODE ARGS...: paxosbench on NODE; a failed run is said, not hidden.
run() {
	node=$1
	shift
	n "$node" $BENCH "$@" 2>/tmp/bench.err || echo "# paxosbench $* failed: $(tail -n 3 /tmp/bench.err)" >&2
}
# snap_loop NODE...: each takes a snapshot at its commit index every
# 20 ms meanwhile (plog snaploop), until snap_stop.
snap_loop() {
	rm -f /tmp/snapstop
	sl=
	for i in "$@"; do
		n "$i" plog snaploop 4096 20 /tmp/snapstop 2>/dev/null &
		sl="$sl $!"
	done
}
snap_stop() {
	touch /tmp/snapstop
	# shellcheck disable=SC2086
	wait $sl || true
}
# snap: every node a snapshot at its leader's commit index, once it has
# it (a follower still catching up after a depth-64 run would take it
# below), then the leader's ring no longer full (else ENOSPC).
snap() {
	for l in "$leader" "$mleader"; do
		c=$(n "$l" plog commit) || fail "commit index on node $l"
		g=$(( (l - 1) / 3 * 3 ))
		for i in $((g + 1)) $((g + 2)) $((g + 3)); do
			n "$i" plog wait "$c" 30000 || fail "node $i stuck below $c"
			n "$i" plog snapwrite "$c" 4096 >/dev/null || fail "snapshot $c on node $i"
		done
		# The leader frees its ring once it hears of the followers'
		# snapshots: a write before that would find it still full.
		k=0
		while n "$l" paxosctl status | grep -q "strict, full"; do
			k=$((k + 1))
			[ $k -le 100 ] || fail "node $l still full after the snapshots"
			sleep 0.05
		done
	done
}
sleep 0.5


# The paxos_store tracepoint during the durable runs: how long each
# batch waited to be staged and took to be durable, in the node.
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null || true
TP=$T/events/paxos/paxos_store/enable
trace_on() {
	[ -w $TP ] || return 0
	echo 0 >$T/tracing_on
	: >$T/trace
	echo 1 >$TP
	echo 1 >$T/tracing_on
}
trace_off() {
	[ -w $TP ] || return 0
	echo 0 >$TP
	grep paxos_store $T/trace >>"$1" || true
}
# tr NODE FIELD FILE: the field's values in the node's batches.
tr_vals() { sed -n "s/.* node=$1 .*$2=\([0-9]*\).*/\1/p" "$3"; }
: >$OUT/trace1.txt
: >$OUT/trace64.txt
# Batches a node wrote, and the commit index: entries per batch.
writes() { n "$1" paxosctl status | sed -n 's/^  store_writes \([0-9]*\).*/\1/p'; }
per_batch() {	# FILE NODE WRITES0 COMMIT0 COMMIT1
	w=$(writes "$2")
	awk -v w="$((w - $3))" -v c="$(($5 - $4))" 'BEGIN {if (w > 0) printf "%.1f\n", c / w; else print 0}' >>"$1"
}
for r in $(seq 1 "$ROUNDS"); do
	v=$(n "$leader" $CLIENT udpping client "10.0.0.$other" 7600 -n 1000 | udp_p50) || true
	echo "${v:-0}" >>$OUT/s-floor.txt
	f=$($CLIENT flushlat dev /dev/vdd -n 200 -w 10) || true
	v=$(echo "$f" | kv p50_us); echo "${v:-0}" >>$OUT/s-flush.txt
	v=$(echo "$f" | kv p99_us); echo "${v:-0}" >>$OUT/s-flush99.txt
	snap
	c0=$(n "$leader" plog commit); wl=$(writes "$leader"); wf=$(writes "$other")
	trace_on
	t=$(run "$leader" --label durable --depth 1 --size 64 --seconds "$SECS")
	trace_off $OUT/trace1.txt
	c1=$(n "$leader" plog commit)
	per_batch $OUT/s-batch1-l.txt "$leader" "$wl" "$c0" "$c1"
	per_batch $OUT/s-batch1-f.txt "$other" "$wf" "$c0" "$c1"
	v=$(echo "$t" | col 6 1); echo "${v:-0}" >>$OUT/s-p50.txt
	v=$(echo "$t" | col 7 1); echo "${v:-0}" >>$OUT/s-p99.txt
	v=$(echo "$t" | col 5 1); echo "${v:-0}" >>$OUT/s-rate1.txt
	snap
	# At depth 64 the 1024-entry ring fills within a run: snapshots
	# follow the commit index meanwhile, as an application's would.
	snap_loop 1 2 3
	c0=$(n "$leader" plog commit); wl=$(writes "$leader"); wf=$(writes "$other")
	trace_on
	t=$(run "$leader" --label durable --depth 64 --size 64 --seconds "$SECS")
	trace_off $OUT/trace64.txt
	c1=$(n "$leader" plog commit)
	snap_stop
	per_batch $OUT/s-batch64-l.txt "$leader" "$wl" "$c0" "$c1"
	per_batch $OUT/s-batch64-f.txt "$other" "$wf" "$c0" "$c1"
	v=$(echo "$t" | col 5 1); echo "${v:-0}" >>$OUT/s-rate64.txt
	v=$(echo "$t" | col 6 1); echo "${v:-0}" >>$OUT/s-p50-64.txt
	# The same with the other number of batches in flight a node
	# (store_depth), in the same round: what a second one buys here.
	echo "$alt" >$DEPTH
	snap
	t=$(run "$leader" --label "durable-store$alt" --depth 1 --size 64 --seconds "$SECS")
	v=$(echo "$t" | col 6 1); echo "${v:-0}" >>$OUT/s-alt-p50.txt
	v=$(echo "$t" | col 5 1); echo "${v:-0}" >>$OUT/s-alt-rate1.txt
	snap
	snap_loop 1 2 3
	t=$(run "$leader" --label "durable-store$alt" --depth 64 --size 64 --seconds "$SECS")
	snap_stop
	v=$(echo "$t" | col 5 1); echo "${v:-0}" >>$OUT/s-alt-rate64.txt
	echo "$depth0" >$DEPTH
	paste $OUT/s-rate64.txt $OUT/s-alt-rate64.txt | tail -n 1 |
		awk -v d="$depth0" '$1 > 0 && $2 > 0 {print d == 2 ? $1 / $2 : $2 / $1}' >>$OUT/s-ratio-two.txt
	snap
	# Without disks depth 1 can fill the ring within a run too.
	snap_loop 4 5 6
	t=$(run "$mleader" --label memory --depth 1 --size 64 --seconds "$SECS")
	snap_stop
	v=$(echo "$t" | col 6 1); echo "${v:-0}" >>$OUT/s-mem-p50.txt
	v=$(echo "$t" | col 5 1); echo "${v:-0}" >>$OUT/s-mem-rate1.txt
	snap
	snap_loop 4 5 6
	t=$(run "$mleader" --label memory --depth 64 --size 64 --seconds "$SECS")
	snap_stop
	v=$(echo "$t" | col 5 1); echo "${v:-0}" >>$OUT/s-mem-rate64.txt
	paste $OUT/s-floor.txt $OUT/s-flush.txt $OUT/s-p50.txt | tail -n 1 |
		awk '$1 > 0 && $2 > 0 && $3 > 0 {print $3 / ($1 + 1.2 * $2)}' >>$OUT/s-ratioA.txt
	paste $OUT/s-rate1.txt $OUT/s-rate64.txt | tail -n 1 |
		awk '$1 > 0 && $2 > 0 {print $2 / $1}' >>$OUT/s-ratioB.txt
	echo "round $r: floor $(tail -n1 $OUT/s-floor.txt) flush $(tail -n1 $OUT/s-flush.txt)" \
		"durable p50 $(tail -n1 $OUT/s-p50.txt) p99 $(tail -n1 $OUT/s-p99.txt) us;" \
		"commits/s depth 1 $(tail -n1 $OUT/s-rate1.txt) depth 64 $(tail -n1 $OUT/s-rate64.txt);" \
		"no disk: p50 $(tail -n1 $OUT/s-mem-p50.txt) us, commits/s $(tail -n1 $OUT/s-mem-rate1.txt)" \
		"depth 64 $(tail -n1 $OUT/s-mem-rate64.txt);" \
		"entries/batch leader, follower: depth 1 $(tail -n1 $OUT/s-batch1-l.txt), $(tail -n1 $OUT/s-batch1-f.txt)" \
		"depth 64 $(tail -n1 $OUT/s-batch64-l.txt), $(tail -n1 $OUT/s-batch64-f.txt);" \
		"store_depth $alt: p50 $(tail -n1 $OUT/s-alt-p50.txt) us," \
		"commits/s depth 1 $(tail -n1 $OUT/s-alt-rate1.txt) depth 64 $(tail -n1 $OUT/s-alt-rate64.txt)"
done
for d in 1 64; do
	for who in leader other; do
		eval id=\$$who
		tr_vals "$id" write_us $OUT/trace$d.txt >$OUT/s-tw-$who-$d.txt
		tr_vals "$id" wait_us $OUT/trace$d.txt >$OUT/s-tq-$who-$d.txt
		tr_vals "$id" entries $OUT/trace$d.txt >$OUT/s-te-$who-$d.txt
	done
done
for i in 1 2 3; do
	echo "# node $i: $(n "$i" paxosctl status | sed -n 's/^  \(store_writes\|store_flushes\|store_bytes\) /\1=/p' | tr '\n' ' ')"
done

floor=$(median $OUT/s-floor.txt); flush=$(median $OUT/s-flush.txt); flush99=$(median $OUT/s-flush99.txt)
p50=$(median $OUT/s-p50.txt); p99=$(median $OUT/s-p99.txt)
rate1=$(median $OUT/s-rate1.txt); rate64=$(median $OUT/s-rate64.txt)
ra=$(median $OUT/s-ratioA.txt); rb=$(median $OUT/s-ratioB.txt)
budget=$(awk -v a="$floor" -v b="$flush" 'BEGIN {printf "%.0f", a + 1.2 * b}')
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {ok = op == "le" ? v <= t : v >= t; print ok ? "met" : "missed"}'; }
{
	echo
	echo "== durable commits, 3 nodes with a disk each (virtio-blk, cache=none), 64-byte values;"
	echo "   median of $ROUNDS rounds (range); times in us; emulated (TCG) VM: absolute"
	echo "   figures are many times a real machine's, the ratios are what compare"
	printf '  %-44s %10s  (%s)\n' "UDP ping-pong RTT p50 (floor)" "$floor" "$(range $OUT/s-floor.txt)"
	printf '  %-44s %10s  (%s)\n' "device flush p50 (flushlat dev, 4 KiB)" "$flush" "$(range $OUT/s-flush.txt)"
	printf '  %-44s %10s  (%s)\n' "device flush p99" "$flush99" "$(range $OUT/s-flush99.txt)"
	printf '  %-44s %10s  (%s)\n' "flush p50, vdd alone, before the rounds" "$(median $OUT/s-flush1.txt)" "$(range $OUT/s-flush1.txt)"
	printf '  %-44s %10s  (%s)\n' "flush p50, vda-vdb at once, before the rounds" "$(median $OUT/s-flush2.txt)" "$(range $OUT/s-flush2.txt)"
	printf '  %-44s %10s  (%s)\n' "flush p50, vda-vdc at once, before the rounds" "$(median $OUT/s-flush3.txt)" "$(range $OUT/s-flush3.txt)"
	printf '  %-44s %10s  (%s)\n' "durable commit p50, depth 1" "$p50" "$(range $OUT/s-p50.txt)"
	printf '  %-44s %10s  (%s)\n' "durable commit p99, depth 1" "$p99" "$(range $OUT/s-p99.txt)"
	printf '  %-44s %10s  (%s)\n' "commits/s, depth 1" "$rate1" "$(range $OUT/s-rate1.txt)"
	printf '  %-44s %10s  (%s)\n' "commits/s, depth 64" "$rate64" "$(range $OUT/s-rate64.txt)"
	printf '  %-44s %10s  (%s)\n' "durable commit p50, depth 64" "$(median $OUT/s-p50-64.txt)" "$(range $OUT/s-p50-64.txt)"
	printf '  %-44s %10s  (%s)\n' "no disk: commit p50, depth 1" "$(median $OUT/s-mem-p50.txt)" "$(range $OUT/s-mem-p50.txt)"
	printf '  %-44s %10s  (%s)\n' "no disk: commits/s, depth 1" "$(median $OUT/s-mem-rate1.txt)" "$(range $OUT/s-mem-rate1.txt)"
	printf '  %-44s %10s  (%s)\n' "no disk: commits/s, depth 64" "$(median $OUT/s-mem-rate64.txt)" "$(range $OUT/s-mem-rate64.txt)"
	for d in 1 64; do
		for who in leader other; do
			[ "$who" = other ] && w=follower || w=leader
			printf '  %-44s %10s  (%s)\n' "in-node batch write p50 (us), $w, depth $d" \
				"$(median0 $OUT/s-tw-$who-$d.txt)" "$(wc -l <$OUT/s-tw-$who-$d.txt) batches"
			printf '  %-44s %10s\n' "in-node batch wait p50 (us), $w, depth $d" \
				"$(median0 $OUT/s-tq-$who-$d.txt)"
		done
	done
	printf '  %-44s %10s  (%s)\n' "entries a batch, leader, depth 1" "$(median $OUT/s-batch1-l.txt)" "$(range $OUT/s-batch1-l.txt)"
	printf '  %-44s %10s  (%s)\n' "entries a batch, follower, depth 1" "$(median $OUT/s-batch1-f.txt)" "$(range $OUT/s-batch1-f.txt)"
	printf '  %-44s %10s  (%s)\n' "entries a batch, leader, depth 64" "$(median $OUT/s-batch64-l.txt)" "$(range $OUT/s-batch64-l.txt)"
	printf '  %-44s %10s  (%s)\n' "entries a batch, follower, depth 64" "$(median $OUT/s-batch64-f.txt)" "$(range $OUT/s-batch64-f.txt)"
	printf '  %-44s %10s  (%s)\n' "store_depth $alt: durable p50, depth 1" "$(median $OUT/s-alt-p50.txt)" "$(range $OUT/s-alt-p50.txt)"
	printf '  %-44s %10s  (%s)\n' "store_depth $alt: commits/s, depth 1" "$(median $OUT/s-alt-rate1.txt)" "$(range $OUT/s-alt-rate1.txt)"
	printf '  %-44s %10s  (%s)\n' "store_depth $alt: commits/s, depth 64" "$(median $OUT/s-alt-rate64.txt)" "$(range $OUT/s-alt-rate64.txt)"
	printf '  %-44s %10s  (%s)\n' "depth 64, store_depth 2 / 1 (per round)" "$(median $OUT/s-ratio-two.txt)" "$(range $OUT/s-ratio-two.txt)"
	echo "targets (median of the rounds' ratios):"
	printf '  %-44s %10s  budget %s us: %s\n' "A: p50 / (floor + 1.2 x flush), <= 1" "$ra" "$budget" "$(verdict "$ra" 1 le)"
	printf '  %-44s %10s  %s\n' "B: commits/s depth 64 / depth 1, >= 10" "$rb" "$(verdict "$rb" 10 ge)"
} | tee $OUT/bench-storage.txt
echo "{\"rounds\":$ROUNDS,\"seconds\":$SECS,\"steered\":$STEER,\"floor_rtt_p50_us\":$floor,\"flush_p50_us\":$flush,\"flush_p99_us\":$flush99,\"durable_p50_us\":$p50,\"durable_p99_us\":$p99,\"commits_per_s_depth1\":$rate1,\"commits_per_s_depth64\":$rate64,\"target_a_ratio\":$ra,\"target_a_budget_us\":$budget,\"target_b_ratio\":$rb,\"nodisk_p50_us\":$(median $OUT/s-mem-p50.txt),\"nodisk_commits_per_s_depth1\":$(median $OUT/s-mem-rate1.txt),\"nodisk_commits_per_s_depth64\":$(median $OUT/s-mem-rate64.txt),\"flush_p50_alone_us\":$(median $OUT/s-flush1.txt),\"flush_p50_two_at_once_us\":$(median $OUT/s-flush2.txt),\"flush_p50_three_at_once_us\":$(median $OUT/s-flush3.txt),\"entries_per_batch_leader_depth64\":$(median $OUT/s-batch64-l.txt),\"entries_per_batch_follower_depth64\":$(median $OUT/s-batch64-f.txt),\"store_depth\":$depth0,\"alt_store_depth\":$alt,\"alt_p50_us\":$(median $OUT/s-alt-p50.txt),\"alt_commits_per_s_depth1\":$(median $OUT/s-alt-rate1.txt),\"alt_commits_per_s_depth64\":$(median $OUT/s-alt-rate64.txt),\"depth64_store2_over_store1\":$(median $OUT/s-ratio-two.txt)}" >$OUT/bench-storage.json
