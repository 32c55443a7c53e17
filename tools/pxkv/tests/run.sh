#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# pxkv host tests, everything built with ASan and UBSan: the state
# machine's unit tests, then the command line and the daemon where no
# kernel is needed (usage, exit codes, JSON, a daemon without a log, a
# malformed request).  The kernel paths run in the VM
# (selftests/paxos/cluster_pxkv.sh).  The last line is `N passed, M failed`.
cd "$(dirname "$0")" || exit 1
tmp=$(mktemp -d)
pids=""
trap 'kill $pids 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $*"; }
nok() { failed=$((failed + 1)); echo "not ok $*"; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# Unit tests: their own count, one per check.
out=$(./test_kv 2>&1)
echo "$out" | grep -v '^kv: ' | head -n 40
p=$(echo "$out" | sed -n 's/^kv: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
if [ -z "$p" ]; then
	nok "unit tests gave no summary: $(echo "$out" | tail -n 5)"
else
	passed=$((passed + ${p%% *}))
	failed=$((failed + ${p##* }))
	echo "unit tests: ${p%% *} passed, ${p##* } failed"
fi

cli=./pxkv-san
daemon=./pxkvd-san

# exits WANT NAME CMD...: CMD exits WANT and ASan/UBSan said nothing.
exits() {
	want=$1
	name=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ] && ! grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
		ok "$name (exit $rc)"
	else
		nok "$name: exit $rc, want $want: $(head -c 400 "$tmp/err")"
	fi
}

exits 2 "no command" $cli
exits 2 "unknown command" $cli frob
exits 2 "unknown option" $cli -x get k
exits 2 "put without a value" $cli put k
exits 2 "get with two keys" $cli get k l
exits 2 "cas with two arguments" $cli cas k v
exits 2 "cas -n with three arguments" $cli cas -n k v w
exits 2 "empty key" $cli put "" v
exits 2 "empty owner" $cli lock L ""
exits 2 "client 0" $cli -c 0 get k
exits 2 "request 0" $cli -r 0 get k
exits 2 "bad timeout" $cli -t x get k
big=$(head -c 8200 /dev/zero | tr '\0' x)
exits 2 "a value beyond one log entry" $cli put k "$big"
exits 0 "help" $cli help
grep -q 'cas -n KEY NEW' "$tmp/out" && ok "help lists cas -n" || nok "help lists cas -n"

# No daemon: unavailable once the time runs out, exit 3, JSON says so.
t0=$(date +%s)
exits 3 "no daemon: unavailable" $cli -s "$tmp/none.sock" -t 0.5 get k
[ $(($(date +%s) - t0)) -le 5 ] && ok "gave up within the time" || nok "gave up late"
exits 3 "no daemon, JSON" $cli -j -s "$tmp/none.sock" -t 0.2 put k v
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["result"] != "unavailable")' "$tmp/out" 2>/dev/null; then
	ok "JSON for unavailable parses"
else
	nok "JSON for unavailable: $(cat "$tmp/out")"
fi

exits 2 "daemon: unknown option" $daemon -x
exits 2 "daemon: bad piece size" $daemon -p 0
exits 2 "daemon: stray argument" $daemon extra
exits 0 "daemon: help" $daemon -h

# A daemon whose log cannot be opened answers every request with an
# internal error (exit 4) instead of hanging, and removes its socket on
# SIGTERM.
$daemon -s "$tmp/d.sock" -d "$tmp/no-such-device" 2>"$tmp/d.err" &
dpid=$!
pids="$pids $dpid"
i=0
while [ ! -S "$tmp/d.sock" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ -S "$tmp/d.sock" ] && ok "daemon listens" || nok "daemon listens"
exits 4 "no log: put fails" $cli -s "$tmp/d.sock" -t 5 put k v
exits 4 "no log: get fails" $cli -s "$tmp/d.sock" -t 5 get k
grep -q 'no-such-device' "$tmp/d.err" && ok "daemon names the device" ||
	nok "daemon names the device: $(cat "$tmp/d.err")"

# Malformed requests: the daemon answers "invalid" (11) and lives on.
code=$(python3 - "$tmp/d.sock" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
codes = []
for body in (b"garbage", b"kv\x01\x63" + bytes(20), b"kv\x09" + bytes(21)):
    s.sendall(struct.pack("<I", len(body)) + body)
    n = struct.unpack("<I", s.recv(4, socket.MSG_WAITALL))[0]
    codes.append(s.recv(n, socket.MSG_WAITALL)[0])
print(",".join(map(str, codes)))
EOF
)
[ "$code" = "11,11,11" ] && ok "malformed requests answered invalid" ||
	nok "malformed requests: $code"
# A request over the size limit closes the connection.
python3 - "$tmp/d.sock" <<'EOF' && ok "oversized request: connection closed" || nok "oversized request"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(struct.pack("<I", 1 << 20))
sys.exit(0 if s.recv(4) == b"" else 1)
EOF
kill -TERM $dpid
wait $dpid 2>/dev/null
[ ! -e "$tmp/d.sock" ] && ok "socket removed on SIGTERM" || nok "socket left behind"
if grep -qE 'Sanitizer|runtime error' "$tmp/d.err"; then
	nok "daemon sanitizers: $(grep -E 'Sanitizer|runtime error' "$tmp/d.err" | head -n 3)"
else
	ok "daemon sanitizers quiet"
fi

# pxkvd on a stand-in for /dev/paxoslog (fakedev.c: a file-backed log
# that several daemons share, trimmed at each snapshot): snapshots are
# written in pieces, a daemon started later finds the log trimmed and
# starts from the snapshot, with the sessions in it; a node without
# snapshots is noted and served on; a corrupt snapshot stops the applier.
fk=$tmp/fake
mkdir -p "$fk"
touch "$fk/trim"
# fdaemon NAME ARGS...: a pxkvd-fake on the shared log, socket NAME.sock.
fdaemon() {
	name=$1
	shift
	./pxkvd-fake -s "$tmp/$name.sock" -d "fake:$fk" "$@" 2>"$tmp/$name.err" &
	pids="$pids $!"
}
kvf() { s=$1; shift; $cli -s "$tmp/$s.sock" -t 10 "$@"; }
# same A B...: every daemon prints the same hash line.
same() {
	ref=$(kvf "$1" hash) || return 1
	for d in "$@"; do
		[ "$(kvf "$d" hash)" = "$ref" ] || return 1
	done
	echo "$ref"
}

fdaemon a -n 5 -p 7
fails=0
for k in $(seq 1 12); do
	kvf a put "k$k" "v$k" >/dev/null || fails=$((fails + 1))
done
[ $fails = 0 ] && ok "fake: 12 puts" || nok "fake: $fails of 12 puts failed"
exits 0 "fake: lock" kvf a lock L alice
exits 0 "fake: a client's first request" kvf a -c 5 -r 1 put x 1
exits 0 "fake: more puts" kvf a put k13 v13
si=$(cat "$fk/snapindex" 2>/dev/null)
[ "${si:-0}" -ge 10 ] && ok "fake: snapshots written, the newest at $si" ||
	nok "fake: no snapshot written ($(cat "$tmp/a.err"))"

fdaemon b -n 0
exits 0 "fake: late daemon reads a key" kvf b get k3
[ "$(cat "$tmp/out")" = v3 ] && ok "fake: the value from the snapshot" || nok "fake: got $(cat "$tmp/out")"
grep -q "state replaced by the snapshot at $si" "$tmp/b.err" &&
	ok "fake: the late daemon started from the snapshot" ||
	nok "fake: late daemon: $(cat "$tmp/b.err")"
h=$(same a b) && ok "fake: same state on both ($h)" || nok "fake: states differ"
exits 0 "fake: a retry through the late daemon" kvf b -j -c 5 -r 1 put x 2
grep -q '"duplicate":true' "$tmp/out" && ok "fake: the retry is a duplicate across the snapshot" ||
	nok "fake: retry: $(cat "$tmp/out")"
exits 0 "fake: x kept its first value" kvf a get x
[ "$(cat "$tmp/out")" = 1 ] && ok "fake: x is 1" || nok "fake: x is $(cat "$tmp/out")"
exits 1 "fake: the lock came with the snapshot" kvf b lock L bob
for k in $(seq 1 8); do
	kvf b put "b$k" "$k" >/dev/null
done
PXKV_FAKE_NOSNAP=1 fdaemon c -n 3
exits 0 "fake: a node without snapshots serves" kvf c put c1 yes
h=$(same a b c) && ok "fake: three daemons agree ($h)" || nok "fake: three daemons differ"
grep -q 'snapshots not supported' "$tmp/c.err" &&
	! grep -q 'applier stopped' "$tmp/c.err" &&
	ok "fake: no snapshots: noted once, going on" || nok "fake: $(cat "$tmp/c.err")"

# A corrupt snapshot is refused: the applier stops, requests fail (4).
printf 'garbage' >"$fk/snap"
fdaemon d -n 0
exits 4 "fake: a corrupt snapshot stops the daemon" kvf d get k1
grep -q 'malformed' "$tmp/d.err" && grep -q 'applier stopped' "$tmp/d.err" &&
	ok "fake: it says why" || nok "fake: $(cat "$tmp/d.err")"
for f in a b c d; do
	if grep -qE 'Sanitizer|runtime error' "$tmp/$f.err"; then
		nok "fake daemon $f: $(grep -E 'Sanitizer|runtime error' "$tmp/$f.err" | head -n 2)"
	else
		ok "fake daemon $f: sanitizers quiet"
	fi
done

# The man page renders without warnings (where man is installed).
if command -v man >/dev/null 2>&1; then
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l ../../../Documentation/pxkv.1 2>&1 >/dev/null)
	[ -z "$w" ] && ok "pxkv.1: man --warnings clean" || nok "pxkv.1: $w"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
