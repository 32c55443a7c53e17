#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Exactly-once writes: a write on a follower cut off from the cluster is
# interrupted by a signal (it may still commit: it waits in the node),
# the link comes back, and the application writes the same bytes again,
# on the same file or on a new file given the old client session.  Each
# value is in the log exactly once, at the index the retry returned.  A
# write of other bytes after an interrupted one is a new write, and the
# interrupted one, if it commits at all, commits before it.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

start_cluster 3
leader=$(wait_leader 30) || fail "no leader"
f=$((leader % 3 + 1))
n "$f" pxsess ioctls || fail "session ioctls"

# run CASE ARGS...: pxsess CASE on node $f, cut off until it was interrupted.
run() {
	rm -f /tmp/go "/tmp/sess.$1"
	n "$f" ip link set eth0 down
	n "$f" pxsess "$@" /tmp/go >"/tmp/sess.$1" &
	pid=$!
	t=0
	until grep -q interrupted "/tmp/sess.$1"; do
		t=$((t + 1))
		[ "$t" -lt 600 ] || fail "$1: the write was not interrupted"
		kill -0 "$pid" 2>/dev/null || fail "$1: pxsess exited early"
		sleep 0.1
	done
	n "$f" ip link set eth0 up
	touch /tmp/go
	wait "$pid" || fail "$1: pxsess failed"
	cat "/tmp/sess.$1"
}

run retry same-file 1000
run reopen new-file 1000
run other first-bytes other-bytes 1000

leader=$(wait_leader 60) || fail "no leader after the cuts"
converge "$leader" 60 1 2 3

# at VALUE: the indexes VALUE is at, one per line.
at() { sed -n "s/^\([0-9]*\) 1 $(hex "$1")\$/\1/p" /tmp/log.1; }

for c in retry:same-file reopen:new-file other:other-bytes; do
	v=${c#*:}
	got=$(sed -n 's/^index //p' "/tmp/sess.${c%%:*}")
	idx=$(at "$v")
	[ "$(echo "$idx" | grep -c .)" = 1 ] ||
		fail "$v committed $(echo "$idx" | grep -c .) times"
	[ "$idx" = "$got" ] || fail "$v at $idx, the write returned $got"
	echo "$v: once, at $idx"
done
first=$(at first-bytes)
[ "$(echo "$first" | grep -c .)" -le 1 ] || fail "first-bytes committed twice"
if [ -n "$first" ]; then
	[ "$first" -lt "$(at other-bytes)" ] ||
		fail "first-bytes at $first, after the write that followed it"
	echo "first-bytes: once, at $first, before the next write"
else
	echo "first-bytes: never committed (overtaken by the next write)"
fi
n "$f" paxosctl status | grep -E 'commits|forwarded'
