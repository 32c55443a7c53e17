#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Power-loss test of stable storage (Documentation/storage.rst, "The
# power-loss test").  A VM runs three nodes, each with storage on its own
# virtual disk (three files here, run.sh --disk, cache=none), and writers
# that send every acknowledged write, "A INDEX VALUE", to a host file over
# a virtio-serial port as it is acknowledged (run.sh --serial2).  Once the
# load runs, QEMU is killed with SIGKILL after a random 0.5-4 s.  The next
# VM boots on the same disk files, brings the three nodes up from them,
# waits for a leader and for every node to deliver a fresh write, and
# dumps every node's log to the port; here every write acknowledged so
# far must be in every node's log at its index with its value, and any
# two nodes must hold the same record at every index both hold.  That VM
# then runs the load again and is killed: kill point k+1.  The last VM
# only verifies.
#
# usage: selftests/vm/powerloss.sh [--kills N] [--seed S] [--plant]
#                                  [--kernel debian|debian612] [--out DIR]
#   --kills N   kill points (default 5)
#   --seed S    seed of the random delays (default: from the clock; printed)
#   --plant     use paxos.ko built with selftests/vm/powerloss-plant.patch
#               (no vote waits for the disk), in DIR/kmod-KERNEL-plant:
#               the test must fail
#   --out DIR   disks, ports and each VM's artifacts (build/powerloss)
# PL_WRITERS (3) writers in the guest.  One line per kill point and one
# for the last boot, "ok"/"not ok"; the last line is "N passed, M failed";
# exit 0 only if nothing failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
kills=5
seed=
plant=0
kernel=debian
out=$top/build/powerloss

while [ $# -gt 0 ]; do
	case "$1" in
	--kills) kills=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--plant) plant=1; shift ;;
	--kernel) kernel=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,30p' "$0"; exit 0 ;;
	*) echo "powerloss: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$seed" ] || seed=$(( $(date +%s%N) % 1000000 ))
RANDOM=$seed
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/disk? "$out"/port.* "$out"/acked "$out"/*.pid
echo "powerloss: seed $seed, $kills kill points, kernel $kernel$([ $plant = 1 ] && echo ', PLANTED BUG')"

# The module for every boot, built once: with the plant, or for 6.12
# (run.sh would rebuild it at every boot).
ko=
if [ "$plant" = 1 ] || [ "$kernel" = debian612 ]; then
	case "$kernel" in
	debian) kv=6.1 ;;
	debian612) kv=6.12 ;;
	*) echo "powerloss: --plant on debian or debian612 only" >&2; exit 2 ;;
	esac
	kdir=/lib/modules/$("$top/scripts/kver.sh" "$kv")/build
	pd=$out/kmod-$kernel$([ "$plant" = 1 ] && echo -plant)
	rm -rf "$pd"
	mkdir -p "$pd"
	cp -r "$top/kmod" "$top/uapi" "$pd/"
	find "$pd" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
	if [ "$plant" = 1 ]; then
		(cd "$pd" && patch -s -p1 <"$top/selftests/vm/powerloss-plant.patch") ||
			{ echo "powerloss: the plant does not apply" >&2; exit 1; }
	fi
	make -s -C "$kdir" M="$pd/kmod" modules >&2 || { echo "powerloss: module build failed" >&2; exit 1; }
	ko=$pd/kmod/paxos.ko
fi

passed=0
failed=0
result() {	# ok|not-ok text
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "ok $((passed + failed)) $2"
	else
		failed=$((failed + 1))
		echo "not ok $((passed + failed)) $2"
	fi
}
# whole_lines PORT: its lines, without a last one the kill cut short.
whole_lines() {
	if [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]; then sed '$d' "$1"; else cat "$1"; fi
}
# wait_line PORT PATTERN SECONDS PID: until PORT has a line matching
# PATTERN; fails when the VM (run.sh, PID) ends first or at the timeout.
wait_line() {
	local end=$((SECONDS + $3))
	until grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$4" 2>/dev/null || { grep -q "$2" "$1" 2>/dev/null; return; }
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.2
	done
}
# check PORT: the dumps before its V line against every write acknowledged
# so far ($out/acked).  Prints "checked C lost L disagree D skipped S
# copies K" (L writes missing or wrong on some node, K node copies; S
# writes every node holds only in a snapshot) after the first problems.
check() {
	whole_lines "$1" | sed -n '/^V /q;/^D /p' >"$out/dumps"
	awk '
	BEGIN { for (i = 32; i < 127; i++) hx[sprintf("%c", i)] = sprintf("%02x", i) }
	function hex(s,   i, r) { r = ""; for (i = 1; i <= length(s); i++) r = r hx[substr(s, i, 1)]; return r }
	# A later write acknowledged at an index: the earlier one there was
	# lost at an earlier kill point, and counted then.
	FILENAME == ARGV[1] { ack[$2] = $3; next }
	# A snapshot record (type 4) at S: the node holds S and below only
	# in that snapshot.
	$4 == 4 { if (!($2 in lo) || $3 + 1 > lo[$2]) lo[$2] = $3 + 1; next }
	{
		rec[$2 SUBSEP $3] = $4 " " $5
		if (!($2 in first) || $3 + 0 < first[$2]) first[$2] = $3 + 0
		at[$3] = at[$3] " " $2
	}
	END {
		for (nd in first) if (!(nd in lo)) lo[nd] = first[nd]
		for (i in ack) {
			want = "1 " hex(ack[i]); seen = 0; miss = 0
			for (nd = 1; nd <= 3; nd++) {
				if (!(nd in lo) || i + 0 < lo[nd]) continue
				seen = 1
				if ((nd SUBSEP i) in rec && rec[nd SUBSEP i] == want) continue
				miss = 1
				if (copies++ < 6) printf "  LOST on node %d: %s at %s (holds %s)\n", nd, ack[i], i, ((nd SUBSEP i) in rec) ? rec[nd SUBSEP i] : "nothing"
			}
			lost += miss
			if (seen) checked++; else skipped++
		}
		for (i in at) {
			split(substr(at[i], 2), ns, " ")
			for (a in ns) for (b in ns)
				if (ns[a] < ns[b] && rec[ns[a] SUBSEP i] != rec[ns[b] SUBSEP i]) {
					if (dis++ < 5) printf "  DISAGREE at %s: node %s %s, node %s %s\n", i, ns[a], rec[ns[a] SUBSEP i], ns[b], rec[ns[b] SUBSEP i]
				}
		}
		printf "checked %d lost %d disagree %d skipped %d copies %d\n", checked, lost, dis, skipped, copies
	}' "$out/acked" "$out/dumps"
}

: >"$out/acked"
t_start=$SECONDS
total_lost=0
total_dis=0
for k in $(seq 1 $((kills + 1))); do
	port=$out/port.$k
	load=1
	[ "$k" -le "$kills" ] || load=0
	disks=()
	for d in 1 2 3; do disks+=(--disk "$out/disk$d:64M"); done
	KPAXOS_KO=${ko:-${KPAXOS_KO:-}} "$top/selftests/vm/run.sh" --kernel "$kernel" \
		"${disks[@]}" --serial2 "$port" --pidfile "$out/qemu.$k.pid" \
		--out "$out/boot.$k" --timeout 900 \
		--cmd "PL_BOOT=$k PL_LOAD=$load selftests/paxos/powerloss.sh" \
		>"$out/boot.$k.log" 2>&1 &
	vm=$!
	tb=$SECONDS
	# Kill point k-1: this boot's recovery and its dumps.
	if ! wait_line "$port" "^V $k " 600 "$vm"; then
		why="no verification from boot $k"
		grep -h 'FAIL' "$out/boot.$k/tap.log" "$out/boot.$k.log" 2>/dev/null | head -n 3 | sed 's/^/  /'
		[ -f "$out/qemu.$k.pid" ] && kill -9 "$(cat "$out/qemu.$k.pid")" 2>/dev/null
		wait "$vm"
		result not-ok "$([ "$k" = 1 ] && echo "boot 1" || echo "kill point $((k - 1))"): $why"
		break
	fi
	up=$(grep -m1 "^U $k " "$port" | cut -d' ' -f4-)
	if [ "$k" -gt 1 ]; then
		c=$(check "$port")
		summary=$(echo "$c" | tail -n 1)
		echo "$c" | sed '$d'
		read -r _ nchk _ nlost _ ndis _ nskip _ ncop <<<"$summary"
		total_lost=$((total_lost + nlost))
		total_dis=$((total_dis + ndis))
		what="kill point $((k - 1)) (after ${delay}ms): boot $k up ($up), $(wc -l <"$out/acked") acknowledged, $nchk checked, $nlost lost ($ncop copies missing), $ndis disagree, $nskip below a snapshot"
		if [ "$nlost" = 0 ] && [ "$ndis" = 0 ]; then result ok "$what"; else result not-ok "$what"; fi
	fi
	if [ "$load" = 0 ]; then
		wait "$vm"
		rc=$?
		if [ "$rc" = 0 ]; then
			result ok "boot $k verified and shut down cleanly ($((SECONDS - tb))s)"
		else
			result not-ok "boot $k: run.sh exit $rc (see $out/boot.$k.log)"
		fi
		break
	fi
	if ! wait_line "$port" "^L $k " 300 "$vm"; then
		[ -f "$out/qemu.$k.pid" ] && kill -9 "$(cat "$out/qemu.$k.pid")" 2>/dev/null
		wait "$vm"
		result not-ok "boot $k: the load never ran (see $out/boot.$k.log)"
		break
	fi
	delay=$((500 + RANDOM % 3501))
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
	kill -9 "$(cat "$out/qemu.$k.pid")"
	wait "$vm"
	whole_lines "$port" | grep '^A ' >"$out/new"
	reused=$(awk 'FILENAME == ARGV[1] { a[$2] = 1; next } $2 in a { r++ } END { print r + 0 }' \
		"$out/acked" "$out/new")
	[ "$reused" = 0 ] || echo "# boot $k: $reused writes acknowledged at the index of an earlier acknowledged one (lost before)"
	cat "$out/new" >>"$out/acked"
	errs=$(grep -c '^E ' "$port" || true)
	echo "# boot $k: killed ${delay}ms into the load, $(whole_lines "$port" | grep -c '^A ') writes acknowledged$([ "$errs" = 0 ] || echo ", $errs writer errors"), $((SECONDS - tb))s"
done
for k in $(seq $((passed + failed + 1)) $((kills + 1))); do
	result not-ok "not reached"
done
echo "# $(wc -l <"$out/acked") acknowledged writes in all, $total_lost lost, $total_dis disagreements, seed $seed, $((SECONDS - t_start))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
