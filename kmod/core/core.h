/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kpaxos protocol engine: a sans-I/O Multi-Paxos state machine.
 *
 * The caller (the kernel shell, the user-space twin, or the simulator)
 * feeds events in and receives actions through struct px_ops callbacks,
 * which the engine calls synchronously from inside the px_*() entry points.
 * The engine does no I/O, takes no locks and never sleeps; the caller
 * serializes every call on one px_node.  All times are monotonic
 * nanoseconds supplied by the caller.  Allocation goes through px_port.h
 * (GFP_ATOMIC in the kernel) and is bounded by the configuration.
 */
#ifndef _PX_CORE_H
#define _PX_CORE_H

#include <px_port.h>

#define PX_MAX_NODES		9	/* = PAXOS_MAX_MEMBERS */
#define PX_MAX_VALUE		8192	/* = PAXOS_MAX_VALUE */
#define PX_MAX_DATAGRAM		(PX_MAX_VALUE + 1024)
#define PX_MAX_WINDOW		64	/* instances in flight */
#define PX_MAX_RETAIN		1048576		/* 2^20 */

/* What a zero field of struct px_config means. */
#define PX_DEFAULT_HEARTBEAT_NS	50000000ULL	/* 50 ms */
#define PX_DEFAULT_ELECTIONS	6		/* election = 6 heartbeats */
#define PX_DEFAULT_WINDOW	PX_MAX_WINDOW
#define PX_DEFAULT_RETAIN	1024
#define PX_DEFAULT_RETAIN_BYTES	(64ULL << 20)	/* 64 MiB of values */
/* What the kernel shell configures beyond the engine's defaults. */
#define PX_DEFAULT_LEASE_NS	1000000000ULL	/* 1 s */
#define PX_DEFAULT_DRIFT_PPM	1000
#define PX_DEFAULT_BATCH_BYTES	1400		/* one Ethernet frame */

enum px_role {
	PX_ROLE_DOWN,
	PX_ROLE_RECOVERING,
	PX_ROLE_FOLLOWER,
	PX_ROLE_CANDIDATE,
	PX_ROLE_LEADER,
};

enum px_entry_type {
	PX_ENTRY_DATA = 1,
	PX_ENTRY_NOOP = 2,
	PX_ENTRY_CONFIG = 3,
};

/*
 * Identity of one proposal: a retried proposal with the same id commits
 * once.  A client write also names its client session (session.h): a
 * retry of write @cseq of session @session commits once whichever node
 * it goes through, and across their restarts.
 */
struct px_prop_id {
	u32 origin;		/* proposing node id */
	u64 incarnation;	/* origin's incarnation */
	u64 seq;		/* origin-assigned, unique per incarnation */
	u64 session;		/* client session, 0: none */
	u64 cseq;		/* the client's write number, from 1; 0: none */
};

struct px_config {
	u32 cluster_id;
	u32 self_id;			/* 1..0xffff */
	u32 nmembers;			/* including self */
	u32 members[PX_MAX_NODES];	/* node ids */
	u64 heartbeat_ns;		/* 0: PX_DEFAULT_HEARTBEAT_NS */
	u64 election_ns;		/* min; randomized in [x, 2x); 0: 6 heartbeats */
	u64 lease_ns;			/* 0: no leases */
	u32 drift_ppm;			/* maximum clock rate difference */
	u32 preferred_leader;		/* 0: none */
	u32 window;			/* max in-flight instances; 0: the most */
	u32 retain;			/* committed entries kept for catch-up/readers */
	/*
	 * Bound on the bytes of values the log holds (0: the default).  A
	 * value is stored only if it fits with those below it, once the
	 * entries that may go are trimmed; a value always fits in a log
	 * that holds nothing below it, so the log can always progress.
	 */
	u64 retain_bytes;
	u32 batch_bytes;		/* max bytes batched per ACCEPT; 0: a datagram */
	/*
	 * Strict retention, for applications that snapshot (px_snapshot())
	 * regularly: an entry is trimmed only once a snapshot covers it, so
	 * no member and no reader ever skips one; until the application
	 * snapshots, a full log refuses new entries.  Needs the snap ops.
	 * Without it (the default) entries also go once every member has
	 * them, or when the log is full (counted: PAXOS_CTR_EVICTED), and a
	 * node that lacks them skips ahead (PX_EV_BEHIND, PAXOS_CTR_SKIPPED)
	 * when no snapshot covers them.  With it, such a node never skips:
	 * it is behind (px_behind()) until a member sends a snapshot, and a
	 * full log refuses proposals (-ENOSPC, PX_EV_LOG_FULL).
	 */
	bool snapshots;
	/*
	 * Stable storage (needs cfg.snapshots): the node writes its promise,
	 * the entries it stores and its newest snapshot as px_ready() says,
	 * answers for nothing not yet durable (px_persisted()), starts as a
	 * follower that may vote at once, with the state px_restore_*() gave
	 * it, and never runs the recovery protocol.
	 */
	bool durable;
	/*
	 * The initial configuration (index 0): the first @nvoters members
	 * vote, the rest learn (0: every member votes).  Changes go through
	 * the log (px_config_change()); the member table follows them.  A
	 * node joining a running cluster lists itself after the voters, a
	 * learner until the entries it receives say otherwise.
	 */
	u32 nvoters;
};

/* A member of a configuration, as px_config_change() and the log carry it. */
#define PX_MEMBER_VOTER		1
#define PX_MEMBER_LEARNER	2

struct px_member_spec {
	u32 id;			/* 1..PAXOS_MAX_NODE_ID */
	u8 flags;		/* PX_MEMBER_VOTER or PX_MEMBER_LEARNER */
	u8 family;		/* address: 0 none, 4 IPv4, 6 IPv6 */
	u16 port;
	u8 addr[16];		/* opaque to the engine; IPv4 in the first 4 */
};

enum px_event_type {
	PX_EV_LEADER,		/* a: leader id (0 unknown), b: ballot */
	PX_EV_LEASE,		/* a: 1 acquired, 0 lost */
	PX_EV_MEMBER,		/* a: node id, b: 1 reachable, 0 unreachable */
	PX_EV_BARRIER,		/* a: token, b: index, err: 0 or -errno */
	PX_EV_ROLE,		/* a: enum px_role */
	/*
	 * a: first index the member that answered still retains; b: entries
	 * skipped to continue there, or 0: none, the node is behind and
	 * waits for a snapshot (strict retention).
	 */
	PX_EV_BEHIND,
	PX_EV_SNAPSHOT,		/* a: index of a snapshot installed, b: size */
	/* a: 1 the log is full (strict retention), 0 room again; b: bytes */
	PX_EV_LOG_FULL,
	/*
	 * Our proposal a (its sequence number) was decided in entries this
	 * node skipped (a snapshot installed, or a log continued past a trim
	 * point), so commit() never reports it: b its index and err 0, or
	 * err -EALREADY (committed, where is not known here) or -ESTALE (a
	 * client write whose session the table no longer holds), as
	 * px_session_result() says for a client write.
	 */
	PX_EV_DECIDED,
	/*
	 * A configuration entry at index a was delivered (commit() reported
	 * it, type PX_ENTRY_CONFIG, its payload as conf.h says): b 1 it is
	 * the configuration, 2 it is joint (old and new lists).
	 */
	PX_EV_CONFIG,
};

struct px_event {
	enum px_event_type type;
	u64 a, b;
	int err;
};

/*
 * A snapshot of the application's state: every entry up to @index applied.
 * Its bytes stay with the caller; the engine knows them by this.
 */
struct px_snap {
	u64 index;
	u64 size;		/* bytes, 1 .. PX_MAX_SNAPSHOT */
	u64 csum;		/* px_snap_csum() over the bytes */
};

#define PX_MAX_SNAPSHOT		4294967296ULL	/* 4 GiB */
/*
 * Snapshot bytes per SNAP_CHUNK: with 9 members' suppression state and
 * the MAC, 1,340 bytes of UDP payload, one frame at MTU 1500 over IPv6.
 */
#define PX_SNAP_CHUNK		1024

struct px_ops {
	/* Send @len bytes to member @to.  Must not sleep; may drop. */
	void (*send)(void *ctx, u32 to, const void *buf, size_t len);
	/*
	 * Entry @index is committed; called once per index, in order,
	 * gapless, except that snap_install() moves the next index to one
	 * past the snapshot's.
	 */
	void (*commit)(void *ctx, u64 index, enum px_entry_type type,
		       const struct px_prop_id *id, const void *data, u32 len);
	void (*event)(void *ctx, const struct px_event *ev);
	/*
	 * Snapshots: all three, or none (then px_snapshot() is refused and
	 * a node never sends or installs one).  snap_read copies @len bytes
	 * at @off of snapshot @s, the one last given to px_snapshot() or
	 * installed: 0, or -errno if it is gone.
	 * snap_write stores a chunk of snapshot @s as it arrives, chunks in
	 * any order, each once (a chunk of another snapshot than the last
	 * one written starts over, dropping the partial one): 0, or -errno
	 * to refuse it.  snap_install: @s arrived whole
	 * with the right checksum; the application's state is now @s, it is
	 * the node's newest snapshot, and entries from s->index + 1 follow.
	 */
	int (*snap_read)(void *ctx, const struct px_snap *s, u64 off, void *buf,
			 u32 len);
	int (*snap_write)(void *ctx, const struct px_snap *s, u64 off,
			  const void *data, u32 len);
	void (*snap_install)(void *ctx, const struct px_snap *s);
};

/* Per-member view for status. */
struct px_member_status {
	u32 id;
	bool reachable;
	u64 match_index;	/* highest index known accepted/committed there */
	u64 last_heard_ns;	/* monotonic time of its last datagram, 0 never */
};

/* Counter indexes, matching enum paxos_counter in uapi/linux/paxos.h. */
#define PX_CTR_MAX		48

struct px_status {
	enum px_role role;
	u32 leader;		/* 0 unknown */
	u64 ballot;		/* round << 32 | node */
	u64 commit_index;	/* highest committed index; 0 none yet */
	u64 first_index;	/* lowest retained committed index */
	bool lease_valid;
	u64 lease_remaining_ns;
	u64 incarnation;
	u32 nmembers;
	struct px_member_status members[PX_MAX_NODES];
	u64 counters[PX_CTR_MAX];
	u64 retained_bytes;	/* value bytes the log holds */
	u64 retain_bytes;	/* their bound */
	bool log_full;		/* proposals refused until a snapshot */
	bool strict;		/* cfg.snapshots */
	u64 behind;		/* px_behind() */
	u32 pending;		/* our proposals not yet decided */
	/* The configuration: the newest known chosen, and what follows. */
	u64 config_index;	/* where it was chosen; 0: the initial one */
	u32 nvoters, nlearners;
	u32 voters[PX_MAX_NODES], learners[PX_MAX_NODES];
	bool config_joint;	/* C_old,new: voters lists both old and new */
	/* A configuration entry not chosen yet, or a change to make. */
	bool config_pending;
	bool config_unknown;	/* entries skipped: it may be stale */
	/* Where a pending change goes (the members it ends with). */
	u32 next_nvoters, next_nlearners;
	u32 next_voters[PX_MAX_NODES], next_learners[PX_MAX_NODES];
};

struct px_node;

/*
 * Lifecycle.  @incarnation must differ on every restart (e.g. boot time
 * ns).  Creation may sleep (px_port.h's px_zalloc_init): call it from
 * process context.  Returns 0, -EINVAL (a bad @cfg or @incarnation) or
 * -ENOMEM.
 */
int px_node_create(const struct px_config *cfg, const struct px_ops *ops,
		   void *ctx, u64 incarnation, u64 rand_seed, u64 now,
		   struct px_node **out);
void px_node_destroy(struct px_node *n);

/* Events in. */
void px_receive(struct px_node *n, const void *buf, size_t len, u64 now);
void px_tick(struct px_node *n, u64 now);
/*
 * Propose a value; returns 0 (queued or forwarded) or -errno.  @id NULL (or
 * seq 0) for a new proposal; else the seq of an earlier one to retry, or the
 * next one (px_last_seq() + 1): a later seq would let duplicate suppression
 * pass over proposals still waiting, so it is -EINVAL.  A client write
 * also sets @id->session and @id->cseq (both, or neither: -EINVAL).
 * Under strict retention, -ENOSPC while the log has no room for it.
 */
int px_propose(struct px_node *n, const struct px_prop_id *id,
	       const void *data, u32 len, u64 now);
enum px_role px_get_role(const struct px_node *n);
/* The incarnation the node was created with. */
u64 px_get_incarnation(const struct px_node *n);
/* Whether px_propose() has room for a new proposal (else -EAGAIN). */
bool px_propose_room(const struct px_node *n);
/* Sequence number px_propose() gave the last proposal it accepted. */
u64 px_last_seq(const struct px_node *n);
/* Read barrier: 0 and *index at once (leader with lease), 1 pending
 * (PX_EV_BARRIER with @token follows), or -errno.
 */
int px_read_barrier(struct px_node *n, u64 token, u64 *index, u64 now);
/*
 * Nonzero while the node lacks committed entries that the member it asked
 * trimmed with no snapshot for them (strict retention: it waits for one):
 * the first index that member retains.  It reads out nothing beyond its
 * commit index and refuses read barriers (-ENODATA) meanwhile.
 */
u64 px_behind(const struct px_node *n);
/* A new bound on the log's value bytes (0: the default); see px_config. */
void px_set_retain_bytes(struct px_node *n, u64 bytes);
/*
 * Leadership transfer to member @id: the leader stops taking entries,
 * waits until @id has all it has, gives up its lease and tells @id
 * to start phase 1 at once (about a round trip, not a lease).  Not done
 * within two election timeouts, it is given up (the leader steps down if
 * it had let go of its lease).  0, -EINVAL (not a voter, or us),
 * -EAGAIN (not the leader), -EBUSY (a transfer is under way).
 */
int px_transfer(struct px_node *n, u32 id, u64 now);
/*
 * A new preferred leader (0: none), at once on a running node.  A leader
 * that is not it hands over (px_transfer()) once it led an election
 * timeout and the preferred node, a voter of the configuration in
 * effect, answers and is caught up; not while the configuration
 * changes, nor within 10 election timeouts of a hand-over it made or
 * saw.  An id that names no voter is ignored.
 */
void px_set_preferred(struct px_node *n, u32 id, u64 now);
/*
 * Change the configuration to the @count members of @m (voters and
 * learners).  On a follower the change is asked of the leader it follows
 * (-EINPROGRESS: sent; the leader makes it if its configuration in
 * effect is the follower's, else drops it: watch the configuration to
 * see it happen).  On the leader: an id the member table lacks is added
 * to it (a new node: create it with itself a learner, see px_config);
 * one that no configuration that may be in effect names any longer is
 * dropped.  New voters join as learners and vote once caught up; a
 * change of voters goes through joint consensus, C_old,new then C_new;
 * a leader left out hands over.  0 (under way: PX_EV_CONFIG reports each
 * entry delivered), -EINVAL (a bad set), -ENOSPC (the old and new
 * members together more than PX_MAX_NODES), -EAGAIN (no leader heard
 * lately, or the leader hands over), -EBUSY (a change is under way),
 * -EOPNOTSUPP (without cfg.durable: a node that forgot its votes could
 * not tell which configuration it voted in).
 */
int px_config_change(struct px_node *n, const struct px_member_spec *m,
		     u32 count, u64 now);
/*
 * The member table: its ids (us too) into @m, PX_MAX_NODES at most,
 * each with the flags and address of the newest configuration naming
 * it (a change asked for, then the log above the commit point, then the
 * one chosen); family 0 if none does (a member added because it wrote
 * to us, or one of the initial configuration).  Returns the count.
 */
u32 px_get_members(const struct px_node *n, struct px_member_spec *m);
/*
 * The newest configuration known chosen: its last list (the new one
 * while joint) into @m; returns the count.
 */
u32 px_get_config(const struct px_node *n, struct px_member_spec *m);
/*
 * The leader we follow (us too), 0 if none or not heard from within an
 * election timeout, as of the last call.
 */
u32 px_leader_id(const struct px_node *n);
/* Application trim: entries below @index may be dropped. */
int px_trim(struct px_node *n, u64 index);
/*
 * The application saved snapshot @s (its bytes readable through
 * ops->snap_read) of its state as of s->index, between the first retained
 * index - 1 and the commit index, not below an earlier snapshot's.  Entries up
 * to s->index may then be trimmed; a node that lacks them receives @s.
 * 0, -EINVAL, or -EOPNOTSUPP without cfg.snapshots.
 */
int px_snapshot(struct px_node *n, const struct px_snap *s);
/* The newest snapshot, or NULL. */
const struct px_snap *px_get_snapshot(const struct px_node *n);
/*
 * A snapshot's checksum is the sum, mod 2^64, of the sums of its chunks
 * (PX_SNAP_CHUNK bytes at multiples of PX_SNAP_CHUNK, the last one
 * shorter), so that a receiver checks them in any order.
 * px_snap_chunk_sum(): the sum of the chunk at @off; px_snap_csum(): the
 * checksum of the @size bytes at @data.
 */
u64 px_snap_chunk_sum(u64 off, const void *data, size_t len);
u64 px_snap_csum(const void *data, u64 size);

/*
 * The fate of client write @id (session and cseq set) of ours, once it
 * was delivered as a no-op: 0 and *index if it is a retry of the write
 * that committed at *index; -EALREADY if a later write of its session
 * committed (whether this one did is unknown); -ESTALE if the session
 * is no longer held.  Call from the commit callback.
 */
int px_session_result(const struct px_node *n, const struct px_prop_id *id,
		      u64 *index);

/*
 * Stable storage (cfg.durable).  px_ready(): false if nothing is to be
 * written, or PX_DUR_DEPTH writes are outstanding.  Otherwise write, in
 * this order and as one unit: the snapshot if @snap (its bytes through
 * ops->snap_read; @meta, the engine's tables as of it, to give back to
 * px_restore_snap()), the entries @lo..@hi that px_durable_entry() finds
 * (each replacing the one stored at its index), and the promise; entries
 * below @first may then go.  px_persisted(@token) once it and every
 * earlier token are durable (flushed): a write that lands before an
 * earlier one still in flight waits for it, and a restart must not find
 * it without that earlier one whole.  The pointers stay valid until the
 * next call on the node.
 */
#define PX_DUR_DEPTH	2
struct px_ready {
	u64 token;
	u64 promised;
	u64 lo, hi;		/* lo > hi: no entries */
	u64 first;
	const struct px_snap *snap;	/* NULL: unchanged */
	const void *meta;
	u32 meta_len;
};

struct px_entry_view {
	u64 ballot;
	enum px_entry_type type;
	struct px_prop_id id;
	const void *data;
	u32 len;
};

#define PX_SNAP_META_MAX	(8 + PX_MAX_NODES * 28 + 4 + 256 * 24 + 16 + 440)

bool px_ready(struct px_node *n, struct px_ready *r);
/* Whether state changed since the last px_ready() (a write is wanted). */
bool px_dirty(const struct px_node *n);
void px_persisted(struct px_node *n, u64 token, u64 now);
/* The entry stored at @index, chosen or not: 0, or -ENOENT. */
int px_durable_entry(struct px_node *n, u64 index, struct px_entry_view *e);
/*
 * Restart from storage, right after px_node_create() and before any other
 * call: the snapshot (if any) with its @meta, then the entries after it
 * in index order, and the promise.  0 or -EINVAL (a call out of place,
 * @meta malformed, an entry the log cannot hold).
 */
int px_restore_snap(struct px_node *n, const struct px_snap *s,
		    const void *meta, u32 len);
int px_restore_entry(struct px_node *n, u64 index,
		     const struct px_entry_view *e);
int px_restore_promise(struct px_node *n, u64 promised);

/* Queries. */
u64 px_next_deadline(const struct px_node *n);	/* absolute ns, U64_MAX none */
u64 px_first_index(const struct px_node *n);	/* lowest retained index */
void px_get_status(const struct px_node *n, struct px_status *st, u64 now);
/* A retained committed entry, or NULL if trimmed/not yet committed; the
 * pointers stay valid until the next call on @n.
 */
const void *px_log_get(const struct px_node *n, u64 index,
		       enum px_entry_type *type, u32 *len);

/* Counters the shell bumps for drops before px_receive (bad MAC etc). */
void px_count(struct px_node *n, unsigned int ctr);

#endif /* _PX_CORE_H */
