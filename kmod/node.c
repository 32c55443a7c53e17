// SPDX-License-Identifier: GPL-2.0
/*
 * The per-namespace node: the engine's callbacks, its timer, up and down,
 * the blocking helpers behind write(), PROPOSE and the read barrier, and
 * the store of snapshot bytes the engine sends and receives.
 */
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <net/ipv6.h>

#include "pxk.h"
#include "trace.h"

#define PXK_LEASE_MIN_HEARTBEATS	2	/* a lease is longer than this many */
#define PXK_SNAP_MAX_DEFAULT	(64UL << 20)
#define PXK_PTRS		(PAGE_SIZE / sizeof(u8 *))	/* per directory page */

static unsigned long snapshot_max = PXK_SNAP_MAX_DEFAULT;
module_param(snapshot_max, ulong, 0644);
MODULE_PARM_DESC(snapshot_max,
		 "largest snapshot in bytes, the same on every node (default 64 MiB)");

/*
 * Strict retention (the engine's cfg.snapshots): entries go only once a
 * snapshot covers them, so no reader and no member ever skips one; but a
 * log whose application never snapshots stops when the ring is full.
 */
static bool strict_retention;
module_param(strict_retention, bool, 0644);
MODULE_PARM_DESC(strict_retention,
		 "trim only entries a snapshot covers (read at up; default off)");

/* The largest snapshot a node takes, written or received. */
u64 pxk_snap_max(void)
{
	return min_t(u64, READ_ONCE(snapshot_max), PX_MAX_SNAPSHOT);
}

/* An empty store for @size bytes, 1 .. pxk_snap_max(); one reference. */
struct pxk_snap *pxk_snap_alloc(u64 size, gfp_t gfp)
{
	u64 ndir = DIV_ROUND_UP_ULL(DIV_ROUND_UP_ULL(size, PAGE_SIZE), PXK_PTRS);
	struct pxk_snap *p;

	p = kzalloc(struct_size(p, dir, ndir), gfp | __GFP_NOWARN);
	if (!p)
		return NULL;
	refcount_set(&p->ref, 1);
	p->s.size = size;
	p->ndir = ndir;
	return p;
}

/* Drop a reference; the last frees the pages, in any context. */
void pxk_snap_put(struct pxk_snap *p)
{
	u32 i, j;

	if (!p || !refcount_dec_and_test(&p->ref))
		return;
	for (i = 0; i < p->ndir; i++) {
		if (!p->dir[i])
			continue;
		for (j = 0; j < PXK_PTRS; j++)
			free_page((unsigned long)p->dir[i][j]);
		free_page((unsigned long)p->dir[i]);
	}
	kfree(p);
}

/*
 * The bytes of @p from @off, at most @len of them and no further than
 * the end of their page: their address, and their count in *seg.  With
 * @gfp, a missing page is allocated (NULL if that fails); with 0 it is
 * NULL, which stored bytes never are.
 */
u8 *pxk_snap_seg(struct pxk_snap *p, u64 off, u64 len, u32 *seg, gfp_t gfp)
{
	u64 pg = off >> PAGE_SHIFT;
	u8 ***dir = &p->dir[pg / PXK_PTRS];
	u8 **page;

	if (!*dir) {
		*dir = gfp ? (u8 **)get_zeroed_page(gfp) : NULL;
		if (!*dir)
			return NULL;
	}
	page = &(*dir)[pg % PXK_PTRS];
	if (!*page) {
		*page = gfp ? (u8 *)__get_free_page(gfp) : NULL;
		if (!*page)
			return NULL;
	}
	*seg = min_t(u64, len, PAGE_SIZE - offset_in_page(off));
	return *page + offset_in_page(off);
}

static bool same_snap(const struct px_snap *a, const struct px_snap *b)
{
	return a->index == b->index && a->size == b->size && a->csum == b->csum;
}

/*
 * The engine sends the newest snapshot, @s, to a member that lacks
 * entries it covers: copy @len bytes at @off.
 */
static int pxk_snap_read(void *ctx, const struct px_snap *s, u64 off,
			 void *buf, u32 len)
{
	struct pxk_node *n = ctx;
	struct pxk_snap *p = n->snap;
	u8 *dst = buf, *src;
	u32 seg;

	if (!p || !same_snap(&p->s, s) || off > s->size || len > s->size - off)
		return -ENOENT;
	while (len) {
		src = pxk_snap_seg(p, off, len, &seg, 0);
		if (WARN_ON_ONCE(!src))
			return -ENOENT;
		memcpy(dst, src, seg);
		dst += seg;
		off += seg;
		len -= seg;
	}
	return 0;
}

/*
 * A chunk of snapshot @s arriving from a member, chunks in any order; a
 * chunk of another snapshot starts a new store in n->rx.  This runs under
 * the node lock, usually in softirq: pages come from GFP_NOWAIT, which
 * neither sleeps nor dips into the reserves other atomic allocations
 * need.  When none is free the chunk is refused and the engine starts the
 * transfer over later.
 */
static int pxk_snap_write(void *ctx, const struct px_snap *s, u64 off,
			  const void *data, u32 len)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	struct pxk_node *n = ctx;
	struct pxk_snap *p = n->rx;
	const u8 *src = data;
	u64 at = off;
	u32 seg;
	u8 *dst;

	if (s->size > pxk_snap_max())
		return -EFBIG;
	if (off > s->size || len > s->size - off)
		return -EINVAL;
	if (!p || !same_snap(&p->s, s)) {
		pxk_snap_put(p);
		p = pxk_snap_alloc(s->size, gfp);
		n->rx = p;
		if (!p)
			return -ENOMEM;
		p->s = *s;
	}
	while (len) {
		dst = pxk_snap_seg(p, at, len, &seg, gfp);
		if (!dst)
			return -ENOMEM;
		memcpy(dst, src, seg);
		src += seg;
		at += seg;
		len -= seg;
	}
	p->have += at - off;
	return 0;
}

/*
 * The engine checked the snapshot in n->rx against its checksum: it is
 * the node's newest now, and the log continues at its index + 1.  Readers
 * below that get it as a PAXOS_REC_SNAPSHOT record.
 */
static void pxk_snap_install(void *ctx, const struct px_snap *s)
{
	struct pxk_node *n = ctx;
	struct pxk_snap *p = n->rx, *old = n->snap;

	n->rx = NULL;
	if (WARN_ON_ONCE(!p || !same_snap(&p->s, s) || p->have < s->size)) {
		/* Never serve bytes that are not @s. */
		pxk_snap_put(p);
		p = NULL;
	}
	n->snap = p;
	pxk_snap_put(old);
	n->commit = max(n->commit, s->index);
	n->committed = true;
}

/*
 * Whether the application may make its state at @index the node's newest
 * snapshot (lock held): at least the first retained index - 1, so that
 * the log still leads from it to the present, at most the commit index,
 * and not below the newest snapshot.  0 or -errno.
 */
int pxk_snap_check(struct pxk_node *n, u64 index)
{
	if (n->dead)
		return -ENODEV;
	if (!n->px)
		return -ENOTCONN;
	if (!index || index + 1 < px_first_index(n->px) || index > n->commit ||
	    (n->snap && index < n->snap->s.index))
		return -ERANGE;
	return 0;
}

/*
 * Hand the engine @p, complete with its checksum, as the node's newest
 * snapshot.  On success the node owns @p; the snapshot it replaces goes
 * once its last reader lets go.  0 or -errno.
 */
int pxk_snap_publish(struct pxk_node *n, struct pxk_snap *p)
{
	struct pxk_snap *old = NULL;
	int err;

	spin_lock_bh(&n->lock);
	err = pxk_snap_check(n, p->s.index);
	if (!err) {
		/* Published first: the engine may read it at once. */
		old = n->snap;
		n->snap = p;
		err = px_snapshot(n->px, &p->s);
		if (err) {
			n->snap = old;
			old = NULL;
		}
		pxk_after(n);
	}
	spin_unlock_bh(&n->lock);
	pxk_udp_flush(n);
	pxk_snap_put(old);
	return err == -EINVAL ? -ERANGE : err;
}

static void pxk_send(void *ctx, u32 to, const void *buf, size_t len)
{
	struct pxk_node *n = ctx;

	/* Storage failed: what it would vouch for may not be durable. */
	if (n->storage_state == PAXOS_STORAGE_FAILED)
		return;
	pxk_udp_queue(n, to, buf, len);
}

/* The writer still waiting for our proposal @seq of this incarnation. */
static struct pxk_waiter *waiter_of(struct pxk_node *n, u64 seq)
{
	struct pxk_waiter *w;

	/* Waiters are in proposal order: the match is near the head. */
	list_for_each_entry(w, &n->waiters, list)
		if (w->seq == seq && w->incarnation == n->incarnation &&
		    !w->done)
			return w;
	return NULL;
}

static void waiter_done(struct pxk_waiter *w, u64 index, int err)
{
	w->index = index;
	w->err = err;
	w->done = true;
	wake_up(&w->wq);
}

static void pxk_commit(void *ctx, u64 index, enum px_entry_type type,
		       const struct px_prop_id *id, const void *data, u32 len)
{
	struct pxk_node *n = ctx;
	struct pxk_waiter *w;
	int err = 0;

	trace_paxos_commit(n, index, type, len);
	n->commit = index;
	/* Ours: a value, or a client write delivered as a repeat. */
	if ((type == PX_ENTRY_DATA || id->session) && id->origin == n->id &&
	    id->incarnation == n->incarnation) {
		w = waiter_of(n, id->seq);
		if (w && type != PX_ENTRY_DATA)
			err = px_session_result(n->px, id, &index);
		if (w)
			waiter_done(w, index, err);
	}
	n->committed = true;	/* readers: woken once per engine call */
}

/*
 * Our proposal @seq was decided in entries the node skipped: its writer
 * gets what the engine knows of it.
 */
static void decided(struct pxk_node *n, const struct px_event *ev)
{
	struct pxk_waiter *w = waiter_of(n, ev->a);

	if (w)
		waiter_done(w, ev->b, ev->err);
	/* Its number is free again: a writer waiting for room may go on. */
	n->committed = true;
}

/* The engine stopped or the node died: every blocked caller must look. */
static void wake_waiters(struct pxk_node *n)
{
	struct pxk_barrier *b;
	struct pxk_waiter *w;

	lockdep_assert_held(&n->lock);
	list_for_each_entry(w, &n->waiters, list)
		wake_up(&w->wq);
	list_for_each_entry(b, &n->barriers, list)
		wake_up(&b->wq);
	wake_up_all(&n->room_wq);
}

/*
 * A barrier the engine held is over: its slot is free again, whether
 * its caller still waits or gave up on a signal.
 */
static void barrier_done(struct pxk_node *n, const struct px_event *ev)
{
	struct pxk_barrier *b;

	n->barriers_done++;
	list_for_each_entry(b, &n->barriers, list) {
		if (b->token == ev->a) {
			b->index = ev->b;
			b->err = ev->err;
			b->done = true;
			wake_up(&b->wq);
			break;
		}
	}
	wake_up_all(&n->room_wq);
}

static void pxk_event(void *ctx, const struct px_event *ev)
{
	struct pxk_node *n = ctx;

	pxk_trace_event(n, ev);
	if (ev->type == PX_EV_BARRIER) {
		barrier_done(n, ev);
		return;
	}
	if (ev->type == PX_EV_DECIDED) {
		decided(n, ev);
		return;
	}
	/* Readers of what a node behind lacks get -ENODATA: wake them. */
	if (ev->type == PX_EV_BEHIND)
		n->committed = true;
	/* Members and addresses follow, once the engine call returns. */
	if (ev->type == PX_EV_CONFIG || ev->type == PX_EV_SNAPSHOT ||
	    ev->type == PX_EV_BEHIND || ev->type == PX_EV_LEADER)
		n->members_dirty = true;
	if (ev->type != PX_EV_LEADER && ev->type != PX_EV_LEASE &&
	    ev->type != PX_EV_MEMBER && ev->type != PX_EV_LOG_FULL &&
	    ev->type != PX_EV_BEHIND)
		return;
	/* Notifications go out from process context; a full ring counts. */
	if (n->ev_len == PXK_EVENTS) {
		n->shell[PAXOS_CTR_EVENTS_DROPPED]++;
		return;
	}
	n->events[(n->ev_head + n->ev_len++) % PXK_EVENTS] = *ev;
	schedule_work(&n->ntf_work);
}

static const struct px_ops pxk_ops = {
	.send = pxk_send,
	.commit = pxk_commit,
	.event = pxk_event,
	.snap_read = pxk_snap_read,
	.snap_write = pxk_snap_write,
	.snap_install = pxk_snap_install,
};

static void pxk_ntf_work(struct work_struct *w)
{
	struct pxk_node *n = container_of(w, struct pxk_node, ntf_work);
	struct px_event ev;

	for (;;) {
		spin_lock_bh(&n->lock);
		if (!n->ev_len) {
			spin_unlock_bh(&n->lock);
			return;
		}
		ev = n->events[n->ev_head];
		n->ev_head = (n->ev_head + 1) % PXK_EVENTS;
		n->ev_len--;
		spin_unlock_bh(&n->lock);
		pxk_genl_event(n, &ev);
	}
}

static void spec_addr(const struct px_member_spec *m, struct pxk_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->v6 = m->family == 6;
	if (a->v6)
		memcpy(&a->a6, m->addr, sizeof(a->a6));
	else
		memcpy(&a->v4, m->addr, sizeof(a->v4));
	a->port = m->port;
}

static void addr_spec(const struct pxk_addr *a, struct px_member_spec *m)
{
	memset(m->addr, 0, sizeof(m->addr));
	m->family = a->v6 ? 6 : 4;
	if (a->v6)
		memcpy(m->addr, &a->a6, sizeof(a->a6));
	else
		memcpy(m->addr, &a->v4, sizeof(a->v4));
	m->port = a->port;
}

/* Member @id in the peer table, or NULL (lock held, or cfg_lock while down). */
const struct pxk_member *pxk_member_find(const struct pxk_node *n, u32 id)
{
	u32 i;

	for (i = 0; i < n->nmembers; i++)
		if (n->members[i].id == id)
			return &n->members[i];
	return NULL;
}

/*
 * Where member @m of a configuration is: the address it gives, or else
 * ours for our own id, or else the peer table's; false if none has one.
 */
static bool spec_where(const struct pxk_node *n, const struct px_member_spec *m,
		       struct pxk_addr *out)
{
	const struct pxk_member *pm;

	if (m->family) {
		spec_addr(m, out);
		return true;
	}
	if (m->id == n->id) {
		*out = n->addr;
		return true;
	}
	pm = pxk_member_find(n, m->id);
	if (pm)
		*out = pm->addr;
	return pm;
}

/* Whether member @m of a configuration is at @a (spec_where()). */
static bool same_addr(const struct pxk_node *n, const struct px_member_spec *m,
		      const struct pxk_addr *a)
{
	struct pxk_addr cur;

	if (!spec_where(n, m, &cur))
		return false;
	if (cur.v6 != a->v6 || cur.port != a->port)
		return false;
	return a->v6 ? ipv6_addr_equal(&cur.a6, &a->a6) : cur.v4 == a->v4;
}

/*
 * While up, the peer table is the engine's member table, with the
 * addresses the newest configuration naming each member gives (lock
 * held): a member none gives one for keeps the address it had; one
 * without any is left out (the engine's sends to it go nowhere).  The
 * data path reads the table under the lock (pxk_udp_queue(), the
 * receive path's check of a datagram's source).
 */
void pxk_members_sync(struct pxk_node *n)
{
	struct px_member_spec *m = n->sync_want, *cur = n->sync_cur;
	struct pxk_member t[ARRAY_SIZE(n->members)];
	const struct pxk_member *old;
	u32 i, j, cnt, ncur, k = 0;

	lockdep_assert_held(&n->lock);
	n->members_dirty = false;
	if (!n->px)
		return;
	cnt = px_get_members(n->px, m);
	ncur = px_get_config(n->px, cur);
	for (i = 0; i < cnt && k < ARRAY_SIZE(t); i++) {
		if (m[i].id == n->id)
			continue;
		memset(&t[k], 0, sizeof(t[k]));
		t[k].id = m[i].id;
		if (m[i].family) {
			spec_addr(&m[i], &t[k].addr);
		} else {
			old = pxk_member_find(n, m[i].id);
			if (!old)
				continue;
			t[k].addr = old->addr;
		}
		/* Moving: the configuration in effect still has it elsewhere. */
		for (j = 0; j < ncur && cur[j].id != m[i].id; j++)
			;
		if (j < ncur && cur[j].family) {
			spec_addr(&cur[j], &t[k].old);
			t[k].moving = memcmp(&t[k].old, &t[k].addr,
					     sizeof(t[k].old));
		}
		k++;
	}
	memcpy(n->members, t, k * sizeof(t[0]));
	n->nmembers = k;
}

/*
 * MEMBER_ADD (@a set) or MEMBER_DEL of @id on a running node: the
 * configuration in effect plus or minus it (a member added again with
 * another address: that address), proposed on the leader or
 * asked of it by a follower (cfg_lock held).  Members without an address
 * in it get the one the peer table has.  0 (made, or asked of the
 * leader: the configuration shows which), -ENOTCONN (down), -EEXIST,
 * -ENOENT, or px_config_change()'s error.
 */
int pxk_member_change(struct pxk_node *n, u32 id, const struct pxk_addr *a)
{
	struct px_member_spec m[PX_MAX_NODES];
	struct pxk_addr where;
	u32 i, cnt;
	int err = -ENOTCONN;

	spin_lock_bh(&n->lock);
	if (!n->px)
		goto out;
	cnt = px_get_config(n->px, m);
	for (i = 0; i < cnt && m[i].id != id; i++)
		;
	err = a ? 0 : (i < cnt ? 0 : -ENOENT);
	if (err)
		goto out;
	if (a && i < cnt) {
		/* A member: its address changes, or nothing does. */
		err = -EEXIST;
		if (same_addr(n, &m[i], a))
			goto out;
		addr_spec(a, &m[i]);
	} else if (a) {
		err = -ENOSPC;
		if (cnt == PX_MAX_NODES)
			goto out;
		memset(&m[cnt], 0, sizeof(m[cnt]));
		m[cnt].id = id;
		m[cnt].flags = PX_MEMBER_VOTER;
		addr_spec(a, &m[cnt++]);
	} else {
		m[i] = m[--cnt];
	}
	for (i = 0; i < cnt; i++)
		if (!m[i].family && spec_where(n, &m[i], &where))
			addr_spec(&where, &m[i]);
	err = px_config_change(n->px, m, cnt, ktime_get_ns());
	if (err == -EINPROGRESS)
		err = 0;
	/* The leader sends to a new member at once: its address. */
	pxk_members_sync(n);
	pxk_after(n);
out:
	spin_unlock_bh(&n->lock);
	pxk_udp_flush(n);
	return err;
}

static void wake_readers(struct pxk_node *n)
{
	if (n->committed) {
		n->committed = false;
		wake_up_interruptible_all(&n->wq);
	}
}

/*
 * After an engine call (lock held): wake readers of new commits and
 * program the timer for the engine's next deadline.  A later deadline
 * leaves the timer as it is: an early tick is harmless, and most packets
 * only push the deadline back.
 */
void pxk_after(struct pxk_node *n)
{
	u64 d;

	wake_readers(n);
	if (!n->px)
		return;
	if (n->members_dirty)
		pxk_members_sync(n);
	pxk_store_kick(n);
	d = px_next_deadline(n->px);
	if (hrtimer_is_queued(&n->timer) && d >= n->timer_at)
		return;
	n->timer_at = d;
	hrtimer_start(&n->timer, ns_to_ktime(d), HRTIMER_MODE_ABS_SOFT);
}

static enum hrtimer_restart pxk_timer(struct hrtimer *t)
{
	struct pxk_node *n = container_of(t, struct pxk_node, timer);
	enum hrtimer_restart r = HRTIMER_NORESTART;

	spin_lock_bh(&n->lock);
	if (n->px) {
		px_tick(n->px, ktime_get_ns());
		wake_readers(n);
		if (n->members_dirty)
			pxk_members_sync(n);
		pxk_store_kick(n);
		n->timer_at = px_next_deadline(n->px);
		hrtimer_set_expires(t, ns_to_ktime(n->timer_at));
		r = HRTIMER_RESTART;
	}
	spin_unlock_bh(&n->lock);
	pxk_udp_flush(n);
	return r;
}

struct pxk_node *pxk_node_alloc(struct net *net)
{
	struct pxk_node *n = kzalloc(sizeof(*n), GFP_KERNEL);

	if (!n)
		return NULL;
	kref_init(&n->ref);
	n->net = net;
	n->user_ns = get_user_ns(net->user_ns);
	mutex_init(&n->cfg_lock);
	spin_lock_init(&n->lock);
	init_waitqueue_head(&n->wq);
	init_waitqueue_head(&n->room_wq);
	skb_queue_head_init(&n->txq);
	INIT_LIST_HEAD(&n->waiters);
	INIT_LIST_HEAD(&n->barriers);
	hrtimer_init(&n->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	n->timer.function = pxk_timer;
	INIT_WORK(&n->ntf_work, pxk_ntf_work);
	n->addr.port = PAXOS_DEFAULT_PORT;
	n->heartbeat_ms = PX_DEFAULT_HEARTBEAT_NS / NSEC_PER_MSEC;
	n->election_ms = PX_DEFAULT_ELECTIONS * n->heartbeat_ms;
	n->lease_ms = PX_DEFAULT_LEASE_NS / NSEC_PER_MSEC;
	n->drift_ppm = PX_DEFAULT_DRIFT_PPM;
	return n;
}

/* The namespace is going away: stop, and fail every open file. */
void pxk_node_kill(struct pxk_node *n)
{
	mutex_lock(&n->cfg_lock);
	/* Dead first, so waiters woken by the stop see why: -ENODEV. */
	spin_lock_bh(&n->lock);
	n->dead = true;
	wake_waiters(n);
	spin_unlock_bh(&n->lock);
	pxk_down(n);
	cancel_work_sync(&n->ntf_work);
	n->net = NULL;
	mutex_unlock(&n->cfg_lock);
	wake_up_interruptible_all(&n->wq);
}

/* The node's state for status replies (lock held). */
enum paxos_state pxk_state(struct pxk_node *n)
{
	if (!n->id)
		return PAXOS_STATE_UNCONFIGURED;
	if (!n->px)
		return PAXOS_STATE_DOWN;
	switch (px_get_role(n->px)) {
	case PX_ROLE_RECOVERING:
		return PAXOS_STATE_RECOVERING;
	case PX_ROLE_CANDIDATE:
		return PAXOS_STATE_CANDIDATE;
	case PX_ROLE_LEADER:
		return PAXOS_STATE_LEADER;
	case PX_ROLE_FOLLOWER:
		return PAXOS_STATE_FOLLOWER;
	default:
		return PAXOS_STATE_DOWN;
	}
}

/* Start the engine with a new incarnation (cfg_lock held). */
int pxk_up(struct pxk_node *n, struct netlink_ext_ack *extack)
{
	struct pxk_store *store = NULL;
	struct pxk_snap *snap = NULL;
	struct px_config *cfg;
	struct px_node *px;
	u64 now = ktime_get_ns();
	u32 i;
	int err;

	if (n->up)
		return 0;
	if (!n->id) {
		NL_SET_ERR_MSG(extack, "node id not set (node set id N)");
		return -EINVAL;
	}
	for (i = 0; i < n->nmembers; i++) {
		if (n->members[i].addr.v6 != n->addr.v6) {
			NL_SET_ERR_MSG(extack,
				       "member address family differs from the node's");
			return -EINVAL;
		}
	}
	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	cfg->cluster_id = n->cluster;
	cfg->self_id = n->id;
	cfg->members[0] = n->id;
	for (i = 0; i < n->nmembers; i++)
		cfg->members[i + 1] = n->members[i].id;
	cfg->nmembers = n->nmembers + 1;
	if (n->join && n->nmembers) {
		/* New to the cluster: a learner, listed after its voters. */
		for (i = 0; i < n->nmembers; i++)
			cfg->members[i] = n->members[i].id;
		cfg->members[n->nmembers] = n->id;
		cfg->nvoters = n->nmembers;
	}
	cfg->heartbeat_ns = (u64)n->heartbeat_ms * NSEC_PER_MSEC;
	cfg->election_ns = (u64)n->election_ms * NSEC_PER_MSEC;
	cfg->lease_ns = (u64)n->lease_ms * NSEC_PER_MSEC;
	cfg->drift_ppm = n->drift_ppm;
	cfg->preferred_leader = n->preferred;
	cfg->window = PX_DEFAULT_WINDOW;
	cfg->retain = PX_DEFAULT_RETAIN;
	cfg->retain_bytes = n->retain_bytes;
	cfg->batch_bytes = PX_DEFAULT_BATCH_BYTES;
	cfg->snapshots = READ_ONCE(strict_retention);
	cfg->durable = n->storage[0];
	if (cfg->durable && !cfg->snapshots) {
		kfree(cfg);
		NL_SET_ERR_MSG(extack,
			       "storage needs strict retention (module parameter strict_retention=1)");
		return -EINVAL;
	}
	/* A lease must outlast the heartbeats that renew it. */
	if (cfg->lease_ns && cfg->lease_ns <= PXK_LEASE_MIN_HEARTBEATS * cfg->heartbeat_ns) {
		kfree(cfg);
		NL_SET_ERR_MSG(extack, "lease must be longer than two heartbeats");
		return -EINVAL;
	}

	/* The device is read before the engine starts, then restored into it. */
	if (cfg->durable) {
		err = pxk_store_open(n, &store, extack);
		if (err) {
			kfree(cfg);
			return err;
		}
	}
	err = pxk_udp_open(n);
	if (err) {
		kfree(cfg);
		pxk_store_close(store);
		NL_SET_ERR_MSG(extack, "cannot bind the UDP socket");
		return err;
	}
	/* The incarnation only grows: wall-clock time at start. */
	err = px_node_create(cfg, &pxk_ops, n, ktime_get_real_ns() | 1,
			     get_random_u64(), now, &px);
	kfree(cfg);
	if (err) {
		pxk_udp_close(n);
		pxk_store_close(store);
		if (err == -ENOMEM)
			NL_SET_ERR_MSG(extack, "out of memory");
		else
			NL_SET_ERR_MSG(extack, "the engine refused the configuration");
		return err;
	}
	if (store) {
		err = pxk_store_restore(store, px, &snap, extack);
		if (err) {
			px_node_destroy(px);
			pxk_udp_close(n);
			pxk_store_close(store);
			return err;
		}
	}
	spin_lock_bh(&n->lock);
	n->incarnation = px_get_incarnation(px);
	n->px = px;
	n->up = true;
	/* A restored snapshot: readers below the log get it. */
	n->snap = snap;
	n->commit = snap ? snap->s.index : 0;
	n->store = store;
	if (store)
		n->storage_state = PAXOS_STORAGE_OK;
	/* A configuration restored from the device: its members. */
	n->members_dirty = true;
	pxk_after(n);
	spin_unlock_bh(&n->lock);
	pxk_udp_flush(n);
	return 0;
}

/* Stop the engine and drop its state, as a crash would (cfg_lock held). */
void pxk_down(struct pxk_node *n)
{
	struct pxk_snap *snap, *rx;
	struct pxk_store *store;
	struct px_status *st;
	struct px_node *px;
	u32 i;

	if (!n->up)
		return;
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	spin_lock_bh(&n->lock);
	px = n->px;
	n->px = NULL;
	n->up = false;
	/* Snapshots are memory too: a restarted node gets one again. */
	snap = n->snap;
	rx = n->rx;
	n->snap = NULL;
	n->rx = NULL;
	/* The work item sees no engine and stops; closed once it has. */
	store = n->store;
	n->store = NULL;
	if (store)
		n->storage_state = PAXOS_STORAGE_CLOSED;
	wake_waiters(n);
	if (st) {
		px_get_status(px, st, ktime_get_ns());
		for (i = 0; i < PX_CTR_MAX; i++)
			n->saved[i] += st->counters[i];
	}
	spin_unlock_bh(&n->lock);
	kfree(st);
	pxk_snap_put(snap);
	pxk_snap_put(rx);
	hrtimer_cancel(&n->timer);
	pxk_store_close(store);
	pxk_udp_close(n);
	px_node_destroy(px);
	skb_queue_purge(&n->txq);
	wake_up_interruptible_all(&n->wq);
}

void pxk_counters(struct pxk_node *n, u64 *out)
{
	struct px_status *st = kmalloc(sizeof(*st), GFP_KERNEL);
	u32 i;

	spin_lock_bh(&n->lock);
	for (i = 0; i < PX_CTR_MAX; i++)
		out[i] = n->saved[i] + n->shell[i];
	if (st && n->px) {
		px_get_status(n->px, st, ktime_get_ns());
		for (i = 0; i < PX_CTR_MAX; i++)
			out[i] += st->counters[i];
	}
	spin_unlock_bh(&n->lock);
	kfree(st);
}

/*
 * Propose under the lock.  A waiter is registered first, with the
 * sequence number the engine will give the proposal, since a cluster of
 * one commits it inside px_propose().
 */
static int propose_once(struct pxk_node *n, const struct px_prop_id *id,
			const void *data, u32 len, struct pxk_waiter *w)
{
	int err;

	spin_lock_bh(&n->lock);
	if (n->dead) {
		err = -ENODEV;
	} else if (!n->px) {
		err = -ENOTCONN;
	} else {
		if (w) {
			init_waitqueue_head(&w->wq);
			w->incarnation = n->incarnation;
			w->seq = px_last_seq(n->px) + 1;
			w->index = 0;
			w->err = 0;
			w->done = false;
			list_add_tail(&w->list, &n->waiters);
		}
		err = px_propose(n->px, id, data, len, ktime_get_ns());
		if (err && w)
			list_del(&w->list);
		pxk_after(n);
	}
	spin_unlock_bh(&n->lock);
	pxk_udp_flush(n);
	return err;
}

/*
 * Propose @data, a client write if @id names a session (else NULL);
 * unless @nonblock, wait until it is committed and return its index.  A
 * wait interrupted (-EINTR) or past the jiffies @deadline (-ETIMEDOUT;
 * 0: none) leaves the value to commit later or not; *queued says whether
 * the engine took it at all.  A client write that repeats one that
 * committed returns the index of that one, or -EALREADY or -ESTALE
 * (px_session_result()).
 */
int pxk_propose_id(struct pxk_node *n, const struct px_prop_id *id,
		   const void *data, u32 len, bool nonblock,
		   unsigned long deadline, u64 *index, bool *queued)
{
	struct pxk_waiter w;
	int err;

	*index = 0;
	*queued = false;
	for (;;) {
		err = propose_once(n, id, data, len, nonblock ? NULL : &w);
		if (err != -EAGAIN || nonblock)
			break;
		/* Our proposals awaiting commit fill their window: wait for room. */
		err = pxk_wait_until(n, n->wq, n->dead || !n->px ||
				     px_propose_room(n->px), deadline);
		if (err)
			return err;
	}
	*queued = !err;
	if (err || nonblock)
		return err;
	err = pxk_wait_until(n, w.wq, w.done || n->dead || !n->up ||
			     n->incarnation != w.incarnation, deadline);
	spin_lock_bh(&n->lock);
	list_del(&w.list);
	*index = w.index;
	spin_unlock_bh(&n->lock);
	if (w.done)
		return w.err;
	if (err)
		return err;
	return n->dead ? -ENODEV : -ENOTCONN;
}

int pxk_propose(struct pxk_node *n, const void *data, u32 len, bool nonblock,
		unsigned long deadline, u64 *index)
{
	bool queued;

	return pxk_propose_id(n, NULL, data, len, nonblock, deadline, index,
			      &queued);
}

/*
 * Ask the engine for a barrier under the lock, @b registered first: a
 * cluster of one may complete it inside px_read_barrier().  Returns what
 * px_read_barrier() does (1: @b waits in n->barriers) or -errno; *done is
 * the count of barriers over at the time, for a caller waiting for room.
 */
static int barrier_once(struct pxk_node *n, struct pxk_barrier *b,
			u64 *index, u64 *done)
{
	int r;

	spin_lock_bh(&n->lock);
	if (n->dead) {
		r = -ENODEV;
	} else if (!n->px) {
		r = -ENOTCONN;
	} else {
		init_waitqueue_head(&b->wq);
		b->incarnation = n->incarnation;
		b->token = ++n->barrier_token;
		b->done = false;
		list_add_tail(&b->list, &n->barriers);
		r = px_read_barrier(n->px, b->token, index, ktime_get_ns());
		if (r != 1)
			list_del(&b->list);
		*done = n->barriers_done;
		pxk_after(n);
	}
	spin_unlock_bh(&n->lock);
	pxk_udp_flush(n);
	return r;
}

/* A barrier ended since @done was read, or the engine is gone (lock held). */
static bool room(struct pxk_node *n, u64 done)
{
	return n->barriers_done != done || n->dead || !n->px;
}

/*
 * A linearizable read barrier: an index that every write completed
 * before the call is at or below.  A leader holding its lease answers at
 * once; otherwise the engine confirms leadership with a heartbeat round
 * or asks the leader, and reports PX_EV_BARRIER.  While the engine's
 * table of outstanding barriers is full, wait for one to end: a
 * PX_EV_BARRIER, or a heartbeat at most, since a leader also frees the
 * slots of barriers its followers asked for without telling us.
 */
int pxk_barrier(struct pxk_node *n, u64 *index)
{
	long wait = msecs_to_jiffies(READ_ONCE(n->heartbeat_ms));
	struct pxk_barrier b;
	u64 done;
	int err;

	for (;;) {
		err = barrier_once(n, &b, index, &done);
		if (err != -EAGAIN)
			break;
		if (wait_event_interruptible_timeout(n->room_wq,
						     pxk_locked(n, room(n, done)),
						     wait) < 0)
			return -EINTR;
	}
	if (err <= 0)
		return err;
	err = pxk_wait(n, b.wq, b.done || n->dead || !n->up ||
		       n->incarnation != b.incarnation);
	/* Off the list under the lock: no event touches @b after this. */
	spin_lock_bh(&n->lock);
	list_del(&b.list);
	spin_unlock_bh(&n->lock);
	if (b.done) {
		*index = b.index;
		return b.err;
	}
	if (err)
		return err;
	return n->dead ? -ENODEV : -ENOTCONN;
}
