#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: build, user-space tests, kselftests in QEMU on Debian 12's
# 6.1 and 6.12 kernels and on the debug kernel (6.1), the proof that the VM
# verdict has teeth, then checkpatch --strict, sparse and W=1 on kmod/.
# Ends with one line `N passed, M failed`; exits non-zero when anything
# failed.  The two Debian VMs run side by side, then the debug kernel's
# tests in two VMs side by side (KPAXOS_CHECK_PARALLEL=1: beside the
# Debian VMs).
#
# KPAXOS_PLANT_FAIL=1 adds a deliberately failing kselftest and
# PAXOS_PLANT_WARN=y builds the module with a WARN_ON in its init: either
# must turn the run red.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs=$top/build/check
mkdir -p "$logs"
passed=0
failed=0
failures=()
t0=$(date +%s)

pass() { passed=$((passed + $1)); }
fail() { failed=$((failed + $1)); failures+=("$2"); }
step() { echo; echo "=== $* [$(( $(date +%s) - t0 ))s]"; }

# A sub-suite whose last line is `N passed, M failed`.
suite() {	# name, command...
	local name=$1 out rc
	shift
	out=$logs/$name.log
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	suite_tally "$name" "$out" "$rc"
}
suite_tally() {	# name, log, exit status
	local name=$1 out=$2 rc=$3 line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n1)
	if [ -z "$line" ]; then
		fail 1 "$name: no summary line (exit $rc)"
		return
	fi
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed}
	pass "$p"
	[ "$f" -eq 0 ] || fail "$f" "$name: $f failed"
	[ "$rc" -eq 0 ] || [ "$f" -ne 0 ] || fail 1 "$name: exit status $rc"
}

# One pass/fail check.
single() {	# name, command...
	local name=$1
	shift
	if "$@" >"$logs/$name.log" 2>&1; then
		pass 1
		echo "ok: $name"
	else
		fail 1 "$name"
		echo "FAILED: $name (log: $logs/$name.log)"
		tail -n 30 "$logs/$name.log"
	fi
}

# The kselftests in a VM: every TAP result counts, and the verdict itself.
vm() {	# name, run.sh args...
	local name=$1
	shift
	selftests/vm/run.sh --out "$top/build/vm/$name" "$@"
	vm_tally "$name" $?
}
vm_tally() {	# name, run.sh's exit status
	local name=$1 rc=$2 ok notok
	ok=$(grep -cE '^ok [0-9]+' "build/vm/$name/tap.clean" 2>/dev/null)
	notok=$(grep -cE '^not ok [0-9]+' "build/vm/$name/tap.clean" 2>/dev/null)
	pass "${ok:-0}"
	[ "${notok:-0}" -eq 0 ] || fail "$notok" "$name: $notok kselftest(s) not ok"
	if [ "$rc" -eq 0 ]; then
		pass 1
	else
		fail 1 "$name: VM verdict failed (build/vm/$name/console.log)"
	fi
}

# The same in the background, its output in build/check/NAME.log, shown
# and counted by vm_bg_wait, which waits for every VM started so.  Each in
# its own session, so that stopping the check stops it and its QEMU too
# (timeout(1) puts QEMU in a process group of its own, but not in another
# session).
bg_pids=()
bg_names=()
bg_t0s=()
vm_bg() {	# name, run.sh args...
	local name=$1
	shift
	setsid selftests/vm/run.sh --out "$top/build/vm/$name" "$@" \
		>"$logs/$name.log" 2>&1 </dev/null &
	bg_pids+=($!)
	bg_names+=("$name")
	bg_t0s+=("$(date +%s)")
	echo "$name: running in the background, output in $logs/$name.log"
}
vm_bg_wait() {
	local i rc
	for i in "${!bg_pids[@]}"; do
		rc=0
		wait "${bg_pids[$i]}" || rc=$?
		echo "=== ${bg_names[$i]}"
		cat "$logs/${bg_names[$i]}.log"
		# Its own time: the log's last write is the run's end, which may
		# come well before the wait for an earlier VM ends.
		echo "(${bg_names[$i]}: $(( $(stat -c %Y "$logs/${bg_names[$i]}.log") - bg_t0s[i] ))s in the background)"
		vm_tally "${bg_names[$i]}" "$rc"
	done
	bg_pids=()
	bg_names=()
	bg_t0s=()
}
bg_stop() {
	local p
	for p in "${bg_pids[@]}"; do
		pkill -TERM -s "$p" 2>/dev/null
	done
	bg_pids=()
}
trap bg_stop EXIT
trap 'bg_stop; exit 130' INT TERM

step "dependencies and build"
# Builds in parallel (each check target's recipe still runs alone, after
# its prerequisites).
jobs=$(nproc 2>/dev/null || echo 2)
if ! make --no-print-directory -j"$jobs" all ${PAXOS_PLANT_WARN:+PAXOS_PLANT_WARN=y} 2>&1 | tee "$logs/build.log"; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
pass 1

for d in selftests/core tools/paxosctl tools/paxosd tools/paxosbench tools/udpping tools/flushlat tools/pxkv selftests/paxos/tools; do
	if [ -f "$d/Makefile" ] && grep -q '^check:' "$d/Makefile"; then
		step "$d"
		suite "$(echo "$d" | tr / -)" make --no-print-directory -j"$jobs" -C "$d" check
	fi
done

# The host's own checks: style, sparse, W=1, the Debian packages.  They
# keep one CPU busy for about three minutes, so they run beside the debug
# kernel's VM, which leaves the other one idle.
kdir=${KDIR:-/lib/modules/$(scripts/kver.sh)/build}
host_checked=
host_checks() {
	host_checked=1
	step "checkpatch --strict on kmod/"
	single checkpatch sh -c 'make --no-print-directory style 2>&1 | tee build/check/checkpatch.out;
		! grep -qE "(ERROR|WARNING|CHECK):" build/check/checkpatch.out'

	step "sparse on kmod/"
	single sparse sh -c 'make --no-print-directory sparse 2>&1 | tee build/check/sparse.out;
		! grep -E "kmod/.*: (warning|error):" build/check/sparse.out'

	# W=1 in a copy, so the tree's objects are not rebuilt with other flags.
	step "W=1 build of kmod/"
	single w1 sh -c "rm -rf build/w1 && mkdir -p build/w1 && cp -r kmod uapi build/w1/ &&
		find build/w1 \\( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \\) -delete &&
		make --no-print-directory -C $kdir M=$top/build/w1/kmod W=1 modules 2>&1 |
		tee build/check/w1.out; ! grep -E 'warning:|error:' build/check/w1.out"

	step "Debian packages: make deb, lintian, DKMS build for the installed headers"
	single deb scripts/deb-check.sh
}

# Five fresh disks for a VM's run, 64 MiB files of zeros: one per node
# (cluster_storage.sh uses three, cluster_member.sh five; without them
# each is skipped).
vm_disks() {	# name: sets disk_args
	local d=$top/build/vm/$1.disks x
	rm -rf "$d"
	mkdir -p "$d"
	disk_args=()
	for x in a b c d e; do
		disk_args+=(--disk "$d/$x.img:64M")
	done
}

# The Debian kernels' VMs run side by side: a TCG guest keeps about one
# of two CPUs busy, and their tests wait for states, not for fixed times.
# Then the debug kernel's tests, the longest stage by far, in two VMs
# side by side, with the host's checks beside them: its tests alone took
# 1,066 s beside the host's checks, the two halves 788 s.  The halves are
# split by the tests' times there (about 500 s of tests each);
# tests not named in the first go to the second.
# KPAXOS_CHECK_PARALLEL=1 runs them beside the Debian VMs instead.  Not
# beside the user-space suites, whose parallel sanitizer builds take both
# CPUs.
# Without disks: cluster_storage.sh alone takes 7 to 8 minutes there
# (passed clean under KASAN, lockdep and kmemleak: make check-storage-debug).
# cluster_flap.sh (a timed 60 s of link flaps, over 3 minutes there) counts
# elections, which the Debian kernels' runs do; its code paths run in the
# debug kernel's failover and Jepsen tests.  So does cluster_prefer.sh
# (the preferred leader, about a minute on the Debian kernels): its
# hand-over is the transfer cluster_transfer.sh runs there.
# cluster_member.sh skips there (it needs five disks; make
# check-member-debug runs it there, about 5 minutes, passed clean).
debug_first=(cluster_jepsen.sh cluster_ipv6.sh cluster_snapshot.sh cluster_pxkv.sh
	     cluster_teardown.sh cluster_conf.sh cluster_barrier.sh cluster_trace.sh
	     cluster_session.sh basic_load.sh basic_chardev basic_unload.sh)
debug_rest=(--skip cluster_flap.sh --skip cluster_prefer.sh)
for t in "${debug_first[@]}"; do
	debug_rest+=(--skip "$t")
done
debug_vms() {
	vm_bg vm-debug-1 --kernel debug --timeout 3600 "${debug_first[@]}"
	vm_bg vm-debug-2 --kernel debug --timeout 3600 "${debug_rest[@]}"
}
if [ -n "${KPAXOS_CHECK_PARALLEL:-}" ]; then
	step "kselftests in QEMU, debug kernel (KASAN, lockdep, kmemleak, UBSAN), two VMs"
	debug_vms
	step "kselftests in QEMU, Debian 6.1 kernel"
	vm_disks vm-debian
	vm vm-debian --kernel debian "${disk_args[@]}"
	vm_disks vm-debian612
	step "kselftests in QEMU, Debian 6.12 kernel"
	vm vm-debian612 --kernel debian612 "${disk_args[@]}"
else
	step "kselftests in QEMU, Debian 6.1 and 6.12 kernels, side by side"
	vm_disks vm-debian612
	vm_bg vm-debian612 --kernel debian612 "${disk_args[@]}"
	vm_disks vm-debian
	vm vm-debian --kernel debian "${disk_args[@]}"
	step "kselftests in QEMU, Debian 6.12 kernel: the run beside"
	vm_bg_wait
	step "kselftests in QEMU, debug kernel (KASAN, lockdep, kmemleak, UBSAN): two VMs, the host's checks beside them"
	debug_vms
	host_checks
	step "kselftests in QEMU, debug kernel: the runs beside"
	vm_bg_wait
fi

# Power loss: SIGKILL of a VM under load and a restart from its disks,
# three kill points on 6.1 and two on 6.12, side by side.
step "power loss: 3 kill points on Debian 6.1 and 2 on 6.12, side by side"
setsid selftests/vm/powerloss.sh --kills 2 --kernel debian612 \
	--out "$top/build/powerloss612" >"$logs/powerloss612.log" 2>&1 </dev/null &
pl_pid=$!
suite powerloss selftests/vm/powerloss.sh --kills 3 --kernel debian \
	--out "$top/build/powerloss"
pl_rc=0
wait "$pl_pid" || pl_rc=$?
cat "$logs/powerloss612.log"
suite_tally powerloss612 "$logs/powerloss612.log" "$pl_rc"

# The verdict has teeth: a failing test and a kernel WARNING each fail a
# run.  Skipped when the caller planted one on purpose for the whole run.
if [ -z "${KPAXOS_PLANT_FAIL:-}${PAXOS_PLANT_WARN:-}" ]; then
	step "VM verdict teeth"
	single vm-teeth-failing-test scripts/vm-teeth.sh fail
	single vm-teeth-warn scripts/vm-teeth.sh warn
fi

[ -n "$host_checked" ] || host_checks

if [ ${#bg_pids[@]} -gt 0 ]; then
	step "kselftests in QEMU: waiting for the background runs (${bg_names[*]})"
	vm_bg_wait
fi

echo
echo "=== done in $(( $(date +%s) - t0 ))s"
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
