// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's public API and its dispatch.  px_receive() checks a
 * datagram's sender, incarnation and ballot once, then hands it to the
 * step of the node's role; px_tick() does the same for time.  After every
 * event the read barriers are looked at, since any event may complete one.
 */
#include "core_int.h"

static int node_setup(struct px_node *n, const struct px_config *cfg)
{
	struct px_config c = *cfg;
	bool self_found = false;
	u32 i, j;

	if (!c.self_id || c.self_id > PAXOS_MAX_NODE_ID || !c.nmembers ||
	    c.nmembers > PX_MAX_NODES)
		return -EINVAL;
	for (i = 0; i < c.nmembers; i++) {
		if (!c.members[i] || c.members[i] > PAXOS_MAX_NODE_ID)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (c.members[j] == c.members[i])
				return -EINVAL;
		if (c.members[i] == c.self_id)
			self_found = true;
	}
	if (!self_found)
		return -EINVAL;
	if (!c.heartbeat_ns)
		c.heartbeat_ns = PX_DEFAULT_HEARTBEAT_NS;
	if (!c.election_ns)
		c.election_ns = PX_DEFAULT_ELECTIONS * c.heartbeat_ns;
	if (!c.window || c.window > PX_MAX_WINDOW)
		c.window = PX_DEFAULT_WINDOW;
	if (!c.retain)
		c.retain = PX_DEFAULT_RETAIN;
	if (c.retain > PX_MAX_RETAIN)
		return -EINVAL;
	if (!c.retain_bytes)
		c.retain_bytes = PX_DEFAULT_RETAIN_BYTES;
	if (c.drift_ppm >= PX_PPM || c.nvoters > c.nmembers)
		return -EINVAL;
	if (c.lease_ns && c.lease_ns <= 2 * c.heartbeat_ns)
		return -EINVAL;		/* heartbeats could not renew it */
	n->cfg = c;
	n->n = c.nmembers;
	for (i = 0; i < c.nmembers; i++) {
		n->peers[i].id = c.members[i];
		n->peers[i].nfrag = -1;
		if (c.members[i] == c.self_id)
			n->self = i;
	}
	px_conf_init(n);
	n->grant_ns = c.lease_ns + c.lease_ns / PX_PPM * c.drift_ppm;
	n->guard_ns = c.lease_ns - c.lease_ns / PX_PPM * c.drift_ppm;
	/* A lease must also cover the time messages spend in transit. */
	n->retry_ns = PX_RETRY_HEARTBEATS * c.heartbeat_ns;
	return 0;
}

static void settle(struct px_node *n);

/*
 * With stable storage the node remembers every vote it gave: it follows
 * at once.  It forgot only the leases it granted: it promises nobody
 * (px_leader_alive()) and starts no election until any it granted before
 * it stopped has run out.
 */
static void durable_start(struct px_node *n)
{
	n->restoring = true;
	n->grant_to = PX_GRANT_UNKNOWN;
	n->grant_until = n->now + n->grant_ns;
	n->dur_first = n->log.first;
	px_set_role(n, PX_ROLE_FOLLOWER);
	n->last_leader_ns = n->now;
	px_reset_election(n);
}

int px_restore_snap(struct px_node *n, const struct px_snap *s,
		    const void *meta, u32 len)
{
	if (!n->restoring || n->have_snap || n->log.top || !s->index ||
	    !s->size || s->size > PX_MAX_SNAPSHOT ||
	    px_dur_meta_decode(n, meta, len))
		return -EINVAL;
	px_log_restart(&n->log, s->index + 1);
	n->snap = *s;
	n->have_snap = true;
	memcpy(n->dedup, n->snap_dd, sizeof(n->dedup));
	memcpy(n->dedup_first, n->snap_dd, sizeof(n->dedup));
	n->sess = n->snap_sess;
	n->sess_first = n->snap_sess;
	n->sess_at = s->index;
	n->trim_to = s->index + 1;
	n->dur_snap = *s;
	n->dur_snap_done = s->index;
	n->dur_first = n->log.first;
	return 0;
}

/*
 * The log as it was: past the byte bound if it then held its entries in
 * another order (px_store() counts only those below), never past the
 * ring, which held them all.
 */
int px_restore_entry(struct px_node *n, u64 index,
		     const struct px_entry_view *e)
{
	struct px_slot *s;

	if (!n->restoring || index <= n->log.commit || index <= n->log.top ||
	    !e->ballot || (e->type != PX_ENTRY_DATA && e->type != PX_ENTRY_NOOP &&
			   e->type != PX_ENTRY_CONFIG) ||
	    e->len > PX_MAX_VALUE)
		return -EINVAL;
	if (px_log_store(&n->log, index, e->ballot, e->type, &e->id, e->data,
			 e->len, &s))
		return -EINVAL;
	px_ballot_seen(n, e->ballot);
	if (e->type == PX_ENTRY_CONFIG)
		px_conf_refresh(n);
	return 0;
}

int px_restore_promise(struct px_node *n, u64 promised)
{
	if (!n->restoring)
		return -EINVAL;
	n->promised = promised;
	n->dur_promised = promised;
	px_ballot_seen(n, promised);
	return 0;
}

/* A token's write is durable: our own vote in it counts. */
static void own_durable(struct px_node *n, const struct px_dur_tok *t)
{
	n->dur_snap_done = t->snap;
	if (n->role == PX_ROLE_CANDIDATE && t->promised == n->ballot &&
	    !n->peers[n->self].done) {
		n->peers[n->self].done = true;
		px_check_elected(n);
	}
	if (t->ballot)
		px_own_accepted(n, t->ballot, t->next);
}

/*
 * Token @token's write, and every earlier one, is durable: what waited
 * for them counts or leaves.  A candidate's own promise and a leader's
 * own acceptance count only now; PROMISEs and ACCEPTEDs go in the order
 * they were made.
 */
void px_persisted(struct px_node *n, u64 token, u64 now)
{
	struct px_defer d;

	n->now = now;
	n->restoring = false;
	if (token > n->dur_ready || token <= n->dur_done)
		return;
	while (n->dur_done < token)
		own_durable(n, &n->dur_tok[++n->dur_done % PX_DUR_DEPTH]);
	while (px_dur_pop(n, &d)) {
		/*
		 * The log may have moved on meanwhile (a snapshot installed):
		 * a promise that can no longer report everything from its
		 * first index is not sent (px_handle_prepare()).
		 */
		if (d.type == PX_MSG_PROMISE && d.ballot == n->promised &&
		    px_promise_backed(n, d.a))
			px_send_promise(n, d.to, d.a);
		else if (d.type == PX_MSG_ACCEPTED)
			px_send_accepted(n, d.to, d.ballot, d.a, d.b);
	}
	if (n->role == PX_ROLE_LEADER)
		px_leader_flush(n);
	settle(n);
}

int px_node_create(const struct px_config *cfg, const struct px_ops *ops,
		   void *ctx, u64 incarnation, u64 rand_seed, u64 now,
		   struct px_node **out)
{
	struct px_node *n;
	int err;

	*out = NULL;
	if (!incarnation)
		return -EINVAL;
	/*
	 * The snapshot callbacks come together, strict retention needs them
	 * and stable storage strict retention (what it restores must fit).
	 */
	if (!!ops->snap_read != !!ops->snap_write ||
	    !!ops->snap_read != !!ops->snap_install ||
	    (cfg->snapshots && !ops->snap_read) ||
	    (cfg->durable && !cfg->snapshots))
		return -EINVAL;
	n = px_zalloc_init(sizeof(*n));
	if (!n)
		return -ENOMEM;
	err = node_setup(n, cfg);
	if (!err)
		/* Retained entries, two windows (ours and a new leader's). */
		err = px_log_init(&n->log, n->cfg.retain + 2 * n->cfg.window + 2,
				  PX_LOG_MIN_SLOTS);
	if (err) {
		px_free_init(n);
		return err;
	}
	n->ops = ops;
	n->ctx = ctx;
	n->incarnation = incarnation;
	n->peers[n->self].incarnation = incarnation;
	n->rng = rand_seed | 1;
	n->now = now;
	n->role = PX_ROLE_DOWN;
	if (n->cfg.durable)
		durable_start(n);
	else
		px_recovery_start(n);
	*out = n;
	return 0;
}

void px_node_destroy(struct px_node *n)
{
	if (!n)
		return;
	px_log_free(&n->log);
	px_pending_free(n);
	px_leader_drop_queue(n);
	px_free_init(n);
}

/* ---------------------------------------------------------------- step */

/*
 * A member restarted: votes of its older incarnation no longer count,
 * since its recovery may not have accounted for them.
 */
static void cv_seen(struct px_node *n, u32 idx, u64 incarnation)
{
	struct px_peer *p = &n->peers[idx];
	u64 i;

	if (incarnation <= p->incarnation || idx == n->self)
		return;
	p->incarnation = incarnation;
	if (!p->last_heard && !p->done)
		return;
	for (i = n->log.commit + 1; i <= n->log.top; i++) {
		struct px_slot *s = px_slot(n, i);

		if (s)
			s->acks &= (u16)~px_bit(idx);
	}
	if (n->role == PX_ROLE_CANDIDATE) {
		p->done = false;
		p->frags = 0;
		p->nfrag = -1;
	}
	p->hb_acked = 0;
	p->snap_active = false;	/* it asks again for what it lacks */
}

/* The sender's member index, or -1 after counting the drop. */
static int check_sender(struct px_node *n, const struct px_msg *m)
{
	const struct px_cvec *cv = px_wire_cv(m);
	int from;
	u16 k;

	if (m->h.cluster != n->cfg.cluster_id) {
		px_ctr(n, PAXOS_CTR_DROP_WRONG_CLUSTER);
		return -1;
	}
	/* One we do not know yet: a member of a configuration we lack. */
	from = px_member_add(n, m->h.sender);
	if (from < 0 || (u32)from == n->self) {
		px_ctr(n, PAXOS_CTR_DROP_UNKNOWN_SENDER);
		return -1;
	}
	if (m->h.incarnation < n->peers[from].incarnation) {
		/* From before the sender restarted. */
		px_ctr(n, PAXOS_CTR_DROP_STALE_BALLOT);
		return -1;
	}
	cv_seen(n, from, m->h.incarnation);
	for (k = 0; cv && k < cv->n; k++) {
		int j = px_peer_index(n, cv->cv[k].id);

		if (j >= 0)
			cv_seen(n, j, cv->cv[k].incarnation);
	}
	return from;
}

/*
 * PREPARE, ACCEPT and HEARTBEAT ask for a vote in the sender's ballot,
 * which must be its own and at least our promise.
 */
static bool vote_ok(struct px_node *n, u32 from, const struct px_msg *m)
{
	if (px_ballot_node(m->h.ballot) != n->peers[from].id) {
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		return false;
	}
	if (m->h.ballot < n->promised) {
		px_send_nack(n, from);
		return false;
	}
	return true;
}

static void step_leader(struct px_node *n, u32 from, const struct px_msg *m)
{
	switch (m->h.type) {
	case PX_MSG_ACCEPTED:
		px_handle_accepted(n, from, &m->accepted);
		break;
	case PX_MSG_HEARTBEAT_ACK:
		px_handle_hb_ack(n, from, &m->hb_ack);
		break;
	case PX_MSG_FORWARD:
		px_handle_forward(n, &m->forward);
		break;
	case PX_MSG_BARRIER_REQ:
		px_barrier_serve(n, from, m->barrier_req.token);
		break;
	case PX_MSG_CHANGE:
		if (px_conf_asked(n, m->h.ballot, &m->conf))
			px_leader_flush(n);
		break;
	}
}

/*
 * A snapshot installed skips entries: our proposals it shows decided
 * get their answer (px_pending_covered()).
 */
static void snap_chunk_in(struct px_node *n, u32 from,
			  const struct px_snap_chunk *m)
{
	if (px_handle_snap_chunk(n, from, m))
		px_pending_covered(n);
}

/*
 * Not the leader: a follower (or candidate) may lack entries and take
 * CATCHUP or a snapshot; a leader holds every chosen entry and never
 * asks for any.
 */
static void step_follower(struct px_node *n, u32 from, const struct px_msg *m)
{
	switch (m->h.type) {
	case PX_MSG_CATCHUP:
		px_handle_catchup(n, &m->catchup);
		break;
	case PX_MSG_SNAP_CHUNK:
		snap_chunk_in(n, from, &m->snap_chunk);
		break;
	case PX_MSG_BARRIER_REQ:
		px_barrier_refuse(n, from, m->barrier_req.token);
		break;
	case PX_MSG_TIMEOUT_NOW:
		px_handle_timeout_now(n, from, m->h.ballot, &m->timeout_now);
		break;
	case PX_MSG_CONFIG:
		px_conf_told(n, from, m->h.ballot, &m->conf);
		break;
	}
}

/* A candidate counts promises, and is otherwise a follower. */
static void step_candidate(struct px_node *n, u32 from, const struct px_msg *m)
{
	if (m->h.type == PX_MSG_PROMISE)
		px_handle_promise(n, from, &m->promise);
	else
		step_follower(n, from, m);
}

/* The client-session table a skip left us without. */
static void sessions_in(struct px_node *n, const struct px_sess_table *m)
{
	if (!px_handle_sessions(n, m))
		return;
	px_pending_covered(n);
	px_deliver(n);
}

/* A recovering node does not vote; it gathers answers and catches up. */
static void step_recovering(struct px_node *n, u32 from, const struct px_msg *m)
{
	switch (m->h.type) {
	case PX_MSG_RECOVER:
		px_recover_refuse(n, from, &m->recover);
		break;
	case PX_MSG_RECOVER_REPLY:
		px_handle_recover_reply(n, from, &m->recover_reply);
		break;
	case PX_MSG_CATCHUP:
		px_handle_catchup(n, &m->catchup);
		px_recovery_progress(n);
		break;
	case PX_MSG_SNAP_CHUNK:
		snap_chunk_in(n, from, &m->snap_chunk);
		px_recovery_progress(n);
		break;
	case PX_MSG_NACK:
		px_ballot_seen(n, m->h.ballot);
		break;
	case PX_MSG_SESS:
		sessions_in(n, &m->sess);
		break;
	}
}

/* What every voting member does alike; false if the role decides. */
static bool step_member(struct px_node *n, u32 from, const struct px_msg *m)
{
	switch (m->h.type) {
	case PX_MSG_PREPARE:
		if (vote_ok(n, from, m))
			px_handle_prepare(n, from, m->h.ballot, &m->prepare);
		return true;
	case PX_MSG_ACCEPT:
		if (vote_ok(n, from, m))
			px_handle_accept(n, from, m->h.ballot, &m->accept);
		return true;
	case PX_MSG_HEARTBEAT:
		if (vote_ok(n, from, m))
			px_handle_heartbeat(n, from, m->h.ballot, &m->heartbeat);
		return true;
	case PX_MSG_NACK:
		px_ballot_seen(n, m->h.ballot);
		return true;
	case PX_MSG_CATCHUP_REQ:
		px_serve_catchup(n, from, m->catchup_req.from);
		return true;
	case PX_MSG_RECOVER:
		px_handle_recover(n, from, &m->recover);
		return true;
	case PX_MSG_BARRIER_REPLY:
		px_handle_barrier_reply(n, &m->barrier_reply);
		return true;
	case PX_MSG_SNAP_ACK:
		px_handle_snap_ack(n, from, &m->snap_ack);
		return true;
	case PX_MSG_SESS_REQ:
		px_serve_sessions(n, from, m->sess_req.index);
		return true;
	case PX_MSG_SESS:
		sessions_in(n, &m->sess);
		return true;
	case PX_MSG_PREVOTE:
		/* A question about the sender's own next ballot; no vote. */
		if (px_ballot_node(m->h.ballot) != n->peers[from].id)
			px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		else
			px_handle_prevote(n, from, m->h.ballot);
		return true;
	case PX_MSG_PREVOTE_REPLY:
		px_handle_prevote_reply(n, from, m->h.ballot, &m->prevote_reply);
		return true;
	}
	return false;
}

/* Answers to our own ballot: a PROMISE, ACCEPTED or HEARTBEAT_ACK. */
static bool answers_us(const struct px_node *n, const struct px_msg *m)
{
	switch (m->h.type) {
	case PX_MSG_PROMISE:
	case PX_MSG_ACCEPTED:
	case PX_MSG_HEARTBEAT_ACK:
		return m->h.ballot == n->ballot;
	default:
		return true;
	}
}

/* How far a member got, as it reports whatever our role. */
static void note_progress(struct px_peer *p, const struct px_msg *m)
{
	u64 c = 0;

	if (m->h.type == PX_MSG_ACCEPTED)
		c = m->accepted.commit;
	else if (m->h.type == PX_MSG_HEARTBEAT_ACK)
		c = m->hb_ack.commit;
	if (c > p->match)
		p->match = c;
}

static void step(struct px_node *n, u32 from, const struct px_msg *m)
{
	note_progress(&n->peers[from], m);
	if (n->role == PX_ROLE_RECOVERING) {
		step_recovering(n, from, m);
		return;
	}
	if (step_member(n, from, m) || !answers_us(n, m))
		return;
	switch (n->role) {
	case PX_ROLE_LEADER:
		step_leader(n, from, m);
		break;
	case PX_ROLE_CANDIDATE:
		step_candidate(n, from, m);
		break;
	case PX_ROLE_FOLLOWER:
		step_follower(n, from, m);
		break;
	default:
		break;
	}
}

/* After every event: what it made due. */
static void settle(struct px_node *n)
{
	px_conf_settle(n);
	if (n->nbarriers)
		px_barriers_check(n);
}

/*
 * A leader the configuration in effect leaves out hands over to the
 * voter most up to date that answers (px_transfer), and as a learner
 * never campaigns again.
 */
static void leave(struct px_node *n)
{
	u64 best = 0;
	u32 i, to = 0;

	if (n->role != PX_ROLE_LEADER || n->xfer_to || !px_conf_removed(n))
		return;
	for (i = 0; i < n->n; i++) {
		const struct px_peer *p = &n->peers[i];

		if (i == n->self || !(n->conf_voters & px_bit(i)) ||
		    !p->reachable || (to && p->match < best))
			continue;
		to = p->id;
		best = p->match;
	}
	if (to)
		px_transfer_start(n, to);
}

static const u8 rx_ctr[__PX_MSG_MAX] = {
	[PX_MSG_PREPARE] = PAXOS_CTR_RX_PREPARE,
	[PX_MSG_PROMISE] = PAXOS_CTR_RX_PROMISE,
	[PX_MSG_ACCEPT] = PAXOS_CTR_RX_ACCEPT,
	[PX_MSG_ACCEPTED] = PAXOS_CTR_RX_ACCEPTED,
	[PX_MSG_HEARTBEAT] = PAXOS_CTR_RX_HEARTBEAT,
};

void px_receive(struct px_node *n, const void *buf, size_t len, u64 now)
{
	struct px_msg m;
	int from;

	n->now = now;
	n->restoring = false;
	px_ctr(n, PAXOS_CTR_RX_PACKETS);
	if (px_wire_decode(buf, len, &m)) {
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		return;
	}
	from = check_sender(n, &m);
	if (from < 0)
		return;
	n->peers[from].last_heard = now;
	px_ctr(n, rx_ctr[m.h.type] ? rx_ctr[m.h.type] : PAXOS_CTR_RX_OTHER);
	step(n, from, &m);
	leave(n);
	if (n->role == PX_ROLE_LEADER && n->xfer_to)
		px_transfer_check(n);
	if (n->role == PX_ROLE_LEADER)
		px_leader_flush(n);
	/* Retries are the timer's; after a datagram, only what is new. */
	if (n->pend_new)
		px_pending_flush(n);
	settle(n);
}

/* ---------------------------------------------------------------- time */

static void members_tick(struct px_node *n)
{
	u32 i;

	for (i = 0; i < n->n; i++) {
		struct px_peer *p = &n->peers[i];
		bool r = p->last_heard &&
			 n->now - p->last_heard <
			 PX_SILENT_ELECTIONS * n->cfg.election_ns;

		if (i == n->self || r == p->reachable)
			continue;
		p->reachable = r;
		px_emit(n, PX_EV_MEMBER, p->id, r, 0);
	}
}

static void lease_tick(struct px_node *n)
{
	bool v = px_lease_held(n);

	if (v != n->lease_valid) {
		n->lease_valid = v;
		px_ctr(n, PAXOS_CTR_LEASE_CHANGES);
		px_emit(n, PX_EV_LEASE, v, 0, 0);
	}
}

/*
 * A follower behind what recovery saw committed keeps asking the leader.
 * A node behind what the leader retains asks every member in turn: one
 * may hold a snapshot.  Neither asks while a snapshot is arriving: a
 * second sender would only send the same chunks again.
 */
static void catchup_tick(struct px_node *n)
{
	int l;

	if (n->snap_in.active && n->now - n->snap_in.moved_ns < n->retry_ns)
		return;
	/*
	 * So does a follower that may not know the configuration and knows
	 * no leader to tell it (px_conf_tell()): a member may hold the
	 * entries that carry it, a leader a change removed among them.
	 */
	if ((n->behind || (n->conf_unknown && !n->leader &&
			   n->role == PX_ROLE_FOLLOWER)) && n->n > 1) {
		do
			n->behind_ask = (n->behind_ask + 1) % n->n;
		while (n->behind_ask == n->self);
		px_request_catchup(n, n->behind_ask);
		return;
	}
	if (n->role != PX_ROLE_FOLLOWER || !n->leader ||
	    n->log.commit >= n->rec_commit)
		return;
	l = px_peer_index(n, n->leader);
	if (l >= 0)
		px_request_catchup(n, l);
}

void px_tick(struct px_node *n, u64 now)
{
	n->now = now;
	n->restoring = false;
	switch (n->role) {
	case PX_ROLE_RECOVERING:
		px_recovery_tick(n);
		break;
	case PX_ROLE_FOLLOWER:
	case PX_ROLE_CANDIDATE:
		px_election_tick(n);
		break;
	case PX_ROLE_LEADER:
		px_lead(n);
		break;
	default:
		break;
	}
	catchup_tick(n);
	if (n->role != PX_ROLE_RECOVERING && n->have_snap)
		px_snap_tick(n);
	members_tick(n);
	lease_tick(n);
	px_sessions_ready(n);
	px_barriers_tick(n);
	leave(n);
	px_prefer_check(n);
	px_pending_flush(n);
	settle(n);
}

/* --------------------------------------------------------- local calls */

int px_propose(struct px_node *n, const struct px_prop_id *id,
	       const void *data, u32 len, u64 now)
{
	int err;

	n->now = now;
	/* Strict retention: nothing goes that no snapshot covers. */
	if (n->cfg.snapshots && len && len <= PX_MAX_VALUE &&
	    n->role != PX_ROLE_DOWN && (n->log_full || !px_log_room(n, len))) {
		px_log_full(n, len);
		return -ENOSPC;
	}
	err = px_pending_add(n, id, data, len);
	settle(n);
	return err;
}

bool px_propose_room(const struct px_node *n)
{
	return px_pending_room(n);
}

u64 px_last_seq(const struct px_node *n)
{
	return n->next_seq;
}

enum px_role px_get_role(const struct px_node *n)
{
	return n->role;
}

u64 px_get_incarnation(const struct px_node *n)
{
	return n->incarnation;
}

int px_read_barrier(struct px_node *n, u64 token, u64 *index, u64 now)
{
	int r;

	n->now = now;
	if (n->behind)
		return -ENODATA;	/* it could not reach the index */
	if (n->role == PX_ROLE_RECOVERING || n->role == PX_ROLE_DOWN)
		return -ENOTCONN;
	r = px_barrier_start(n, token, index);
	settle(n);
	return r;
}

int px_transfer(struct px_node *n, u32 id, u64 now)
{
	int err;

	n->now = now;
	err = px_transfer_start(n, id);
	settle(n);
	return err;
}

void px_set_preferred(struct px_node *n, u32 id, u64 now)
{
	n->now = now;
	/* The operator's word: no back-off from an earlier hand-over. */
	n->cfg.preferred_leader = id;
	n->prefer_after = 0;
	px_prefer_check(n);
	settle(n);
}

int px_trim(struct px_node *n, u64 index)
{
	if (index > n->log.commit + 1)
		return -EINVAL;
	if (index > n->trim_to)
		n->trim_to = index;
	px_autotrim(n);
	return 0;
}

int px_snapshot(struct px_node *n, const struct px_snap *s)
{
	int err = px_snap_take(n, s);

	if (!err)
		px_autotrim(n);
	return err;
}

const struct px_snap *px_get_snapshot(const struct px_node *n)
{
	return n->have_snap ? &n->snap : NULL;
}

u64 px_behind(const struct px_node *n)
{
	return n->behind;
}

void px_set_retain_bytes(struct px_node *n, u64 bytes)
{
	n->cfg.retain_bytes = bytes ? bytes : PX_DEFAULT_RETAIN_BYTES;
	px_autotrim(n);
}

/* ------------------------------------------------------------- queries */

u64 px_next_deadline(const struct px_node *n)
{
	u64 d = n->now + n->cfg.heartbeat_ns;

	switch (n->role) {
	case PX_ROLE_FOLLOWER:
	case PX_ROLE_CANDIDATE:
		d = px_min64(d, n->election_at);
		break;
	case PX_ROLE_LEADER:
		d = px_min64(d, n->hb_next);
		if (n->spread_at)
			d = px_min64(d, n->spread_at);
		if (n->news_at)
			d = px_min64(d, n->news_at);
		/* A lease run out leaves the leader to check-quorum. */
		if (n->cfg.lease_ns && n->lease_until > n->now)
			d = px_min64(d, n->lease_until);
		break;
	default:
		break;
	}
	d = px_min64(d, px_sessions_deadline(n));
	if (n->role != PX_ROLE_RECOVERING && n->have_snap)
		d = px_min64(d, px_snap_deadline(n));
	return d > n->now ? d : n->now + 1;
}

/* The members a pending change ends with (px_conf_goal()). */
static void config_goal(const struct px_node *n, struct px_status *st)
{
	const struct px_conf *g;
	struct px_conf tmp;
	u32 l, i;

	g = px_conf_goal(n, &tmp);
	if (!g)
		return;
	l = g->nlists - 1;
	for (i = 0; i < g->count[l]; i++) {
		if (g->m[l][i].flags == PX_MEMBER_VOTER)
			st->next_voters[st->next_nvoters++] = g->m[l][i].id;
		else
			st->next_learners[st->next_nlearners++] = g->m[l][i].id;
	}
}

static void config_status(const struct px_node *n, struct px_status *st)
{
	const struct px_conf *c = &n->conf;
	u32 l, i, j;

	st->config_index = n->conf_index;
	st->config_joint = c->nlists == 2;
	st->config_pending = n->conf_top > n->log.commit || n->conf_want ||
			     c->nlists == 2;
	st->config_unknown = n->conf_unknown;
	for (l = 0; l < c->nlists; l++) {
		for (i = 0; i < c->count[l]; i++) {
			u32 id = c->m[l][i].id;
			bool v = c->m[l][i].flags == PX_MEMBER_VOTER;

			for (j = 0; j < st->nvoters && st->voters[j] != id; j++)
				;
			if (j < st->nvoters)
				continue;
			if (v)
				st->voters[st->nvoters++] = id;
		}
	}
	for (l = 0; l < c->nlists; l++)
		for (i = 0; i < c->count[l]; i++) {
			u32 id = c->m[l][i].id;

			for (j = 0; j < st->nvoters && st->voters[j] != id; j++)
				;
			if (j < st->nvoters)
				continue;
			for (j = 0; j < st->nlearners && st->learners[j] != id;
			     j++)
				;
			if (j == st->nlearners)
				st->learners[st->nlearners++] = id;
		}
	if (st->config_pending)
		config_goal(n, st);
}

int px_config_change(struct px_node *n, const struct px_member_spec *m,
		     u32 count, u64 now)
{
	int err;

	n->now = now;
	n->restoring = false;
	if (!n->cfg.durable)
		return -EOPNOTSUPP;
	if (n->role == PX_ROLE_LEADER && n->xfer_to)
		return -EAGAIN;
	if (n->role != PX_ROLE_LEADER) {
		err = px_conf_forward(n, m, count);
	} else {
		err = px_conf_change(n, m, count);
		if (!err)
			px_leader_flush(n);
	}
	settle(n);
	return err;
}

void px_get_status(const struct px_node *n, struct px_status *st, u64 now)
{
	u32 i, k = 0;

	memset(st, 0, sizeof(*st));
	st->role = n->role;
	st->leader = n->leader;
	st->ballot = n->role == PX_ROLE_LEADER || n->role == PX_ROLE_CANDIDATE ?
		     n->ballot : n->promised;
	st->commit_index = n->log.commit;
	st->first_index = n->log.first;
	st->lease_valid = n->role == PX_ROLE_LEADER && n->cfg.lease_ns &&
			  now < n->lease_until && n->log.commit >= n->own_first &&
			  n->forfeit != n->ballot;
	st->lease_remaining_ns = st->lease_valid ? n->lease_until - now : 0;
	st->incarnation = n->incarnation;
	for (i = 0; i < n->n; i++) {
		const struct px_peer *p = &n->peers[i];

		if (i == n->self)
			continue;
		st->members[k].id = p->id;
		st->members[k].reachable = p->last_heard &&
			now - p->last_heard <
			PX_SILENT_ELECTIONS * n->cfg.election_ns;
		st->members[k].match_index = p->match;
		st->members[k].last_heard_ns = p->last_heard;
		k++;
	}
	st->nmembers = k;
	memcpy(st->counters, n->counters, sizeof(st->counters));
	st->retained_bytes = n->log.bytes;
	st->retain_bytes = n->cfg.retain_bytes;
	st->log_full = n->log_full;
	st->strict = n->cfg.snapshots;
	st->behind = n->behind;
	st->pending = n->npending;
	config_status(n, st);
}

u64 px_first_index(const struct px_node *n)
{
	return n->log.first;
}

const void *px_log_get(const struct px_node *n, u64 index,
		       enum px_entry_type *type, u32 *len)
{
	const struct px_slot *s;

	if (index < n->log.first || index > n->log.commit)
		return NULL;
	s = px_log_slot(&n->log, index);
	if (!s)
		return NULL;
	*type = s->type;
	*len = s->len;
	return s->len ? (const void *)s->data : (const void *)n;
}

void px_count(struct px_node *n, unsigned int ctr)
{
	px_ctr(n, ctr);
}
