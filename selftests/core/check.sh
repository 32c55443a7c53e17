#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Engine checks: unit tests, the simulator over many seeds (two processes,
# one per core), a sanitized simulator run, and the teeth: each planted
# protocol bug (bugs/N-*.patch, applied to a copy of the engine) must make
# the simulator fail.  Last line: `N passed, M failed`.
cd "$(dirname "$0")" || exit 1
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $*"; }
nok() { failed=$((failed + 1)); echo "not ok $*"; }

# Seeds each planted bug may use before it must have been caught.
TEETH_SEEDS=${TEETH_SEEDS:-2000}

teeth() {
	for bug in ${BUGS:-1 2 3 4 5}; do
		caught=""
		for n in 3 5 7; do
			if ! out=$(./sim-bug$bug --nodes $n --seeds 1:$TEETH_SEEDS --stop --quiet); then
				caught="$n nodes: $(echo "$out" | grep -m1 '^FAIL')"
				break
			fi
		done
		if [ -n "$caught" ]; then
			ok "planted bug $bug caught ($caught)"
		else
			nok "planted bug $bug NOT caught in $TEETH_SEEDS seeds x 3, 5, 7 nodes"
		fi
	done
}

if [ "${1:-}" = teeth ]; then
	teeth
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

if out=$(./unit 2>&1); then
	echo "$out" | tail -n 3
	p=$(echo "$out" | sed -n 's/^unit: \([0-9]*\) passed.*/\1/p')
	passed=$((passed + ${p:-0}))
else
	echo "$out"
	nok "unit tests"
fi

if out=$(sh ./layers.sh 2>&1); then
	ok "engine shape: leaves call nothing above, no unnamed call cycle, functions <= 80 lines"
else
	echo "$out"
	nok "engine shape"
fi

start=$(date +%s)
for spec in "3 ${SEEDS3:-8000}" "5 ${SEEDS5:-7000}" "7 ${SEEDS7:-5000}" "9 ${SEEDS9:-1000}"; do
	set -- $spec
	half=$(($2 / 2))
	./sim --nodes $1 --seeds 1:$half >/tmp/sim.$$.a 2>&1 &
	pa=$!
	./sim --nodes $1 --seeds $((half + 1)):$2 >/tmp/sim.$$.b 2>&1
	rb=$?
	wait $pa
	ra=$?
	cat /tmp/sim.$$.a /tmp/sim.$$.b | grep -E '^(FAIL|replay|sim:)'
	if [ $ra -eq 0 ] && [ $rb -eq 0 ]; then
		ok "simulator: $1 nodes, $2 seeds"
	else
		nok "simulator: $1 nodes, $2 seeds"
	fi
	rm -f /tmp/sim.$$.a /tmp/sim.$$.b
done
echo "# simulator: $((${SEEDS3:-8000} + ${SEEDS5:-7000} + ${SEEDS7:-5000} + ${SEEDS9:-1000})) seeds in $(( $(date +%s) - start ))s"

if ./sim-asan --nodes 5 --seeds 1:200 --quiet; then
	ok "simulator under ASan/UBSan: 5 nodes, 200 seeds"
else
	nok "simulator under ASan/UBSan"
fi

teeth
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
