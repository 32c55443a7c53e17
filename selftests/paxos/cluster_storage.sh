#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=900
#
# Stable storage (Documentation/storage.rst), three nodes with a disk each:
# run with three disks, selftests/vm/run.sh --disk A --disk B --disk C
# cluster_storage.sh (the guest's /dev/vda, /dev/vdb, /dev/vdc); without
# them it is skipped.  (a) Configuration: not a block device, a device in
# use by another node, a change while up and up without strict retention
# are refused with the reason.  (b) Writes acknowledged, a snapshot on
# every node, more writes; every node down (its memory gone), every node
# up again: each restores its log from its disk, the cluster commits
# again, every acknowledged write after the snapshot is in every log once,
# at the index it was acknowledged at, and each node's snapshot is the one
# it took.  (b2) 1 MB snapshots until every node has compacted its log
# into the other half of its disk (a checkpoint); writes, every node down
# and up again: the same holds.  (c) A byte flipped in a record before the end of node 3's log:
# up refuses it, and status, the store_corrupt counter and the events
# group say so; the other two go on committing.  (And before that, a torn
# last batch on node 2's disk is cut, and node 2 comes up; so is, on the
# leader's disk, a batch that landed without the one before it, written
# while that one was in flight.)  (e) Node 2's
# disk removed under it (PCI hot-unplug): its next write fails, its state
# says failed, store_errors counts, the events group says so.
set -e
cd "$(dirname "$0")"
. ./lib.sh
STRICT=/sys/module/paxos/parameters/strict_retention
SNAPMAX=/sys/module/paxos/parameters/snapshot_max
DEPTH=/sys/module/paxos/parameters/store_depth
MON=/tmp/storage.mon
mon=
for d in vda vdb vdc; do
	[ -b "/dev/$d" ] || { echo "SKIP: needs three disks (run.sh --disk FILE x3): no /dev/$d"; exit 4; }
done
load_module
[ -w "$STRICT" ] || { echo "SKIP: no strict_retention"; exit 4; }
old_max=$(cat "$SNAPMAX")
old_depth=$(cat "$DEPTH")
restore() {
	[ -n "$mon" ] && kill "$mon" 2>/dev/null
	cleanup
	# The disk (e) removed comes back for the tests after this one.
	[ -w /sys/bus/pci/rescan ] && echo 1 >/sys/bus/pci/rescan
	echo N >"$STRICT"
	echo "$old_max" >"$SNAPMAX"
	echo "$old_depth" >"$DEPTH"
}
trap restore EXIT
echo Y >"$STRICT"
# Small bounds, so that 64 MiB disks are large enough (4 x 2 MiB + 2 MiB).
echo 1048576 >"$SNAPMAX"
# Two batches in flight a node, which (c2) needs; the rest runs so too.
echo 2 >"$DEPTH"

disk() { echo "/dev/vd$(echo abc | cut -c"$1")"; }
counter() { n "$1" paxosctl status | sed -n "s/^  $2 //p"; }
storage() { n "$1" paxosctl storage show; }

# acked_writes PREFIX COUNT: writes PREFIX1.. through nodes in turn, each
# acknowledged one with its index appended to /tmp/acked.
acked_writes() {
	for k in $(seq 1 "$2"); do
		idx=$(n $((k % 3 + 1)) plog write "$1$k") || fail "write $1$k"
		echo "$idx $1$k" >>/tmp/acked
	done
}
# all_restart: every node down, then every node up; a leader in $leader.
all_restart() {
	for i in 1 2 3; do
		n "$i" paxosctl down || fail "down on node $i"
	done
	for i in 1 2 3; do
		n "$i" paxosctl up || fail "up again on node $i"
	done
	leader=$(wait_leader 30) || fail "no leader after the restart"
}
# joined I: node I's monitor joined the events group.
joined() {
	i=0
	until n "$1" awk '$2 == 16 && $4 != "00000000" { f = 1 } END { exit !f }' /proc/net/netlink; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "the monitor never joined the events group"
		sleep 0.1
	done
}

# Fresh disks: no superblock, so the first up formats them.
for i in 1 2 3; do
	dd if=/dev/zero of="$(disk "$i")" bs=4096 count=2 conv=notrunc,fsync 2>/dev/null ||
		fail "wiping $(disk "$i")"
done

make_cluster 3
for i in 1 2 3; do
	n "$i" paxosctl log set retain 1MiB || fail "log set retain on node $i"
	n "$i" paxosctl node set id "$i" || fail "node set id on node $i"
done
# (a) What is not a device, or not one to use.
expect_err 1 "not a block device" paxosctl storage set /dev/null
expect_err 1 "no such device" paxosctl storage set /dev/nonexistent
storage 1 | grep -qx "storage: none" || fail "storage show: $(storage 1)"
for i in 1 2 3; do
	n "$i" paxosctl storage set "$(disk "$i")" || fail "storage set on node $i"
done
storage 1 | grep -qx "storage: /dev/vda (closed)" || fail "storage show: $(storage 1)"
n 1 paxosctl showconf | grep -qx "storage /dev/vda" || fail "showconf: no storage line"
echo N >"$STRICT"
configure_steps 1
expect_err 1 "strict retention" paxosctl up
echo Y >"$STRICT"
configure 1
# Node 1 holds /dev/vda now: node 2 (down) cannot have it.
expect_err 2 "in use" paxosctl storage set /dev/vda
expect_err 1 "node is up" paxosctl storage clear
configure 2
configure 3
for i in 1 2 3; do
	storage "$i" | grep -qx "storage: $(disk "$i") (ok)" ||
		fail "node $i: $(storage "$i")"
done

# (b) Writes, a snapshot, writes; all down, all up.
leader=$(wait_leader 30) || fail "no leader"
for k in $(seq 1 20); do
	pw $((k % 3 + 1)) "a$k" || fail "write a$k"
done
converge "$leader" 30 1 2 3
snap=$(n "$leader" plog commit)
for i in 1 2 3; do
	n "$i" plog snapwrite "$snap" 100000 >/dev/null || fail "snapshot on node $i"
	n "$i" plog snapcat "$snap" | md5sum >"/tmp/snap.$i" || fail "snapcat on node $i"
done
: >/tmp/acked
acked_writes b 30
converge "$leader" 30 1 2 3
for i in 1 2 3; do
	w=$(counter "$i" store_writes)
	[ "${w:-0}" -gt 0 ] || fail "node $i wrote nothing (store_writes $w)"
	echo "# node $i: store_writes $w store_bytes $(counter "$i" store_bytes) store_flushes $(counter "$i" store_flushes)"
done
all_restart
acked_writes c 5
converge "$leader" 30 1 2 3
for i in 1 2 3; do
	acked_once "$i"
	n "$i" plog snapcat "$snap" | md5sum | cmp -s - "/tmp/snap.$i" ||
		fail "node $i: snapshot $snap is not the one it took"
	echo "# node $i after the restart: $(wc -l <"/tmp/dump.$i") records, snapshot $snap restored"
done

# (b2) Compaction: 1 MB snapshots fill the active half, and each node
# writes a checkpoint into the other one and switches to it; then writes,
# all down and up again, and they are all there.
rounds=0
while [ "$(counter 1 store_checkpoints)" = 0 ] || [ "$(counter 2 store_checkpoints)" = 0 ] ||
	[ "$(counter 3 store_checkpoints)" = 0 ]; do
	rounds=$((rounds + 1))
	[ $rounds -le 100 ] || fail "no checkpoint after 100 snapshots"
	pw "$leader" "e${rounds}a" "e${rounds}b" || fail "write e$rounds"
	for i in 1 2 3; do
		c=$(n "$i" plog commit) || fail "commit index on node $i"
		n "$i" plog snapwrite "$c" 1000000 >/dev/null || fail "snapshot $c on node $i"
		echo "$c" >"/tmp/lastsnap.$i"
	done
done
: >/tmp/acked
acked_writes f 10
converge "$leader" 30 1 2 3
for i in 1 2 3; do
	echo "# node $i: $(counter "$i" store_checkpoints) checkpoint(s) after $rounds snapshots of 1 MB, store_bytes $(counter "$i" store_bytes)"
	snapidx=$(cat "/tmp/lastsnap.$i")
	n "$i" plog snapcat "$snapidx" | md5sum >"/tmp/snap.$i" || fail "snapcat on node $i"
done
all_restart
pw "$leader" "g1" || fail "write g1 after the second restart"
converge "$leader" 30 1 2 3
for i in 1 2 3; do
	acked_once "$i"
	snapidx=$(cat "/tmp/lastsnap.$i")
	n "$i" plog snapcat "$snapidx" | md5sum | cmp -s - "/tmp/snap.$i" ||
		fail "node $i: snapshot $snapidx is not the one it took"
done
echo "# after the checkpoints and a second restart: every write there once"

# (c) A torn last batch (the block of its END zeroed, as a write the
# crash cut short would leave it) is cut: node 2 comes up and catches up.
n 2 paxosctl down || fail "down on node 2"
pxdisk records /dev/vdb >/tmp/rec.2 || fail "pxdisk on /dev/vdb"
echo "# node 2's disk: $(pxdisk super /dev/vdb), $(wc -l </tmp/rec.2) records"
end=$(tail -n 1 /tmp/rec.2 | cut -d' ' -f1)
[ "$(tail -n 1 /tmp/rec.2 | cut -d' ' -f3)" = end ] || fail "the last record is not an END"
dd if=/dev/zero of=/dev/vdb bs=4096 seek=$((end / 4096)) count=1 conv=notrunc,fsync 2>/dev/null ||
	fail "zeroing the last batch's END"
n 2 paxosctl up || fail "node 2 refused a torn tail"
storage 2 | grep -qx "storage: /dev/vdb (ok)" || fail "node 2: $(storage 2)"
pw "$leader" "t1" || fail "write t1"
converge "$leader" 30 1 2 3

# (c2) A batch that landed without the one before it.  Under a burst a
# leader has two batches in flight at times (its writers' values arrive
# while its flush runs); the second starts with an AFTER record naming
# the first.  A device may keep the second and lose the first.  The
# leader's disk is made to look so, as a crash with those two in flight
# would leave it: bursts until a leader's disk holds such a pair, then
# the first one's start zeroed and every batch start after the pair too
# (the writes a crash then cuts off; the others hold all of it).  Up cuts
# both as the torn tail, not as damage, clears the later start and
# catches up.  Zeroing the batch before the first instead is damage: the
# one after it does not name it.
tries=0
while :; do
	tries=$((tries + 1))
	[ $tries -le 20 ] || fail "no leader wrote a batch beside another in 20 bursts"
	# Strict retention: a snapshot on each node makes room for the burst.
	for i in 1 2 3; do
		n "$i" plog snapwrite "$(n "$i" plog commit)" 4096 >/dev/null ||
			fail "snapshot on node $i"
	done
	x=$leader
	dx=$(disk "$x")
	n "$x" plog burst "o$tries" 300 >/tmp/burst.out ||
		fail "burst o$tries: $(cat /tmp/burst.out)"
	converge "$x" 30 1 2 3
	n "$x" paxosctl down || fail "down on node $x"
	leader=$(wait_leader 30 "$x") || fail "no leader after node $x went down"
	blockdev --flushbufs "$dx"
	pxdisk records "$dx" >/tmp/rec.x || fail "pxdisk on $dx"
	# Batch starts: the last AFTER naming the start just before it, with
	# one more before that: "EARLIER FIRST SECOND", then the later ones.
	awk '$5 % 2 == 1 { k++; o[k] = $1; s[k] = $2
			   if ($3 == "after" && $6 == s[k - 1] && k > 2) j = k }
	     END { if (!j) exit 1; print o[j - 2], o[j - 1], o[j]
		   for (i = j + 1; i <= k; i++) print o[i] }' /tmp/rec.x >/tmp/pair.x &&
		break
	n "$x" paxosctl up || fail "up on node $x"
done
read -r earlier lost after </tmp/pair.x
echo "# node $x's batch at byte $after was written while the one at $lost was in flight (burst $tries, $(($(wc -l </tmp/pair.x) - 1)) batch(es) after it)"
zero() { dd if=/dev/zero of="$dx" bs=4096 seek=$(($1 / 4096)) count=1 conv=notrunc,fsync 2>/dev/null; }
tail -n +2 /tmp/pair.x | while read -r o; do zero "$o"; done
dd if="$dx" of=/tmp/block.x bs=4096 skip=$((earlier / 4096)) count=1 2>/dev/null
zero "$earlier"
expect_err "$x" "damaged" paxosctl up
dd if=/tmp/block.x of="$dx" bs=4096 seek=$((earlier / 4096)) count=1 conv=notrunc,fsync 2>/dev/null
zero "$lost"
# Up alone (its link down), so that it writes nothing over the pair yet:
# the later batch's start is cleared on the device.
ip -n "pxn$x" link set eth0 down
n "$x" paxosctl up || fail "node $x refused a batch that landed without the one before it"
storage "$x" | grep -qx "storage: $dx (ok)" || fail "node $x: $(storage "$x")"
dmesg | grep -q "node $x: storage $dx: the batch at byte $after landed without the one before it" ||
	fail "no word of the batch cut at $after"
blockdev --flushbufs "$dx"
[ "$(dd if="$dx" bs=4096 skip=$((after / 4096)) count=1 2>/dev/null | tr -d '\000' | wc -c)" = 0 ] ||
	fail "the start of the batch at $after is still on the device"
ip -n "pxn$x" link set eth0 up
pw "$leader" "t2" || fail "write t2"
# Node x's newest snapshot may have gone with the cut: a new one on each.
c=$(n "$leader" plog commit)
for i in 1 2 3; do
	n "$i" plog wait "$c" 30000 || fail "node $i stuck below $c"
	n "$i" plog snapwrite "$c" 4096 >/dev/null || fail "snapshot $c on node $i"
done
converge "$leader" 30 1 2 3
# The tests below take nodes 2 and 3 down: node 1 leads them.
if [ "$leader" != 1 ]; then
	n "$leader" paxosctl leader transfer 1 || fail "transfer to node 1"
	leader=$(wait_leader 30 0 1 1) || fail "node 1 did not take over"
fi
echo "# zeroed one batch earlier, node $x refused its disk; zeroed the one before the pair's second, it cut both and caught up"

# (d) A damaged record before the tail: node 3's first.
n 3 paxosctl down || fail "down on node 3"
pxdisk records /dev/vdc >/tmp/rec.3 || fail "pxdisk on /dev/vdc"
first=$(head -n 1 /tmp/rec.3 | cut -d' ' -f1)
[ "$(wc -l </tmp/rec.3)" -gt 10 ] || fail "node 3's disk: $(cat /tmp/rec.3)"
n 3 paxosctl monitor >"$MON" &
mon=$!
joined 3
blockdev --flushbufs /dev/vdc
printf '\377' | dd of=/dev/vdc bs=1 seek=$((first + 24)) conv=notrunc,fsync 2>/dev/null ||
	fail "flipping a byte"
expect_err 3 "damaged" paxosctl up
storage 3 | grep -qx "storage: /dev/vdc (corrupt)" || fail "node 3: $(storage 3)"
[ "$(counter 3 store_corrupt)" = 1 ] || fail "store_corrupt $(counter 3 store_corrupt)"
[ "$(field 3 state)" = down ] || fail "node 3 is $(field 3 state)"
sleep 0.5
grep -q "log node 3 storage corrupt" "$MON" || fail "no storage event: $(cat "$MON")"
pw "$leader" "d1" || fail "the others stopped committing"
echo "# node 3 refused its damaged disk; nodes 1 and 2 commit"

# (e) An I/O error: node 2's disk goes away (its PCI device removed); the
# next write fails, node 2 says so and answers nobody from then on.
kill "$mon" 2>/dev/null
n 2 paxosctl monitor >"$MON" &
mon=$!
joined 2
pci=$(readlink -f /sys/block/vdb/device)/..
[ -w "$pci/remove" ] || fail "no PCI device to remove under /sys/block/vdb"
echo 1 >"$pci/remove"
n "$leader" paxosctl propose --timeout 2s h1 >/dev/null 2>&1 || true
i=0
until storage 2 | grep -qx "storage: /dev/vdb (failed)"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "node 2: $(storage 2) after its disk went away"
	sleep 0.1
done
[ "$(counter 2 store_errors)" -ge 1 ] || fail "store_errors $(counter 2 store_errors)"
sleep 0.5
grep -q "log node 2 storage failed" "$MON" || fail "no storage event: $(cat "$MON")"
n 2 paxosctl down || fail "down on node 2 after the error"
echo "# node 2's disk went away: state failed, store_errors $(counter 2 store_errors)"
# Back (a PCI rescan), for the tests that run after this one.
echo 1 >/sys/bus/pci/rescan
i=0
until [ -b /dev/vdb ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "/dev/vdb did not come back after a PCI rescan"
	sleep 0.1
done
echo "ok"
