// SPDX-License-Identifier: GPL-2.0
/*
 * The acceptor: promises (phase 1b), acceptances (phase 2b), heartbeats,
 * and the leases it grants.  The step function (engine.c) has checked
 * that the message's ballot is its sender's own and at least our promise.
 * Every promise, acceptance or acknowledged heartbeat grants the sender a
 * lease: until it runs out (lease * (1 + drift) on our clock from the
 * moment we granted it) we promise nobody else, so no other node can
 * gather a majority of promises while the lease holder believes its lease
 * is valid.  Check-quorum: while we hear from a leader we promise no one
 * else, lease or not (px_leader_alive()).
 */
#include "core_int.h"

void px_send_nack(struct px_node *n, u32 to_idx)
{
	struct px_wbuf w;

	px_ctr(n, PAXOS_CTR_DROP_STALE_BALLOT);
	px_begin(n, &w, n->promised);
	px_wire_nack(&w);
	px_send(n, to_idx, &w);
}

static void grant(struct px_node *n, u32 from)
{
	n->grant_to = n->peers[from].id;
	n->grant_until = n->now + n->grant_ns;
}

/* A message from the leader of @ballot, which is at least our promise. */
static void follow(struct px_node *n, u32 from, u64 ballot)
{
	if (ballot > n->promised)
		n->promised = ballot;
	px_ballot_seen(n, ballot);
	if (n->leader != n->peers[from].id || n->leader_ballot != ballot)
		px_set_leader(n, n->peers[from].id, ballot);
	n->last_leader_ns = n->now;
	n->leader_heard_ns = n->now;
	n->pv_active = false;
	/* A leader that handed over reads by its lease no more. */
	if (ballot != n->released)
		grant(n, from);
}

/* Deliver what the leader says is chosen; fetch from it what we lack. */
static void learn(struct px_node *n, u32 from, u64 commit, u64 ballot)
{
	if (px_learn(n, commit, ballot))
		px_request_catchup(n, from);
}

void px_handle_prepare(struct px_node *n, u32 from, u64 ballot,
		       const struct px_prepare *m)
{
	u64 token;

	/*
	 * A lease we granted to someone else is still running, or we hear
	 * from a leader (check-quorum): we help nobody depose it.  Not
	 * promising is always safe; the promise stays as it was.
	 */
	if (px_leader_alive(n, n->peers[from].id)) {
		px_ctr(n, PAXOS_CTR_PREPARE_REFUSED);
		return;
	}
	/*
	 * The candidate lacks chosen entries we no longer hold, or more than
	 * one promise can carry: it must not lead (it would fill the gap with
	 * no-ops).  Help it catch up instead; it will try again.
	 */
	if (!px_promise_backed(n, m->first)) {
		px_serve_catchup(n, from, m->first);
		return;
	}
	px_ballot_seen(n, ballot);
	n->promised = ballot;
	grant(n, from);
	n->last_leader_ns = n->now;
	n->pv_active = false;
	/* With stable storage, once the promise is durable. */
	token = px_dur_need(n);
	if (token)
		px_dur_defer(n, PX_MSG_PROMISE, from, ballot, m->first, 0, token);
	else
		px_send_promise(n, from, m->first);
}

/* Store the entries; the contiguous run accepted is *@lo..*@hi. */
static void accept_entries(struct px_node *n, u64 ballot,
			   const struct px_entries *es, u64 *lo, u64 *hi)
{
	struct px_wentry e;
	size_t off = 0;
	u16 k;

	for (k = 0; k < es->count; k++) {
		struct px_slot *s;

		px_wire_entry(es, &off, &e);
		if (e.index <= n->log.commit) {
			/* Already delivered: still an acceptance to report. */
			if (!*lo)
				*lo = e.index;
			*hi = e.index;
			continue;
		}
		s = px_slot(n, e.index);
		if (!(s && s->chosen))
			s = px_store(n, e.index, ballot, e.type, &e.id, e.data,
				     e.len);
		if (!s || (*hi && e.index != *hi + 1))
			break;
		if (!*lo)
			*lo = e.index;
		*hi = e.index;
	}
}

/* Phase 2b: we accepted @lo..@hi in @ballot. */
void px_send_accepted(struct px_node *n, u32 to, u64 ballot, u64 lo, u64 hi)
{
	struct px_accepted a = { .lo = lo, .hi = hi, .commit = n->log.commit };
	struct px_wbuf w;

	px_cv_fill(n, &a.cv);
	px_begin(n, &w, ballot);
	px_wire_accepted(&w, &a);
	px_send(n, to, &w);
}

void px_handle_accept(struct px_node *n, u32 from, u64 ballot,
		      const struct px_accept *m)
{
	u64 lo = 0, hi = 0, token;

	follow(n, from, ballot);
	accept_entries(n, ballot, &m->ents, &lo, &hi);
	/*
	 * Entries the same datagram says are chosen (a thrifty leader's
	 * late copy) need no vote: the reply would be work for nothing.
	 * With stable storage the vote leaves once they are durable.
	 */
	if (lo && hi > m->commit) {
		token = px_dur_need(n);
		if (token)
			px_dur_defer(n, PX_MSG_ACCEPTED, from, ballot, lo, hi,
				     token);
		else
			px_send_accepted(n, from, ballot, lo, hi);
	}
	learn(n, from, m->commit, ballot);
}

void px_handle_heartbeat(struct px_node *n, u32 from, u64 ballot,
			 const struct px_heartbeat *m)
{
	struct px_hb_ack ack = { .seq = m->seq };
	struct px_wbuf w;

	follow(n, from, ballot);
	if (m->all_have > n->all_have)
		n->all_have = m->all_have;
	learn(n, from, m->commit, ballot);
	/*
	 * A round is acknowledged once.  The leader repeats a round only to
	 * carry a new commit index; a second acknowledgment would renew
	 * nothing, and a lost one is made good by the next round.
	 */
	if (ballot == n->hb_ack_ballot && m->seq <= n->hb_ack_seq)
		return;
	n->hb_ack_ballot = ballot;
	n->hb_ack_seq = m->seq;
	ack.commit = n->log.commit;
	ack.conf_unknown = n->conf_unknown;
	px_begin(n, &w, ballot);
	px_wire_hb_ack(&w, &ack);
	px_send(n, from, &w);
}
