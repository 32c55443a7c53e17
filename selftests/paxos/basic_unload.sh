#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=180
#
# Unloading the module while /dev/paxoslog is held open is safe: the
# unload is refused while the file is open, the module keeps working, and
# it unloads once the file is closed.
set -e

fail() { echo "FAIL: $*"; exit 1; }

[ -d /sys/module/paxos ] || modprobe paxos

exec 5</dev/paxoslog
if rmmod paxos 2>/tmp/rmmod.err; then
	fail "module unloaded while /dev/paxoslog was open"
fi
echo "rmmod with the device open: $(cat /tmp/rmmod.err)"
[ -d /sys/module/paxos ] || fail "module gone"
paxosctl status | grep -qx 'state: unconfigured' || fail "status after refused unload"
exec 5<&-

rmmod paxos || fail "rmmod after close"
[ ! -e /dev/paxoslog ] || fail "/dev/paxoslog survived unload"
modprobe paxos
echo "unload refused while open, done after close"
