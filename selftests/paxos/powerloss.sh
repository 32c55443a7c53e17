#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Inside the VM, one boot of the power-loss test (selftests/vm/powerloss.sh
# drives it from the host and kills QEMU under load).  Three nodes in
# three namespaces, node I with storage on the I-th disk (/dev/vda,
# /dev/vdb, /dev/vdc), brought up from whatever those disks hold.  Every
# record goes to the virtio-serial port kpaxos.serial2 (run.sh --serial2),
# which reaches the host file as it is written:
#
#   U BOOT up leader ID MS        the cluster came up and elected ID
#   D NODE INDEX TYPE HEX         every record node NODE's log holds, once
#                                 all three delivered a fresh write
#   V BOOT verify INDEX           end of the dumps (INDEX: that write)
#   L BOOT load running           writers acknowledged writes
#   A INDEX VALUE                 a write acknowledged at INDEX, printed by
#                                 its writer after write(2) returned
#   E VALUE ERROR                 a writer's write failed
#
# Then each node takes a small snapshot at its commit index (so that the
# log, under strict retention, keeps room) and, with PL_LOAD=1, PL_WRITERS
# (3) writers, one per node in turn, stream values bBOOT-wW-K until the
# host kills the VM, while snapshots PL_BEHIND entries below the commit
# index keep the log from filling.  PL_LOAD=0: verify only, then exit 0.
set -e
cd "$(dirname "$0")"
. ./lib.sh
BOOT=${PL_BOOT:-1}
LOAD=${PL_LOAD:-1}
WRITERS=${PL_WRITERS:-3}
STRICT=/sys/module/paxos/parameters/strict_retention

port=
for p in /sys/class/virtio-ports/*; do
	[ "$(cat "$p/name" 2>/dev/null)" = kpaxos.serial2 ] && port=/dev/${p##*/}
done
[ -n "$port" ] || { echo "powerloss: no port kpaxos.serial2 (run.sh --serial2 FILE)"; exit 1; }
for d in vda vdb vdc; do
	[ -b "/dev/$d" ] || { echo "powerloss: no /dev/$d (run.sh --disk FILE x3)"; exit 1; }
done
exec 4>"$port"
rec() { echo "$*" >&4; }

load_module
echo Y >"$STRICT"
# Odd boots keep two batches in flight a node, even ones one: a kill
# strikes both ways of writing, and the next boot reads what each left.
depth=$((BOOT % 2 + 1))
echo "$depth" >/sys/module/paxos/parameters/store_depth
# Small bounds, as cluster_storage.sh: 64 MiB disks are large enough.
echo 1048576 >/sys/module/paxos/parameters/snapshot_max
make_cluster 3
t0=$(now_ms)
for i in 1 2 3; do
	configure_steps "$i"
	n "$i" paxosctl log set retain 1MiB || fail "log set retain on node $i"
	n "$i" paxosctl storage set "/dev/vd$(echo abc | cut -c"$i")" || fail "storage set on node $i"
	n "$i" paxosctl up || fail "up on node $i (from its disk)"
done
leader=$(wait_leader 120) || fail "no leader after up"
rec "U $BOOT up leader $leader $(($(now_ms) - t0))ms"
echo "# boot $BOOT: up from disk, leader $leader after $(($(now_ms) - t0)) ms, store_depth $depth"

# A fresh write every node delivers: then each log holds all it will.
idx=$(n "$leader" plog write "r$BOOT") || fail "write r$BOOT"
for i in 1 2 3; do
	n "$i" plog wait "$idx" 120000 || fail "node $i below $idx"
done
for i in 1 2 3; do
	n "$i" plog dump >"/tmp/dump.$i" || fail "dump on node $i"
	sed "s/^/D $i /" "/tmp/dump.$i" >&4
	echo "# node $i: $(wc -l <"/tmp/dump.$i") records, $(head -n 1 "/tmp/dump.$i" | cut -d' ' -f1)..$(tail -n 1 "/tmp/dump.$i" | cut -d' ' -f1)"
done
rec "V $BOOT verify $idx"

for i in 1 2 3; do
	c=$(n "$i" plog commit) || fail "commit index on node $i"
	n "$i" plog snapwrite "$c" 4096 >/dev/null || fail "snapshot $c on node $i"
done
[ "$LOAD" = 1 ] || { echo "# boot $BOOT: verified, no load"; exit 0; }

w=1
while [ "$w" -le "$WRITERS" ]; do
	n $(((w - 1) % 3 + 1)) plog stream "b$BOOT-w$w" >&4 2>&1 &
	w=$((w + 1))
done
# The log keeps room: under strict retention a full ring refuses writes,
# so each node takes a snapshot PL_BEHIND (200) entries below its commit
# index whenever that moved 100 past its last one (an "S NODE INDEX"
# record).  The newest writes, those a kill can lose, stay in the log
# for the next boot to check.
behind=${PL_BEHIND:-200}
for i in 1 2 3; do echo 0 >"/tmp/lastsnap.$i"; done
(
	while :; do
		for i in 1 2 3; do
			c=$(n "$i" plog commit 2>/dev/null) || continue
			s=$((c - behind))
			if [ "$s" -gt $(($(cat "/tmp/lastsnap.$i") + 100)) ] &&
				n "$i" plog snapwrite "$s" 4096 >/dev/null 2>&1; then
				echo "$s" >"/tmp/lastsnap.$i"
				rec "S $i $s"
			fi
		done
		sleep 0.2
	done
) &
# Running: the commit index moved past the snapshot by 3 writes a writer.
start=$(n "$leader" plog commit)
n "$leader" plog wait $((start + 3 * WRITERS)) 120000 || fail "the writers commit nothing"
rec "L $BOOT load running"
echo "# boot $BOOT: load running from index $start"
wait
rec "W $BOOT every writer stopped"
echo "# boot $BOOT: every writer stopped"
sleep 600
