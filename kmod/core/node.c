// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's entry points: node lifecycle, datagram dispatch, the
 * clock tick (elections, heartbeats, retries), local proposals and their
 * forwarding to the leader, read barriers, status and queries.
 */
#include "core_int.h"

int px_popcount(u32 v)
{
	int c = 0;

	while (v) {
		v &= v - 1;
		c++;
	}
	return c;
}

static u64 px_rand(struct px_node *n)
{
	/* xorshift64*: deterministic per seed, good enough for jitter. */
	n->rng ^= n->rng >> 12;
	n->rng ^= n->rng << 25;
	n->rng ^= n->rng >> 27;
	return n->rng * 0x2545F4914F6CDD1DULL;
}

int px_peer_index(const struct px_node *n, u32 id)
{
	u32 i;

	for (i = 0; i < n->n; i++)
		if (n->peers[i].id == id)
			return i;
	return -1;
}

void px_begin(struct px_node *n, struct px_wbuf *w, u8 type, u64 ballot)
{
	px_wire_begin(w, n->buf, sizeof(n->buf), type, n->cfg.self_id,
		      n->cfg.cluster_id, n->incarnation, ballot);
}

void px_send(struct px_node *n, u32 to_idx, const struct px_wbuf *w)
{
	if (to_idx == n->self || to_idx >= n->n)
		return;
	px_ctr(n, PAXOS_CTR_TX_PACKETS);
	n->ops->send(n->ctx, n->peers[to_idx].id, w->p, w->len);
}

void px_broadcast(struct px_node *n, const struct px_wbuf *w)
{
	u32 i;

	for (i = 0; i < n->n; i++)
		px_send(n, i, w);
}

void px_emit(struct px_node *n, enum px_event_type type, u64 a, u64 b, int err)
{
	struct px_event ev = { .type = type, .a = a, .b = b, .err = err };

	n->ops->event(n->ctx, &ev);
}

void px_set_role(struct px_node *n, enum px_role role)
{
	if (n->role == role)
		return;
	n->role = role;
	px_emit(n, PX_EV_ROLE, role, 0, 0);
}

void px_set_leader(struct px_node *n, u32 leader, u64 ballot)
{
	n->leader = leader;
	n->leader_ballot = ballot;
	px_emit(n, PX_EV_LEADER, leader, ballot, 0);
}

void px_reset_election(struct px_node *n)
{
	u64 e = n->cfg.election_ns;

	if (n->cfg.preferred_leader == n->cfg.self_id)
		n->election_at = n->now + e;
	else
		n->election_at = n->now + e + px_rand(n) % (e ? e : 1);
}

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
	for (i = n->commit + 1; i <= n->top; i++) {
		struct px_slot *s = px_slot(n, i);

		if (s)
			s->acks &= (u16)~(1u << idx);
	}
	if (n->role == PX_ROLE_CANDIDATE) {
		p->done = false;
		p->frags = 0;
		p->nfrag = -1;
	}
	p->hb_acked = 0;
}

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
	if (c.drift_ppm >= 1000000)
		return -EINVAL;
	if (c.lease_ns && c.lease_ns <= 2 * c.heartbeat_ns)
		return -EINVAL;		/* heartbeats could not renew it */
	n->cfg = c;
	n->n = c.nmembers;
	n->quorum = c.nmembers / 2 + 1;
	for (i = 0; i < c.nmembers; i++) {
		n->peers[i].id = c.members[i];
		n->peers[i].nfrag = -1;
		n->dedup[i].origin = c.members[i];
		n->dedup_first[i].origin = c.members[i];
		if (c.members[i] == c.self_id)
			n->self = i;
	}
	n->grant_ns = c.lease_ns + c.lease_ns / 1000000 * c.drift_ppm;
	n->guard_ns = c.lease_ns - c.lease_ns / 1000000 * c.drift_ppm;
	/* A lease must also cover the time messages spend in transit. */
	n->retry_ns = 2 * c.heartbeat_ns;
	return 0;
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
	n = px_zalloc_init(sizeof(*n));
	if (!n)
		return -ENOMEM;
	err = node_setup(n, cfg);
	if (!err)
		err = px_log_init(n);
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
	px_recovery_start(n);
	*out = n;
	return 0;
}

void px_node_destroy(struct px_node *n)
{
	u32 i;

	if (!n)
		return;
	px_log_free(n);
	for (i = 0; i < PX_MAX_PENDING; i++)
		px_free(n->pending[i].data);
	while (n->qlen) {
		px_free(n->queue[n->qhead].data);
		n->qhead = (n->qhead + 1) % PX_MAX_QUEUE;
		n->qlen--;
	}
	px_free_init(n);
}

static const u8 rx_ctr[__PX_MSG_MAX] = {
	[PX_MSG_PREPARE] = PAXOS_CTR_RX_PREPARE,
	[PX_MSG_PROMISE] = PAXOS_CTR_RX_PROMISE,
	[PX_MSG_ACCEPT] = PAXOS_CTR_RX_ACCEPT,
	[PX_MSG_ACCEPTED] = PAXOS_CTR_RX_ACCEPTED,
	[PX_MSG_HEARTBEAT] = PAXOS_CTR_RX_HEARTBEAT,
};

static void pending_flush(struct px_node *n);

void px_receive(struct px_node *n, const void *buf, size_t len, u64 now)
{
	struct px_msg msg;
	int from;
	u16 k;

	n->now = now;
	px_ctr(n, PAXOS_CTR_RX_PACKETS);
	if (px_wire_decode(buf, len, &msg)) {
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		return;
	}
	if (msg.cluster != n->cfg.cluster_id) {
		px_ctr(n, PAXOS_CTR_DROP_WRONG_CLUSTER);
		return;
	}
	from = px_peer_index(n, msg.sender);
	if (from < 0 || (u32)from == n->self) {
		px_ctr(n, PAXOS_CTR_DROP_UNKNOWN_SENDER);
		return;
	}
	if (msg.incarnation < n->peers[from].incarnation) {
		/* From before the sender restarted. */
		px_ctr(n, PAXOS_CTR_DROP_STALE_BALLOT);
		return;
	}
	cv_seen(n, from, msg.incarnation);
	for (k = 0; k < msg.ncv; k++) {
		int j = px_peer_index(n, msg.cv[k].id);

		if (j >= 0)
			cv_seen(n, j, msg.cv[k].incarnation);
	}
	n->peers[from].last_heard = now;
	px_ctr(n, rx_ctr[msg.type] ? rx_ctr[msg.type] : PAXOS_CTR_RX_OTHER);

	switch (msg.type) {
	case PX_MSG_PREPARE:
		px_handle_prepare(n, from, &msg);
		break;
	case PX_MSG_PROMISE:
		px_handle_promise(n, from, &msg);
		break;
	case PX_MSG_ACCEPT:
		px_handle_accept(n, from, &msg);
		break;
	case PX_MSG_ACCEPTED:
		px_handle_accepted(n, from, &msg);
		break;
	case PX_MSG_NACK:
		px_handle_nack(n, from, &msg);
		break;
	case PX_MSG_HEARTBEAT:
		px_handle_heartbeat(n, from, &msg);
		break;
	case PX_MSG_HEARTBEAT_ACK:
		px_handle_hb_ack(n, from, &msg);
		break;
	case PX_MSG_FORWARD:
		px_handle_forward(n, from, &msg);
		break;
	case PX_MSG_CATCHUP_REQ:
		px_handle_catchup_req(n, from, &msg);
		break;
	case PX_MSG_CATCHUP:
		px_handle_catchup(n, from, &msg);
		break;
	case PX_MSG_RECOVER:
		px_handle_recover(n, from, &msg);
		break;
	case PX_MSG_RECOVER_REPLY:
		px_handle_recover_reply(n, from, &msg);
		break;
	case PX_MSG_BARRIER_REQ:
		px_handle_barrier_req(n, from, &msg);
		break;
	case PX_MSG_BARRIER_REPLY:
		px_handle_barrier_reply(n, from, &msg);
		break;
	}
	if (n->role == PX_ROLE_LEADER)
		px_leader_flush(n);
	/* Retries are the timer's; after a datagram, only what is new. */
	if (n->pend_new)
		pending_flush(n);
}

/*
 * Send our own proposals that wait: to our log as leader, else forward.
 * In sequence order, so that one writer's values commit in the order it
 * wrote them while the leader stays.
 */
static void pending_flush(struct px_node *n)
{
	int l = n->leader ? px_peer_index(n, n->leader) : -1;
	u64 seq = n->next_seq > PX_MAX_PENDING ? n->next_seq - PX_MAX_PENDING + 1 : 1;
	struct px_wbuf w;
	bool have = false;

	if (n->role == PX_ROLE_RECOVERING || l < 0 || !n->npending)
		return;
	if ((u32)l == n->self && n->role != PX_ROLE_LEADER)
		return;
	n->pend_new = false;
	/* Committed proposals leave from the front: step past them once. */
	if (n->pend_low < seq)
		n->pend_low = seq;
	while (n->pend_low <= n->next_seq &&
	       !(px_pending_of(n, n->pend_low)->used &&
		 px_pending_of(n, n->pend_low)->id.seq == n->pend_low))
		n->pend_low++;
	seq = n->pend_low;
	if ((u32)l != n->self) {
		px_begin(n, &w, PX_MSG_FORWARD, n->promised);
		px_wire_count(&w);
	}
	for (; seq <= n->next_seq; seq++) {
		struct px_pending *p = px_pending_of(n, seq);
		struct px_wentry e;

		if (!p->used || p->id.seq != seq ||
		    (p->sent_ns && n->now - p->sent_ns < n->retry_ns))
			continue;
		if ((u32)l == n->self) {
			px_leader_append(n, &p->id, p->data, p->len);
			p->sent_ns = n->now;
			continue;
		}
		e.index = 0;
		e.ballot = 0;
		e.type = PX_ENTRY_DATA;
		e.id = p->id;
		e.len = p->len;
		e.data = p->data;
		if (!px_wire_add_entry(&w, &e)) {
			px_send(n, l, &w);
			px_ctr(n, PAXOS_CTR_FORWARDED);
			px_begin(n, &w, PX_MSG_FORWARD, n->promised);
			px_wire_count(&w);
			if (!px_wire_add_entry(&w, &e))
				continue;
		}
		p->sent_ns = n->now;
		have = true;
	}
	if ((u32)l == n->self) {
		px_leader_flush(n);
	} else if (have) {
		px_send(n, l, &w);
		px_ctr(n, PAXOS_CTR_FORWARDED);
	}
}

static void members_tick(struct px_node *n)
{
	u32 i;

	for (i = 0; i < n->n; i++) {
		struct px_peer *p = &n->peers[i];
		bool r = p->last_heard && n->now - p->last_heard < 2 * n->cfg.election_ns;

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

static void barriers_tick(struct px_node *n)
{
	int l = n->leader ? px_peer_index(n, n->leader) : -1;
	u32 i;

	for (i = 0; i < PX_MAX_BARRIERS; i++) {
		struct px_barrier *b = &n->barriers[i];
		struct px_wbuf w;

		if (!b->used || b->seq || b->from || b->have_index)
			continue;
		if (n->now - b->started_ns > 20 * n->cfg.election_ns) {
			b->used = false;
			px_emit(n, PX_EV_BARRIER, b->token, 0, -ETIMEDOUT);
			continue;
		}
		if (l < 0 || (u32)l == n->self ||
		    (b->sent_ns && n->now - b->sent_ns < n->retry_ns))
			continue;
		b->sent_ns = n->now;
		px_begin(n, &w, PX_MSG_BARRIER_REQ, n->promised);
		px_wire_u64(&w, b->token);
		px_send(n, l, &w);
	}
}

void px_tick(struct px_node *n, u64 now)
{
	u32 i;

	n->now = now;
	switch (n->role) {
	case PX_ROLE_RECOVERING:
		px_recovery_tick(n);
		break;
	case PX_ROLE_FOLLOWER:
		if (now < n->election_at)
			break;
		if (n->grant_to && n->grant_to != n->cfg.self_id &&
		    now < n->grant_until) {
			/*
			 * We promised a lease: no election before it ends, then
			 * a random delay so the followers do not all collide.
			 */
			n->election_at = n->grant_until +
				px_rand(n) % (n->cfg.election_ns ? n->cfg.election_ns : 1);
			break;
		}
		if (now - n->last_leader_ns >= n->cfg.election_ns)
			px_start_election(n);
		else
			px_reset_election(n);
		break;
	case PX_ROLE_CANDIDATE:
		if (now >= n->election_at) {
			px_start_election(n);
			break;
		}
		/* Repeat the prepare to members that have not answered. */
		if (now - n->prepare_ns >= n->cfg.heartbeat_ns) {
			struct px_wbuf w;

			px_begin(n, &w, PX_MSG_PREPARE, n->ballot);
			px_wire_u64(&w, n->prepare_from);
			for (i = 0; i < n->n; i++)
				if (!n->peers[i].done)
					px_send(n, i, &w);
		}
		break;
	case PX_ROLE_LEADER:
		px_leader_tick(n);
		break;
	default:
		break;
	}
	if (n->role == PX_ROLE_FOLLOWER && n->leader && n->commit < n->rec_commit) {
		int l = px_peer_index(n, n->leader);

		if (l >= 0)
			px_request_catchup(n, l);
	}
	members_tick(n);
	lease_tick(n);
	barriers_tick(n);
	pending_flush(n);
}

int px_propose(struct px_node *n, const struct px_prop_id *id,
	       const void *data, u32 len, u64 now)
{
	struct px_prop_id pid = {
		.origin = n->cfg.self_id,
		.incarnation = n->incarnation,
		.seq = id && id->seq ? id->seq : n->next_seq + 1,
	};
	struct px_pending *p = px_pending_of(n, pid.seq);

	n->now = now;
	if (!len || len > PX_MAX_VALUE || pid.seq > n->next_seq + 1)
		return -EINVAL;
	if (n->role == PX_ROLE_DOWN)
		return -ENOTCONN;
	/*
	 * The slot of seq s is free only once s - PX_MAX_PENDING committed:
	 * duplicate suppression keeps a window of that many numbers.
	 */
	if (p->used) {
		if (p->id.seq != pid.seq)
			return -EAGAIN;
		/* A retry of a proposal still waiting: send it again now. */
		p->sent_ns = 0;
		n->pend_new = true;
		pending_flush(n);
		return 0;
	}
	/* A retry of one that committed already. */
	if (px_dedup_done(n, &pid))
		return 0;
	p->data = px_alloc(len);
	if (!p->data)
		return -ENOMEM;
	memcpy(p->data, data, len);
	p->len = len;
	p->used = true;
	p->sent_ns = 0;
	p->id = pid;
	if (pid.seq > n->next_seq)
		n->next_seq = pid.seq;
	if (pid.seq < n->pend_low)
		n->pend_low = pid.seq;
	n->npending++;
	n->pend_new = true;
	px_ctr(n, PAXOS_CTR_PROPOSALS);
	pending_flush(n);
	return 0;
}

bool px_propose_room(const struct px_node *n)
{
	return !n->pending[(n->next_seq + 1) % PX_MAX_PENDING].used;
}

enum px_role px_get_role(const struct px_node *n)
{
	return n->role;
}

u64 px_get_incarnation(const struct px_node *n)
{
	return n->incarnation;
}

u64 px_last_seq(const struct px_node *n)
{
	return n->next_seq;
}

int px_read_barrier(struct px_node *n, u64 token, u64 *index, u64 now)
{
	struct px_barrier *b = NULL;
	u32 i;

	n->now = now;
	if (n->role == PX_ROLE_RECOVERING || n->role == PX_ROLE_DOWN)
		return -ENOTCONN;
	if (px_lease_held(n)) {
		*index = n->commit;
		return 0;
	}
	for (i = 0; i < PX_MAX_BARRIERS && !b; i++)
		if (!n->barriers[i].used)
			b = &n->barriers[i];
	if (!b)
		return -EAGAIN;
	memset(b, 0, sizeof(*b));
	b->used = true;
	b->token = token;
	b->started_ns = now;
	if (n->role == PX_ROLE_LEADER) {
		/* Confirm leadership with a heartbeat round (ReadIndex). */
		b->index = n->next_index - 1;
		b->seq = n->hb_seq + 1;
		n->hb_next = now;
		px_leader_tick(n);
	} else {
		barriers_tick(n);
	}
	return 1;
}

int px_trim(struct px_node *n, u64 index)
{
	if (index > n->commit + 1)
		return -EINVAL;
	if (index > n->trim_to)
		n->trim_to = index;
	px_log_trim(n, px_min64(index, px_all_have(n)));
	return 0;
}

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
		if (n->cfg.lease_ns)
			d = px_min64(d, n->lease_until);
		break;
	default:
		break;
	}
	return d > n->now ? d : n->now + 1;
}

void px_get_status(const struct px_node *n, struct px_status *st, u64 now)
{
	u32 i, k = 0;

	memset(st, 0, sizeof(*st));
	st->role = n->role;
	st->leader = n->leader;
	st->ballot = n->role == PX_ROLE_LEADER || n->role == PX_ROLE_CANDIDATE ?
		     n->ballot : n->promised;
	st->commit_index = n->commit;
	st->first_index = n->first;
	st->lease_valid = n->role == PX_ROLE_LEADER && n->cfg.lease_ns &&
			  now < n->lease_until && n->commit >= n->own_first;
	st->lease_remaining_ns = st->lease_valid ? n->lease_until - now : 0;
	st->incarnation = n->incarnation;
	for (i = 0; i < n->n; i++) {
		const struct px_peer *p = &n->peers[i];

		if (i == n->self)
			continue;
		st->members[k].id = p->id;
		st->members[k].reachable = p->last_heard &&
			now - p->last_heard < 2 * n->cfg.election_ns;
		st->members[k].match_index = p->match;
		st->members[k].last_heard_ns = p->last_heard;
		k++;
	}
	st->nmembers = k;
	memcpy(st->counters, n->counters, sizeof(st->counters));
}

u64 px_first_index(const struct px_node *n)
{
	return n->first;
}

const void *px_log_get(const struct px_node *n, u64 index,
		       enum px_entry_type *type, u32 *len)
{
	const struct px_slot *s;

	if (index < n->first || index > n->commit)
		return NULL;
	s = &n->ring[index & (n->cap - 1)];
	if (s->index != index)
		return NULL;
	*type = s->type;
	*len = s->len;
	return s->len ? (const void *)s->data : (const void *)n;
}

void px_count(struct px_node *n, unsigned int ctr)
{
	px_ctr(n, ctr);
}
