// SPDX-License-Identifier: GPL-2.0
/*
 * Stable storage: the node's promise, the entries it stores and its
 * newest snapshot, in checksummed records on a block device of its own
 * (Documentation/storage.rst, "The on-disk format").  The device is open
 * exclusively while the node is up.
 *
 * A work item (process context) writes what the engine's px_ready()
 * names: under the node lock it stages the records in sbuf, outside it
 * streams them, the snapshot's bytes and an END record to the device
 * with bios, the last one REQ_FUA (and REQ_PREFLUSH after others), and
 * waits; then, under the lock again, px_persisted() lets the answers
 * that waited for it go.  What changed meanwhile goes into the next
 * batch (group commit).  At up the records are read back and handed to
 * the engine before its first tick.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32c.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "pxk.h"
#include "trace.h"

/* Two superblock copies, then the two halves records go to. */
#define PXS_BLOCK		4096
#define PXS_HALVES_AT		(2 * PXS_BLOCK)
/*
 * Bytes of records besides the values of a log at its fullest: headers
 * for the slots of the engine's ring (4096 at most with the shell's
 * configuration, under 100 bytes each), the snapshot's tables, a value
 * past the byte bound.
 */
#define PXS_LOG_SLACK		SZ_512K
#define PXS_WBUF		SZ_1M		/* bytes per bio */
#define PXS_SNAP_CHUNK		SZ_32K		/* snapshot bytes per SNAPDATA */
#define PXS_SCRATCH		SZ_64K		/* one record, or a superblock */

#define PXS_SUPER_MAGIC		0x42535850	/* "PXSB" */
#define PXS_REC_MAGIC		0x43525850	/* "PXRC" */
#define PXS_VERSION		2		/* 1: no AFTER records */
#define PXS_F_BATCH		1		/* a batch's first record */

enum pxs_type {
	PXS_PROMISE = 1,
	PXS_ENTRY,
	PXS_SNAPSHOT,
	PXS_SNAPDATA,
	PXS_FIRST,
	PXS_END,
	PXS_AFTER,
};

struct pxs_super {
	__le32 magic;
	__le32 version;
	__le32 cluster;
	__le32 node;
	__le64 size;		/* of the device when formatted */
	__le64 stamp;		/* seeds every record's checksum */
	__le64 gen;		/* written to copy gen % 2 */
	__le64 start_seq;	/* of the active half's first record */
	__le64 half_bytes;
	__le32 half;		/* the active one */
	__le32 csum;		/* crc32c of the bytes before it */
};

struct pxs_rec {
	__le32 magic;
	__le32 csum;		/* crc32c(stamp) of header (this 0) and payload */
	__le64 seq;
	__le16 type;
	__le16 flags;
	__le32 len;		/* payload bytes; the record is padded to 8 */
};

struct pxs_entry {
	__le64 index;
	__le64 ballot;
	__le64 incarnation;
	__le64 seq;
	__le64 session;
	__le64 cseq;
	__le32 origin;
	__le16 type;
	__le16 pad;
	/* the value follows */
};

struct pxs_snap {
	__le64 index;
	__le64 size;
	__le64 csum;
	__le32 meta_len;
	__le32 pad;
	/* the engine's tables follow */
};

struct pxs_end {
	__le64 first_seq;	/* of the batch */
	__le64 count;		/* records before this one */
};

#define PXS_PAYLOAD_MAX		(PXS_SCRATCH - sizeof(struct pxs_rec) - 8)

/* An entry read back, until the engine has it. */
struct pxs_mentry {
	u64 ballot;
	enum px_entry_type type;
	struct px_prop_id id;
	u32 len;
	u8 data[];
};

/* What the device holds, read at up. */
struct pxs_restored {
	u64 promised;
	u64 first;
	struct pxk_snap *snap;
	u8 meta[PX_SNAP_META_MAX];
	u32 meta_len;
	struct xarray entries;		/* index -> struct pxs_mentry */
};

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
static u64 pxk_store_min_size(struct pxk_node *n)
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

/*
 * A batch from its staging to its report, written by a work item of its
 * own: a second batch goes to the device while the first one's flush
 * runs (PX_DUR_DEPTH, two in flight).
 */
struct pxs_slot {
	struct pxk_store *st;
	struct work_struct work;
	bool busy;		/* staged, not reported yet (lock) */
	bool done;		/* durable, after an earlier batch still in flight */
	bool ckpt;		/* a checkpoint, for the other half */
	u64 token;
	struct pxk_snap *snap;	/* whose bytes follow, referenced */
	u64 seq;		/* its next record's */
	u64 batch_seq, batch_n;
	u32 batch_bios;		/* bios of the batch written so far */
	u32 batch_entries;	/* its ENTRY records */
	u64 end;		/* device offset where a batch (not a checkpoint) ends */
	u64 wait_ns;		/* for the tracepoint */
	u64 staged_at;

	/* The stream to the device. */
	u8 *wbuf;
	size_t wlen;
	u64 wat;		/* device offset of wbuf[0] */
	u8 *scratch;		/* PXS_SCRATCH bytes: a record, a superblock */
	u64 written, flushes;	/* for the counters */
};

#define PXS_SLOTS		PX_DUR_DEPTH

/*
 * Batches a node keeps in flight, 1 or 2; read at each staging.  Two
 * overlap a batch's write with the next one's flush, which pays only on
 * a device that runs flushes side by side.  Virtio disks on one host
 * file system do not: there two gave 0.79 times the commits/s of one at
 * depth 64, in smaller batches (Documentation/storage.rst).
 */
static unsigned int store_depth = 1;
module_param(store_depth, uint, 0644);
MODULE_PARM_DESC(store_depth,
		 "batches in flight per node's storage device, 1 or 2 (default 1)");

struct pxk_store {
	struct pxk_node *n;
	struct pxk_bdev b;
	u64 size;
	u64 half_bytes;
	u64 stamp;
	u32 seed;		/* crc32c of the stamp: every record's seed */
	u32 version;		/* of the format; 1: one batch in flight */
	u64 gen;		/* of the newest superblock */
	u32 half;		/* the active one */
	u64 start_seq;		/* of its first record */
	u64 seq;		/* the next record's, past every batch staged */
	u64 pos;		/* where the next batch goes in the active half */
	u64 hi;			/* highest index of an entry staged */
	u64 stale_at;		/* a batch start cut at up, to clear; 0: none */

	/* One batch at a time is staged under the node lock, into sbuf. */
	u8 *sbuf;
	size_t scap, slen;
	struct pxs_slot *sbuf_by;	/* the slot streaming it out; NULL: free */
	u64 kicked_at;		/* first kick since the last staging, ns; 0: none */
	/* The tables of the newest snapshot written or staged. */
	u8 meta[PX_SNAP_META_MAX];
	u32 meta_len;

	struct pxs_slot slot[PXS_SLOTS];

	/* The window reads go through, in slot 0's stream buffer. */
	u64 rat, rlen;
	bool rvalid;

	struct pxs_restored *rs;
};

static u64 half_at(const struct pxk_store *st, u32 half)
{
	return PXS_HALVES_AT + (u64)half * st->half_bytes;
}

static size_t rec_size(u32 len)
{
	return ALIGN(sizeof(struct pxs_rec) + len, 8);
}

/*
 * The payload of @len bytes is in place after the header at @dst: write
 * the header, the padding and the checksum; the record's size.
 */
static size_t rec_seal(struct pxs_slot *sl, u8 *dst, u16 type, u32 len)
{
	struct pxs_rec *h = (struct pxs_rec *)dst;
	size_t size = rec_size(len);

	h->magic = cpu_to_le32(PXS_REC_MAGIC);
	h->csum = 0;
	h->seq = cpu_to_le64(sl->seq);
	h->type = cpu_to_le16(type);
	h->flags = cpu_to_le16(sl->seq == sl->batch_seq ? PXS_F_BATCH : 0);
	h->len = cpu_to_le32(len);
	memset(dst + sizeof(*h) + len, 0, size - sizeof(*h) - len);
	h->csum = cpu_to_le32(crc32c(sl->st->seed, dst, sizeof(*h) + len));
	sl->seq++;
	sl->batch_n++;
	return size;
}

/* SNAPDATA records for a snapshot of @size bytes: how many, their bytes. */
static u64 snapdata_recs(u64 size)
{
	return DIV_ROUND_UP_ULL(size, PXS_SNAP_CHUNK);
}

static u64 snapdata_bytes(u64 size)
{
	u64 full = div_u64(size, PXS_SNAP_CHUNK);
	u32 rest = size - full * PXS_SNAP_CHUNK;

	return full * rec_size(8 + PXS_SNAP_CHUNK) + (rest ? rec_size(8 + rest) : 0);
}

/* ------------------------------------------------------------ device I/O */

/* One bio over @len bytes of @buf (page-aligned, at most PXS_WBUF). */
static int pxs_io(struct pxs_slot *sl, blk_opf_t opf, u64 at, void *buf,
		  size_t len)
{
	struct bio *bio = bio_alloc(sl->st->b.bdev, DIV_ROUND_UP(len, PAGE_SIZE),
				    opf, GFP_KERNEL);
	size_t off;
	int err;

	bio->bi_iter.bi_sector = at >> SECTOR_SHIFT;
	for (off = 0; off < len; off += PAGE_SIZE) {
		u8 *p = (u8 *)buf + off;
		unsigned int seg = min_t(size_t, len - off, PAGE_SIZE);
		struct page *pg = is_vmalloc_addr(p) ? vmalloc_to_page(p) :
			virt_to_page(p);

		if (bio_add_page(bio, pg, seg, 0) != seg) {
			bio_put(bio);
			return -EIO;
		}
	}
	if (op_is_write(opf))
		flush_kernel_vmap_range(buf, len);
	err = submit_bio_wait(bio);
	if (!op_is_write(opf))
		invalidate_kernel_vmap_range(buf, len);
	bio_put(bio);
	if (op_is_write(opf)) {
		sl->written += len;
		sl->flushes += !!(opf & (REQ_PREFLUSH | REQ_FUA));
	}
	return err;
}

/*
 * Write what the stream holds: whole blocks; with @last, everything,
 * zero-padded to a block, REQ_FUA: durable when the bio completes.  The
 * batch's earlier bios (if any) were waited for but not flushed: then
 * REQ_PREFLUSH as well makes them durable before END is written.  A
 * batch of one bio needs no flush before it (on a device without FUA, as
 * virtio-blk, one flush instead of two): every earlier batch is durable,
 * or in flight and then named by this one's AFTER record, so that it
 * does not count without that one (scan()).
 */
static int w_flush(struct pxs_slot *sl, bool last)
{
	blk_opf_t opf = REQ_OP_WRITE | REQ_SYNC;
	size_t len = round_down(sl->wlen, PXS_BLOCK);
	int err;

	if (last) {
		len = round_up(sl->wlen, PXS_BLOCK);
		memset(sl->wbuf + sl->wlen, 0, len - sl->wlen);
		opf |= REQ_FUA | (sl->batch_bios ? REQ_PREFLUSH : 0);
	}
	if (!len)
		return 0;
	err = pxs_io(sl, opf, sl->wat, sl->wbuf, len);
	if (err)
		return err;
	sl->batch_bios++;
	sl->wat += len;
	sl->wlen = last ? 0 : sl->wlen - len;
	memmove(sl->wbuf, sl->wbuf + len, sl->wlen);
	return 0;
}

static int w_put(struct pxs_slot *sl, const u8 *p, size_t len)
{
	size_t seg;
	int err;

	while (len) {
		seg = min(len, PXS_WBUF - sl->wlen);
		memcpy(sl->wbuf + sl->wlen, p, seg);
		sl->wlen += seg;
		p += seg;
		len -= seg;
		if (sl->wlen == PXS_WBUF) {
			err = w_flush(sl, false);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The bytes of snapshot @p, in SNAPDATA records built in scratch. */
static int w_snapdata(struct pxs_slot *sl, struct pxk_snap *p)
{
	u8 *pay = sl->scratch + sizeof(struct pxs_rec);
	u64 off, size = p->s.size;
	u32 len, got, seg;
	int err;
	u8 *src;

	for (off = 0; off < size; off += len) {
		len = min_t(u64, PXS_SNAP_CHUNK, size - off);
		*(__le64 *)pay = cpu_to_le64(off);	/* records are 8-aligned */
		for (got = 0; got < len; got += seg) {
			src = pxk_snap_seg(p, off + got, len - got, &seg, 0);
			if (WARN_ON_ONCE(!src))
				return -EIO;
			memcpy(pay + 8 + got, src, seg);
		}
		err = w_put(sl, sl->scratch,
			    rec_seal(sl, sl->scratch, PXS_SNAPDATA, 8 + len));
		if (err)
			return err;
	}
	return 0;
}

/* Superblock copy gen % 2, naming @half, whose first record is @start_seq. */
static int write_super(struct pxs_slot *sl, u64 gen, u32 half, u64 start_seq)
{
	struct pxs_super *sb = (struct pxs_super *)sl->scratch;
	struct pxk_store *st = sl->st;

	memset(sl->scratch, 0, PXS_BLOCK);
	sb->magic = cpu_to_le32(PXS_SUPER_MAGIC);
	sb->version = cpu_to_le32(st->version);
	sb->cluster = cpu_to_le32(st->n->cluster);
	sb->node = cpu_to_le32(st->n->id);
	sb->size = cpu_to_le64(st->size);
	sb->stamp = cpu_to_le64(st->stamp);
	sb->gen = cpu_to_le64(gen);
	sb->start_seq = cpu_to_le64(start_seq);
	sb->half_bytes = cpu_to_le64(st->half_bytes);
	sb->half = cpu_to_le32(half);
	sb->csum = cpu_to_le32(crc32c(~0, sb, offsetof(struct pxs_super, csum)));
	return pxs_io(sl, REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA,
		      (gen % 2) * PXS_BLOCK, sl->scratch, PXS_BLOCK);
}

/* ------------------------------------------------------------- writing */

/* Bytes the batch staged in @sl takes on the device, padding included. */
static u64 batch_bytes(const struct pxk_store *st, const struct pxs_slot *sl)
{
	u64 b = st->slen + rec_size(sizeof(struct pxs_end));

	if (sl->snap)
		b += snapdata_bytes(sl->snap->s.size);
	return round_up(b, PXS_BLOCK);
}

static int stage_rec(struct pxk_store *st, struct pxs_slot *sl, u16 type,
		     const void *a, u32 alen, const void *b, u32 blen)
{
	u8 *dst = st->sbuf + st->slen;

	if (st->slen + rec_size(alen + blen) > st->scap)
		return -ENOSPC;
	memcpy(dst + sizeof(struct pxs_rec), a, alen);
	if (blen)
		memcpy(dst + sizeof(struct pxs_rec) + alen, b, blen);
	st->slen += rec_seal(sl, dst, type, alen + blen);
	return 0;
}

/*
 * A batch starts (its first record flagged) with AFTER if another batch
 * was in flight when it was staged (@after, that one's first sequence
 * number), then PROMISE and FIRST.
 */
static int stage_head(struct pxk_store *st, struct pxs_slot *sl, u64 after,
		      u64 promised, u64 first)
{
	__le64 v;
	int err = 0;

	st->slen = 0;
	sl->seq = st->seq;
	sl->batch_seq = sl->seq;
	sl->batch_n = 0;
	sl->batch_entries = 0;
	if (after) {
		v = cpu_to_le64(after);
		err = stage_rec(st, sl, PXS_AFTER, &v, sizeof(v), NULL, 0);
	}
	v = cpu_to_le64(promised);
	err = err ?: stage_rec(st, sl, PXS_PROMISE, &v, sizeof(v), NULL, 0);
	v = cpu_to_le64(first);
	return err ?: stage_rec(st, sl, PXS_FIRST, &v, sizeof(v), NULL, 0);
}

static int stage_snap(struct pxk_store *st, struct pxs_slot *sl,
		      const struct px_snap *s)
{
	struct pxs_snap r = {
		.index = cpu_to_le64(s->index),
		.size = cpu_to_le64(s->size),
		.csum = cpu_to_le64(s->csum),
		.meta_len = cpu_to_le32(st->meta_len),
	};

	return stage_rec(st, sl, PXS_SNAPSHOT, &r, sizeof(r), st->meta,
			 st->meta_len);
}

static int stage_entry(struct pxk_store *st, struct pxs_slot *sl, u64 index)
{
	struct px_entry_view e;
	struct pxs_entry r;

	if (px_durable_entry(st->n->px, index, &e))
		return 0;
	r.index = cpu_to_le64(index);
	r.ballot = cpu_to_le64(e.ballot);
	r.incarnation = cpu_to_le64(e.id.incarnation);
	r.seq = cpu_to_le64(e.id.seq);
	r.session = cpu_to_le64(e.id.session);
	r.cseq = cpu_to_le64(e.id.cseq);
	r.origin = cpu_to_le32(e.id.origin);
	r.type = cpu_to_le16(e.type);
	r.pad = 0;
	sl->batch_entries++;
	return stage_rec(st, sl, PXS_ENTRY, &r, sizeof(r), e.data, e.len);
}

/* The node's snapshot object is the engine's newest, @s. */
static bool snap_is(const struct pxk_snap *p, const struct px_snap *s)
{
	return p && p->s.index == s->index && p->s.size == s->size &&
	       p->s.csum == s->csum;
}

static struct pxs_slot *other(struct pxk_store *st, struct pxs_slot *sl)
{
	return &st->slot[sl == &st->slot[0]];
}

/*
 * Whether @sl may stage a batch now (lock held): it is free, so is the
 * staging buffer, and no checkpoint is in flight (the halves change
 * under it).  One batch at a time on a device of format 1, or with
 * store_depth 1.
 */
static bool may_stage(struct pxk_store *st, struct pxs_slot *sl)
{
	struct pxs_slot *o = other(st, sl);

	return !sl->busy && !st->sbuf_by &&
	       !(o->busy && (o->ckpt || st->version < 2 ||
			     READ_ONCE(store_depth) < 2));
}

/*
 * When the batch does not fit in what is left of the active half: a
 * checkpoint of the whole state for the other half instead, in the same
 * locked section, so that it covers the same token.  It needs no AFTER:
 * the other half holds nothing else.
 */
static int stage_ckpt(struct pxk_store *st, struct pxs_slot *sl, u64 promised,
		      u64 hi)
{
	struct pxk_node *n = st->n;
	const struct px_snap *s;
	u64 i, first;
	int err;

	sl->ckpt = true;
	sl->snap = NULL;
	s = px_get_snapshot(n->px);
	first = px_first_index(n->px);
	err = stage_head(st, sl, 0, promised, first);
	if (s) {
		if (!snap_is(n->snap, s))
			return -EIO;
		sl->snap = n->snap;
		err = err ?: stage_snap(st, sl, s);
		first = max(first, s->index + 1);
	}
	for (i = first; !err && i <= hi; i++)
		err = stage_entry(st, sl, i);
	if (err || batch_bytes(st, sl) > st->half_bytes)
		return -ENOSPC;
	sl->wat = half_at(st, !st->half);
	return 0;
}

/*
 * Under the node lock: the next batch, staged in @sl.  What px_ready()
 * names, or a checkpoint (stage_ckpt()).  Sequence numbers and room in
 * the half are taken for the whole batch here, so that the next one can
 * be staged while this one is written.  1 staged, 0 nothing to write,
 * -errno.
 */
static int stage(struct pxk_store *st, struct pxs_slot *sl)
{
	struct pxk_node *n = st->n;
	struct pxs_slot *o = other(st, sl);
	u64 i, hi, len, after = o->busy && !o->done ? o->batch_seq : 0;
	struct px_ready r;
	int err;

	if (!px_ready(n->px, &r))
		return 0;
	sl->staged_at = ktime_get_ns();
	sl->wait_ns = st->kicked_at ? sl->staged_at - st->kicked_at : 0;
	st->kicked_at = 0;
	sl->token = r.token;
	sl->ckpt = false;
	sl->snap = NULL;
	if (r.snap) {
		if (!snap_is(n->snap, r.snap) || r.meta_len > sizeof(st->meta))
			return -EIO;
		memcpy(st->meta, r.meta, r.meta_len);
		st->meta_len = r.meta_len;
		sl->snap = n->snap;
	}
	hi = max(st->hi, r.hi);
	err = stage_head(st, sl, after, r.promised, r.first);
	if (!err && r.snap)
		err = stage_snap(st, sl, r.snap);
	for (i = r.lo; !err && i <= r.hi; i++)
		err = stage_entry(st, sl, i);
	len = err ? 0 : batch_bytes(st, sl);
	if (!err && st->pos + len <= st->half_bytes) {
		sl->wat = half_at(st, st->half) + st->pos;
		sl->end = sl->wat + len;
		st->pos += len;
	} else {
		err = stage_ckpt(st, sl, r.promised, hi);
		if (err)
			return err;
	}
	st->seq = sl->seq + (sl->snap ? snapdata_recs(sl->snap->s.size) : 0) + 1;
	st->hi = hi;
	if (sl->snap)
		refcount_inc(&sl->snap->ref);
	sl->busy = true;
	st->sbuf_by = sl;
	return 1;
}

/* The staging buffer is streamed out: another batch may be staged. */
static void sbuf_done(struct pxk_store *st)
{
	struct pxk_node *n = st->n;

	spin_lock_bh(&n->lock);
	st->sbuf_by = NULL;
	pxk_store_kick(n);
	spin_unlock_bh(&n->lock);
}

/* The staged batch, the snapshot's bytes and END, durable on the device. */
static int write_batch(struct pxk_store *st, struct pxs_slot *sl)
{
	struct pxs_rec *h = (struct pxs_rec *)sl->scratch;
	struct pxs_end *e = (struct pxs_end *)(h + 1);
	int err;

	sl->wlen = 0;
	sl->batch_bios = 0;
	err = w_put(sl, st->sbuf, st->slen);
	sbuf_done(st);
	if (!err && sl->snap)
		err = w_snapdata(sl, sl->snap);
	if (!err) {
		e->first_seq = cpu_to_le64(sl->batch_seq);
		e->count = cpu_to_le64(sl->batch_n);
		err = w_put(sl, sl->scratch,
			    rec_seal(sl, sl->scratch, PXS_END, sizeof(*e)));
	}
	if (!err)
		err = w_flush(sl, true);
	if (!err && !sl->ckpt && WARN_ON_ONCE(sl->wat != sl->end))
		err = -EIO;
	if (!err && sl->ckpt) {
		/*
		 * The checkpoint is durable: the superblock names its half.
		 * Nothing is staged meanwhile (may_stage()).
		 */
		err = write_super(sl, st->gen + 1, !st->half, sl->batch_seq);
		if (!err) {
			st->gen++;
			st->half = !st->half;
			st->start_seq = sl->batch_seq;
			st->pos = sl->wat - half_at(st, st->half);
		}
	}
	return err;
}

/*
 * Storage failed: the node answers nobody from now on (its datagrams
 * are dropped, pxk_udp_queue()), since what it would vouch for may not
 * be durable.  Lock held.  Whether this is news.
 */
static bool store_failed(struct pxk_store *st, int err)
{
	struct pxk_node *n = st->n;

	if (n->storage_state == PAXOS_STORAGE_FAILED)
		return false;
	n->storage_state = PAXOS_STORAGE_FAILED;
	n->shell[PAXOS_CTR_STORE_ERRORS]++;
	pr_err_ratelimited("node %u: storage %s failed (%d): the node stops answering\n",
			   n->id, n->storage, err);
	return true;
}

/* The busy slot with the older token, or NULL. */
static struct pxs_slot *oldest(struct pxk_store *st)
{
	struct pxs_slot *a = &st->slot[0], *b = &st->slot[1];

	if (a->busy && (!b->busy || a->token < b->token))
		return a;
	return b->busy ? b : NULL;
}

/*
 * Batches durable (lock held): in token order, the engine hears of the
 * newest whose every earlier batch is durable too.  One that landed
 * before an earlier one still in flight waits for it.
 */
static void report(struct pxk_store *st)
{
	struct pxk_node *n = st->n;
	struct pxs_slot *sl;
	u64 token = 0;

	while ((sl = oldest(st)) && sl->done) {
		token = sl->token;
		sl->busy = false;
		sl->done = false;
	}
	if (token && n->px) {
		px_persisted(n->px, token, ktime_get_ns());
		pxk_after(n);
	}
}

static void pxk_store_work(struct work_struct *w)
{
	struct pxs_slot *sl = container_of(w, struct pxs_slot, work);
	struct pxk_store *st = sl->st;
	struct pxk_node *n = st->n;
	bool news = false;
	int r;

	for (;;) {
		spin_lock_bh(&n->lock);
		r = 0;
		if (n->px && n->storage_state == PAXOS_STORAGE_OK &&
		    may_stage(st, sl))
			r = stage(st, sl);
		if (r < 0) {
			sl->snap = NULL;	/* no reference was taken */
			news = store_failed(st, r);
		}
		spin_unlock_bh(&n->lock);
		if (r <= 0)
			break;
		sl->written = 0;
		sl->flushes = 0;
		r = write_batch(st, sl);
		pxk_snap_put(sl->snap);
		sl->snap = NULL;
		spin_lock_bh(&n->lock);
		n->shell[PAXOS_CTR_STORE_BYTES] += sl->written;
		n->shell[PAXOS_CTR_STORE_FLUSHES] += sl->flushes;
		if (r) {
			news = store_failed(st, r);
		} else {
			n->shell[PAXOS_CTR_STORE_WRITES]++;
			n->shell[PAXOS_CTR_STORE_CHECKPOINTS] += sl->ckpt;
			trace_paxos_store(n, sl->token, sl->batch_entries,
					  sl->written, sl->wait_ns,
					  ktime_get_ns() - sl->staged_at);
			sl->done = true;
			if (n->storage_state == PAXOS_STORAGE_OK)
				report(st);
		}
		spin_unlock_bh(&n->lock);
		pxk_udp_flush(n);
		if (r)
			break;
	}
	if (news)
		pxk_genl_storage_event(n, PAXOS_STORAGE_FAILED);
}

/* The largest retain bytes the open device's staging takes (lock held). */
u64 pxk_store_log_cap(struct pxk_node *n)
{
	return n->store ? n->store->scap - PXS_LOG_SLACK : U64_MAX;
}

/*
 * The nodes' batches are written from a queue of their own: per CPU, so
 * the work item runs on the CPU whose engine call (a datagram's softirq,
 * a writer's syscall) made the state dirty, without waking another one,
 * and at high priority, ahead of the client and the other normal tasks.
 * On system_unbound_wq a dirty state waited 0.3 -- 1.2 ms (p50, the
 * paxos_store tracepoint's wait) for its batch to be staged at depth 1.
 * A worker sleeps while its bios are in flight: it holds no CPU, and the
 * queue runs the other slot's work item meanwhile.
 */
static struct workqueue_struct *pxk_store_wq;

int pxk_store_init(void)
{
	pxk_store_wq = alloc_workqueue("paxos_store", WQ_HIGHPRI, 0);
	return pxk_store_wq ? 0 : -ENOMEM;
}

void pxk_store_exit(void)
{
	destroy_workqueue(pxk_store_wq);
}

/* After an engine call (lock held): write what it made dirty. */
void pxk_store_kick(struct pxk_node *n)
{
	struct pxk_store *st = n->store;
	u32 i;

	if (!st || n->storage_state != PAXOS_STORAGE_OK)
		return;
	/* Only a kick with something to write starts the wait clock. */
	if (!st->kicked_at && n->px && px_dirty(n->px))
		st->kicked_at = ktime_get_ns();
	for (i = 0; i < PXS_SLOTS; i++)
		if (may_stage(st, &st->slot[i]))
			queue_work(pxk_store_wq, &st->slot[i].work);
}

/* ------------------------------------------------------------- reading */

/*
 * @len bytes at @p of the active half, through a window of PXS_WBUF
 * bytes: NULL past the half's end, or on an I/O error (*err).
 */
static const u8 *rd(struct pxk_store *st, u64 p, size_t len, int *err)
{
	*err = 0;
	if (p + len > st->half_bytes)
		return NULL;
	if (!st->rvalid || p < st->rat || p + len > st->rat + st->rlen) {
		st->rat = round_down(p, PXS_BLOCK);
		st->rlen = min_t(u64, PXS_WBUF, st->half_bytes - st->rat);
		st->rvalid = false;
		*err = pxs_io(&st->slot[0], REQ_OP_READ,
			      half_at(st, st->half) + st->rat, st->slot[0].wbuf,
			      st->rlen);
		if (*err)
			return NULL;
		st->rvalid = true;
	}
	return st->slot[0].wbuf + (p - st->rat);
}

/*
 * The record at @p of the active half if it is whole and its checksum
 * holds: its header, the payload after it; else NULL (*err: I/O error).
 */
static const struct pxs_rec *rec_at(struct pxk_store *st, u64 p, int *err)
{
	struct pxs_rec h;
	const u8 *b = rd(st, p, sizeof(h), err);
	u32 len, crc;

	if (!b)
		return NULL;
	memcpy(&h, b, sizeof(h));
	len = le32_to_cpu(h.len);
	if (le32_to_cpu(h.magic) != PXS_REC_MAGIC || len > PXS_PAYLOAD_MAX)
		return NULL;
	b = rd(st, p, rec_size(len), err);
	if (!b)
		return NULL;
	h.csum = 0;
	crc = crc32c(st->seed, &h, sizeof(h));
	crc = crc32c(crc, b + sizeof(h), len);
	if (crc != le32_to_cpu(((const struct pxs_rec *)b)->csum))
		return NULL;
	return (const struct pxs_rec *)b;
}

static int apply_entry(struct pxk_store *st, const u8 *pay, u32 len)
{
	const struct pxs_entry *r = (const struct pxs_entry *)pay;
	struct pxs_mentry *e, *old;
	u64 index;
	u32 vlen;

	if (len < sizeof(*r) || len - sizeof(*r) > PX_MAX_VALUE)
		return -EUCLEAN;
	vlen = len - sizeof(*r);
	e = kmalloc(struct_size(e, data, vlen), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	index = le64_to_cpu(r->index);
	e->ballot = le64_to_cpu(r->ballot);
	e->type = le16_to_cpu(r->type);
	e->id.origin = le32_to_cpu(r->origin);
	e->id.incarnation = le64_to_cpu(r->incarnation);
	e->id.seq = le64_to_cpu(r->seq);
	e->id.session = le64_to_cpu(r->session);
	e->id.cseq = le64_to_cpu(r->cseq);
	e->len = vlen;
	memcpy(e->data, pay + sizeof(*r), vlen);
	old = xa_store(&st->rs->entries, index, e, GFP_KERNEL);
	if (xa_is_err(old)) {
		kfree(e);
		return xa_err(old);
	}
	kfree(old);
	st->hi = max(st->hi, index);
	return 0;
}

static int apply_snap(struct pxk_store *st, const u8 *pay, u32 len)
{
	const struct pxs_snap *r = (const struct pxs_snap *)pay;
	struct pxs_restored *rs = st->rs;
	struct pxk_snap *p;
	u32 mlen;
	u64 size;

	if (len < sizeof(*r))
		return -EUCLEAN;
	mlen = le32_to_cpu(r->meta_len);
	size = le64_to_cpu(r->size);
	if (mlen > PX_SNAP_META_MAX || sizeof(*r) + mlen != len || !size)
		return -EUCLEAN;
	if (size > pxk_snap_max())
		return -EFBIG;
	p = pxk_snap_alloc(size, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->s.index = le64_to_cpu(r->index);
	p->s.csum = le64_to_cpu(r->csum);
	pxk_snap_put(rs->snap);
	rs->snap = p;
	memcpy(rs->meta, pay + sizeof(*r), mlen);
	rs->meta_len = mlen;
	return 0;
}

static int apply_snapdata(struct pxk_store *st, const u8 *pay, u32 len)
{
	struct pxk_snap *p = st->rs->snap;
	const u8 *src = pay + 8;
	u32 dlen, seg;
	u64 off;
	u8 *dst;

	if (len < 8 || !p)
		return -EUCLEAN;
	off = le64_to_cpup((const __le64 *)pay);
	dlen = len - 8;
	if (off > p->s.size || dlen > p->s.size - off)
		return -EUCLEAN;
	while (dlen) {
		dst = pxk_snap_seg(p, off, dlen, &seg, GFP_KERNEL);
		if (!dst)
			return -ENOMEM;
		memcpy(dst, src, seg);
		src += seg;
		off += seg;
		dlen -= seg;
		p->have += seg;
	}
	return 0;
}

/* One record of a whole batch into what the device holds. */
static int apply_rec(struct pxk_store *st, const struct pxs_rec *h)
{
	const u8 *pay = (const u8 *)(h + 1);
	u32 len = le32_to_cpu(h->len);

	switch (le16_to_cpu(h->type)) {
	case PXS_PROMISE:
		if (len != 8)
			return -EUCLEAN;
		st->rs->promised = le64_to_cpup((const __le64 *)pay);
		return 0;
	case PXS_FIRST:
		if (len != 8)
			return -EUCLEAN;
		st->rs->first = le64_to_cpup((const __le64 *)pay);
		return 0;
	case PXS_ENTRY:
		return apply_entry(st, pay, len);
	case PXS_SNAPSHOT:
		return apply_snap(st, pay, len);
	case PXS_SNAPDATA:
		return apply_snapdata(st, pay, len);
	case PXS_END:
		return 0;
	case PXS_AFTER:
		return len == 8 ? 0 : -EUCLEAN;
	}
	return -EUCLEAN;
}

/* Whether @h starts a batch written while the one at @seq was in flight. */
static bool rec_after(const struct pxs_rec *h, u64 seq)
{
	return le16_to_cpu(h->type) == PXS_AFTER && le32_to_cpu(h->len) == 8 &&
	       le64_to_cpup((const __le64 *)(h + 1)) == seq;
}

/*
 * Read the active half from its start, batch by batch.  With @apply
 * false, find where the last whole batch ends (st->pos, and st->seq for
 * the next record) and tell what ended the log: a torn tail (0), or a
 * damaged record, when a later block starts a valid batch with a higher
 * sequence number (-EUCLEAN, *bad_at its device offset, *bad_seq the
 * sequence number it should have had).  One such batch is the torn tail
 * too: the first, if it names the broken batch in its AFTER record.  It
 * was written while that one was in flight, and the device kept it but
 * not that one; no answer vouched for either (px_persisted() in token
 * order).  Its start is then cleared (st->stale_at) before the node
 * writes.  With @apply, apply every record before @end.
 */
static int scan(struct pxk_store *st, bool apply, u64 end, u64 *bad_at,
		u64 *bad_seq)
{
	u64 p = 0, q, seq = st->start_seq, bseq = seq, nrec = 0, broken;
	u64 good = 0, good_seq = seq;
	const struct pxs_end *e;
	const struct pxs_rec *h;
	bool in = false;
	int err = 0;

	for (;;) {
		if (!in)
			p = round_up(p, PXS_BLOCK);
		if (apply && p >= end)
			return 0;
		h = rec_at(st, p, &err);
		if (err)
			return err;
		if (!h || le64_to_cpu(h->seq) != seq ||
		    !(le16_to_cpu(h->flags) & PXS_F_BATCH) != in)
			break;
		if (le16_to_cpu(h->type) == PXS_END) {
			e = (const struct pxs_end *)(h + 1);
			if (!in || le32_to_cpu(h->len) != sizeof(*e) ||
			    le64_to_cpu(e->first_seq) != bseq ||
			    le64_to_cpu(e->count) != nrec)
				break;
			in = false;
			good = p + rec_size(sizeof(*e));
			good_seq = seq + 1;
		} else {
			if (!in) {
				in = true;
				bseq = seq;
				nrec = 0;
			}
			nrec++;
		}
		if (apply) {
			err = apply_rec(st, h);
			if (err)
				return err;
		}
		p += rec_size(le32_to_cpu(h->len));
		seq++;
	}
	if (apply)
		return -EUCLEAN;	/* the first pass found these whole */
	st->pos = round_up(good, PXS_BLOCK);
	st->seq = good_seq;
	st->stale_at = 0;
	broken = in ? bseq : seq;
	for (q = round_down(p, PXS_BLOCK) + PXS_BLOCK; q < st->half_bytes;
	     q += PXS_BLOCK) {
		h = rec_at(st, q, &err);
		if (err)
			return err;
		if (!h || !(le16_to_cpu(h->flags) & PXS_F_BATCH) ||
		    le64_to_cpu(h->seq) <= seq)
			continue;
		if (!st->stale_at && rec_after(h, broken)) {
			st->stale_at = half_at(st, st->half) + q;
			continue;
		}
		*bad_at = half_at(st, st->half) + p;
		*bad_seq = seq;
		return -EUCLEAN;
	}
	return 0;
}

/*
 * The newest valid superblock copy into @st: 1; 0 when no copy has the
 * magic (a device never formatted); -EUCLEAN when copies have it but
 * none is valid; -errno.
 */
static int read_super(struct pxk_store *st, u32 *cluster, u32 *node,
		      u64 *size)
{
	const struct pxs_super *sb;
	bool magic = false, found = false;
	int err;
	u32 i;

	err = pxs_io(&st->slot[0], REQ_OP_READ, 0, st->slot[0].scratch,
		     2 * PXS_BLOCK);
	if (err)
		return err;
	for (i = 0; i < 2; i++) {
		sb = (const struct pxs_super *)(st->slot[0].scratch +
						i * PXS_BLOCK);
		if (le32_to_cpu(sb->magic) != PXS_SUPER_MAGIC)
			continue;
		magic = true;
		if (le32_to_cpu(sb->csum) !=
		    crc32c(~0, sb, offsetof(struct pxs_super, csum)) ||
		    !le32_to_cpu(sb->version) ||
		    le32_to_cpu(sb->version) > PXS_VERSION ||
		    le64_to_cpu(sb->gen) % 2 != i ||
		    (found && le64_to_cpu(sb->gen) <= st->gen))
			continue;
		found = true;
		st->gen = le64_to_cpu(sb->gen);
		st->version = le32_to_cpu(sb->version);
		st->stamp = le64_to_cpu(sb->stamp);
		st->half = le32_to_cpu(sb->half);
		st->start_seq = le64_to_cpu(sb->start_seq);
		st->half_bytes = le64_to_cpu(sb->half_bytes);
		*cluster = le32_to_cpu(sb->cluster);
		*node = le32_to_cpu(sb->node);
		*size = le64_to_cpu(sb->size);
	}
	if (found)
		return 1;
	return magic ? -EUCLEAN : 0;
}

static void set_seed(struct pxk_store *st)
{
	__le64 stamp = cpu_to_le64(st->stamp);

	st->seed = crc32c(~0, &stamp, sizeof(stamp));
}

/* A device never formatted: a new stamp, half 0, nothing in it. */
static int format(struct pxk_store *st)
{
	st->stamp = get_random_u64();
	set_seed(st);
	st->half_bytes = round_down((st->size - PXS_HALVES_AT) / 2, PXS_BLOCK);
	st->half = 0;
	st->start_seq = 1;
	st->seq = 1;
	st->pos = 0;
	st->gen = 1;
	st->version = PXS_VERSION;
	return write_super(&st->slot[0], 1, 0, 1);
}

static void restored_free(struct pxk_store *st)
{
	struct pxs_restored *rs = st->rs;
	struct pxs_mentry *e;
	unsigned long index;

	if (!rs)
		return;
	xa_for_each(&rs->entries, index, e)
		kfree(e);
	xa_destroy(&rs->entries);
	pxk_snap_put(rs->snap);
	kfree(rs);
	st->rs = NULL;
}

/* A damaged record before the log's tail: the node will not start. */
static void corrupt(struct pxk_store *st, u64 at, u64 seq)
{
	struct pxk_node *n = st->n;

	pr_err("node %u: storage %s: record %llu at byte %llu is damaged before the end of the log: refusing to start\n",
	       n->id, n->storage, seq, at);
	spin_lock_bh(&n->lock);
	n->storage_state = PAXOS_STORAGE_CORRUPT;
	n->shell[PAXOS_CTR_STORE_CORRUPT]++;
	spin_unlock_bh(&n->lock);
	pxk_genl_storage_event(n, PAXOS_STORAGE_CORRUPT);
}

/*
 * The tail cut a batch that landed without the one before it: clear its
 * first block, durably, so that no batch start is left past where the
 * node writes next (it would read as a damaged record then).
 */
static int clear_stale(struct pxk_store *st)
{
	struct pxs_slot *sl = &st->slot[0];

	pr_info("node %u: storage %s: the batch at byte %llu landed without the one before it: cut with the torn tail\n",
		st->n->id, st->n->storage, st->stale_at);
	memset(sl->scratch, 0, PXS_BLOCK);
	st->rvalid = false;
	return pxs_io(sl, REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA,
		      st->stale_at, sl->scratch, PXS_BLOCK);
}

/* Read what a formatted device holds: 0, or -errno with @extack. */
static int load(struct pxk_store *st, struct netlink_ext_ack *extack)
{
	struct pxk_node *n = st->n;
	u64 bad_at = 0, bad_seq = 0;
	int err;

	err = scan(st, false, 0, &bad_at, &bad_seq);
	if (err == -EUCLEAN) {
		corrupt(st, bad_at, bad_seq);
		NL_SET_ERR_MSG(extack,
			       "storage: a record before the end of the log is damaged: not starting (dmesg says where)");
		return err;
	}
	if (!err && st->stale_at)
		err = clear_stale(st);
	if (!err)
		err = scan(st, true, st->pos, NULL, NULL);
	if (!err && st->rs->snap && st->rs->snap->have != st->rs->snap->s.size)
		err = -EUCLEAN;
	if (err == -EUCLEAN) {
		corrupt(st, half_at(st, st->half), 0);
		NL_SET_ERR_MSG(extack, "storage: the records on the device do not make a state");
	} else if (err == -EFBIG) {
		NL_SET_ERR_MSG(extack,
			       "storage: the device's snapshot is larger than snapshot_max");
	} else if (err) {
		NL_SET_ERR_MSG(extack, "storage: cannot read the device");
	}
	if (!err)
		pr_info("node %u: storage %s: promise %llx, snapshot %llu, entries to %llu, next record %llu\n",
			n->id, n->storage, st->rs->promised,
			st->rs->snap ? st->rs->snap->s.index : 0, st->hi, st->seq);
	return err;
}

void pxk_store_close(struct pxk_store *st)
{
	u32 i;

	if (!st)
		return;
	for (i = 0; i < PXS_SLOTS; i++) {
		cancel_work_sync(&st->slot[i].work);
		pxk_snap_put(st->slot[i].snap);
		vfree(st->slot[i].wbuf);
		vfree(st->slot[i].scratch);
	}
	restored_free(st);
	if (st->b.bdev)
		pxk_bdev_close(&st->b);
	vfree(st->sbuf);
	kfree(st);
}

/*
 * Up (cfg_lock held): open the node's device exclusively and read what
 * it holds, formatting it if it was never used.  *out, or -errno with
 * @extack.
 */
int pxk_store_open(struct pxk_node *n, struct pxk_store **out,
		   struct netlink_ext_ack *extack)
{
	u64 log = READ_ONCE(n->retain_bytes), size = 0;
	struct pxk_store *st;
	u32 cluster = 0, node = 0, i;
	bool bufs = true;
	int err;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->n = n;
	for (i = 0; i < PXS_SLOTS; i++) {
		st->slot[i].st = st;
		INIT_WORK(&st->slot[i].work, pxk_store_work);
		st->slot[i].wbuf = vmalloc(PXS_WBUF);
		st->slot[i].scratch = vmalloc(PXS_SCRATCH);
		bufs = bufs && st->slot[i].wbuf && st->slot[i].scratch;
	}
	err = pxk_bdev_get(n, &st->b, n->storage, extack);
	if (err) {
		st->b.bdev = NULL;
		goto fail;
	}
	st->size = bdev_nr_bytes(st->b.bdev);
	st->scap = (log ? log : PAXOS_DEFAULT_RETAIN_BYTES) + PXS_LOG_SLACK;
	st->sbuf = vmalloc(st->scap);
	st->rs = kzalloc(sizeof(*st->rs), GFP_KERNEL);
	if (!st->sbuf || !bufs || !st->rs) {
		NL_SET_ERR_MSG(extack, "storage: out of memory");
		err = -ENOMEM;
		goto fail;
	}
	xa_init(&st->rs->entries);
	if (bdev_logical_block_size(st->b.bdev) > PXS_BLOCK) {
		NL_SET_ERR_MSG(extack, "storage: the device's blocks are larger than 4 KiB");
		err = -EINVAL;
		goto fail;
	}
	err = read_super(st, &cluster, &node, &size);
	if (err == -EUCLEAN) {
		corrupt(st, 0, 0);
		NL_SET_ERR_MSG(extack,
			       "storage: both superblocks are damaged: not starting");
		goto fail;
	}
	if (err < 0) {
		NL_SET_ERR_MSG(extack, "storage: cannot read the device");
		goto fail;
	}
	if (!err) {
		err = format(st);
		if (err)
			NL_SET_ERR_MSG(extack, "storage: cannot write the device");
	} else if (cluster != n->cluster || node != n->id) {
		NL_SET_ERR_MSG(extack,
			       "storage: the device holds another node's or cluster's state");
		err = -EEXIST;
	} else if (size > st->size || st->half > 1 || !st->half_bytes ||
		   st->half_bytes % PXS_BLOCK ||
		   PXS_HALVES_AT + 2 * st->half_bytes > st->size) {
		NL_SET_ERR_MSG(extack,
			       "storage: the device is smaller than when it was formatted");
		err = -ENOSPC;
	} else {
		set_seed(st);
		err = load(st, extack);
	}
	if (err)
		goto fail;
	*out = st;
	return 0;
fail:
	pxk_store_close(st);
	return err;
}

/*
 * Hand the engine what the device holds, right after px_node_create()
 * and before any other call: the snapshot and its tables, the entries
 * after it in index order, the promise.  The snapshot's bytes become the
 * node's (*snap, one reference).  0, or -errno with @extack.
 */
int pxk_store_restore(struct pxk_store *st, struct px_node *px,
		      struct pxk_snap **snap, struct netlink_ext_ack *extack)
{
	struct pxs_restored *rs = st->rs;
	struct px_entry_view v;
	struct pxs_mentry *e;
	unsigned long index;
	u64 after = 0;
	int err;

	*snap = NULL;
	if (rs->snap) {
		err = px_restore_snap(px, &rs->snap->s, rs->meta, rs->meta_len);
		if (err) {
			NL_SET_ERR_MSG(extack,
				       "storage: the engine refused the device's snapshot (members changed?)");
			return err;
		}
		after = rs->snap->s.index;
		memcpy(st->meta, rs->meta, rs->meta_len);
		st->meta_len = rs->meta_len;
	}
	xa_for_each(&rs->entries, index, e) {
		if (index <= after || index < rs->first)
			continue;
		v.ballot = e->ballot;
		v.type = e->type;
		v.id = e->id;
		v.data = e->data;
		v.len = e->len;
		err = px_restore_entry(px, index, &v);
		if (err) {
			NL_SET_ERR_MSG(extack,
				       "storage: the engine refused an entry of the device");
			return err;
		}
	}
	err = px_restore_promise(px, rs->promised);
	if (err)
		return err;
	*snap = rs->snap;
	rs->snap = NULL;
	restored_free(st);
	return 0;
}
