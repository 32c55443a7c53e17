// SPDX-License-Identifier: GPL-2.0
/*
 * Stable storage: the node's promise, the entries it stores and its
 * newest snapshot, in records on a block device of its own
 * (Documentation/storage.rst).  The device is opened exclusively while
 * the node is up, so nothing else writes it meanwhile.
 */
#include <linux/blkdev.h>
#include <linux/fs.h>

#include "pxk.h"

/* Two superblock copies, then the two halves records go to. */
#define PXS_BLOCK		4096
#define PXS_HALVES_AT		(2 * PXS_BLOCK)
/*
 * Bytes of records besides the values of a log at its fullest: headers
 * for the slots of the engine's ring (4096 at most with the shell's
 * configuration, under 100 bytes each), the snapshot's tables, a value
 * past the byte bound.
 */
#define PXS_LOG_SLACK		(512 << 10)

#ifdef PXK_BDEV_FILE
/* 6.9 on (Kbuild checks): an exclusive open of a block device is a file. */
struct pxk_bdev {
	struct file *file;
	struct block_device *bdev;
};

static int pxk_bdev_open(struct pxk_bdev *b, const char *path, void *holder)
{
	b->file = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE |
					 BLK_OPEN_EXCL, holder, NULL);
	if (IS_ERR(b->file))
		return PTR_ERR(b->file);
	b->bdev = file_bdev(b->file);
	return 0;
}

static void pxk_bdev_close(struct pxk_bdev *b)
{
	fput(b->file);
}
#else
/* 6.1: a block device held with FMODE_EXCL, released with the same mode. */
#define PXS_FMODE	(FMODE_READ | FMODE_WRITE | FMODE_EXCL)

struct pxk_bdev {
	struct block_device *bdev;
};

static int pxk_bdev_open(struct pxk_bdev *b, const char *path, void *holder)
{
	b->bdev = blkdev_get_by_path(path, PXS_FMODE, holder);
	return PTR_ERR_OR_ZERO(b->bdev);
}

static void pxk_bdev_close(struct pxk_bdev *b)
{
	blkdev_put(b->bdev, PXS_FMODE);
}
#endif

/*
 * The smallest device for the node's configuration: each half holds a
 * checkpoint (the largest snapshot and the fullest log) with as much
 * room again for the records that follow it before the next one.
 */
u64 pxk_store_min_size(struct pxk_node *n)
{
	u64 log = READ_ONCE(n->retain_bytes);

	if (!log)
		log = PAXOS_DEFAULT_RETAIN_BYTES;
	return PXS_HALVES_AT + 4 * (pxk_snap_max() + log + PXS_LOG_SLACK);
}

/*
 * Open @path exclusively, with @extack saying why not: -ENOTBLK (not a
 * block device), -EBUSY (held by someone else: mounted, another node),
 * -ENOSPC (smaller than pxk_store_min_size()).  0 and @b open, or -errno.
 */
static int pxk_bdev_get(struct pxk_node *n, struct pxk_bdev *b,
			const char *path, struct netlink_ext_ack *extack)
{
	int err = pxk_bdev_open(b, path, n);

	if (err == -ENOTBLK) {
		NL_SET_ERR_MSG(extack, "storage: not a block device");
	} else if (err == -EBUSY) {
		NL_SET_ERR_MSG(extack,
			       "storage: the device is in use (mounted, or another node's)");
	} else if (err == -ENOENT) {
		NL_SET_ERR_MSG(extack, "storage: no such device");
	} else if (err) {
		NL_SET_ERR_MSG(extack, "storage: cannot open the device");
	} else if (bdev_nr_bytes(b->bdev) < pxk_store_min_size(n)) {
		NL_SET_ERR_MSG(extack,
			       "storage: device too small: it needs 4 x (snapshot_max + retain bytes) + 2056 KiB");
		pxk_bdev_close(b);
		err = -ENOSPC;
	}
	return err;
}

/* Whether @path would do as the node's device now (cfg_lock held). */
int pxk_store_check(struct pxk_node *n, const char *path,
		    struct netlink_ext_ack *extack)
{
	struct pxk_bdev b;
	int err = pxk_bdev_get(n, &b, path, extack);

	if (!err)
		pxk_bdev_close(&b);
	return err;
}
