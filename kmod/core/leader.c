// SPDX-License-Identifier: GPL-2.0
/*
 * The proposer: elections (phase 1 for every instance from the first
 * undelivered one), adoption of the highest-ballot values reported,
 * no-ops for holes, pipelined and batched phase 2, commit by majority,
 * heartbeats that renew the leader lease, retransmission, forwarded
 * proposals and read barriers.
 */
#include "core_int.h"

static u16 self_bit(const struct px_node *n)
{
	return (u16)(1u << n->self);
}

void px_start_election(struct px_node *n)
{
	struct px_wbuf w;
	u32 i;

	n->max_round++;
	n->ballot = (u64)n->max_round << 32 | n->cfg.self_id;
	n->promised = n->ballot;
	n->prepare_ns = n->now;
	n->prepare_from = n->commit + 1;
	for (i = 0; i < n->n; i++) {
		n->peers[i].frags = 0;
		n->peers[i].nfrag = -1;
		n->peers[i].done = i == n->self;
	}
	px_ctr(n, PAXOS_CTR_ELECTIONS);
	if (n->role != PX_ROLE_CANDIDATE)
		px_set_role(n, PX_ROLE_CANDIDATE);
	if (n->leader)
		px_set_leader(n, 0, 0);
	px_reset_election(n);
	px_begin(n, &w, PX_MSG_PREPARE, n->ballot);
	px_wire_u64(&w, n->prepare_from);
	px_broadcast(n, &w);
	px_ctr(n, PAXOS_CTR_TX_PREPARE);
	/* A cluster of one elects itself. */
	if (n->quorum <= 1)
		px_handle_promise(n, n->self, NULL);
}

static u16 followers(const struct px_node *n)
{
	return (u16)(((1u << n->n) - 1) & ~self_bit(n));
}

/* Send slots @lo..@hi (contiguous) as ACCEPT datagrams to members @to. */
static void send_accepts(struct px_node *n, u16 to, u64 lo, u64 hi)
{
	u32 limit = n->cfg.batch_bytes ? n->cfg.batch_bytes : PX_MAX_DATAGRAM;
	struct px_wbuf w;
	u64 i = lo;
	u32 j;

	if (limit < PX_HDR_LEN + 10 + PX_ENTRY_HDR_LEN)
		limit = PX_HDR_LEN + 10 + PX_ENTRY_HDR_LEN;
	while (i <= hi) {
		px_begin(n, &w, PX_MSG_ACCEPT, n->ballot);
		px_wire_u64(&w, n->commit);
		px_wire_count(&w);
		for (; i <= hi; i++) {
			struct px_slot *s = px_slot(n, i);
			struct px_wentry e;

			if (!s)
				break;
			e.index = i;
			e.ballot = n->ballot;
			e.type = s->type;
			e.id = s->id;
			e.len = s->len;
			e.data = s->data;
			/* Batch small values; a large one goes alone. */
			if (w.count && w.len + px_wire_entry_size(s->len) > limit)
				break;
			if (!px_wire_add_entry(&w, &e))
				break;
			s->sent_ns = n->now;
			s->sent_to |= to;
		}
		if (!w.count)
			break;
		for (j = 0; j < n->n; j++) {
			if (!(to & (1u << j)))
				continue;
			px_send(n, j, &w);
			n->peers[j].told = n->commit;
		}
		px_ctr(n, PAXOS_CTR_TX_ACCEPT);
	}
}

/* Commit every slot a majority accepted in our ballot, in order. */
static void advance(struct px_node *n)
{
	struct px_slot *s;

	while ((s = px_slot(n, n->commit + 1)) && s->ballot == n->ballot) {
		int votes = px_popcount(s->acks);

#if PX_PLANT_BUG == 5
		/* Planted: the leader counts its own vote twice. */
		if (s->acks & self_bit(n))
			votes++;
#endif
		if (votes < (int)n->quorum)
			break;
		s->chosen = true;
		px_log_deliver(n);
	}
}

static void become_leader(struct px_node *n)
{
	struct px_prop_id none = { 0 };
	struct px_slot *s;
	u64 i;

	px_set_role(n, PX_ROLE_LEADER);
	px_set_leader(n, n->cfg.self_id, n->ballot);
	n->grant_to = n->cfg.self_id;
	n->grant_until = n->now + n->grant_ns;
	n->lease_until = n->cfg.lease_ns ? n->prepare_ns + n->guard_ns : 0;
	/*
	 * Re-propose, in our ballot, the highest-ballot value reported for
	 * every instance above our commit point (the promises were merged
	 * into our slots as they arrived), and fill holes with no-ops.
	 */
	for (i = n->commit + 1; i <= n->top; i++) {
		s = px_slot(n, i);
		if (!s)
			s = px_log_store(n, i, n->ballot, PX_ENTRY_NOOP, &none,
					 NULL, 0);
		if (!s)
			break;
		s->ballot = n->ballot;
		s->acks = self_bit(n);
		s->sent_to = 0;
		s->sent_ns = 0;
	}
	n->next_index = n->top + 1;
	/* A no-op of our own: once it commits, our log holds every chosen value. */
	s = px_log_store(n, n->next_index, n->ballot, PX_ENTRY_NOOP, &none, NULL, 0);
	if (s) {
		s->acks = self_bit(n);
		n->own_first = n->next_index++;
	} else {
		n->own_first = n->next_index - 1;
	}
	n->hb_next = n->now;
	memset(n->batch_end, 0, sizeof(n->batch_end));
	n->spread_at = 0;
	n->news_at = 0;
	n->news_upto = n->commit;
	n->lazy_done = n->commit;
	n->origin_done = n->commit;
	for (i = 0; i < n->n; i++) {
		n->peers[i].accepted = 0;
		n->peers[i].told = 0;
	}
	px_leader_flush(n);
}

void px_handle_promise(struct px_node *n, u32 from, const struct px_msg *m)
{
	struct px_peer *p = &n->peers[from];
	u32 i, done = 0;

	if (n->role != PX_ROLE_CANDIDATE)
		return;
	if (m) {
		if (m->ballot != n->ballot || m->a != n->prepare_from)
			return;
#if PX_PLANT_BUG != 2
		/* Values accepted in our own ballot cannot be reported yet. */
		px_log_adopt(n, m, n->ballot);
#endif
		px_frag_seen(p, m);
	}
	for (i = 0; i < n->n; i++)
		done += n->peers[i].done;
	if (done >= n->quorum)
		become_leader(n);
}

void px_handle_accepted(struct px_node *n, u32 from, const struct px_msg *m)
{
	struct px_peer *p = &n->peers[from];
	struct px_slot *last;
	u64 i;

	if (m->c > p->match)
		p->match = m->c;
	if (n->role != PX_ROLE_LEADER || m->ballot != n->ballot || m->a > m->b)
		return;
	if (m->b > p->accepted)
		p->accepted = m->b;
	/* The round trip of the newest slot acknowledged, smoothed by 1/8. */
	last = px_slot(n, m->b);
	if (last && last->ballot == n->ballot && last->sent_ns &&
	    n->now >= last->sent_ns) {
		u64 rtt = n->now - last->sent_ns;

		n->srtt_ns = n->srtt_ns ? n->srtt_ns - n->srtt_ns / 8 + rtt / 8 : rtt;
	}
	for (i = px_max64(m->a, n->commit + 1); i <= m->b && i < n->next_index; i++) {
		struct px_slot *s = px_slot(n, i);

		if (s && s->ballot == n->ballot)
			s->acks |= (u16)(1u << from);
	}
	advance(n);
}

void px_step_down(struct px_node *n, u64 ballot)
{
	u32 i;

	if (px_round(ballot) > n->max_round)
		n->max_round = px_round(ballot);
	if (n->role != PX_ROLE_LEADER && n->role != PX_ROLE_CANDIDATE)
		return;
	px_set_role(n, PX_ROLE_FOLLOWER);
	if (n->leader == n->cfg.self_id)
		px_set_leader(n, 0, 0);
	n->lease_until = 0;
	if (n->grant_to == n->cfg.self_id)
		n->grant_to = 0;
	/* Proposals others forwarded to us are retried by their origins. */
	while (n->qlen) {
		px_free(n->queue[n->qhead].data);
		n->qhead = (n->qhead + 1) % PX_MAX_QUEUE;
		n->qlen--;
	}
	/* Our own unconfirmed proposals go to the next leader. */
	for (i = 0; i < PX_MAX_PENDING; i++)
		n->pending[i].sent_ns = 0;
	n->pend_new = true;
	n->last_leader_ns = n->now;
	px_reset_election(n);
	px_barriers_check(n);
}

void px_handle_nack(struct px_node *n, u32 from, const struct px_msg *m)
{
	(void)from;
	if (px_round(m->ballot) > n->max_round)
		n->max_round = px_round(m->ballot);
	if ((n->role == PX_ROLE_LEADER || n->role == PX_ROLE_CANDIDATE) &&
	    m->ballot > n->ballot)
		px_step_down(n, m->ballot);
}

/* The highest heartbeat round a majority (us included) acknowledged. */
static u64 quorum_round(const struct px_node *n)
{
	u64 v[PX_MAX_NODES];
	u32 i, j;

	for (i = 0; i < n->n; i++)
		v[i] = i == n->self ? n->hb_seq : n->peers[i].hb_acked;
	/* Selection of the quorum-th largest by insertion sort (n <= 9). */
	for (i = 1; i < n->n; i++) {
		u64 x = v[i];

		for (j = i; j > 0 && v[j - 1] < x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[n->quorum - 1];
}

bool px_lease_held(const struct px_node *n)
{
	return n->role == PX_ROLE_LEADER && n->cfg.lease_ns &&
	       n->now < n->lease_until && n->commit >= n->own_first;
}

void px_handle_hb_ack(struct px_node *n, u32 from, const struct px_msg *m)
{
	struct px_peer *p = &n->peers[from];
	u64 q;

	if (m->b > p->match)
		p->match = m->b;
	if (n->role != PX_ROLE_LEADER || m->ballot != n->ballot ||
	    m->a > n->hb_seq)
		return;
	if (m->a > p->hb_acked)
		p->hb_acked = m->a;
	q = quorum_round(n);
	/*
	 * A majority granted us a lease when round q reached them, which was
	 * after we sent it: count the lease from the send time.
	 */
	if (q && n->hb_seq - q < PX_HB_RING && n->cfg.lease_ns) {
		u64 until = n->hb_time[q % PX_HB_RING] + n->guard_ns;

		if (until > n->lease_until)
			n->lease_until = until;
	}
	px_barriers_check(n);
}

static void announce_commit(struct px_node *n, u16 to, bool round);
static void tell(struct px_node *n, u16 to);

static bool in_flight(const struct px_node *n, const struct px_prop_id *id)
{
	u64 i;
	u32 k;

	for (i = n->commit + 1; i < n->next_index; i++) {
		const struct px_slot *s = &n->ring[i & (n->cap - 1)];

		if (s->index == i && s->type == PX_ENTRY_DATA &&
		    s->id.origin == id->origin && s->id.seq == id->seq &&
		    s->id.incarnation == id->incarnation)
			return true;
	}
	for (k = 0; k < n->qlen; k++) {
		const struct px_queued *q = &n->queue[(n->qhead + k) % PX_MAX_QUEUE];

		if (q->id.origin == id->origin && q->id.seq == id->seq &&
		    q->id.incarnation == id->incarnation)
			return true;
	}
	return false;
}

static bool window_open(const struct px_node *n)
{
	return n->next_index - n->commit <= n->cfg.window;
}

static void append_slot(struct px_node *n, const struct px_prop_id *id,
			const void *data, u32 len)
{
	struct px_slot *s = px_log_store(n, n->next_index, n->ballot,
					 PX_ENTRY_DATA, id, data, len);

	if (!s)
		return;
	s->acks = self_bit(n);
	n->next_index++;
}

void px_leader_append(struct px_node *n, const struct px_prop_id *id,
		      const void *data, u32 len)
{
	struct px_queued *q;
	u8 *copy;

	if (n->role != PX_ROLE_LEADER || px_dedup_done(n, id) || in_flight(n, id))
		return;
	if (window_open(n) && !n->qlen) {
		append_slot(n, id, data, len);
		return;
	}
	if (n->qlen == PX_MAX_QUEUE)
		return;		/* the origin retries */
	copy = len ? px_alloc(len) : NULL;
	if (len && !copy) {
		px_ctr(n, PAXOS_CTR_DROP_NO_MEMORY);
		return;
	}
	if (len)
		memcpy(copy, data, len);
	q = &n->queue[(n->qhead + n->qlen) % PX_MAX_QUEUE];
	q->id = *id;
	q->data = copy;
	q->len = len;
	n->qlen++;
}

/*
 * Whether a new batch may go out.  While PX_MAX_BATCHES batches await a
 * majority, new proposals wait in the window and leave together when one
 * is chosen: one outstanding write goes at once, many share datagrams,
 * acknowledgements and commit announcements.
 */
static bool batch_room(struct px_node *n)
{
	u32 i, busy = 0;

	for (i = 0; i < PX_MAX_BATCHES; i++)
		busy += n->batch_end[i] > n->commit;
	return busy < PX_MAX_BATCHES;
}

static void batch_sent(struct px_node *n, u64 last)
{
	u32 i;

	for (i = 0; i < PX_MAX_BATCHES; i++) {
		if (n->batch_end[i] <= n->commit) {
			n->batch_end[i] = last;
			return;
		}
	}
}

/* The first slot of the window never sent, or 0. */
static u64 first_unsent(struct px_node *n)
{
	u64 i;

	for (i = n->commit + 1; i < n->next_index; i++) {
		struct px_slot *s = px_slot(n, i);

		if (s && !s->sent_ns)
			return i;
	}
	return 0;
}

/*
 * Thrifty ACCEPTs.  A slot is chosen once a majority accepted it, so a
 * new batch goes first to the quorum - 1 followers most up to date (the
 * highest index accepted; then the most recently heard), and to the
 * others once it is chosen, together with the commit index.  Fewer
 * datagrams stand between a write and its commit.  A batch not chosen
 * within two smoothed round trips goes to every follower (spread_late()),
 * so a slow or failed follower among the first costs that much, not a
 * retransmission timeout.  Until a round trip has been measured, batches
 * go to all.
 */
static u16 thrifty_set(const struct px_node *n)
{
	u16 set = 0;
	u32 k, j;

	if (!n->srtt_ns)
		return followers(n);
	for (k = 1; k < n->quorum; k++) {
		int best = -1;

		for (j = 0; j < n->n; j++) {
			const struct px_peer *p = &n->peers[j], *b;

			if (j == n->self || (set & (1u << j)))
				continue;
			b = best >= 0 ? &n->peers[best] : NULL;
			if (!b || p->accepted > b->accepted ||
			    (p->accepted == b->accepted && p->last_heard > b->last_heard))
				best = (int)j;
		}
		if (best >= 0)
			set |= (u16)(1u << best);
	}
	return set;
}

/*
 * The first slot follower @j lacks from @lo on: a chosen slot not yet
 * sent to it comes first, so that it never sees a gap.
 */
static u64 first_lacking(struct px_node *n, u32 j, u64 lo)
{
	u64 i;

	for (i = n->lazy_done + 1; i <= n->commit && i < lo; i++) {
		const struct px_slot *s = px_slot(n, i);

		if (s && !(s->sent_to & (1u << j)))
			return i;
	}
	return lo;
}

/* Slots @lo.. (and any chosen slot they lack) to each follower in @to. */
static void send_new(struct px_node *n, u16 to, u64 lo)
{
	u32 j;

	for (j = 0; j < n->n; j++)
		if (to & (1u << j))
			send_accepts(n, (u16)(1u << j), first_lacking(n, j, lo),
				     n->next_index - 1);
}

/*
 * Spread and news deadlines say how late, not when: they fall on a grid
 * of about a millisecond, so one timer interrupt serves both, and a stream
 * of writes, whose ACCEPTs carry most of that work first, sends the rest
 * at most once a tick rather than once or twice a commit.
 */
static u64 on_grid(u64 t)
{
	return (t + PX_GRID_NS - 1) & ~(PX_GRID_NS - 1);
}

/* Two smoothed round trips, at least 50 us, at most a retransmission. */
static u64 spread_delay(const struct px_node *n)
{
	return px_min64(px_max64(2 * n->srtt_ns, PX_SPREAD_MIN_NS), n->retry_ns);
}

/* Slots not chosen in time go to the followers passed over. */
static void spread_late(struct px_node *n)
{
	u64 i, lo[PX_MAX_NODES] = { 0 }, delay = spread_delay(n), next = 0;
	u16 all = followers(n);
	u32 j;

	for (i = n->commit + 1; i < n->next_index; i++) {
		struct px_slot *s = px_slot(n, i);

		if (!s || !s->sent_ns || (s->sent_to & all) == all)
			continue;
		if (n->now - s->sent_ns < delay) {
			if (!next || s->sent_ns + delay < next)
				next = s->sent_ns + delay;
			continue;
		}
		for (j = 0; j < n->n; j++)
			if ((all & ~s->sent_to & (1u << j)) && !lo[j])
				lo[j] = i;
	}
	n->spread_at = next ? on_grid(next) : 0;
	for (j = 0; j < n->n; j++) {
		if (!lo[j])
			continue;
		px_ctr(n, PAXOS_CTR_SPREADS);
		send_new(n, (u16)(1u << j), lo[j]);
	}
}

/*
 * Commit news.  Followers a thrifty send passed over need the chosen
 * slots, the others the new commit index.  Both ride on the next ACCEPT a
 * follower receives, or leave news_delay() after the commit at the latest
 * (news_due()): a stream of writes then shares datagrams instead of each
 * commit costing one per follower, and a follower the stream keeps told
 * but for its newest commits is not sent news of them apart.  A follower
 * whose own proposal was chosen, or that asks for a read barrier, is
 * told at once: a writer or reader there waits for exactly this.
 */
static u64 news_delay(const struct px_node *n)
{
	return n->srtt_ns ? spread_delay(n) : 0;
}

/* The chosen slots the followers in @to lack. */
static void send_lacking(struct px_node *n, u16 to)
{
	u32 j;

	to &= followers(n);
	for (j = 0; j < n->n; j++) {
		u64 i;

		if (!(to & (1u << j)))
			continue;
		i = first_lacking(n, j, n->commit + 1);
		if (i <= n->commit)
			send_accepts(n, (u16)(1u << j), i, n->commit);
	}
}

/* Chosen slots, or at least the commit index, to the followers in @to. */
static void tell(struct px_node *n, u16 to)
{
	send_lacking(n, to);
	announce_commit(n, to, false);
}

/* Origins of slots chosen since the last call, as a member mask. */
static u16 new_origins(struct px_node *n)
{
	u16 mask = 0;
	u64 i;

	for (i = n->origin_done + 1; i <= n->commit; i++) {
		const struct px_slot *s = px_slot(n, i);
		int k;

		if (!s || s->type != PX_ENTRY_DATA)
			continue;
		k = px_peer_index(n, s->id.origin);
		if (k >= 0)
			mask |= (u16)(1u << k);
	}
	n->origin_done = n->commit;
	return mask;
}

/* Followers not yet told of the commits up to @upto. */
static u16 untold(struct px_node *n, u64 upto)
{
	u16 due = 0;
	u32 j;

	for (j = 0; j < n->n; j++)
		if (j != n->self && (n->peers[j].told < upto ||
				     first_lacking(n, j, upto + 1) <= upto))
			due |= (u16)(1u << j);
	return due;
}

/* Every chosen slot a follower lacks, now: a heartbeat round follows. */
static void news_flush(struct px_node *n)
{
	send_lacking(n, followers(n));
	n->lazy_done = n->commit;
	n->news_at = 0;
}

/* News of the commits up to news_upto, to those still without it. */
static void news_due(struct px_node *n)
{
	u16 due = untold(n, n->news_upto);

	tell(n, due);
	/* Now every follower has each slot up to news_upto. */
	n->lazy_done = px_max64(n->lazy_done, n->news_upto);
	n->news_at = 0;
}

static void news(struct px_node *n)
{
	u16 origins;

	if (n->commit > n->origin_done) {
		origins = new_origins(n);
		if (origins)
			tell(n, origins);
	}
	if (n->news_at && n->now >= n->news_at)
		news_due(n);
	if (!n->news_at && n->commit > n->news_upto && untold(n, n->commit)) {
		u64 delay = news_delay(n);

		n->news_at = delay ? on_grid(n->now + delay) : n->now;
		n->news_upto = n->commit;
	}
}

/* Move queued proposals into the window and send what is new. */
void px_leader_flush(struct px_node *n)
{
	u64 lo = 0;

	if (n->role != PX_ROLE_LEADER)
		return;
	while (n->qlen && window_open(n)) {
		struct px_queued *q = &n->queue[n->qhead];

		if (!px_dedup_done(n, &q->id))
			append_slot(n, &q->id, q->data, q->len);
		px_free(q->data);
		n->qhead = (n->qhead + 1) % PX_MAX_QUEUE;
		n->qlen--;
	}
	/* Look for an unsent slot only when a batch may go out. */
	if (batch_room(n))
		lo = first_unsent(n);
	if (lo) {
		u16 to = thrifty_set(n);

		send_new(n, to, lo);
		batch_sent(n, n->next_index - 1);
		if (to != followers(n) && !n->spread_at)
			n->spread_at = on_grid(n->now + spread_delay(n));
	}
	advance(n);
	news(n);
}

/*
 * A heartbeat to the followers in @to: all of them for a new @round;
 * otherwise a repeat of the current round to those not yet sent the
 * commit index.  Its acknowledgements renew the lease only from the
 * round's original send time, which is earlier, so the lease stays
 * conservative.
 */
static void announce_commit(struct px_node *n, u16 to, bool round)
{
	struct px_wbuf w;
	u32 j;
	bool built = false;

	for (j = 0; j < n->n; j++) {
		struct px_peer *p = &n->peers[j];

		if (j == n->self || !(to & (1u << j)) ||
		    (!round && p->told >= n->commit))
			continue;
		if (!built) {
			px_begin(n, &w, PX_MSG_HEARTBEAT, n->ballot);
			px_wire_u64(&w, n->commit);
			px_wire_u64(&w, n->hb_seq);
			px_wire_u64(&w, px_all_have(n));
			built = true;
		}
		px_send(n, j, &w);
		p->told = n->commit;
	}
}

/* A new heartbeat round: its acknowledgements renew the lease. */
static void send_heartbeat(struct px_node *n)
{
	n->hb_seq++;
	n->hb_time[n->hb_seq % PX_HB_RING] = n->now;
	n->hb_next = n->now + n->cfg.heartbeat_ns;
	/* A round carries the commit index: the chosen slots go first. */
	news_flush(n);
	announce_commit(n, followers(n), true);
	if (n->quorum <= 1 && n->cfg.lease_ns)
		n->lease_until = n->now + n->guard_ns;
}

void px_leader_tick(struct px_node *n)
{
	u64 i, lo[PX_MAX_NODES];
	u32 j;

	if (n->role != PX_ROLE_LEADER)
		return;
	/*
	 * Without a renewed lease, step down before any acceptor's grant
	 * can run out; without leases, after an election timeout in which
	 * no majority answered.
	 */
	if (n->cfg.lease_ns && n->now >= n->lease_until) {
		px_step_down(n, n->ballot);
		return;
	}
	if (!n->cfg.lease_ns && n->quorum > 1) {
		u64 q = quorum_round(n);

		if (n->hb_seq - q >= PX_HB_RING ||
		    n->now - n->hb_time[q % PX_HB_RING] > 2 * n->cfg.election_ns) {
			if (n->now - n->prepare_ns > 2 * n->cfg.election_ns) {
				px_step_down(n, n->ballot);
				return;
			}
		}
	}
	if (n->now >= n->hb_next)
		send_heartbeat(n);
	if (n->spread_at && n->now >= n->spread_at)
		spread_late(n);
	/*
	 * Retransmit to every member that has not accepted in time.  Find
	 * them all first: a retransmission refreshes the slots' send times.
	 */
	for (j = 0; j < n->n; j++) {
		lo[j] = 0;
		if (j == n->self)
			continue;
		for (i = n->commit + 1; i < n->next_index; i++) {
			struct px_slot *s = px_slot(n, i);

			if (s && s->sent_ns && !(s->acks & (1u << j)) &&
			    n->now - s->sent_ns >= n->retry_ns) {
				lo[j] = i;
				break;
			}
		}
	}
	for (j = 0; j < n->n; j++) {
		if (!lo[j])
			continue;
		px_ctr(n, PAXOS_CTR_RETRANSMITS);
		send_new(n, (u16)(1u << j), lo[j]);
	}
	px_leader_flush(n);
}

void px_handle_forward(struct px_node *n, u32 from, const struct px_msg *m)
{
	struct px_wentry e;
	size_t off = 0;
	u16 k;

	(void)from;
	if (n->role != PX_ROLE_LEADER)
		return;
	for (k = 0; k < m->nentries; k++) {
		px_wire_entry(m, &off, &e);
		if (e.type != PX_ENTRY_DATA || !e.len)
			continue;
		px_leader_append(n, &e.id, e.data, e.len);
	}
}

/* ---------------------------------------------------------- barriers */

static void barrier_reply(struct px_node *n, u32 to_idx, u64 token, u64 index)
{
	struct px_wbuf w;

	/* The follower waits for its log to reach @index. */
	if (index && n->role == PX_ROLE_LEADER)
		tell(n, (u16)(1u << to_idx));

	px_begin(n, &w, PX_MSG_BARRIER_REPLY, n->promised);
	px_wire_u64(&w, token);
	px_wire_u64(&w, index);
	px_send(n, to_idx, &w);
}

void px_handle_barrier_req(struct px_node *n, u32 from, const struct px_msg *m)
{
	struct px_barrier *b = NULL;
	u32 i;

	if (n->role != PX_ROLE_LEADER) {
		barrier_reply(n, from, m->a, 0);
		return;
	}
	if (px_lease_held(n)) {
		barrier_reply(n, from, m->a, n->commit);
		return;
	}
	for (i = 0; i < PX_MAX_BARRIERS && !b; i++)
		if (!n->barriers[i].used)
			b = &n->barriers[i];
	if (!b) {
		barrier_reply(n, from, m->a, 0);
		return;
	}
	memset(b, 0, sizeof(*b));
	b->used = true;
	b->token = m->a;
	b->from = n->peers[from].id;
	b->index = n->next_index - 1;
	b->seq = n->hb_seq + 1;
	b->started_ns = n->now;
	send_heartbeat(n);
}

void px_handle_barrier_reply(struct px_node *n, u32 from, const struct px_msg *m)
{
	u32 i;

	(void)from;
	for (i = 0; i < PX_MAX_BARRIERS; i++) {
		struct px_barrier *b = &n->barriers[i];

		if (!b->used || b->from || b->seq || b->token != m->a)
			continue;
		if (m->b) {
			b->have_index = true;
			b->index = m->b;
		}
	}
	px_barriers_check(n);
}

/* Complete, forward or fail pending barriers after any change. */
void px_barriers_check(struct px_node *n)
{
	u64 q = n->role == PX_ROLE_LEADER ? quorum_round(n) : 0;
	u32 i;

	for (i = 0; i < PX_MAX_BARRIERS; i++) {
		struct px_barrier *b = &n->barriers[i];
		bool done;

		if (!b->used)
			continue;
		if (b->seq) {
			/* Leader-confirmed: a majority saw a later heartbeat. */
			if (n->role != PX_ROLE_LEADER) {
				if (b->from) {
					b->used = false;
					continue;
				}
				b->seq = 0;
				b->sent_ns = 0;
				continue;
			}
			done = q >= b->seq && n->commit >= b->index;
		} else {
			done = b->have_index && n->commit >= b->index;
		}
		if (!done)
			continue;
		if (b->from) {
			int j = px_peer_index(n, b->from);

			if (j >= 0)
				barrier_reply(n, j, b->token, b->index);
		} else {
			px_emit(n, PX_EV_BARRIER, b->token, b->index, 0);
		}
		b->used = false;
	}
}
