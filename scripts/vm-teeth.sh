#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove the VM verdict has teeth: each planted fault must make
# selftests/vm/run.sh fail, and for the reason planted.
#   vm-teeth.sh fail   a kselftest that exits 1 (KPAXOS_PLANT_FAIL=1)
#   vm-teeth.sh warn   paxos.ko built with PAXOS_PLANT_WARN=y (WARN_ON in init)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kdir=${KDIR:-/lib/modules/$(scripts/kver.sh)/build}

case "${1:-}" in
fail)
	out=build/vm/teeth-fail
	if KPAXOS_PLANT_FAIL=1 selftests/vm/run.sh --kernel debian --out "$out" basic_load.sh; then
		echo "teeth: the run passed with a failing test planted"
		exit 1
	fi
	grep -q '^not ok [0-9]* planted_fail.sh' "$out/tap.clean" || {
		echo "teeth: the run failed, but not because of the planted test"
		exit 1
	}
	grep -q '^ok [0-9]* basic_load.sh' "$out/tap.clean" || {
		echo "teeth: basic_load.sh did not pass next to the planted test"
		exit 1
	}
	;;
warn)
	out=build/vm/teeth-warn
	w=build/warn-kmod
	rm -rf "$w" && mkdir -p "$w" && cp -r kmod uapi "$w/"
	find "$w" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -delete
	make -s -C "$kdir" M="$top/$w/kmod" PAXOS_PLANT_WARN=y modules || exit 1
	if KPAXOS_KO="$top/$w/kmod/paxos.ko" selftests/vm/run.sh --kernel debian --out "$out" basic_load.sh; then
		echo "teeth: the run passed with a WARN_ON planted in the module"
		exit 1
	fi
	grep -q 'WARNING:' "$out/kernel-reports.txt" || {
		echo "teeth: the run failed, but no WARNING was seen on the console"
		exit 1
	}
	;;
*)
	echo "usage: vm-teeth.sh fail|warn" >&2
	exit 2
	;;
esac
echo "teeth: planted '$1' turned the VM verdict red, as it must"
