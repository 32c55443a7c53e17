#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# jcheck's host tests, built with ASan and UBSan: generated histories of a
# correct run pass (several seeds); each fault jgen plants in one is named
# by jcheck, which exits 1; the hand-made histories in hist/ give the
# verdict their first line announces ("# expect: pass" or "# expect:
# KIND"); a malformed history is refused with exit 2.  The last line is
# `N passed, M failed`.
cd "$(dirname "$0")" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $*"; }
nok() { failed=$((failed + 1)); echo "not ok $*"; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
check=./jcheck-san

# verdict NAME WANT FILE...: jcheck on FILE... gives WANT (pass, or the
# violation kind it must name) and the sanitizers said nothing.
verdict() {
	name=$1
	want=$2
	shift 2
	$check "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
		nok "$name: sanitizer report"
		head -n 20 "$tmp/err"
	elif [ "$want" = pass ]; then
		if [ "$rc" = 0 ] && grep -q '^jcheck: PASS$' "$tmp/out"; then
			ok "$name: passes"
		else
			nok "$name: exit $rc, expected a pass"
			grep VIOLATION "$tmp/out" | head -n 5
			cat "$tmp/err"
		fi
	elif [ "$rc" = 1 ] && grep -q "^jcheck: VIOLATION $want: " "$tmp/out"; then
		ok "$name: $(grep -m1 "^jcheck: VIOLATION $want: " "$tmp/out")"
	else
		nok "$name: exit $rc, no $want violation"
		tail -n 20 "$tmp/out"
		cat "$tmp/err"
	fi
}

for seed in 1 2 3 4 5; do
	mkdir "$tmp/clean$seed"
	./jgen-san "$seed" clean "$tmp/clean$seed" || nok "jgen seed $seed"
	h=$tmp/clean$seed
	verdict "generated clean history, seed $seed" pass \
		"$h/clients" "$h/r1" "$h/r2" "$h/r3" "$h/r1f" "$h/r4"
done
# Every figure the kselftest reports is there and says no harm.
for want in 'skipped 0, lost 0, duplicates 0' 'reader 2: .* 1 snapshot records' \
	'snapshots: [1-9][0-9]* checked' \
	'retried through their session: [1-9][0-9]* writes ([1-9][0-9]* attempts): [1-9][0-9]* acknowledged, [1-9][0-9]* failed (EINTR)' \
	'pxkv: [1-9][0-9]* commands in the log, 1 snapshots checked against it, 0 past' \
	'pxkv: digest [0-9a-f]\{16\} 600$'; do
	if grep -q "^jcheck: $want" "$tmp/out"; then
		ok "clean figures: $want"
	else
		nok "clean figures: no line '$want'"
	fi
done

for fault in lost wrong-index duplicate phantom realtime barrier-below \
	barrier-above gap backwards erange disagree old-snapshot \
	snapshot-damaged snapshot-content retry-twice retry-index kv-snapshot; do
	for seed in 1 7; do
		d=$tmp/$fault.$seed
		mkdir "$d"
		./jgen-san "$seed" "$fault" "$d" || nok "jgen $fault"
		verdict "planted $fault, seed $seed" "$fault" \
			"$d/clients" "$d/r1" "$d/r2" "$d/r3" "$d/r1f" "$d/r4"
	done
done

for h in hist/*.hist; do
	want=$(sed -n '1s/^# expect: //p' "$h")
	verdict "$h" "$want" "$h"
done

printf 'w 1 0 1 10 5 ok 3\n' >"$tmp/bad"
$check "$tmp/bad" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -q 'cannot parse' "$tmp/out"; then
	ok "a write completing before its invocation is refused"
else
	nok "malformed history: exit $rc"
fi
$check "$tmp/none" >"$tmp/out" 2>&1
[ $? = 2 ] && ok "a missing history: exit 2" || nok "a missing history"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
