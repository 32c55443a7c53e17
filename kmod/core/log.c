// SPDX-License-Identifier: GPL-2.0
/*
 * The replicated log: a ring of slots, in-order delivery of chosen
 * entries, learning what the leader chose, duplicate suppression,
 * trimming, and catch-up of lagging nodes from retained entries.
 */
#include "core_int.h"

int px_log_init(struct px_node *n)
{
	u32 want = n->cfg.retain + 2 * n->cfg.window + 2;

	n->cap = 16;
	while (n->cap < want)
		n->cap <<= 1;
	n->ring = px_zalloc_init(sizeof(*n->ring) * n->cap);
	if (!n->ring)
		return -ENOMEM;
	n->first = 1;
	n->commit = 0;
	n->top = 0;
	return 0;
}

static void slot_clear(struct px_slot *s)
{
	px_free(s->data);
	memset(s, 0, sizeof(*s));
}

void px_log_free(struct px_node *n)
{
	u32 i;

	if (!n->ring)
		return;
	for (i = 0; i < n->cap; i++)
		px_free(n->ring[i].data);
	px_free_init(n->ring);
	n->ring = NULL;
}

static void dedup_mark(struct px_node *n, struct px_dedup *table,
		       const struct px_prop_id *id);

/*
 * Drop delivered entries below @below.  What they did to duplicate
 * suppression is kept in dedup_first, for nodes that continue from here.
 * Entries not yet delivered are never dropped: they may still be needed
 * to choose a value.
 */
void px_log_trim(struct px_node *n, u64 below)
{
	below = px_min64(below, n->commit + 1);
	while (n->first < below) {
		struct px_slot *s = px_slot(n, n->first);

		if (s) {
			if (s->type == PX_ENTRY_DATA)
				dedup_mark(n, n->dedup_first, &s->id);
			slot_clear(s);
		}
		n->first++;
	}
}

/*
 * Store a value at @index, replacing what the slot held.  The ring makes
 * room by dropping the oldest delivered entries; an index that would need
 * an undelivered slot is refused (NULL), and the sender retries later.
 */
struct px_slot *px_log_store(struct px_node *n, u64 index, u64 ballot,
			     enum px_entry_type type, const struct px_prop_id *id,
			     const void *data, u32 len)
{
	struct px_slot *s;
	u8 *copy = NULL;

	if (index <= n->commit || index < n->first)
		return NULL;
	if (index - n->first >= n->cap) {
		if (index - n->cap >= n->commit + 1)
			return NULL;
		px_log_trim(n, index - n->cap + 1);
	}
	if (len) {
		copy = px_alloc(len);
		if (!copy) {
			px_ctr(n, PAXOS_CTR_DROP_NO_MEMORY);
			return NULL;
		}
		memcpy(copy, data, len);
	}
	s = &n->ring[index & (n->cap - 1)];
	slot_clear(s);
	s->index = index;
	s->ballot = ballot;
	s->type = type;
	if (id)
		s->id = *id;
	s->len = len;
	s->data = copy;
	if (index > n->top)
		n->top = index;
	return s;
}

static struct px_dedup *dedup_find(struct px_node *n, struct px_dedup *table,
				   u32 origin)
{
	int i = px_peer_index(n, origin);

	return i < 0 ? NULL : &table[i];
}

bool px_dedup_done(const struct px_node *n, const struct px_prop_id *id)
{
	int i = px_peer_index(n, id->origin);
	const struct px_dedup *d;

	if (i < 0)
		return true;	/* not a member: never proposed legitimately */
	d = &n->dedup[i];
	if (id->incarnation < d->incarnation)
		return true;	/* its origin restarted; nobody waits for it */
	if (id->incarnation > d->incarnation)
		return false;
	if (id->seq < d->base)
		return true;
	if (id->seq >= d->base + 64)
		return false;
	return d->bits & (1ULL << (id->seq - d->base));
}

static void dedup_mark(struct px_node *n, struct px_dedup *table,
		       const struct px_prop_id *id)
{
	struct px_dedup *d = dedup_find(n, table, id->origin);

	if (!d)
		return;
	if (id->incarnation > d->incarnation) {
		d->incarnation = id->incarnation;
		d->base = 0;
		d->bits = 0;
	} else if (id->incarnation < d->incarnation) {
		return;
	}
	if (id->seq < d->base)
		return;
	/*
	 * An origin gives out sequence number s only once s - PX_MAX_PENDING
	 * has committed (px_propose), so a number 64 below one that
	 * committed has committed too.
	 */
	if (id->seq >= d->base + 64) {
		u64 shift = id->seq - d->base - 63;

		d->bits = shift >= 64 ? 0 : d->bits >> shift;
		d->base += shift;
	}
	d->bits |= 1ULL << (id->seq - d->base);
	while (d->bits & 1) {
		d->bits >>= 1;
		d->base++;
	}
}

/* Lowest index some member may still need: the leader knows, followers
 * learn it from the leader's heartbeats.
 */
u64 px_all_have(const struct px_node *n)
{
	u64 low = n->commit + 1;
	u32 i;

	if (n->role != PX_ROLE_LEADER)
		return px_min64(n->all_have, low);
	for (i = 0; i < n->n; i++)
		if (i != n->self)
			low = px_min64(low, n->peers[i].match + 1);
	return low;
}

/*
 * Keep the newest @retain entries for readers; older ones go once every
 * member has them, or once the application trimmed them.  Beyond that,
 * only the ring's capacity forces entries out (px_log_store), and a member
 * that lags further falls behind the trim point.
 */
static void log_autotrim(struct px_node *n)
{
	u64 all = px_all_have(n), point = 0;

	if (n->commit + 1 > n->cfg.retain)
		point = px_min64(n->commit + 1 - n->cfg.retain, all);
	if (n->trim_to)
		point = px_max64(point, px_min64(n->trim_to, all));
	if (point > n->first)
		px_log_trim(n, point);
}

/* Deliver chosen entries in order, without gaps. */
void px_log_deliver(struct px_node *n)
{
	struct px_slot *s;

	while ((s = px_slot(n, n->commit + 1)) && s->chosen) {
		n->commit++;
		/*
		 * A retried proposal can be chosen twice: once at an index a
		 * new leader did not learn of in time, once again after.  The
		 * delivered prefix decides deterministically which copy counts,
		 * so every node delivers the later one as a no-op.
		 */
		if (s->type == PX_ENTRY_DATA && px_dedup_done(n, &s->id)) {
			px_free(s->data);
			s->data = NULL;
			s->len = 0;
			s->type = PX_ENTRY_NOOP;
		}
		if (s->type == PX_ENTRY_DATA)
			dedup_mark(n, n->dedup, &s->id);
		px_ctr(n, PAXOS_CTR_COMMITS);
		if (s->id.origin == n->cfg.self_id &&
		    s->id.incarnation == n->incarnation) {
			struct px_pending *p = px_pending_of(n, s->id.seq);

			if (p->used && p->id.seq == s->id.seq) {
				px_free(p->data);
				memset(p, 0, sizeof(*p));
				n->npending--;
			}
		}
		n->ops->commit(n->ctx, s->index, s->type, &s->id, s->data, s->len);
	}
	log_autotrim(n);
	px_barriers_check(n);
}

/*
 * The leader of @ballot says everything up to @commit is chosen.  An
 * entry we accepted in that same ballot holds the value the leader
 * proposed there, so it is chosen; anything else must be fetched.
 */
void px_log_learn(struct px_node *n, u64 commit, u64 ballot)
{
	u64 i;

	for (i = n->commit + 1; i <= commit; i++) {
		struct px_slot *s = px_slot(n, i);

		if (!s || s->ballot != ballot)
			break;
		s->chosen = true;
	}
	px_log_deliver(n);
	if (n->commit < commit) {
		int l = px_peer_index(n, n->leader);

		if (l >= 0 && (u32)l != n->self)
			px_request_catchup(n, l);
	}
}

void px_request_catchup(struct px_node *n, u32 to_idx)
{
	struct px_wbuf w;

	if (n->catchup_sent && n->now - n->catchup_sent < n->cfg.heartbeat_ns / 2)
		return;
	n->catchup_sent = n->now;
	px_begin(n, &w, PX_MSG_CATCHUP_REQ, n->promised);
	px_wire_u64(&w, n->commit + 1);
	px_send(n, to_idx, &w);
}

/*
 * Send our slots from @from upward to @to_idx, in as many datagrams as
 * they need (at most 64 fragments).  Each datagram carries the u64 fields
 * @a, @b, @c of its type, the fragment number and @flags (the last one
 * also PX_PROMISE_LAST), and for PROMISE our crash vector.
 */
/*
 * Whether our slots from @from upward fit in the 64 fragments a PROMISE or
 * RECOVER_REPLY may have.  A reply that lists only part of them would let
 * the receiver fill the rest with no-ops, so such a reply is never sent.
 */
bool px_entries_fit(struct px_node *n, u64 from)
{
	size_t room = PX_MAX_DATAGRAM - PX_HDR_LEN - 40 - PX_MAX_NODES * PX_CV_LEN;
	size_t used = 0;
	u32 frags = 1;
	u64 i;

	for (i = px_max64(from, n->first); i <= n->top; i++) {
		struct px_slot *s = px_slot(n, i);
		size_t sz;

		if (!s)
			continue;
		sz = px_wire_entry_size(s->len);
		if (used + sz > room) {
			if (++frags > 64)
				return false;
			used = 0;
		}
		used += sz;
	}
	return true;
}

/* The suppression state at our first index, for a node that jumps there. */
static void dd_put(const struct px_node *n, struct px_wbuf *w, bool behind)
{
	struct px_dd dd[PX_MAX_NODES];
	u16 k = 0;
	u32 i;

	for (i = 0; behind && i < n->n; i++) {
		const struct px_dedup *d = &n->dedup_first[i];

		if (!d->incarnation)
			continue;
		dd[k].origin = d->origin;
		dd[k].incarnation = d->incarnation;
		dd[k].base = d->base;
		dd[k].bits = d->bits;
		k++;
	}
	px_wire_dds(w, dd, k);
}

void px_send_entries(struct px_node *n, u32 to_idx, u8 type, u64 a, u64 b,
		     u64 c, u8 flags, u64 from, bool with_cv, bool only_chosen)
{
	int nu64 = type == PX_MSG_RECOVER_REPLY ? 3 : 2;
	u64 i = px_max64(from, n->first), last = only_chosen ? n->commit : n->top;
	u8 frag = 0;
	struct px_wbuf w;

	for (;;) {
		bool more = false;

		px_begin(n, &w, type, n->promised);
		px_wire_u64(&w, a);
		px_wire_u64(&w, b);
		if (nu64 == 3)
			px_wire_u64(&w, c);
		px_wire_u8(&w, flags);
		px_wire_u8(&w, frag);
		if (with_cv)
			px_cv_put(n, &w);
		if (type == PX_MSG_CATCHUP)
			dd_put(n, &w, flags & PX_CATCHUP_BEHIND);
		px_wire_count(&w);
		for (; i <= last; i++) {
			struct px_slot *s = px_slot(n, i);
			struct px_wentry e;

			if (!s || (only_chosen && !s->chosen))
				continue;
			e.index = s->index;
			e.ballot = s->ballot;
			e.type = s->type;
			e.id = s->id;
			e.len = s->len;
			e.data = s->data;
			if (!px_wire_add_entry(&w, &e)) {
				more = w.count > 0;
				break;
			}
		}
		if (!more || frag == 63)
			w.p[PX_HDR_LEN + 8 * nu64] |= PX_PROMISE_LAST;
		px_send(n, to_idx, &w);
		if (!more || frag == 63 || (only_chosen && frag >= 7))
			break;
		frag++;
	}
}

void px_handle_catchup_req(struct px_node *n, u32 from, const struct px_msg *m)
{
	if (n->role == PX_ROLE_RECOVERING)
		return;
	if (m->a < n->first && m->a <= n->commit) {
		/* Trimmed here: tell the requester where the log now starts. */
		px_send_entries(n, from, PX_MSG_CATCHUP, n->first, n->commit, 0,
				PX_CATCHUP_BEHIND, n->first, false, true);
		return;
	}
	px_ctr(n, PAXOS_CTR_RETRANSMITS);
	px_send_entries(n, from, PX_MSG_CATCHUP, n->first, n->commit, 0, 0,
			m->a, false, true);
}

/*
 * Adopt, per instance above our commit point, the value reported with
 * the highest ballot below @below (a leader merging promises, a node
 * recovering from its peers' answers).
 */
void px_log_adopt(struct px_node *n, const struct px_msg *m, u64 below)
{
	struct px_wentry e;
	size_t off = 0;
	u16 k;

	for (k = 0; k < m->nentries; k++) {
		struct px_slot *s;

		px_wire_entry(m, &off, &e);
		if (e.index <= n->commit || e.ballot >= below)
			continue;
		s = px_slot(n, e.index);
		if (s && s->ballot >= e.ballot)
			continue;
		px_log_store(n, e.index, e.ballot, e.type, &e.id, e.data, e.len);
	}
}

/* One more fragment of a multi-datagram answer; done when all arrived. */
void px_frag_seen(struct px_peer *p, const struct px_msg *m)
{
	p->frags |= 1ULL << m->frag;
	if (m->bflags & PX_PROMISE_LAST)
		p->nfrag = m->frag + 1;
	if (p->nfrag > 0 && p->frags == (~0ULL >> (64 - p->nfrag)))
		p->done = true;
}

/* Chosen entries from another node's log. */
void px_handle_catchup(struct px_node *n, u32 from, const struct px_msg *m)
{
	struct px_wentry e;
	size_t off = 0;
	u32 k;

	(void)from;
	/* A log cannot start beyond its own commit point. */
	if (m->a > m->b + 1) {
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		return;
	}
	if ((m->bflags & PX_CATCHUP_BEHIND) && m->a > n->commit + 1) {
		/*
		 * What we need was trimmed everywhere we asked: continue from
		 * the sender's first index and say so.
		 */
		px_log_trim(n, n->commit + 1);
		for (k = 0; k < n->cap; k++) {
			struct px_slot *s = &n->ring[k];

			if (s->index && s->index < m->a)
				slot_clear(s);
		}
		n->commit = m->a - 1;
		if (n->top < n->commit)
			n->top = n->commit;
		n->first = m->a;
		/* Which proposals the skipped entries held, as the sender knows. */
		for (k = 0; k < n->n; k++) {
			n->dedup[k].incarnation = 0;
			n->dedup[k].base = 0;
			n->dedup[k].bits = 0;
		}
		for (k = 0; k < m->ndd; k++) {
			struct px_dedup *d = dedup_find(n, n->dedup, m->dd[k].origin);

			if (!d)
				continue;
			d->incarnation = m->dd[k].incarnation;
			d->base = m->dd[k].base;
			d->bits = m->dd[k].bits;
		}
		memcpy(n->dedup_first, n->dedup, sizeof(n->dedup));
		px_emit(n, PX_EV_BEHIND, m->a, 0, 0);
	}
	for (k = 0; k < m->nentries; k++) {
		struct px_slot *s;

		px_wire_entry(m, &off, &e);
		if (e.index <= n->commit)
			continue;
		s = px_slot(n, e.index);
		if (s && s->chosen)
			continue;
		s = px_log_store(n, e.index, e.ballot, e.type, &e.id, e.data, e.len);
		if (s)
			s->chosen = true;
	}
	n->catchup_sent = 0;
	px_log_deliver(n);
	if (n->role == PX_ROLE_RECOVERING)
		px_recovery_progress(n);
}
