#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# paxosctl host tests; the last line is `N passed, M failed`.
cd "$(dirname "$0")/.." || exit 1
top=../..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $*"; }
nok() { failed=$((failed + 1)); echo "not ok $*"; }

# Pure parts (ASan/UBSan build): its own count is one check each.
if out=$(tests/test_pure "$tmp/samples.json" 2>&1); then
	p=$(echo "$out" | sed -n 's/^pure: \([0-9]*\) passed.*/\1/p')
	passed=$((passed + ${p:-0}))
	echo "$out"
else
	echo "$out"
	p=$(echo "$out" | sed -n 's/^pure: \([0-9]*\) passed, \([0-9]*\) failed/\1 \2/p')
	passed=$((passed + ${p%% *}))
	failed=$((failed + ${p##* }))
fi

# Every JSON line the writer produced parses.
n=0
while IFS= read -r line; do
	n=$((n + 1))
	if printf '%s' "$line" | python3 -m json.tool >/dev/null 2>&1; then
		ok "json sample $n parses"
	else
		nok "json sample $n: $line"
	fi
done <"$tmp/samples.json"
[ "$n" -ge 4 ] && ok "json samples written ($n)" || nok "json samples missing"
# The validator itself rejects broken JSON (it can fail).
printf '{"a":1,}' | python3 -m json.tool >/dev/null 2>&1 && nok "json.tool accepted broken JSON" || ok "json.tool rejects broken JSON"

# The netlink spec and the uapi header agree...
if python3 tests/spec_check.py "$top" >"$tmp/spec.out" 2>&1; then
	ok "netlink spec matches uapi header"
else
	nok "netlink spec matches uapi header"; cat "$tmp/spec.out"
fi
# ...and the check catches a spec that drifted (two counters swapped).
sed 's/drop-malformed, drop-bad-mac/drop-bad-mac, drop-malformed/' \
	"$top/Documentation/netlink/specs/paxos.yaml" >"$tmp/bad.yaml"
if python3 tests/spec_check.py "$top" "$tmp/bad.yaml" >/dev/null 2>&1; then
	nok "spec check missed a planted mismatch"
else
	ok "spec check catches a planted mismatch"
fi

# Command line: usage errors exit 2, and without the module the message
# says so (the host kernel has no paxos family).
./paxosctl >/dev/null 2>&1; [ $? -eq 2 ] && ok "no command: exit 2" || nok "no command: exit 2"
./paxosctl frobnicate >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown command: exit 2" || nok "unknown command: exit 2"
./paxosctl -x status >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown option: exit 2" || nok "unknown option: exit 2"
./paxosctl help | grep -q 'member add ID addr A' && ok "help lists commands" || nok "help lists commands"
if [ ! -d /sys/module/paxos ]; then
	msg=$(./paxosctl status 2>&1); rc=$?
	[ $rc -eq 1 ] && echo "$msg" | grep -q 'paxos module not loaded' &&
		ok "no module: clear message" || nok "no module: clear message ($rc: $msg)"
fi
./paxosctl log --bogus >/dev/null 2>&1; [ $? -eq 2 ] && ok "log: bad option exit 2" || nok "log: bad option exit 2"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
