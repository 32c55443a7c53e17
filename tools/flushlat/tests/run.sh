#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# flushlat host tests, everything built with ASan and UBSan: the statistics'
# unit tests, then the command on files in a temporary directory (every
# mode, its output line, the region and append, bad arguments and their
# exit status).  Block devices are measured in the VM (Documentation/
# storage.rst).  The last line is `N passed, M failed`.
cd "$(dirname "$0")" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/flushlat-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $*"; }
nok() { failed=$((failed + 1)); echo "not ok $*"; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

out=$(./test_stats 2>&1)
echo "$out" | grep -v '^stats: ' | head -n 40
p=$(echo "$out" | sed -n 's/^stats: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
if [ -z "$p" ]; then
	nok "unit tests gave no summary: $(echo "$out" | tail -n 5)"
else
	passed=$((passed + ${p%% *}))
	failed=$((failed + ${p##* }))
	echo "unit tests: ${p%% *} passed, ${p##* } failed"
fi

fl=./flushlat-san

# exits WANT NAME ARGS...: flushlat ARGS exits WANT, sanitizers silent.
exits() {
	want=$1
	name=$2
	shift 2
	"$fl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		nok "$name: exit $rc, want $want: $(head -c 300 "$tmp/err")"
	elif grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
		nok "$name: sanitizer report: $(head -c 300 "$tmp/err")"
	else
		ok "$name"
	fi
}

# field KEY: the value of KEY=... in the last output line.
field() { tr ' ' '\n' <"$tmp/out" | sed -n "s/^$1=//p"; }

# A sane result line: every figure, p50 <= p99 <= max, min <= mean <= max.
sane() {	# name
	if awk -v p50="$(field p50_us)" -v p99="$(field p99_us)" -v mean="$(field mean_us)" \
		-v min="$(field min_us)" -v max="$(field max_us)" 'BEGIN {
		exit !(p50 != "" && p99 != "" && mean != "" && min + 0 > 0 &&
		       min + 0 <= p50 + 0 && p50 + 0 <= p99 + 0 && p99 + 0 <= max + 0 &&
		       min + 0 <= mean + 0 && mean + 0 <= max + 0) }'; then
		ok "$1: figures consistent"
	else
		nok "$1: figures: $(cat "$tmp/out")"
	fi
}

# O_DIRECT where the temporary directory allows it.
direct=1
if ! dd if=/dev/zero of="$tmp/probe" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
	direct=0
	echo "# $tmp: no O_DIRECT, dev and flush modes skipped"
fi

for m in fsync dev flush; do
	[ "$m" = fsync ] || [ "$direct" = 1 ] || continue
	exits 0 "$m on a new file" "$m" "$tmp/$m" -n 50 -w 2 -r 64K
	sane "$m"
	[ "$(field mode)" = "$m" ] && [ "$(field n)" = 50 ] && [ "$(field path)" = "$tmp/$m" ] &&
		[ "$(field region)" = 65536 ] && [ "$(field bs)" = 4096 ] &&
		ok "$m: mode, n, region, path" || nok "$m: $(cat "$tmp/out")"
	sz=$(stat -c %s "$tmp/$m")
	[ "$sz" = 65536 ] && ok "$m: the file is the region" || nok "$m: file is $sz bytes"
done

# The region is filled once and overwritten after: its size stays.
exits 0 "fsync, options before PATH" fsync -n 20 -r 8K -w 0 "$tmp/small"
sz=$(stat -c %s "$tmp/small")
[ "$sz" = 8192 ] && ok "8K region: 8192 bytes" || nok "8K region: $sz bytes"
# The last of 20 writes (i = 19, 'a' + 19 = 't') is block 19 % 2 = 1.
c=$(dd if="$tmp/small" bs=4096 skip=1 count=1 status=none | tail -c 1)
[ "$c" = t ] && ok "rotating offsets: last write in block 1" || nok "block 1 ends with '$c'"
# A longer file is not shortened.
truncate -s 1M "$tmp/long"
exits 0 "fsync on a longer file" fsync "$tmp/long" -n 10 -r 8K
[ "$(stat -c %s "$tmp/long")" = 1048576 ] && ok "longer file kept" || nok "longer file resized"

# -a: truncated, then one block per write.
truncate -s 1M "$tmp/app"
exits 0 "fsync -a" fsync "$tmp/app" -a -n 30 -w 5
sz=$(stat -c %s "$tmp/app")
[ "$sz" = $((35 * 4096)) ] && ok "-a: 35 blocks" || nok "-a: $sz bytes"
[ "$(field append)" = 1 ] && ok "-a reported" || nok "-a: $(cat "$tmp/out")"
if [ "$direct" = 1 ]; then
	exits 0 "dev -a" dev "$tmp/app2" -a -n 10 -w 0
	[ "$(stat -c %s "$tmp/app2")" = 40960 ] && ok "dev -a: 10 blocks" || nok "dev -a size"
fi

# Bad arguments: 2 and a message naming the problem.
exits 2 "no arguments"
exits 2 "mode only" fsync
exits 2 "unknown mode" sync "$tmp/x"
grep -q "bad mode: 'sync'" "$tmp/err" && ok "unknown mode named" || nok "unknown mode: $(cat "$tmp/err")"
exits 2 "-n 0" fsync "$tmp/x" -n 0
exits 2 "-n abc" fsync "$tmp/x" -n abc
exits 2 "-n -5" fsync "$tmp/x" -n -5
exits 2 "-n too large" fsync "$tmp/x" -n 10000001
exits 2 "-w x" fsync "$tmp/x" -w x
exits 2 "-r not a multiple of 4096" fsync "$tmp/x" -r 1000
grep -q 'bad region' "$tmp/err" && ok "region named" || nok "region: $(cat "$tmp/err")"
exits 2 "-r 0" fsync "$tmp/x" -r 0
exits 2 "-r 4KB" fsync "$tmp/x" -r 4KB
exits 2 "-n without value" fsync "$tmp/x" -n
exits 2 "unknown option" fsync "$tmp/x" -q
exits 2 "two paths" fsync "$tmp/x" "$tmp/y"
exits 2 "empty path" fsync ""
exits 2 "a directory" fsync "$tmp"
grep -q 'neither a block device nor a regular file' "$tmp/err" && ok "directory named" ||
	nok "directory: $(cat "$tmp/err")"
exits 2 "a character device" fsync /dev/null
exits 1 "a missing directory" fsync "$tmp/none/x"
grep -q 'No such file' "$tmp/err" && ok "missing directory named" || nok "missing: $(cat "$tmp/err")"
[ ! -e "$tmp/x" ] && ok "nothing created on a bad argument" || nok "$tmp/x created"
exits 0 "-h" -h
grep -q '^usage: ' "$tmp/out" && ok "-h prints usage" || nok "-h: $(cat "$tmp/out")"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
