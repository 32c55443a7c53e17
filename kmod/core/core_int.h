/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Engine internals shared by the files of kmod/core: the node's state and
 * each file's entry points.  The calls run one way (Documentation/
 * protocol.rst, "The engine's files"): engine.c dispatches to the role
 * files; they use the learner, transfer, the leaves (log, quorum, dedup,
 * wire) and output.c, which hands datagrams and events to the caller.
 */
#ifndef _PX_CORE_INT_H
#define _PX_CORE_INT_H

#include "core.h"
#include "conf.h"
#include "dedup.h"
#include "log.h"
#include "quorum.h"
#include "session.h"
#include "wire.h"

#define PX_MAX_BATCHES		2	/* leader: ACCEPT batches in flight */
#define PX_MAX_QUEUE		256	/* leader: proposals waiting for the window */
#define PX_MAX_BARRIERS		16	/* read barriers outstanding */
#define PX_HB_RING		16	/* heartbeat send times remembered */
#define PX_SPREAD_MIN_NS	50000	/* least wait before a thrifty send widens */
#define PX_GRID_NS		1048576ULL	/* 2^20: spread and news ticks, ~1 ms */
#define PX_BARRIER_TIMEOUTS	20	/* a barrier fails after 20 election timeouts */
#define PX_CATCHUP_FRAGS	8	/* CATCHUP fragments per request */
#define PX_PPM			1000000	/* parts per million */
#define PX_RETRY_HEARTBEATS	2	/* retransmission after 2 heartbeats */
#define PX_SILENT_ELECTIONS	2	/* unheard for 2 elections: unreachable */
#define PX_CONF_CATCHUP		8	/* entries a caught-up member may lag */
#define PX_PREFER_BACKOFF	10	/* elections between preferred hand-overs */
#define PX_SRTT_SHIFT		3	/* round trips smoothed by 1/8 */
#define PX_LOG_MIN_SLOTS	16
#define PX_SNAP_WINDOW		64	/* chunks in flight from the first missing */
#define PX_SNAP_STALL		8	/* retransmissions without progress: anew */
#define PX_SNAP_ACK_EVERY	4	/* chunks in order per SNAP_ACK */
#define PX_SNAP_RTO_MIN_NS	1000000	/* chunks missing 1 ms at least: again */

struct px_peer {
	u32 id;
	u64 incarnation;	/* highest seen: the crash vector entry */
	u64 last_heard;
	u64 match;		/* highest index it has delivered, as reported */
	bool reachable;
	u64 hb_acked;		/* highest heartbeat sequence it acked */
	u64 accepted;		/* highest index it accepted in our ballot */
	u64 told;		/* commit index we last sent it */
	u64 frags;		/* PROMISE / RECOVER_REPLY fragments received */
	int nfrag;		/* total fragments, -1 until the last one */
	bool done;		/* its promise / recovery reply is complete */
	bool recovering;	/* its recovery reply said it was recovering */
	bool empty;		/* its recovery reply showed it never voted */
	/* our snapshot going to it */
	bool snap_active;
	u64 snap_index;
	u64 snap_acked;		/* it has every byte below */
	u64 snap_have;		/* and these chunks past it (px_snap_ack) */
	u64 snap_resent;	/* bit i: chunk snap_acked + i sent again */
	u64 snap_sent;		/* sent up to here */
	u64 snap_sent_ns;	/* when the window last moved or went again */
	u64 snap_moved_ns;	/* when it last acknowledged more */
	u64 snap_probe_off;	/* chunk timed for a round trip */
	u64 snap_probe_ns;	/* when it was sent; 0: none */
	u64 snap_srtt_ns;	/* smoothed chunk round trip; 0: none yet */
	u32 snap_backoff;	/* timeouts since it last acknowledged more */
};

/* A snapshot arriving from member @from. */
struct px_snap_in {
	bool active;
	struct px_snap s;
	u64 next;		/* every byte below is stored */
	u64 have;		/* and these chunks past it (px_snap_ack) */
	u64 chunks;		/* chunks stored */
	u64 sum;		/* sum of the chunks stored */
	u64 moved_ns;		/* when the last chunk was taken */
	/* the sender's configuration, from the chunk at offset 0 */
	bool conf_have;
	u64 conf_index;
	struct px_conf conf;
};

struct px_pending {
	struct px_prop_id id;
	u8 *data;
	u32 len;
	u64 sent_ns;		/* 0: not sent yet */
	bool used;
};

/* An answer that waits until the state it vouches for is durable. */
struct px_defer {
	u8 type;		/* PX_MSG_PROMISE or PX_MSG_ACCEPTED */
	u32 to;			/* member index */
	u64 ballot;
	u64 a, b;		/* PROMISE: first; ACCEPTED: lo, hi */
	u64 token;		/* px_ready() token that covers it */
};

#define PX_MAX_DEFER		64

/* What a token's write lets px_persisted() count, as px_ready() saw it. */
struct px_dur_tok {
	u64 ballot;		/* leading in it; 0: not */
	u64 next;		/* ... with entries below this index */
	u64 promised;
	u64 snap;		/* index of the snapshot written with it */
};

/* grant_to after a restart from storage: a lease to someone, maybe. */
#define PX_GRANT_UNKNOWN	0xffffffffU

struct px_queued {
	struct px_prop_id id;
	u8 *data;
	u32 len;
};

struct px_barrier {
	bool used;
	u64 token;
	u32 from;		/* 0: local caller; else a follower to answer */
	u64 index;		/* commit index to report */
	u64 seq;		/* leader: heartbeat round that confirms it */
	u64 sent_ns;		/* follower: when the request went out */
	u64 started_ns;
	bool have_index;	/* follower: the leader answered */
};

struct px_node {
	struct px_config cfg;
	const struct px_ops *ops;
	void *ctx;
	u64 incarnation;
	u64 rng;
	u64 now;
	enum px_role role;
	u32 n;			/* members including self */
	u32 self;		/* index of self in peers[] */
	struct px_quorum quorum;
	struct px_peer peers[PX_MAX_NODES];
	u64 grant_ns;		/* lease as granted: lease * (1 + drift) */
	u64 guard_ns;		/* lease as held: lease * (1 - drift) */
	u64 retry_ns;

	/* acceptor */
	u64 promised;
	u32 grant_to;		/* node holding a lease granted by us */
	u64 grant_until;
	u64 hb_ack_ballot;	/* the heartbeat round we last acknowledged */
	u64 hb_ack_seq;

	/* learner */
	struct px_log log;
	u64 trim_to;		/* application trim point */
	u64 all_have;		/* every member delivered everything below */
	struct px_dedup dedup[PX_MAX_NODES];
	struct px_dedup dedup_first[PX_MAX_NODES];	/* as of log.first */
	bool have_snap;
	struct px_snap snap;		/* the newest snapshot */
	struct px_dedup snap_dd[PX_MAX_NODES];	/* as of snap.index */
	struct px_snap_in snap_in;
	bool log_full;		/* strict retention: no room, proposals refused */
	u32 full_len;		/* the largest value refused for want of room */
	u64 full_at;		/* our commit index when that was announced */
	u64 behind;		/* px_behind(); 0: not behind */
	u64 behind_at;		/* our commit index when we found it */
	u32 behind_ask;		/* member asked last while behind */
	/*
	 * Client sessions (clients.c): the table as of sess_at, which is the
	 * commit index except after a skip or a snapshot moved commit ahead;
	 * then nothing is delivered until the table as of sess_at is in.
	 */
	struct px_sessions sess;
	u64 sess_at;
	struct px_sessions sess_first;	/* as of log.first - 1 */
	struct px_sessions snap_sess;	/* as of snap.index */
	struct px_sessions sess_tmp;	/* scratch, for an answer */
	u64 sess_replay_ns;	/* when a SESS_REQ last made us replay */
	u64 sess_asked_ns;
	u32 sess_ask_to;		/* member asked last */
	/* The table as of a snapshot arriving: installed with it. */
	struct px_sessions stage;
	u64 stage_index;
	bool stage_ok;
	u64 stage_asked_ns;

	/* leadership */
	u32 leader;
	u64 leader_ballot;
	u64 ballot;		/* ours, as candidate or leader */
	u64 max_round;
	u64 next_index;
	u64 own_first;		/* first index proposed in our ballot */
	u64 prepare_ns;
	u64 prepare_from;
	u64 lease_until;
	bool lease_valid;	/* as last reported */
	u64 hb_seq;
	u64 hb_time[PX_HB_RING];
	u64 hb_next;
	u64 srtt_ns;		/* smoothed ACCEPT round trip; 0: none yet */
	u64 spread_at;		/* a thrifty ACCEPT goes to the rest; 0: none */
	u64 lazy_done;		/* chosen slots sent to every follower up to here */
	u64 origin_done;	/* origins of chosen slots told up to here */
	u64 news_at;		/* commit news leaves by then; 0: none due */
	u64 news_upto;		/* ... for commits up to this index */
	u64 last_leader_ns;	/* last message from the leader we follow */
	u64 leader_heard_ns;	/* ... an ACCEPT or HEARTBEAT in its ballot */
	/* leadership transfer (election.c) */
	u32 xfer_to;		/* leader: node id we hand over to; 0 none */
	u64 xfer_until;		/* ... done by then, or given up */
	bool xfer_sent;		/* TIMEOUT_NOW went out: our lease is gone */
	u64 xfer_sent_ns;
	u64 led_ns;		/* leader: when we became it */
	u64 prefer_after;	/* no hand-over to the preferred leader before */
	u64 forfeit;		/* leader: a ballot whose lease we gave up */
	u64 released;		/* follower: a ballot whose leader let go */
	/* pre-vote (election.c): asking before raising our ballot */
	bool pv_active;
	u64 pv_ballot;		/* the ballot we would take */
	u16 pv_yes;		/* members that would support it, us included */
	u64 pv_sent_ns;
	u64 election_at;
	u64 batch_end[PX_MAX_BATCHES];	/* last index of each batch in flight */
	struct px_queued queue[PX_MAX_QUEUE];
	u32 qhead, qlen;

	/* own proposals */
	u64 next_seq;
	struct px_pending pending[PX_MAX_PENDING];	/* by seq % size */
	u32 npending;
	u64 pend_low;		/* no seq below it is pending */
	bool pend_new;		/* some pending proposal was never sent */

	struct px_barrier barriers[PX_MAX_BARRIERS];
	u32 nbarriers;

	/* recovery */
	u64 nonce;
	u64 recover_start;
	u64 recover_sent;
	u64 rec_commit;
	u32 rec_src;
	bool rec_adopted;

	/* stable storage (durable.c) */
	bool restoring;		/* px_restore_*() still allowed */
	u64 dur_lo, dur_hi;	/* entries stored since px_ready(); hi 0: none */
	u64 dur_promised;	/* the promise as last handed out */
	u64 dur_first;
	struct px_snap dur_snap;
	u64 dur_ready;		/* last token handed out */
	u64 dur_done;		/* last token durable */
	struct px_dur_tok dur_tok[PX_DUR_DEPTH];	/* by token % depth */
	u64 dur_snap_done;	/* index of the snapshot durable */
	struct px_defer defer[PX_MAX_DEFER];
	u32 defer_head, ndefer;
	u8 dur_meta[PX_SNAP_META_MAX];

	/* the configuration (member.c) */
	struct px_conf conf;		/* the newest known chosen */
	u64 conf_index;			/* where; 0: the initial one */
	bool conf_unknown;		/* entries skipped since: maybe stale */
	u64 conf_top;			/* highest config slot above commit */
	u16 conf_voters;		/* every voter n->quorum counts */
	bool conf_want;			/* leader: a change asked for */
	bool conf_hold;			/* leader: a config entry waits to go */
	bool conf_prune;		/* one was delivered: px_conf_settle() */
	struct px_conf conf_target;	/* ... to this list */
	u8 conf_buf[PX_CONF_MAX];

	u64 catchup_sent;
	u64 counters[PX_CTR_MAX];
	u8 buf[PX_MAX_DATAGRAM];
};

static inline u64 px_min64(u64 a, u64 b)
{
	return a < b ? a : b;
}

static inline u64 px_max64(u64 a, u64 b)
{
	return a > b ? a : b;
}

static inline struct px_slot *px_slot(struct px_node *n, u64 index)
{
	return px_log_slot(&n->log, index);
}

static inline u16 px_bit(u32 idx)
{
	return (u16)(1u << idx);
}

static inline u16 px_self_bit(const struct px_node *n)
{
	return px_bit(n->self);
}

/* The leader's own vote on a slot it stores: with stable storage, none
 * until the slot is durable (px_own_accepted()).
 */
static inline u16 px_own_vote(const struct px_node *n)
{
	return n->cfg.durable ? 0 : px_self_bit(n);
}

/* Every member but us. */
static inline u16 px_followers(const struct px_node *n)
{
	return (u16)((px_bit(n->n) - 1) & ~px_self_bit(n));
}

static inline u32 px_round(u64 ballot)
{
	return (u32)(ballot >> 32);
}

static inline u32 px_ballot_node(u64 ballot)
{
	return (u32)ballot;
}

static inline void px_ctr(struct px_node *n, unsigned int c)
{
	if (c < PX_CTR_MAX)
		n->counters[c]++;
}

static inline void px_ctr_add(struct px_node *n, unsigned int c, u64 v)
{
	if (c < PX_CTR_MAX)
		n->counters[c] += v;
}

/* The member table index of node @id, or -1. */
static inline int px_peer_index(const struct px_node *n, u32 id)
{
	u32 i;

	for (i = 0; i < n->n; i++)
		if (n->peers[i].id == id)
			return (int)i;
	return -1;
}

/* Whether proposal @id was delivered (or never can be). */
static inline bool px_committed(const struct px_node *n,
				const struct px_prop_id *id)
{
	return px_dedup_done(n->dedup, id);
}

/* output.c: datagrams and events to the caller */
void px_begin(struct px_node *n, struct px_wbuf *w, u64 ballot);
void px_send(struct px_node *n, u32 to_idx, const struct px_wbuf *w);
void px_broadcast(struct px_node *n, const struct px_wbuf *w);
void px_emit(struct px_node *n, enum px_event_type type, u64 a, u64 b, int err);
void px_set_role(struct px_node *n, enum px_role role);
void px_set_leader(struct px_node *n, u32 leader, u64 ballot);
void px_cv_fill(const struct px_node *n, struct px_cvec *cv);

/* learner.c: storing, delivering in order, trimming */
struct px_slot *px_store(struct px_node *n, u64 index, u64 ballot,
			 enum px_entry_type type, const struct px_prop_id *id,
			 const void *data, u32 len);
void px_deliver(struct px_node *n);
bool px_learn(struct px_node *n, u64 commit, u64 ballot);
void px_dedup_upto(struct px_node *n, struct px_dedup *t, u64 end);
void px_dd_mark(const struct px_node *n, struct px_dedup *t,
		const struct px_prop_id *id);
void px_trim_log(struct px_node *n, u64 below);
void px_autotrim(struct px_node *n);
u64 px_covered(const struct px_node *n);
bool px_log_room(struct px_node *n, u32 len);
void px_log_full(struct px_node *n, u32 len);
u64 px_all_have(const struct px_node *n);

/* transfer.c: catch-up and fragmented answers */
void px_request_catchup(struct px_node *n, u32 to_idx);
void px_serve_catchup(struct px_node *n, u32 from, u64 want);
void px_handle_catchup(struct px_node *n, const struct px_catchup *m);
bool px_entries_fit(struct px_node *n, u8 type, u64 from);
bool px_promise_backed(struct px_node *n, u64 first);
void px_send_promise(struct px_node *n, u32 to_idx, u64 first);
void px_send_recover_reply(struct px_node *n, u32 to_idx, u64 nonce);
bool px_adopt(struct px_node *n, const struct px_entries *es, u64 below);
void px_frag_seen(struct px_peer *p, const struct px_frag *f);

/* acceptor.c: phase 1b and 2b, heartbeats, leases granted */
void px_handle_prepare(struct px_node *n, u32 from, u64 ballot,
		       const struct px_prepare *m);
void px_handle_accept(struct px_node *n, u32 from, u64 ballot,
		      const struct px_accept *m);
void px_handle_heartbeat(struct px_node *n, u32 from, u64 ballot,
			 const struct px_heartbeat *m);
void px_send_nack(struct px_node *n, u32 to_idx);
void px_send_accepted(struct px_node *n, u32 to, u64 ballot, u64 lo, u64 hi);

/* election.c: phase 1 and the ballots */
void px_ballot_seen(struct px_node *n, u64 ballot);
void px_reset_election(struct px_node *n);
void px_election_tick(struct px_node *n);
void px_start_election(struct px_node *n);
void px_handle_promise(struct px_node *n, u32 from, const struct px_promise *m);
void px_step_down(struct px_node *n);
void px_check_elected(struct px_node *n);
int px_transfer_start(struct px_node *n, u32 id);
void px_transfer_check(struct px_node *n);
void px_prefer_check(struct px_node *n);
void px_handle_timeout_now(struct px_node *n, u32 from, u64 ballot,
			   const struct px_timeout_now *m);
u64 px_rand(struct px_node *n);
void px_lead(struct px_node *n);
bool px_leader_alive(struct px_node *n, u32 except);
void px_handle_prevote(struct px_node *n, u32 from, u64 ballot);
void px_handle_prevote_reply(struct px_node *n, u32 from, u64 promised,
			     const struct px_prevote_reply *m);

/* replicate.c: the leader's phase 2, heartbeats and lease */
void px_leader_start(struct px_node *n);
void px_own_accepted(struct px_node *n, u64 ballot, u64 next);
bool px_leader_holds(struct px_node *n);
void px_leader_tick(struct px_node *n);
void px_leader_append(struct px_node *n, const struct px_prop_id *id,
		      const void *data, u32 len);
void px_leader_flush(struct px_node *n);
void px_leader_drop_queue(struct px_node *n);
void px_handle_accepted(struct px_node *n, u32 from, const struct px_accepted *m);
void px_handle_hb_ack(struct px_node *n, u32 from, const struct px_hb_ack *m);
void px_handle_forward(struct px_node *n, const struct px_forward *m);
void px_send_heartbeat(struct px_node *n);
void px_tell(struct px_node *n, u16 to);
u64 px_hb_quorum_round(const struct px_node *n);
bool px_lease_held(const struct px_node *n);

/* readindex.c: linearizable read barriers */
int px_barrier_start(struct px_node *n, u64 token, u64 *index);
void px_barrier_serve(struct px_node *n, u32 from, u64 token);
void px_barrier_refuse(struct px_node *n, u32 from, u64 token);
void px_handle_barrier_reply(struct px_node *n, const struct px_barrier_reply *m);
void px_barriers_tick(struct px_node *n);
void px_barriers_check(struct px_node *n);

/* durable.c: stable storage */
bool px_dur_dirty(const struct px_node *n);
void px_dur_mark(struct px_node *n, u64 index);
u64 px_dur_need(const struct px_node *n);
void px_dur_defer(struct px_node *n, enum px_msg_type type, u32 to,
		  u64 ballot, u64 a, u64 b, u64 token);
bool px_dur_pop(struct px_node *n, struct px_defer *out);
int px_dur_meta_decode(struct px_node *n, const void *buf, u32 len);

/* proposals.c: our own proposals, to our log or forwarded */
int px_pending_add(struct px_node *n, const struct px_prop_id *id,
		   const void *data, u32 len);
void px_pending_flush(struct px_node *n);
void px_pending_done(struct px_node *n, const struct px_prop_id *id);
void px_pending_resend(struct px_node *n);
void px_pending_covered(struct px_node *n);
bool px_pending_room(const struct px_node *n);
void px_pending_free(struct px_node *n);

/* snapshot.c: snapshots taken, sent and installed */
int px_snap_take(struct px_node *n, const struct px_snap *s);
bool px_snap_covers(const struct px_node *n, u64 want);
void px_snap_send(struct px_node *n, u32 to_idx);
bool px_handle_snap_chunk(struct px_node *n, u32 from,
			  const struct px_snap_chunk *m);
void px_handle_snap_ack(struct px_node *n, u32 from, const struct px_snap_ack *m);
u64 px_snap_deadline(const struct px_node *n);
void px_snap_tick(struct px_node *n);

/* clients.c: client sessions, exactly-once writes */
bool px_admit(struct px_node *n, const struct px_slot *s);
void px_sessions_upto(struct px_node *n, struct px_sessions *t, u64 end);
bool px_sessions_ready(struct px_node *n);
u64 px_sessions_deadline(const struct px_node *n);
void px_serve_sessions(struct px_node *n, u32 from, u64 index);
bool px_handle_sessions(struct px_node *n, const struct px_sess_table *m);
bool px_sessions_staged(struct px_node *n, u32 from, u64 index);
void px_sessions_install(struct px_node *n);

/* member.c: configuration changes */
void px_conf_init(struct px_node *n);
void px_conf_refresh(struct px_node *n);
void px_conf_chosen(struct px_node *n, const struct px_slot *s);
void px_conf_skipped(struct px_node *n);
void px_conf_installed(struct px_node *n, u64 conf);
bool px_conf_voter(const struct px_node *n);
u32 px_conf_next(struct px_node *n, u8 *buf);
int px_conf_change(struct px_node *n, const struct px_member_spec *m,
		   u32 count);
bool px_conf_removed(const struct px_node *n);
const struct px_conf *px_conf_goal(const struct px_node *n,
				   struct px_conf *tmp);
int px_member_add(struct px_node *n, u32 id);
void px_conf_settle(struct px_node *n);
void px_conf_tell(struct px_node *n, u32 to);
int px_conf_forward(struct px_node *n, const struct px_member_spec *m,
		    u32 count);
bool px_conf_asked(struct px_node *n, u64 ballot, const struct px_conf_msg *m);
void px_conf_told(struct px_node *n, u32 from, u64 ballot,
		  const struct px_conf_msg *m);

/* recovery.c: rejoining after memory loss */
void px_recovery_start(struct px_node *n);
void px_recovery_tick(struct px_node *n);
void px_handle_recover(struct px_node *n, u32 from, const struct px_recover *m);
void px_recover_refuse(struct px_node *n, u32 from, const struct px_recover *m);
void px_handle_recover_reply(struct px_node *n, u32 from,
			     const struct px_recover_reply *m);
void px_recovery_progress(struct px_node *n);

#endif /* _PX_CORE_INT_H */
