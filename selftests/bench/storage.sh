#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Inside the VM: what one durable 4 KiB write costs on a virtio disk, the
# two ways the module could keep its state (Documentation/storage.rst).
#
#   selftests/vm/run.sh --disk /var/tmp/kpx-disk1 --disk /var/tmp/kpx-disk2 \
#       --cmd selftests/bench/storage.sh --out build/storage
#
# /dev/vda, raw: flushlat dev (a REQ_FUA bio, then an empty REQ_PREFLUSH
# one: on virtio-blk, which has no FUA, a write and two flushes, as one
# REQ_PREFLUSH|REQ_FUA bio) and flush (a write, then one flush).
# /dev/vdb, made ext4 here (its contents are lost): flushlat fsync on a
# file overwritten in place (data, flush), appended to (data, journal
# commit, flush), and dev on a file (O_DIRECT|O_DSYNC through ext4).
# Every measurement STORAGE_RUNS times (3) of STORAGE_N writes (1000,
# after 10 untimed), interleaved so that drift hits them all; each line
# also gives the disk's write and flush requests per durable write
# (/sys/block/*/stat over the timed and untimed writes).  The lines go to
# stdout and to /out/storage.txt.  Set the variables in --cmd:
# --cmd 'STORAGE_N=100 selftests/bench/storage.sh'.
set -eu
RUNS=${STORAGE_RUNS:-3}
N=${STORAGE_N:-1000}
OUT=/out
mkdir -p "$OUT" /mnt/fs

for d in vda vdb; do
	[ -b /dev/$d ] || { echo "storage: /dev/$d missing (run.sh --disk twice)"; exit 1; }
done
for d in vda vdb; do
	q=/sys/block/$d/queue
	echo "# $d: $(cat /sys/block/$d/size) sectors, write_cache $(cat $q/write_cache)," \
		"fua $(cat $q/fua), logical block $(cat $q/logical_block_size)"
done
echo "# kernel $(uname -r), $N writes per line"

mkfs.ext4 -q -F /dev/vdb
mount -t ext4 /dev/vdb /mnt/fs
echo "# vdb: $(grep ' /mnt/fs ' /proc/mounts)"
trap 'umount /mnt/fs 2>/dev/null || true' EXIT

# Write requests, sectors written and flush requests the disk completed
# (Documentation/block/stat.rst: fields 5, 7, 16), so that each line also
# says what one durable write asked of the device.  An empty REQ_PREFLUSH
# bio (fdatasync on a block device, blkdev_issue_flush()) counts as a
# write request of no sectors and as a flush.
iostat() { awk '{ print $5, $7, $16 }' "/sys/block/$1/stat"; }

run() {	# disk, label, flushlat arguments...
	disk=$1
	label=$2
	shift 2
	before=$(iostat "$disk")
	line=$(flushlat "$@" -n "$N" -w 10) || { echo "storage: flushlat $* failed"; exit 1; }
	per=$(echo "$before $(iostat "$disk")" | awk -v ops=$((N + 10)) \
		'{ printf "write_reqs_per_op=%.2f kib_per_op=%.1f flushes_per_op=%.2f",
		   ($4 - $1) / ops, ($5 - $2) / 2 / ops, ($6 - $3) / ops }')
	echo "run=$r what=$label $per $line" | tee -a "$OUT/storage.txt"
}

# The overwritten files' regions filled (allocated, written) beforehand.
flushlat fsync /mnt/fs/log -n 1 -w 0 >/dev/null
flushlat dev /mnt/fs/log-direct -n 1 -w 0 >/dev/null

: >"$OUT/storage.txt"
r=1
while [ "$r" -le "$RUNS" ]; do
	run vda raw-fua dev /dev/vda
	run vda raw-write-flush flush /dev/vda
	run vdb ext4-overwrite-fdatasync fsync /mnt/fs/log
	run vdb ext4-append-fdatasync fsync /mnt/fs/log-append -a
	run vdb ext4-odirect-dsync dev /mnt/fs/log-direct
	r=$((r + 1))
done
