#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=180
#
# paxos.ko loads and unloads cleanly, repeatedly; while loaded,
# /dev/paxoslog exists as a 0666 character device and `paxosctl status`
# reports an unconfigured node, in the initial netns and in a new one.
set -e

fail() { echo "FAIL: $*"; exit 1; }

[ -d /sys/module/paxos ] && rmmod paxos

i=0
while [ $i -lt 3 ]; do
	i=$((i + 1))
	modprobe paxos
	[ -d /sys/module/paxos ] || fail "module not loaded"
	[ -c /dev/paxoslog ] || fail "/dev/paxoslog is not a character device"
	mode=$(stat -c %a /dev/paxoslog)
	[ "$mode" = 666 ] || fail "/dev/paxoslog mode $mode, want 666"

	st=$(paxosctl status)
	echo "$st" | head -n 3
	echo "$st" | grep -qx 'state: unconfigured' || fail "status: $st"
	paxosctl -j status | grep -q '"state": *"unconfigured"' ||
		fail "json status: $(paxosctl -j status)"

	ip netns add basic_load
	st=$(ip netns exec basic_load paxosctl status)
	ip netns del basic_load
	echo "$st" | grep -qx 'state: unconfigured' || fail "netns status: $st"

	rmmod paxos
	[ ! -e /sys/module/paxos ] || fail "module still loaded"
	[ ! -e /dev/paxoslog ] || fail "/dev/paxoslog survived unload"
	! paxosctl status >/dev/null 2>&1 || fail "paxosctl status works without the module"
done
echo "loaded and unloaded $i times"
