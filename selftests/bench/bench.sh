#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`, inside the VM: commit latency and throughput of the kernel
# nodes next to the network's floor (a user-space UDP ping-pong between the
# same namespaces) and next to the same engine in user space (paxosd), with
# 3 and then 5 nodes.  Prints one table and writes /out/bench.json.
#
# Topology.  All nodes share the VM's two CPUs, and a veth delivers a
# datagram by running the receiver's whole path in the sender's context: a
# writer's own system call would carry each round through every node, and
# nothing could overlap.  So receive processing is steered to CPU 1 (RPS on
# every device), where the nodes run, and the client is pinned to CPU 0:
# as with remote nodes on their own machines.  The floor and the twin are
# measured the same way: udpping's client on CPU 0 and its server on CPU 1,
# paxosd on CPU 1.  BENCH_STEER=0 measures without steering.
set -e
cd "$(dirname "$0")/../paxos"
. ./lib.sh
trap cleanup EXIT
SECS=${BENCH_SECONDS:-2}
OUT=/out
mkdir -p $OUT
STEER=${BENCH_STEER:-1}
[ "$(nproc)" -ge 2 ] || STEER=0
if [ "$STEER" = 1 ]; then
	CLIENT="taskset 1"
	NODE="taskset 2"
else
	CLIENT=""
	NODE=""
fi
BENCH="timeout 90 $CLIENT /kpaxos/tools/paxosbench/paxosbench"

# setup COUNT: the namespaces, with receive processing on CPU 1.
setup() {
	make_cluster "$1"
	[ "$STEER" = 1 ] || return 0
	for ns in $(ip netns list | sed -n 's/^\(px[a-z0-9]*\).*/\1/p'); do
		ip netns exec "$ns" sh -c \
			'for q in /sys/class/net/*/queues/rx-*/rps_cpus; do echo 2 >"$q"; done'
	done
}

run_kernel() {	# nodes
	setup "$1"
	for i in $(seq 1 "$1"); do
		configure "$i"
	done
	leader=$(wait_leader 30) || fail "no leader"
	f=$((leader % $1 + 1))
	n "$leader" $BENCH --label "k$1" --depth 1,8,64,256 --size 64 --seconds $SECS --json $OUT/k$1.json
	if [ "$1" = 3 ]; then
		n "$leader" $BENCH --label "k$1" --depth 1,64 --size 16,1024,8192 --seconds $SECS --json $OUT/k$1-sizes.json
		# A blocking write per thread, as a simple application does.
		n "$leader" $BENCH --threads --label "k$1-thr" --depth 1,8,64 --size 64 --seconds $SECS --json $OUT/k$1-threads.json
	fi
	n "$f" $BENCH --label "k$1-fwd" --depth 1,64 --size 64 --seconds $SECS --json $OUT/k$1-fwd.json
	for i in $(seq 1 "$1"); do n "$i" paxosctl down; done
}

run_twin() {	# nodes
	for i in $(seq 1 "$1"); do
		peers=""
		for j in $(seq 1 "$1"); do
			[ "$j" = "$i" ] || peers="$peers --peer $j=10.0.0.$j:7500"
		done
		n "$i" $NODE paxosd --id "$i" --listen "10.0.0.$i:7500" $peers --sock "/tmp/pd$i.sock" \
			--heartbeat $HEARTBEAT --election $ELECTION --lease $LEASE &
	done
	sleep 3
	# The twin's leader: the one whose writes do not need forwarding is
	# unknown from outside; try each and keep the fastest at depth 1.
	best=""
	for i in $(seq 1 "$1"); do
		p=$(n "$i" $BENCH --paxosd "/tmp/pd$i.sock" --label probe --depth 1 --size 64 --seconds 0.5 | awk 'NR==2 {print $7}')
		if [ -z "$best" ] || [ "${p:-999999}" -lt "$bestp" ]; then best=$i; bestp=${p:-999999}; fi
	done
	# A run that does not finish is reported as missing, not fatal.
	n "$best" $BENCH --paxosd "/tmp/pd$best.sock" --label "u$1" --depth 1,8,64,256 --size 64 --seconds $SECS --json $OUT/u$1.json ||
		echo "twin, $1 nodes: a run did not finish"
	killall -q paxosd 2>/dev/null || true
	sleep 0.5
}

echo "== floor: UDP ping-pong between the namespaces (3 nodes)"
echo "(receive steered to CPU 1, clients on CPU 0: $([ "$STEER" = 1 ] && echo yes || echo no))"
setup 5
for i in 2 3 4 5; do
	n "$i" $NODE udpping server 7600 &
done
sleep 0.5
n 1 $CLIENT udpping client 10.0.0.2 7600 -n 5000 | tee $OUT/floor.txt
n 1 $CLIENT udpping flood 10.0.0.2 7600 -t 2 | tee -a $OUT/floor.txt
# A leader's round: to every follower, until a majority (with it) echoed.
n 1 $CLIENT udpping quorum 1 7600 10.0.0.2 10.0.0.3 -n 5000 | tee $OUT/quorum3.txt
n 1 $CLIENT udpping quorum 2 7600 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 -n 5000 | tee $OUT/quorum5.txt
killall -q udpping 2>/dev/null || true
cleanup

echo "== kernel, 3 nodes"
run_kernel 3
cleanup
echo "== user-space twin, 3 nodes"
setup 3
run_twin 3
cleanup
echo "== kernel, 5 nodes"
run_kernel 5
cleanup
echo "== user-space twin, 5 nodes"
setup 5
run_twin 5
cleanup

# One table: floor, kernel, twin, ratios, throughput per depth.
floor=$(sed -n 's/.*p50 \([0-9.]*\) us.*/\1/p' $OUT/floor.txt)
q3=$(sed -n 's/.*p50 \([0-9.]*\) us.*/\1/p' $OUT/quorum3.txt)
q5=$(sed -n 's/.*p50 \([0-9.]*\) us.*/\1/p' $OUT/quorum5.txt)
get() {	# file depth field(p50_us|commits_per_s)
	sed -n "s/.*\"size\":64,\"depth\":$2,.*\"$3\":\([0-9.]*\).*/\1/p" "$OUT/$1" | head -n1
}
k3=$(get k3.json 1 p50_us); u3=$(get u3.json 1 p50_us)
k5=$(get k5.json 1 p50_us); u5=$(get u5.json 1 p50_us)
r1=$(get k3.json 1 commits_per_s); r64=$(get k3.json 64 commits_per_s)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
	echo
	echo "== summary (64-byte values; times in us; ratios from this one run;"
	echo "   receive steered to CPU 1, clients on CPU 0: $([ "$STEER" = 1 ] && echo yes || echo no))"
	printf '%-44s %10s\n' "UDP ping-pong RTT p50 (floor)" "$floor"
	printf '%-44s %10s\n' "kernel commit p50, 3 nodes, depth 1" "$k3"
	printf '%-44s %10s\n' "twin commit p50, 3 nodes, depth 1" "$u3"
	printf '%-44s %10s\n' "kernel commit p50, 5 nodes, depth 1" "$k5"
	printf '%-44s %10s\n' "twin commit p50, 5 nodes, depth 1" "$u5"
	printf '%-44s %10s   (target <= 1)\n' "kernel p50 / floor RTT" "$(ratio "$k3" "$floor")"
	printf '%-44s %10s   (target <= 0.6)\n' "kernel p50 / twin p50" "$(ratio "$k3" "$u3")"
	printf '%-44s %10s   (target <= 1.3)\n' "kernel p50 5 nodes / 3 nodes" "$(ratio "$k5" "$k3")"
	printf '%-44s %10s   (the network alone: UDP to all, until a majority echoed)\n' \
		"floor quorum round 5 nodes / 3 nodes" "$(ratio "$q5" "$q3")"
	printf '%-44s %10s   (target >= 10)\n' "kernel commits/s depth 64 / depth 1" "$(ratio "$r64" "$r1")"
	echo "throughput (commits/s) by depth:"
	for d in 1 8 64 256; do
		printf '  depth %-4s kernel-3 %8s  twin-3 %8s  kernel-5 %8s  twin-5 %8s\n' "$d" \
			"$(get k3.json $d commits_per_s)" "$(get u3.json $d commits_per_s)" \
			"$(get k5.json $d commits_per_s)" "$(get u5.json $d commits_per_s)"
	done
} | tee $OUT/summary.txt
{
	echo "{\"floor_rtt_p50_us\":$floor,\"quorum3_p50_us\":${q3:-0},\"quorum5_p50_us\":${q5:-0},"
	echo "\"steered\":$STEER,"
	for f in k3 u3 k5 u5 k3-fwd k5-fwd k3-sizes k3-threads; do
		# Only complete runs: a killed one leaves its array open.
		[ -f "$OUT/$f.json" ] && tail -n1 "$OUT/$f.json" | grep -q '^\]$' &&
			printf '"%s":%s,\n' "$f" "$(tr -d '\n' <"$OUT/$f.json")"
	done
	echo "\"done\":true}"
} >$OUT/bench.json
