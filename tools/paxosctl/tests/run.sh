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
for a in "" "transfer" "transfer 0" "transfer 65536" "transfer x" "hand 2" "transfer 2 3"; do
	# shellcheck disable=SC2086
	./paxosctl leader $a >/dev/null 2>&1; [ $? -eq 2 ] &&
		ok "leader $a: exit 2" || nok "leader $a: exit 2"
done
./paxosctl help | grep -q 'leader transfer ID' && ok "help lists leader transfer" || nok "help lists leader transfer"

# setconf checks the whole file before it talks to the kernel: a bad file
# exits 2 with FILE:LINE, whether or not the module is loaded.
./paxosctl help | grep -q 'setconf FILE | showconf' && ok "help lists setconf" || nok "help lists setconf"
printf 'id 1\n# comment\nheartbeat 99999ms\n' >"$tmp/bad.conf"
msg=$(./paxosctl setconf "$tmp/bad.conf" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$msg" | grep -q "bad.conf:3: heartbeat 99999ms out of range" &&
	ok "setconf: bad file exit 2, FILE:LINE" || nok "setconf: bad file ($rc: $msg)"
msg=$(printf 'id 1\nmember 1 addr 10.0.0.1\n' | ./paxosctl setconf - 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$msg" | grep -q "(stdin):2: member 1 is this node's own id" &&
	ok "setconf: stdin error names (stdin):LINE" || nok "setconf: stdin ($rc: $msg)"
./paxosctl setconf "$tmp/missing.conf" >/dev/null 2>&1; [ $? -eq 2 ] &&
	ok "setconf: missing file exit 2" || nok "setconf: missing file exit 2"
./paxosctl setconf >/dev/null 2>&1; [ $? -eq 2 ] && ok "setconf: no FILE exit 2" || nok "setconf: no FILE exit 2"
./paxosctl showconf extra >/dev/null 2>&1; [ $? -eq 2 ] && ok "showconf: argument exit 2" || nok "showconf: argument exit 2"
printf 'id 1\nkey-file %s\n' "$tmp/key" >"$tmp/kf.conf"
printf 'not a key\n' >"$tmp/key"
msg=$(./paxosctl setconf "$tmp/kf.conf" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$msg" | grep -q "kf.conf:2: key-file $tmp/key: a key file holds exactly 64 hex digits" &&
	ok "setconf: bad key file exit 2" || nok "setconf: bad key file ($rc: $msg)"
if [ ! -d /sys/module/paxos ]; then
	# A good file gets as far as the kernel; a readable key file is warned of.
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/key"
	chmod 644 "$tmp/key"
	msg=$(./paxosctl setconf "$tmp/kf.conf" 2>&1); rc=$?
	[ $rc -eq 1 ] && echo "$msg" | grep -q 'paxos module not loaded' &&
		echo "$msg" | grep -q 'warning: .*key.*group or others' &&
		ok "setconf: good file reaches the kernel, key file mode warned" ||
		nok "setconf: good file ($rc: $msg)"
fi

# Bash completion: source it and ask for a few prefixes.
comp() {	# expected, words...
	want=$1
	shift
	got=$(bash -c '. ./paxosctl.bash-completion
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _paxosctl
		echo "${COMPREPLY[*]}"' bash "$@")
	[ "$got" = "$want" ] && ok "completion: $* -> $want" || nok "completion: $*: \"$got\", not \"$want\""
}
comp "storage setconf showconf status" paxosctl s
comp "set clear show" paxosctl storage ""
comp "lease leader log" paxosctl -j l
comp "--json" paxosctl --j
comp "add del show" paxosctl member ""
comp "heartbeat" paxosctl node set id 1 h
comp "" paxosctl node set id ""
comp "addr port" paxosctl member add 2 ""
comp "duration drift" paxosctl lease set d
comp "--follow --from" paxosctl log --f
comp "set show" paxosctl log s
comp "retain" paxosctl log set r
./paxosctl storage set vdb >/dev/null 2>&1; [ $? -eq 2 ] && ok "storage set: relative path exit 2" || nok "storage set: relative path exit 2"
./paxosctl storage >/dev/null 2>&1; [ $? -eq 2 ] && ok "storage: no subcommand exit 2" || nok "storage: no subcommand exit 2"
./paxosctl log set retain 1KiB >/dev/null 2>&1; [ $? -eq 2 ] && ok "log set retain: below 64KiB exit 2" || nok "log set retain: below 64KiB exit 2"
./paxosctl log set retain lots >/dev/null 2>&1; [ $? -eq 2 ] && ok "log set retain: bad size exit 2" || nok "log set retain: bad size exit 2"
: >"$tmp/node1.conf"
comp "$tmp/node1.conf" paxosctl setconf "$tmp/node"
# Every command `paxosctl help` lists completes.
for c in $(./paxosctl help | sed -n 's/^  \([a-z]*\).*/\1/p' | sort -u); do
	echo " $(bash -c '. ./paxosctl.bash-completion; COMP_WORDS=(paxosctl ""); COMP_CWORD=1; _paxosctl; echo "${COMPREPLY[*]}"') " |
		grep -q " $c " || { nok "completion misses command $c"; c=; break; }
done
[ -n "$c" ] && ok "completion knows every command in help"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
