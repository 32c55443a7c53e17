// SPDX-License-Identifier: GPL-2.0
/*
 * Moving log entries between nodes: catch-up of a lagging node from
 * retained chosen entries, and the answers that list many entries in up
 * to PX_MAX_FRAGS datagrams (PROMISE, CATCHUP, RECOVER_REPLY), with the
 * merging of reported values that elections and recovery share.
 */
#include "core_int.h"

/* A multi-datagram answer: its type's fields and which slots it lists. */
struct answer {
	u8 type;
	union {
		struct px_promise promise;
		struct px_catchup catchup;
		struct px_recover_reply recover_reply;
	} m;
	u64 from;
	bool only_chosen;
};

static void answer_begin(struct px_node *n, struct px_wbuf *w,
			 struct answer *a, u8 frag)
{
	px_begin(n, w, n->promised);
	switch (a->type) {
	case PX_MSG_PROMISE:
		a->m.promise.frag.num = frag;
		px_wire_promise(w, &a->m.promise);
		break;
	case PX_MSG_CATCHUP:
		a->m.catchup.frag.num = frag;
		px_wire_catchup(w, &a->m.catchup);
		break;
	default:
		a->m.recover_reply.frag.num = frag;
		px_wire_recover_reply(w, &a->m.recover_reply);
		break;
	}
}

/* Add our slots from *@i on while they fit; true if some are left. */
static bool answer_fill(struct px_node *n, struct px_wbuf *w,
			const struct answer *a, u64 *i)
{
	u64 last = a->only_chosen ? n->log.commit : n->log.top;

	for (; *i <= last; (*i)++) {
		struct px_slot *s = px_slot(n, *i);
		struct px_wentry e;

		if (!s || (a->only_chosen && !s->chosen))
			continue;
		e.index = s->index;
		e.ballot = s->ballot;
		e.type = s->type;
		e.id = s->id;
		e.len = s->len;
		e.data = s->data;
		if (!px_wire_add_entry(w, &e))
			return w->count > 0;
	}
	return false;
}

/*
 * Send the answer to @to_idx in as many datagrams as it needs, the last
 * one marked.  Catch-up sends at most PX_CATCHUP_FRAGS at a time: the
 * node asks again for the rest.
 */
static void answer_send(struct px_node *n, u32 to_idx, struct answer *a)
{
	u64 i = px_max64(a->from, n->log.first);
	struct px_wbuf w;
	u8 frag = 0;

	for (;;) {
		bool more;

		answer_begin(n, &w, a, frag);
		more = answer_fill(n, &w, a, &i);
		if (!more || frag == PX_MAX_FRAGS - 1)
			px_wire_last(&w);
		px_send(n, to_idx, &w);
		if (!more || frag == PX_MAX_FRAGS - 1 ||
		    (a->only_chosen && frag >= PX_CATCHUP_FRAGS - 1))
			break;
		frag++;
	}
}

/*
 * Whether our slots from @from upward fit in the fragments an answer of
 * @type may have.  A PROMISE or RECOVER_REPLY that listed only part of
 * them would let the receiver fill the rest with no-ops, so such an
 * answer is never sent.
 */
bool px_entries_fit(struct px_node *n, u8 type, u64 from)
{
	size_t room = px_wire_entry_room(type), used = 0;
	u32 frags = 1;
	u64 i;

	for (i = px_max64(from, n->log.first); i <= n->log.top; i++) {
		struct px_slot *s = px_slot(n, i);
		size_t sz;

		if (!s)
			continue;
		sz = px_wire_entry_size(s->len);
		if (used + sz > room) {
			if (++frags > PX_MAX_FRAGS)
				return false;
			used = 0;
		}
		used += sz;
	}
	return true;
}

/*
 * Whether a promise can report everything we accepted from @first on: we
 * still hold it (nothing trimmed) and it fits one promise's fragments.
 */
bool px_promise_backed(struct px_node *n, u64 first)
{
	return first >= n->log.first &&
	       px_entries_fit(n, PX_MSG_PROMISE, first);
}

/* Phase 1b: everything we accepted from @first on, and our crash vector. */
void px_send_promise(struct px_node *n, u32 to_idx, u64 first)
{
	struct answer a = {
		.type = PX_MSG_PROMISE,
		.m.promise = { .first = first, .commit = n->log.commit },
		.from = first,
	};

	px_cv_fill(n, &a.m.promise.cv);
	answer_send(n, to_idx, &a);
}

/* Our promise, commit index and everything undelivered, for recovery. */
void px_send_recover_reply(struct px_node *n, u32 to_idx, u64 nonce)
{
	struct answer a = {
		.type = PX_MSG_RECOVER_REPLY,
		.m.recover_reply = {
			.nonce = nonce,
			.commit = n->log.commit,
			.promised = n->promised,
		},
		.from = n->log.commit + 1,
	};

	answer_send(n, to_idx, &a);
}

void px_request_catchup(struct px_node *n, u32 to_idx)
{
	struct px_catchup_req req = { .from = n->log.commit + 1 };
	struct px_wbuf w;

	if (n->catchup_sent && n->now - n->catchup_sent < n->cfg.heartbeat_ns / 2)
		return;
	n->catchup_sent = n->now;
	px_begin(n, &w, n->promised);
	px_wire_catchup_req(&w, &req);
	px_send(n, to_idx, &w);
}

/* Chosen entries from @want on, or where our log starts if trimmed. */
void px_serve_catchup(struct px_node *n, u32 from, u64 want)
{
	struct answer a = {
		.type = PX_MSG_CATCHUP,
		.m.catchup = { .first = n->log.first, .commit = n->log.commit },
		.from = want,
		.only_chosen = true,
	};

	if (want < n->log.first && px_snap_covers(n, want)) {
		/* Trimmed here, but a snapshot stands for what it lacks. */
		px_snap_send(n, from);
		return;
	}
	if (want < n->log.first && want <= n->log.commit) {
		/* Trimmed here: tell the requester where the log now starts. */
		a.m.catchup.frag.flags = PX_FRAG_BEHIND;
		a.from = n->log.first;
		px_dedup_export(n->dedup_first, &a.m.catchup.dd);
	} else {
		px_ctr(n, PAXOS_CTR_RETRANSMITS);
	}
	answer_send(n, from, &a);
}

/*
 * Adopt, per instance above our commit point, the value reported with
 * the highest ballot below @below (a leader merging promises, a node
 * recovering from its peers' answers).  False if one could not be kept
 * (no memory, or no room): the caller must not act as if it had been
 * reported, or a chosen value could be lost.
 */
bool px_adopt(struct px_node *n, const struct px_entries *es, u64 below)
{
	struct px_wentry e;
	size_t off = 0;
	bool all = true;
	u16 k;

	for (k = 0; k < es->count; k++) {
		struct px_slot *s;

		px_wire_entry(es, &off, &e);
		if (e.index <= n->log.commit || e.ballot >= below)
			continue;
		s = px_slot(n, e.index);
		if (s && s->ballot >= e.ballot)
			continue;
		if (!px_store(n, e.index, e.ballot, e.type, &e.id, e.data, e.len))
			all = false;
	}
	return all;
}

/* One more fragment of a multi-datagram answer; done when all arrived. */
void px_frag_seen(struct px_peer *p, const struct px_frag *f)
{
	p->frags |= 1ULL << f->num;
	if (f->flags & PX_FRAG_LAST)
		p->nfrag = f->num + 1;
	if (p->nfrag > 0 && p->frags == (~0ULL >> (64 - p->nfrag)))
		p->done = true;
}

/*
 * What we need was trimmed where we asked, and no snapshot stands for it:
 * we are behind.  Under strict retention we never skip: we deliver
 * nothing more, ask every member in turn (catchup_tick()) until one
 * sends a snapshot, and px_autotrim() ends the state once it is
 * installed.  Otherwise we skip to @first, counted and announced.
 */
static void behind(struct px_node *n, const struct px_catchup *m)
{
	u64 skipped = m->first - n->log.commit - 1;

	if (!n->behind) {
		n->behind_at = n->log.commit;
		px_ctr(n, PAXOS_CTR_BEHIND);
		if (n->cfg.snapshots)
			px_emit(n, PX_EV_BEHIND, m->first, 0, 0);
	}
	n->behind = px_max64(n->behind, m->first);
	if (n->cfg.snapshots)
		return;
	px_log_restart(&n->log, m->first);
	px_conf_skipped(n);
	/* Which proposals the skipped entries held, as the sender knows. */
	px_dedup_import(n->dedup, &m->dd);
	memcpy(n->dedup_first, n->dedup, sizeof(n->dedup));
	n->counters[PAXOS_CTR_SKIPPED] += skipped;
	px_emit(n, PX_EV_BEHIND, m->first, skipped, 0);
}

/* Chosen entries from another node's log. */
void px_handle_catchup(struct px_node *n, const struct px_catchup *m)
{
	u64 before = n->log.commit;
	struct px_wentry e;
	size_t off = 0;
	u32 k;

	/* A log cannot start beyond its own commit point. */
	if (m->first > m->commit + 1) {
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		return;
	}
	if ((m->frag.flags & PX_FRAG_BEHIND) && m->first > n->log.commit + 1)
		behind(n, m);
	for (k = 0; k < m->ents.count; k++) {
		struct px_slot *s;

		px_wire_entry(&m->ents, &off, &e);
		if (e.index <= n->log.commit)
			continue;
		s = px_slot(n, e.index);
		if (s && s->chosen)
			continue;
		s = px_store(n, e.index, e.ballot, e.type, &e.id, e.data, e.len);
		if (s)
			s->chosen = true;
	}
	px_deliver(n);
	/*
	 * More at once if this delivered something, unless behind: then
	 * asking again brings nothing new.  An answer that delivered nothing
	 * (waiting for client sessions, say) must not ask again at once:
	 * each of its up to PX_CATCHUP_FRAGS fragments would, and the
	 * answers would multiply.
	 */
	if (!n->behind && n->log.commit > before)
		n->catchup_sent = 0;
}
