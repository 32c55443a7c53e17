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
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/nsproxy.h>

#include "pxk.h"

#define PXK_BOUNCE	(64 * 1024)

struct pxk_file {
	struct pxk_node *node;
	u64 pos;		/* next index to read; 0: the first retained */
	u64 last_write;
	struct mutex lock;	/* one reader or seeker at a time per file */
	u8 *bounce;		/* PXK_BOUNCE bytes, from the first read on */
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
	file->private_data = f;
	return 0;
}

static int pxk_release(struct inode *inode, struct file *file)
{
	struct pxk_file *f = file->private_data;

	pxk_node_put(f->node);
	kvfree(f->bounce);
	kfree(f);
	return 0;
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

		if (!f->pos || f->pos > n->commit)
			break;
		data = px_log_get(n->px, f->pos, &type, &len);
		if (!data) {
			if (used)
				break;
			return -ERANGE;	/* trimmed */
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

/* Resolve a file that has not read yet to the first retained index. */
static void start_pos(struct pxk_node *n, struct pxk_file *f)
{
	if (!f->pos && n->px)
		f->pos = px_first_index(n->px);
}

/* A read would not block (lock held). */
static bool readable(struct pxk_node *n, struct pxk_file *f)
{
	start_pos(n, f);
	return n->dead || !n->px || (f->pos && f->pos <= n->commit);
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
	err = pxk_propose(f->node, buf, count, file->f_flags & O_NONBLOCK, 0,
			  &index);
	kfree(buf);
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
	if (n->px && f->pos && f->pos <= n->commit)
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock_bh(&n->lock);
	return mask;
}

static long pxk_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pxk_file *f = file->private_data;
	struct pxk_node *n = f->node;
	u64 v = 0;
	int err = 0;

	switch (cmd) {
	case PAXOS_IOC_LAST_WRITE:
		v = READ_ONCE(f->last_write);
		break;
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
