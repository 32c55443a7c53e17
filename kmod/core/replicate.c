// SPDX-License-Identifier: GPL-2.0
/*
 * The leader's phase 2: proposals enter the window (or wait in the queue),
 * go out pipelined and batched in ACCEPTs, first to a bare majority and
 * later to the rest, and are chosen once a quorum accepted them in our
 * ballot.  Commit news rides on later ACCEPTs or heartbeats; heartbeat
 * rounds renew the leader lease; unacknowledged slots are retransmitted.
 */
#include "core_int.h"

/* Send slots @lo..@hi (contiguous) as ACCEPT datagrams to members @to. */
static void send_accepts(struct px_node *n, u16 to, u64 lo, u64 hi)
{
	size_t limit = n->cfg.batch_bytes ? n->cfg.batch_bytes : PX_MAX_DATAGRAM;
	struct px_accept a = { .commit = n->log.commit };
	struct px_wbuf w;
	u64 i = lo;
	u32 j;

	limit = max(limit, px_wire_min_batch(PX_MSG_ACCEPT));
	while (i <= hi) {
		px_begin(n, &w, n->ballot);
		px_wire_accept(&w, &a);
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
			if (!(to & px_bit(j)))
				continue;
			px_send(n, j, &w);
			n->peers[j].told = n->log.commit;
		}
		px_ctr(n, PAXOS_CTR_TX_ACCEPT);
	}
}

/*
 * Mark chosen every slot a majority accepted in our ballot, in order, and
 * deliver them (which waits while our client sessions are not in).
 */
static void advance(struct px_node *n)
{
	u64 i = n->log.commit + 1, from;
	struct px_slot *s;

	while ((s = px_slot(n, i)) && s->chosen)
		i++;
	from = i;
	while (s && s->ballot == n->ballot &&
	       px_quorum_has(&n->quorum, s->acks)) {
		s->chosen = true;
		s = px_slot(n, ++i);
	}
	if (i > from)
		px_deliver(n);
}

/*
 * Our own acceptance of the slots below @next, stored in our ballot
 * @ballot, is durable (px_persisted()): it counts now.
 */
void px_own_accepted(struct px_node *n, u64 ballot, u64 next)
{
	u64 i;

	if (n->role != PX_ROLE_LEADER || n->ballot != ballot)
		return;
	for (i = n->log.commit + 1; i < next; i++) {
		struct px_slot *s = px_slot(n, i);

		if (s && s->ballot == ballot)
			s->acks |= px_self_bit(n);
	}
	advance(n);
}

/* Acceptances in our ballot (the step function checked the ballot). */
void px_handle_accepted(struct px_node *n, u32 from, const struct px_accepted *m)
{
	struct px_peer *p = &n->peers[from];
	struct px_slot *last;
	u64 i;

	if (m->lo > m->hi)
		return;
	if (m->hi > p->accepted)
		p->accepted = m->hi;
	/* The round trip of the newest slot acknowledged, smoothed by 1/8. */
	last = px_slot(n, m->hi);
	if (last && last->ballot == n->ballot && last->sent_ns &&
	    n->now >= last->sent_ns) {
		u64 rtt = n->now - last->sent_ns;

		n->srtt_ns = n->srtt_ns ? n->srtt_ns - (n->srtt_ns >> PX_SRTT_SHIFT) +
					  (rtt >> PX_SRTT_SHIFT) : rtt;
	}
	for (i = px_max64(m->lo, n->log.commit + 1);
	     i <= m->hi && i < n->next_index; i++) {
		struct px_slot *s = px_slot(n, i);

		if (s && s->ballot == n->ballot)
			s->acks |= px_bit(from);
	}
	advance(n);
}

/* The highest heartbeat round a quorum (us included) acknowledged. */
u64 px_hb_quorum_round(const struct px_node *n)
{
	u64 v[PX_MAX_NODES];
	u32 i;

	for (i = 0; i < n->n; i++)
		v[i] = i == n->self ? n->hb_seq : n->peers[i].hb_acked;
	return px_quorum_value(&n->quorum, v);
}

bool px_lease_held(const struct px_node *n)
{
	return n->role == PX_ROLE_LEADER && n->cfg.lease_ns &&
	       n->now < n->lease_until && n->log.commit >= n->own_first &&
	       n->forfeit != n->ballot;
}

/* A heartbeat round acknowledged in our ballot. */
void px_handle_hb_ack(struct px_node *n, u32 from, const struct px_hb_ack *m)
{
	struct px_peer *p = &n->peers[from];
	u64 q;

	if (m->seq > n->hb_seq)
		return;
	if (m->seq > p->hb_acked)
		p->hb_acked = m->seq;
	if (m->conf_unknown)
		px_conf_tell(n, from);
	q = px_hb_quorum_round(n);
	/*
	 * A majority granted us a lease when round q reached them, which was
	 * after we sent it: count the lease from the send time.
	 */
	if (q && n->hb_seq - q < PX_HB_RING && n->cfg.lease_ns) {
		u64 until = n->hb_time[q % PX_HB_RING] + n->guard_ns;

		if (until > n->lease_until)
			n->lease_until = until;
	}
}

static void announce_commit(struct px_node *n, u16 to, bool round);

static bool in_flight(const struct px_node *n, const struct px_prop_id *id)
{
	u64 i;
	u32 k;

	for (i = n->log.commit + 1; i < n->next_index; i++) {
		const struct px_slot *s = px_log_slot(&n->log, i);

		if (s && s->type == PX_ENTRY_DATA &&
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

/*
 * Closed while a configuration entry is in flight or waits for the log
 * to drain: nothing goes past one until it is chosen.
 */
static bool window_open(const struct px_node *n)
{
	return n->next_index - n->log.commit <= n->cfg.window &&
	       n->conf_top <= n->log.commit && !n->conf_hold;
}

/* A configuration entry to propose: once nothing else is in flight. */
static void conf_step(struct px_node *n)
{
	static const struct px_prop_id none;
	struct px_slot *s;
	u32 len;

	n->conf_hold = false;
	if (n->xfer_to)
		return;
	len = px_conf_next(n, n->conf_buf);
	if (!len)
		return;
	if (n->next_index != n->log.commit + 1) {
		n->conf_hold = true;
		return;
	}
	s = px_store(n, n->next_index, n->ballot, PX_ENTRY_CONFIG, &none,
		     n->conf_buf, len);
	if (!s)
		return;
	s->acks = px_own_vote(n);
	n->next_index++;
}

static void append_slot(struct px_node *n, const struct px_prop_id *id,
			const void *data, u32 len)
{
	struct px_slot *s = px_store(n, n->next_index, n->ballot,
				     PX_ENTRY_DATA, id, data, len);

	if (!s)
		return;
	s->acks = px_own_vote(n);
	n->next_index++;
}

void px_leader_append(struct px_node *n, const struct px_prop_id *id,
		      const void *data, u32 len)
{
	struct px_queued *q;
	u8 *copy;

	/* Handing over: the next leader takes them (they are retried). */
	if (n->role != PX_ROLE_LEADER || px_committed(n, id) ||
	    in_flight(n, id) || n->xfer_to)
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
		busy += n->batch_end[i] > n->log.commit;
	return busy < PX_MAX_BATCHES;
}

static void batch_sent(struct px_node *n, u64 last)
{
	u32 i;

	for (i = 0; i < PX_MAX_BATCHES; i++) {
		if (n->batch_end[i] <= n->log.commit) {
			n->batch_end[i] = last;
			return;
		}
	}
}

/* The first slot of the window never sent, or 0. */
static u64 first_unsent(struct px_node *n)
{
	u64 i;

	for (i = n->log.commit + 1; i < n->next_index; i++) {
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
	u32 j;

	if (!n->srtt_ns)
		return px_followers(n);
	while (!px_quorum_has(&n->quorum, set | px_self_bit(n))) {
		int best = -1;

		for (j = 0; j < n->n; j++) {
			const struct px_peer *p = &n->peers[j], *b;

			if (j == n->self || (set & px_bit(j)))
				continue;
			b = best >= 0 ? &n->peers[best] : NULL;
			if (!b || p->accepted > b->accepted ||
			    (p->accepted == b->accepted && p->last_heard > b->last_heard))
				best = (int)j;
		}
		if (best < 0)
			break;
		set |= px_bit(best);
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

	for (i = n->lazy_done + 1; i <= n->log.commit && i < lo; i++) {
		const struct px_slot *s = px_slot(n, i);

		if (s && !(s->sent_to & px_bit(j)))
			return i;
	}
	return lo;
}

/* Slots @lo.. (and any chosen slot they lack) to each follower in @to. */
static void send_new(struct px_node *n, u16 to, u64 lo)
{
	u32 j;

	for (j = 0; j < n->n; j++)
		if (to & px_bit(j))
			send_accepts(n, px_bit(j), first_lacking(n, j, lo),
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
	u16 all = px_followers(n);
	u32 j;

	for (i = n->log.commit + 1; i < n->next_index; i++) {
		struct px_slot *s = px_slot(n, i);

		if (!s || !s->sent_ns || (s->sent_to & all) == all)
			continue;
		if (n->now - s->sent_ns < delay) {
			if (!next || s->sent_ns + delay < next)
				next = s->sent_ns + delay;
			continue;
		}
		for (j = 0; j < n->n; j++)
			if ((all & ~s->sent_to & px_bit(j)) && !lo[j])
				lo[j] = i;
	}
	n->spread_at = next ? on_grid(next) : 0;
	for (j = 0; j < n->n; j++) {
		if (!lo[j])
			continue;
		px_ctr(n, PAXOS_CTR_SPREADS);
		send_new(n, px_bit(j), lo[j]);
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

	to &= px_followers(n);
	for (j = 0; j < n->n; j++) {
		u64 i;

		if (!(to & px_bit(j)))
			continue;
		i = first_lacking(n, j, n->log.commit + 1);
		if (i <= n->log.commit)
			send_accepts(n, px_bit(j), i, n->log.commit);
	}
}

/* Chosen slots, or at least the commit index, to the followers in @to. */
void px_tell(struct px_node *n, u16 to)
{
	send_lacking(n, to);
	announce_commit(n, to, false);
}

/* Origins of slots chosen since the last call, as a member mask. */
static u16 new_origins(struct px_node *n)
{
	u16 mask = 0;
	u64 i;

	for (i = n->origin_done + 1; i <= n->log.commit; i++) {
		const struct px_slot *s = px_slot(n, i);
		int k;

		if (!s || s->type != PX_ENTRY_DATA)
			continue;
		k = px_peer_index(n, s->id.origin);
		if (k >= 0)
			mask |= (u16)(1u << k);
	}
	n->origin_done = n->log.commit;
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
			due |= px_bit(j);
	return due;
}

/* Every chosen slot a follower lacks, now: a heartbeat round follows. */
static void news_flush(struct px_node *n)
{
	send_lacking(n, px_followers(n));
	n->lazy_done = n->log.commit;
	n->news_at = 0;
}

/* News of the commits up to news_upto, to those still without it. */
static void news_due(struct px_node *n)
{
	u16 due = untold(n, n->news_upto);

	px_tell(n, due);
	/* Now every follower has each slot up to news_upto. */
	n->lazy_done = px_max64(n->lazy_done, n->news_upto);
	n->news_at = 0;
}

static void news(struct px_node *n)
{
	u16 origins;

	if (n->log.commit > n->origin_done) {
		origins = new_origins(n);
		if (origins)
			px_tell(n, origins);
	}
	if (n->news_at && n->now >= n->news_at)
		news_due(n);
	if (!n->news_at && n->log.commit > n->news_upto && untold(n, n->log.commit)) {
		u64 delay = news_delay(n);

		n->news_at = delay ? on_grid(n->now + delay) : n->now;
		n->news_upto = n->log.commit;
	}
}

/* Move queued proposals into the window and send what is new. */
void px_leader_flush(struct px_node *n)
{
	u64 lo = 0;

	if (n->role != PX_ROLE_LEADER)
		return;
	conf_step(n);
	while (n->qlen && window_open(n)) {
		struct px_queued *q = &n->queue[n->qhead];

		if (!px_committed(n, &q->id))
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
		if (to != px_followers(n) && !n->spread_at)
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

		if (j == n->self || !(to & px_bit(j)) ||
		    (!round && p->told >= n->log.commit))
			continue;
		if (!built) {
			struct px_heartbeat hb = {
				.commit = n->log.commit,
				.seq = n->hb_seq,
				.all_have = px_all_have(n),
			};

			px_begin(n, &w, n->ballot);
			px_wire_heartbeat(&w, &hb);
			built = true;
		}
		px_send(n, j, &w);
		p->told = n->log.commit;
	}
}

/* A new heartbeat round: its acknowledgements renew the lease. */
void px_send_heartbeat(struct px_node *n)
{
	n->hb_seq++;
	n->hb_time[n->hb_seq % PX_HB_RING] = n->now;
	n->hb_next = n->now + n->cfg.heartbeat_ns;
	/* A round carries the commit index: the chosen slots go first. */
	news_flush(n);
	announce_commit(n, px_followers(n), true);
	if (px_quorum_has(&n->quorum, px_self_bit(n)) && n->cfg.lease_ns)
		n->lease_until = n->now + n->guard_ns;
}

/*
 * Whether we still lead (check-quorum): while a quorum answered a
 * heartbeat round sent within the last election timeout (or we prepared
 * our ballot that recently), and besides while our lease runs: no other
 * node can be elected before it ends, and it serves reads until then.
 * Otherwise the members we reach are a minority: we step down, and the
 * followers, no longer hearing from us, may elect another.
 */
bool px_leader_holds(struct px_node *n)
{
	u64 q;

	if (n->cfg.lease_ns && n->now < n->lease_until)
		return true;
	if (px_quorum_has(&n->quorum, px_self_bit(n)))
		return true;
	q = px_hb_quorum_round(n);
	if (q && n->hb_seq - q < PX_HB_RING &&
	    n->now - n->hb_time[q % PX_HB_RING] <= n->cfg.election_ns)
		return true;
	return n->now - n->prepare_ns <= n->cfg.election_ns;
}

/* Every follower that has not accepted a slot in time gets it again. */
static void retransmit(struct px_node *n)
{
	u64 i, lo[PX_MAX_NODES];
	u32 j;

	/* Find them all first: a retransmission refreshes the send times. */
	for (j = 0; j < n->n; j++) {
		lo[j] = 0;
		if (j == n->self)
			continue;
		for (i = n->log.commit + 1; i < n->next_index; i++) {
			struct px_slot *s = px_slot(n, i);

			if (s && s->sent_ns && !(s->acks & px_bit(j)) &&
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
		send_new(n, px_bit(j), lo[j]);
	}
}

void px_leader_tick(struct px_node *n)
{
	if (n->now >= n->hb_next)
		px_send_heartbeat(n);
	if (n->spread_at && n->now >= n->spread_at)
		spread_late(n);
	retransmit(n);
	px_leader_flush(n);
}

/* Our own no-op and the re-proposed slots are in the log: lead. */
void px_leader_start(struct px_node *n)
{
	u32 i;

	n->hb_next = n->now;
	memset(n->batch_end, 0, sizeof(n->batch_end));
	n->spread_at = 0;
	n->news_at = 0;
	n->news_upto = n->log.commit;
	n->lazy_done = n->log.commit;
	n->origin_done = n->log.commit;
	for (i = 0; i < n->n; i++) {
		n->peers[i].accepted = 0;
		n->peers[i].told = 0;
	}
	px_leader_flush(n);
}

/* Proposals others forwarded to us: their origins retry them. */
void px_leader_drop_queue(struct px_node *n)
{
	while (n->qlen) {
		px_free(n->queue[n->qhead].data);
		n->qhead = (n->qhead + 1) % PX_MAX_QUEUE;
		n->qlen--;
	}
}

/* Proposals a follower forwarded to us. */
void px_handle_forward(struct px_node *n, const struct px_forward *m)
{
	struct px_wentry e;
	size_t off = 0;
	u16 k;

	for (k = 0; k < m->ents.count; k++) {
		px_wire_entry(&m->ents, &off, &e);
		if (e.type != PX_ENTRY_DATA || !e.len)
			continue;
		px_leader_append(n, &e.id, e.data, e.len);
	}
}

