#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# paxosbench against paxosd on loopback, both built with ASan and UBSan:
# bad arguments are refused before anything runs, and runs against a
# cluster of one and of three commit and write well-formed JSON.  The last
# line is `N passed, M failed`.
cd "$(dirname "$0")" || exit 1
tmp=$(mktemp -d)
pids=""
trap 'kill $pids 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $*"; }
nok() { failed=$((failed + 1)); echo "not ok $*"; }
bench=./paxosbench-san
port=$((20000 + $$ % 20000))

# refused MESSAGE ARGS...: exit status 2, MESSAGE on stderr, no JSON file.
refused() {
	msg=$1
	shift
	err=$($bench --json "$tmp/bad.json" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = 2 ] && printf '%s' "$err" | grep -q -- "$msg" && [ ! -e "$tmp/bad.json" ]; then
		ok "refused: $*"
	else
		nok "refused: $* (exit $rc: $err)"
	fi
	rm -f "$tmp/bad.json"
}
refused "--depth" --depth 0
refused "--depth" --depth 1,1025
refused "--depth" --depth 1,x
refused "--depth" --depth 1,2,3,4,5,6,7,8,9
refused "--size" --size 15
refused "--size" --size 64,
refused "--size" --size 8193
refused "--seconds" --seconds 0
refused "--seconds" --seconds 1s
refused "--seconds" --warmup -1
refused "usage" --label
refused "usage" --bogus

# daemon ID NODES: paxosd ID of a loopback cluster of NODES.
daemon() {
	peers=""
	for j in $(seq 1 "$2"); do
		[ "$j" = "$1" ] || peers="$peers --peer $j=127.0.0.1:$((port + j))"
	done
	# shellcheck disable=SC2086
	../../paxosd/paxosd-san --id "$1" --listen "127.0.0.1:$((port + $1))" $peers \
		--sock "$tmp/pd$1.sock" --heartbeat 20 --election 100 --lease 400 \
		2>"$tmp/pd$1-$2.err" &
	pids="$pids $!"
}

# bench NAME RESULTS ARGS...: exit 0 and RESULTS JSON entries, each with
# commits.
bench() {
	name=$1
	want=$2
	shift 2
	rm -f "$tmp/r.json"
	out=$(timeout 30 $bench --seconds 0.3 --warmup 0.2 --json "$tmp/r.json" "$@" 2>&1)
	rc=$?
	if [ "$rc" != 0 ]; then
		nok "$name: exit status $rc ($out)"
		return
	fi
	got=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(len(r) if all(e["commits"] > 0 and e["p50_us"] > 0 for e in r) else -1)' "$tmp/r.json" 2>&1)
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		nok "$name: $got of $want results with commits ($out)"
	fi
}

# A cluster of one commits within px_propose(): the answer must not be
# lost.
daemon 1 1
sleep 1
bench "one node, pipelined, depth 1 and 8" 2 --paxosd "$tmp/pd1.sock" --depth 1,8 --size 64
bench "one node, threads, 16 and 8192 bytes" 2 --paxosd "$tmp/pd1.sock" --threads --depth 4 --size 16,8192
kill $pids 2>/dev/null
wait 2>/dev/null
pids=""

port=$((port + 10))
for i in 1 2 3; do
	daemon "$i" 3
done
sleep 2
for i in 1 2 3; do
	bench "three nodes, writes to node $i" 2 --paxosd "$tmp/pd$i.sock" --depth 1,64 --size 64
done
kill $pids 2>/dev/null
wait 2>/dev/null
pids=""
for f in "$tmp"/pd*.err; do
	if [ -s "$f" ]; then
		nok "paxosd stderr is empty: $(head -n 5 "$f")"
	else
		ok "paxosd stderr is empty ($(basename "$f"))"
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
