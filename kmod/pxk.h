/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel shell around the engine: one node per network namespace.
 *
 * Locking: cfg_lock (a mutex) serializes configuration, up and down;
 * lock (a BH spinlock) serializes every call into the engine, from the
 * UDP receive path (softirq), the hrtimer (softirq) and process context.
 * Datagrams the engine sends are queued under the lock and signed and
 * transmitted after it is dropped; received ones are checked before it
 * is taken.  The key and the socket are RCU-protected.  Open files hold
 * a reference on the node, which outlives its network namespace: after
 * the namespace is gone they get -ENODEV.  Snapshots are refcounted
 * objects: the node's newest is replaced under the lock while readers
 * copy from the one they hold.
 */
#ifndef _PXK_H
#define _PXK_H

#include <linux/hrtimer.h>
#include <linux/in6.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/refcount.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <linux/paxos.h>

#include "core/core.h"

#define PXK_MAC_LEN		16	/* blake2s tag appended to datagrams */
#define PXK_EVENTS		32	/* notifications queued for process context */
#define PXK_TX_BUSY		0	/* tx_busy bit: a context is draining txq */

struct pxk_addr {
	bool v6;
	__be32 v4;
	struct in6_addr a6;
	u16 port;
};

/*
 * The cluster key for datagram MACs.  Replaced whole under cfg_lock and
 * freed after a grace period, so the data path reads it under RCU alone.
 */
struct pxk_key {
	struct rcu_head rcu;
	u8 bytes[PAXOS_KEY_LEN];
};

/*
 * A peer.  While a change of its address is not yet in effect (@moving),
 * @old is the address the configuration in effect gives: datagrams go to
 * both and come from either, so the member still counts for the quorum
 * that chooses its move.
 */
struct pxk_member {
	u32 id;
	bool moving;
	struct pxk_addr addr;
	struct pxk_addr old;
};

/*
 * A writer waiting for its proposal to commit, on the writer's stack in
 * n->waiters; woken alone when its value commits.
 */
struct pxk_waiter {
	struct list_head list;
	wait_queue_head_t wq;
	u64 incarnation;
	u64 seq;
	u64 index;		/* where it committed */
	int err;		/* a client write's repeat: px_session_result() */
	bool done;
};

/*
 * A caller waiting for a read barrier, on its stack in n->barriers; found
 * by token and woken alone when the engine's PX_EV_BARRIER arrives.
 */
struct pxk_barrier {
	struct list_head list;
	wait_queue_head_t wq;
	u64 incarnation;
	u64 token;
	u64 index;
	int err;
	bool done;
};

/*
 * The bytes of a snapshot, in pages found through a directory of pages
 * of pointers.  Pages are taken as the bytes arrive, so a snapshot coming
 * from the network is stored under the node lock without sleeping
 * (GFP_NOWAIT: no emergency reserves), and freeing never sleeps either.
 * Once published (n->snap) an object is never written again; a reader
 * copies from it holding a reference, however many replaced it since.
 */
struct pxk_snap {
	refcount_t ref;
	struct px_snap s;		/* index, size, csum (set when complete) */
	u64 have;			/* bytes stored (a chunk the engine sent again: twice) */
	u32 ndir;
	u8 **dir[];			/* pages of pointers to data pages */
};

struct pxk_node {
	struct kref ref;
	struct net *net;		/* NULL once the namespace is gone */
	struct user_namespace *user_ns;	/* owns net; held, for permission checks */
	struct mutex cfg_lock;		/* configuration, up and down */
	spinlock_t lock;		/* the engine and the running state */
	wait_queue_head_t wq;		/* commits and room to propose */

	/* configuration (cfg_lock; read by the data path only while up) */
	u32 id;
	u32 cluster;
	struct pxk_addr addr;
	u32 heartbeat_ms, election_ms, lease_ms, drift_ppm, preferred;
	u64 retain_bytes;		/* 0: the default; also while up */
	struct pxk_key __rcu *key;	/* NULL: datagrams carry no MAC */
	char storage[PAXOS_STORAGE_PATH_MAX];	/* block device; "": none */
	bool join;			/* start as a learner (PAXOS_A_JOIN) */
	/*
	 * The other members and their addresses: set while down; while up,
	 * the engine's member table (pxk_members_sync()), under lock too.
	 */
	u32 nmembers;
	struct pxk_member members[PAXOS_MAX_MEMBERS - 1];
	bool members_dirty;		/* a configuration was delivered (lock) */
	/* pxk_members_sync()'s copies of the engine's tables (lock) */
	struct px_member_spec sync_want[PX_MAX_NODES], sync_cur[PX_MAX_NODES];

	/* running state (lock) */
	bool up;
	bool dead;
	struct px_node *px;
	u64 incarnation;
	u64 commit;			/* highest delivered index */
	bool committed;			/* since readers were last woken */
	u64 first;
	struct list_head waiters;	/* struct pxk_waiter */
	struct list_head barriers;	/* struct pxk_barrier */
	u64 barrier_token;		/* last token given; never reused */
	u64 barriers_done;		/* PX_EV_BARRIERs seen: room freed */
	wait_queue_head_t room_wq;	/* barriers waiting for the engine's room */
	struct pxk_snap *snap;		/* the newest snapshot, as the engine's */
	struct pxk_snap *rx;		/* one arriving from a member */
	u64 saved[PX_CTR_MAX];		/* counters of stopped engines */
	u64 shell[PX_CTR_MAX];		/* drops counted while down */
	u8 storage_state;		/* enum paxos_storage_state */
	struct pxk_store *store;	/* while up with storage */

	struct socket __rcu *sock;
	struct hrtimer timer;
	u64 timer_at;			/* its expiry while queued (lock) */
	struct sk_buff_head txq;
	unsigned long tx_busy;		/* PXK_TX_BUSY */

	struct px_event events[PXK_EVENTS];
	u32 ev_head, ev_len;
	struct work_struct ntf_work;
};

/*
 * Evaluate @cond under the node lock.  Waits use it as their condition:
 * wakers change the state under the lock, so no wake-up is lost.
 */
#define pxk_locked(n, cond)					\
({								\
	spinlock_t *__pxk_l = &(n)->lock;			\
	bool __pxk_c;						\
								\
	spin_lock_bh(__pxk_l);					\
	__pxk_c = (cond);					\
	spin_unlock_bh(__pxk_l);				\
	__pxk_c;						\
})

/* Sleep on @wq until @cond holds under the node lock: 0, or -EINTR. */
#define pxk_wait(n, wq, cond)					\
	(wait_event_interruptible(wq, pxk_locked(n, cond)) ? -EINTR : 0)

/*
 * As pxk_wait(), until the jiffies @deadline at the latest: -ETIMEDOUT
 * then.  A @deadline of 0 waits without one.
 */
#define pxk_wait_until(n, wq, cond, deadline)				\
({									\
	unsigned long __pxk_d = (deadline);				\
	long __pxk_r;							\
									\
	__pxk_r = wait_event_interruptible_timeout(wq,			\
			pxk_locked(n, cond),				\
			!__pxk_d ? MAX_SCHEDULE_TIMEOUT :		\
			time_before(jiffies, __pxk_d) ?			\
			__pxk_d - jiffies : 0);				\
	__pxk_r < 0 ? -EINTR : __pxk_r ? 0 : -ETIMEDOUT;		\
})

/* main.c */
struct pxk_node *pxk_node_get(struct net *net);	/* takes a reference */
void pxk_node_put(struct pxk_node *n);

/* node.c */
struct pxk_node *pxk_node_alloc(struct net *net);
void pxk_node_kill(struct pxk_node *n);
int pxk_up(struct pxk_node *n, struct netlink_ext_ack *extack);
void pxk_down(struct pxk_node *n);
void pxk_after(struct pxk_node *n);
int pxk_propose(struct pxk_node *n, const void *data, u32 len,
		bool nonblock, unsigned long deadline, u64 *index);
int pxk_propose_id(struct pxk_node *n, const struct px_prop_id *id,
		   const void *data, u32 len, bool nonblock,
		   unsigned long deadline, u64 *index, bool *queued);
int pxk_barrier(struct pxk_node *n, u64 *index);
void pxk_members_sync(struct pxk_node *n);
const struct pxk_member *pxk_member_find(const struct pxk_node *n, u32 id);
int pxk_member_change(struct pxk_node *n, u32 id, const struct pxk_addr *a);
void pxk_counters(struct pxk_node *n, u64 *out);
enum paxos_state pxk_state(struct pxk_node *n);
u64 pxk_snap_max(void);
struct pxk_snap *pxk_snap_alloc(u64 size, gfp_t gfp);
void pxk_snap_put(struct pxk_snap *p);
u8 *pxk_snap_seg(struct pxk_snap *p, u64 off, u64 len, u32 *seg, gfp_t gfp);
int pxk_snap_check(struct pxk_node *n, u64 index);
int pxk_snap_publish(struct pxk_node *n, struct pxk_snap *p);

/* store.c */
struct pxk_store;
#if IS_ENABLED(CONFIG_BLOCK)
int pxk_store_init(void);
void pxk_store_exit(void);
int pxk_store_check(struct pxk_node *n, const char *path,
		    struct netlink_ext_ack *extack);
int pxk_store_open(struct pxk_node *n, struct pxk_store **out,
		   struct netlink_ext_ack *extack);
int pxk_store_restore(struct pxk_store *st, struct px_node *px,
		      struct pxk_snap **snap, struct netlink_ext_ack *extack);
void pxk_store_close(struct pxk_store *st);
void pxk_store_kick(struct pxk_node *n);
u64 pxk_store_log_cap(struct pxk_node *n);
#else
static inline int pxk_store_init(void)
{
	return 0;
}

static inline void pxk_store_exit(void)
{
}

static inline int pxk_store_check(struct pxk_node *n, const char *path,
				  struct netlink_ext_ack *extack)
{
	NL_SET_ERR_MSG(extack, "storage: this kernel has no block layer");
	return -EOPNOTSUPP;
}

static inline int pxk_store_open(struct pxk_node *n, struct pxk_store **out,
				 struct netlink_ext_ack *extack)
{
	return pxk_store_check(n, NULL, extack);
}

static inline int pxk_store_restore(struct pxk_store *st, struct px_node *px,
				    struct pxk_snap **snap,
				    struct netlink_ext_ack *extack)
{
	return -EOPNOTSUPP;
}

static inline void pxk_store_close(struct pxk_store *st)
{
}

static inline void pxk_store_kick(struct pxk_node *n)
{
}

static inline u64 pxk_store_log_cap(struct pxk_node *n)
{
	return U64_MAX;
}
#endif

/* udp.c */
int pxk_udp_open(struct pxk_node *n);
void pxk_udp_close(struct pxk_node *n);
void pxk_udp_queue(struct pxk_node *n, u32 to, const void *buf, size_t len);
void pxk_udp_flush(struct pxk_node *n);
int pxk_udp_set_key(struct pxk_node *n, const u8 *key);

/* genl.c */
int pxk_genl_init(void);
void pxk_genl_exit(void);
void pxk_genl_event(struct pxk_node *n, const struct px_event *ev);
void pxk_genl_storage_event(struct pxk_node *n, u8 state);

/* chardev.c */
int pxk_chardev_init(void);
void pxk_chardev_exit(void);

#endif /* _PXK_H */
