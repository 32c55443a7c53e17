// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/paxoslog: the committed log of the opener's namespace node.
 *
 * Each open file has its own position, a log index.  read() returns whole
 * records (struct paxos_record and the payload) in log order; write()
 * proposes one value and, unless O_NONBLOCK, returns once it is committed.
 * Anyone who can open the device may read; proposing (write() and the
 * read barrier, which makes the leader work) needs CAP_NET_ADMIN over the
 * node's network namespace, as netlink PROPOSE does, judged on the
 * opener's credentials like any file.
 * Records are copied out of the engine under the node lock into the
 * file's bounce buffer, and to user space after that lock is dropped.
 *
 * Snapshots: an application hands the node its state as of an index with
 * PAXOS_IOC_SNAP_WRITE, and the entries it covers may then go.  A reader
 * whose position was trimmed gets the newest snapshot instead, as a
 * PAXOS_REC_SNAPSHOT record, reads its bytes with PAXOS_IOC_SNAP_READ and
 * continues after it: the state it builds never skips an entry.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/nsproxy.h>

#include "pxk.h"

#define PXK_BOUNCE	(64 * 1024)

struct pxk_file {
	struct pxk_node *node;
	u64 pos;		/* next index to read; 0: not yet (start_pos()) */
	u64 last_write;
	struct mutex lock;	/* one reader, seeker or snapshot writer */
	u8 *bounce;		/* PXK_BOUNCE bytes, from the first read on */
	struct pxk_snap *wr;	/* a snapshot being written (lock) */
	/*
	 * Blocking writes are client writes of the file's session, one at
	 * a time and in call order (wlock): write cseq + 1 goes only once
	 * write cseq is answered.  A write that failed undecided (it may
	 * still commit) is kept; the next write with the same bytes is its
	 * retry, under the same number, so it commits once.
	 */
	struct mutex wlock;
	u64 session;
	u64 cseq;		/* the number of the last write issued */
	void *undecided;	/* its bytes, if it failed undecided */
	u32 undecided_len;
};

static int pxk_open(struct inode *inode, struct file *file)
{
	struct pxk_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->node = pxk_node_get(current->nsproxy->net_ns);
	if (!f->node) {
		kfree(f);
		return -ENODEV;
	}
	mutex_init(&f->lock);
	mutex_init(&f->wlock);
	do {
		f->session = get_random_u64();
	} while (!f->session);
	file->private_data = f;
	return 0;
}

static int pxk_release(struct inode *inode, struct file *file)
{
	struct pxk_file *f = file->private_data;

	pxk_node_put(f->node);
	pxk_snap_put(f->wr);
	kvfree(f->bounce);
	kfree(f->undecided);
	kfree(f);
	return 0;
}

/*
 * The newest snapshot's index if it stands in for the trimmed entries at
 * @pos (lock held): @pos is below the first retained index, and the log
 * goes on right after the snapshot.  0 if not.  Such a reader applied
 * entries up to @pos - 1, below the snapshot's index: the snapshot only
 * moves its state forward.
 */
static u64 snap_covers(struct pxk_node *n, u64 pos)
{
	u64 first = px_first_index(n->px);

	if (pos >= first || !n->snap || n->snap->s.index + 1 < first)
		return 0;
	return n->snap->s.index;
}

/*
 * Copy the records from f->pos that fit in @cap bytes into @buf (lock
 * held).  Returns the bytes copied, 0 if nothing is committed there yet,
 * or -errno.
 */
static ssize_t fill(struct pxk_node *n, struct pxk_file *f, u8 *buf, size_t cap)
{
	size_t used = 0;

	if (n->dead)
		return -ENODEV;
	if (!n->px)
		return -ENOTCONN;
	for (;;) {
		struct paxos_record rec = { 0 };
		enum px_entry_type type;
		const void *data;
		u32 len;

		if (!f->pos || f->pos > n->commit) {
			/* Behind: what comes next may never come here. */
			if (f->pos && !used && px_behind(n->px))
				return -ENODATA;
			break;
		}
		data = px_log_get(n->px, f->pos, &type, &len);
		if (!data) {
			u64 snap = snap_covers(n, f->pos);

			if (snap && sizeof(rec) <= cap - used) {
				/* Its bytes through PAXOS_IOC_SNAP_READ. */
				rec.index = snap;
				rec.type = PAXOS_REC_SNAPSHOT;
				memcpy(buf + used, &rec, sizeof(rec));
				used += sizeof(rec);
				f->pos = snap + 1;
				continue;
			}
			if (used)
				break;
			return -ERANGE;	/* trimmed, and no snapshot for it */
		}
		if (sizeof(rec) + len > cap - used) {
			if (used)
				break;
			return -EMSGSIZE;
		}
		rec.index = f->pos;
		rec.len = len;
		rec.type = type;
		memcpy(buf + used, &rec, sizeof(rec));
		memcpy(buf + used + sizeof(rec), data, len);
		used += sizeof(rec) + len;
		f->pos++;
	}
	return used;
}

/*
 * Resolve a file that has not read yet: from index 1, so that its reader
 * can build the whole state, either by the log itself or, once that was
 * trimmed, by the newest snapshot and the log after it.  Without a
 * snapshot covering the gap, from the first retained index.
 */
static void start_pos(struct pxk_node *n, struct pxk_file *f)
{
	if (f->pos || !n->px)
		return;
	f->pos = px_first_index(n->px);
	if (f->pos > 1 && snap_covers(n, 1))
		f->pos = 1;
}

/* A read would not block (lock held). */
static bool readable(struct pxk_node *n, struct pxk_file *f)
{
	start_pos(n, f);
	return n->dead || !n->px || (f->pos && f->pos <= n->commit) ||
	       px_behind(n->px);
}

static ssize_t pxk_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	struct pxk_file *f = file->private_data;
	struct pxk_node *n = f->node;
	size_t cap = min_t(size_t, count, PXK_BOUNCE);
	ssize_t got;
	u8 *buf;

	if (count < sizeof(struct paxos_record))
		return -EMSGSIZE;
	mutex_lock(&f->lock);
	/* Kept for the file's life: a reader that follows the log reads often. */
	if (!f->bounce)
		f->bounce = kvmalloc(PXK_BOUNCE, GFP_KERNEL);
	buf = f->bounce;
	if (!buf) {
		mutex_unlock(&f->lock);
		return -ENOMEM;
	}
	for (;;) {
		spin_lock_bh(&n->lock);
		start_pos(n, f);
		got = fill(n, f, buf, cap);
		spin_unlock_bh(&n->lock);
		if (got)
			break;
		if (file->f_flags & O_NONBLOCK) {
			got = -EAGAIN;
			break;
		}
		if (wait_event_interruptible(n->wq, pxk_locked(n, readable(n, f)))) {
			got = -ERESTARTSYS;
			break;
		}
	}
	if (got > 0 && copy_to_user(ubuf, buf, got))
		got = -EFAULT;
	mutex_unlock(&f->lock);
	return got;
}

/* The opener may propose: CAP_NET_ADMIN where the node's namespace lives. */
static bool may_propose(struct file *file, struct pxk_node *n)
{
	return file_ns_capable(file, n->user_ns, CAP_NET_ADMIN);
}

/* A failure after which the write may still commit. */
static bool undecided(int err)
{
	return err == -EINTR || err == -ETIMEDOUT || err == -ENOTCONN ||
	       err == -ENODEV;
}

/*
 * One client write of the file's session: the retry of the last one if it
 * failed undecided and @buf holds the same bytes, else the next number.
 * Takes @buf.
 */
static int session_write(struct pxk_file *f, void *buf, u32 len, u64 *index)
{
	struct px_prop_id id = { 0 };
	bool queued;
	int err;

	if (mutex_lock_interruptible(&f->wlock)) {
		kfree(buf);
		return -EINTR;
	}
	id.session = f->session;
	if (f->undecided && f->undecided_len == len &&
	    !memcmp(f->undecided, buf, len))
		id.cseq = f->cseq;
	else
		id.cseq = f->cseq + 1;
	err = pxk_propose_id(f->node, &id, buf, len, false, 0, index, &queued);
	/* Not taken at all: the number is unused, what was undecided still is. */
	if (queued) {
		f->cseq = id.cseq;
		kfree(f->undecided);
		f->undecided = NULL;
		if (undecided(err)) {
			f->undecided = buf;
			f->undecided_len = len;
			buf = NULL;
		}
	}
	mutex_unlock(&f->wlock);
	kfree(buf);
	return err;
}

static ssize_t pxk_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	struct pxk_file *f = file->private_data;
	u64 index = 0;
	void *buf;
	int err;

	if (!may_propose(file, f->node))
		return -EPERM;
	if (!count)
		return -EINVAL;
	if (count > PAXOS_MAX_VALUE)
		return -EMSGSIZE;
	buf = memdup_user(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (file->f_flags & O_NONBLOCK) {
		/* Returns once proposed: no session, the log tells the rest. */
		err = pxk_propose(f->node, buf, count, true, 0, &index);
		kfree(buf);
	} else {
		err = session_write(f, buf, count, &index);
	}
	if (err)
		return err;
	if (index)
		WRITE_ONCE(f->last_write, index);
	return count;
}

static loff_t pxk_llseek(struct file *file, loff_t off, int whence)
{
	struct pxk_file *f = file->private_data;
	struct pxk_node *n = f->node;
	loff_t base = 0, pos;

	mutex_lock(&f->lock);
	spin_lock_bh(&n->lock);
	start_pos(n, f);
	if (whence == SEEK_CUR)
		base = f->pos;
	else if (whence == SEEK_END)
		base = n->commit + 1;
	else if (whence != SEEK_SET)
		base = -1;
	pos = base < 0 ? -EINVAL : base + off;
	if (pos < 1)
		pos = -EINVAL;
	else
		f->pos = pos;
	spin_unlock_bh(&n->lock);
	mutex_unlock(&f->lock);
	return pos;
}

static __poll_t pxk_poll(struct file *file, poll_table *wait)
{
	struct pxk_file *f = file->private_data;
	struct pxk_node *n = f->node;
	__poll_t mask = 0;

	poll_wait(file, &n->wq, wait);
	spin_lock_bh(&n->lock);
	start_pos(n, f);
	if (n->dead)
		mask = EPOLLERR | EPOLLHUP;
	else if (n->px && px_propose_room(n->px))
		mask = EPOLLOUT | EPOLLWRNORM;
	if (n->px && ((f->pos && f->pos <= n->commit) || px_behind(n->px)))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock_bh(&n->lock);
	return mask;
}

/* px_snap_csum() over the bytes of @p, letting others run in between. */
static u64 snap_csum(struct pxk_snap *p)
{
	u64 sum = 0, off;
	u32 seg;
	u8 *src;

	/* A chunk never crosses a page: pxk_snap_seg() gives it whole. */
	BUILD_BUG_ON(PAGE_SIZE % PX_SNAP_CHUNK);
	for (off = 0; off < p->s.size; off += seg) {
		src = pxk_snap_seg(p, off, min_t(u64, PX_SNAP_CHUNK,
						 p->s.size - off), &seg, 0);
		sum += px_snap_chunk_sum(off, src, seg);
		if (!(off & (SZ_1M - 1)))
			cond_resched();
	}
	return sum;
}

/*
 * PAXOS_IOC_SNAP_WRITE: one piece of the application's snapshot, in
 * order from offset 0 into the file's own store (a piece at 0 starts
 * over).  The piece that completes it publishes it; the checksum the
 * engine sends it with is computed first, outside the node lock.
 */
static int snap_write(struct file *file, struct pxk_file *f,
		      struct paxos_snap_io __user *uio)
{
	struct pxk_node *n = f->node;
	struct paxos_snap_io io;
	const u8 __user *src;
	struct pxk_snap *p;
	u64 off;
	u32 seg;
	u8 *dst;
	int err;

	if (!may_propose(file, n))
		return -EPERM;
	if (copy_from_user(&io, uio, sizeof(io)))
		return -EFAULT;
	if (io.flags || !io.len || !io.size || io.offset > io.size ||
	    io.len > io.size - io.offset)
		return -EINVAL;
	if (io.size > pxk_snap_max())
		return -EFBIG;
	if (mutex_lock_interruptible(&f->lock))
		return -EINTR;
	p = f->wr;
	if (!io.offset) {
		/* Refuse a snapshot that cannot be taken before storing it. */
		spin_lock_bh(&n->lock);
		err = pxk_snap_check(n, io.index);
		spin_unlock_bh(&n->lock);
		if (err)
			goto out;
		pxk_snap_put(p);
		p = pxk_snap_alloc(io.size, GFP_KERNEL_ACCOUNT);
		f->wr = p;
		if (!p) {
			err = -ENOMEM;
			goto out;
		}
		p->s.index = io.index;
	} else if (!p || p->s.index != io.index || p->s.size != io.size ||
		   io.offset != p->have) {
		err = -EINVAL;
		goto out;
	}
	src = u64_to_user_ptr(io.data);
	for (off = io.offset; off < io.offset + io.len; off += seg) {
		dst = pxk_snap_seg(p, off, io.offset + io.len - off, &seg,
				   GFP_KERNEL_ACCOUNT);
		if (!dst) {
			err = -ENOMEM;
			goto out;
		}
		if (copy_from_user(dst, src + (off - io.offset), seg)) {
			err = -EFAULT;
			goto out;
		}
	}
	p->have = off;
	err = 0;
	if (p->have < p->s.size)
		goto out;
	p->s.csum = snap_csum(p);
	f->wr = NULL;
	err = pxk_snap_publish(n, p);
	if (err)
		pxk_snap_put(p);
out:
	mutex_unlock(&f->lock);
	return err;
}

/*
 * PAXOS_IOC_SNAP_READ: a piece of the node's newest snapshot, which must
 * still be io.index.  The copy is made from a reference, outside the
 * lock: a newer snapshot may replace it meanwhile.
 */
static int snap_read(struct pxk_node *n, struct paxos_snap_io __user *uio)
{
	struct paxos_snap_io io;
	struct pxk_snap *p = NULL;
	u8 __user *dst;
	u64 off, end;
	u32 seg;
	u8 *src;
	int err = 0;

	if (copy_from_user(&io, uio, sizeof(io)))
		return -EFAULT;
	if (io.flags)
		return -EINVAL;
	spin_lock_bh(&n->lock);
	if (n->dead)
		err = -ENODEV;
	else if (!n->px)
		err = -ENOTCONN;
	else if (!n->snap || n->snap->s.index != io.index)
		err = -ESTALE;
	else
		p = n->snap;
	if (p)
		refcount_inc(&p->ref);
	spin_unlock_bh(&n->lock);
	if (err)
		return err;
	if (io.offset > p->s.size) {
		err = -EINVAL;
		goto out;
	}
	io.size = p->s.size;
	io.len = min_t(u64, io.len, p->s.size - io.offset);
	dst = u64_to_user_ptr(io.data);
	end = io.offset + io.len;
	for (off = io.offset; off < end; off += seg) {
		src = pxk_snap_seg(p, off, end - off, &seg, 0);
		if (copy_to_user(dst + (off - io.offset), src, seg)) {
			err = -EFAULT;
			goto out;
		}
	}
	if (copy_to_user(uio, &io, sizeof(io)))
		err = -EFAULT;
out:
	pxk_snap_put(p);
	return err;
}

/* The file's client session, read or set (the next write's number). */
static long session_ioctl(struct pxk_file *f, unsigned int cmd,
			  struct paxos_session __user *us)
{
	struct paxos_session s;

	if (cmd == PAXOS_IOC_SESSION_SET &&
	    copy_from_user(&s, us, sizeof(s)))
		return -EFAULT;
	if (cmd == PAXOS_IOC_SESSION_SET && (!s.id || !s.seq || s.flags || s.pad))
		return -EINVAL;
	if (mutex_lock_interruptible(&f->wlock))
		return -EINTR;
	if (cmd == PAXOS_IOC_SESSION_SET) {
		f->session = s.id;
		f->cseq = s.seq - 1;
		kfree(f->undecided);
		f->undecided = NULL;
	} else {
		s.id = f->session;
		s.seq = f->cseq;
		s.flags = f->undecided ? PAXOS_SESSION_UNDECIDED : 0;
		s.pad = 0;
	}
	mutex_unlock(&f->wlock);
	if (cmd == PAXOS_IOC_SESSION_GET && copy_to_user(us, &s, sizeof(s)))
		return -EFAULT;
	return 0;
}

static long pxk_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pxk_file *f = file->private_data;
	struct pxk_node *n = f->node;
	u64 v = 0;
	int err = 0;

	switch (cmd) {
	case PAXOS_IOC_SNAP_WRITE:
		return snap_write(file, f, (void __user *)arg);
	case PAXOS_IOC_SNAP_READ:
		return snap_read(n, (void __user *)arg);
	case PAXOS_IOC_LAST_WRITE:
		v = READ_ONCE(f->last_write);
		break;
	case PAXOS_IOC_SESSION_GET:
	case PAXOS_IOC_SESSION_SET:
		return session_ioctl(f, cmd, (void __user *)arg);
	case PAXOS_IOC_COMMIT_INDEX:
		spin_lock_bh(&n->lock);
		if (n->dead)
			err = -ENODEV;
		else if (!n->px)
			err = -ENOTCONN;
		v = n->commit;
		spin_unlock_bh(&n->lock);
		break;
	case PAXOS_IOC_BARRIER:
		if (!may_propose(file, n))
			return -EPERM;
		err = pxk_barrier(n, &v);
		if (err)
			break;
		/* The local log must hold everything up to the barrier. */
		err = pxk_wait(n, n->wq, n->dead || !n->px || n->commit >= v);
		if (!err && (n->dead || !n->px))
			err = n->dead ? -ENODEV : -ENOTCONN;
		break;
	default:
		return -ENOTTY;
	}
	if (err)
		return err == -ERESTARTSYS ? -EINTR : err;
	if (copy_to_user((u64 __user *)arg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static const struct file_operations pxk_fops = {
	.owner = THIS_MODULE,
	.open = pxk_open,
	.release = pxk_release,
	.read = pxk_read,
	.write = pxk_write,
	.llseek = pxk_llseek,
	.poll = pxk_poll,
	.unlocked_ioctl = pxk_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice pxk_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = PAXOS_DEVICE_NAME,
	.fops = &pxk_fops,
	.mode = 0666,
};

int __init pxk_chardev_init(void)
{
	return misc_register(&pxk_misc);
}

void pxk_chardev_exit(void)
{
	misc_deregister(&pxk_misc);
}
