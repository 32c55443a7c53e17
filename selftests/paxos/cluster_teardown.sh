#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=300
#
# Namespaces deleted and the module unloaded while writers and readers are
# busy: no oops (the VM runner checks the console and kmemleak), readers
# of a vanished node get ENODEV, and the module unloads once files close.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

start_cluster 3
wait_leader 30 >/dev/null || fail "no leader"
for i in 1 2 3; do
	n "$i" plog fill "busy$i" 1000 >/dev/null 2>&1 &
	n "$i" paxosctl log --follow >/dev/null 2>&1 &
done
plog hold pxn3 >/tmp/hold.out &
holder=$!
sleep 2
# The holder has no process inside pxn3: deleting it destroys the node.
kill $(ip netns pids pxn3) 2>/dev/null || true
ip netns del pxn3
# The node goes in the namespace's exit, run by the kernel's cleanup_net
# worker after the devices' teardown.  That worker shares the CPUs with
# the two live nodes committing the writers' values: on the debug kernel
# under emulation it finished 19-20 s later (Debian's kernel: 0.2 s).
t0=$(now_ms)
end=$(($(date +%s) + 90))
while kill -0 $holder 2>/dev/null; do
	[ "$(date +%s)" -le "$end" ] || fail "reader of a deleted namespace still blocked"
	sleep 0.1
done
echo "reader of the deleted namespace woke after $(($(now_ms) - t0)) ms"
cat /tmp/hold.out
grep -qx ENODEV /tmp/hold.out || fail "reader of the deleted node did not get ENODEV"

# Unload while busy is refused, never unsafe.
if rmmod paxos 2>/dev/null; then
	fail "module unloaded while files were open"
fi
ip netns del pxn1
ip netns del pxn2
# The writers and readers run in the namespaces' former processes.
killall -q plog paxosctl || true
wait 2>/dev/null || true
cleanup
sleep 1
rmmod paxos || fail "rmmod after the files closed"
echo "namespaces deleted under load; module unloaded after"
