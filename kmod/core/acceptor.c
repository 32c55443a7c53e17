// SPDX-License-Identifier: GPL-2.0
/*
 * The acceptor: promises (phase 1b), acceptances (phase 2b), heartbeats,
 * and the leases it grants.  An acceptor that promised ballot b ignores
 * everything below b.  Every promise, acceptance or acknowledged heartbeat
 * grants the sender a lease: until it runs out (lease * (1 + drift) on our
 * clock from the moment we granted it) we promise nobody else, so no other
 * node can gather a majority of promises while the lease holder believes
 * its lease is valid.
 */
#include "core_int.h"

/* Our crash vector: the highest incarnation we know of every member. */
void px_cv_put(const struct px_node *n, struct px_wbuf *w)
{
	struct px_cv cv[PX_MAX_NODES];
	u16 k = 0;
	u32 i;

	for (i = 0; i < n->n; i++) {
		if (!n->peers[i].incarnation)
			continue;
		cv[k].id = n->peers[i].id;
		cv[k].incarnation = n->peers[i].incarnation;
		k++;
	}
	px_wire_cvs(w, cv, k);
}

void px_send_nack(struct px_node *n, u32 to_idx)
{
	struct px_wbuf w;

	px_ctr(n, PAXOS_CTR_DROP_STALE_BALLOT);
	px_begin(n, &w, PX_MSG_NACK, n->promised);
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
	if (px_round(ballot) > n->max_round)
		n->max_round = px_round(ballot);
	if (n->role == PX_ROLE_LEADER || n->role == PX_ROLE_CANDIDATE) {
		if (ballot != n->ballot)
			px_step_down(n, ballot);
	}
	if (n->leader != n->peers[from].id || n->leader_ballot != ballot)
		px_set_leader(n, n->peers[from].id, ballot);
	n->last_leader_ns = n->now;
	grant(n, from);
}

/*
 * Whether we may answer @m: not while recovering (we do not vote), and
 * only if its ballot is its sender's own.
 */
static bool may_vote(struct px_node *n, u32 from, const struct px_msg *m)
{
	if (n->role == PX_ROLE_RECOVERING)
		return false;
	if (px_ballot_node(m->ballot) != n->peers[from].id) {
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		return false;
	}
	return true;
}

void px_handle_prepare(struct px_node *n, u32 from, const struct px_msg *m)
{
	if (!may_vote(n, from, m))
		return;
	if (m->ballot < n->promised) {
		px_send_nack(n, from);
		return;
	}
#if PX_PLANT_BUG != 3
	/* A lease we granted to someone else is still running. */
	if (n->grant_to && n->grant_to != n->peers[from].id &&
	    n->now < n->grant_until)
		return;
#endif
	/*
	 * The candidate lacks chosen entries we no longer hold, or more than
	 * one promise can carry: it must not lead (it would fill the gap with
	 * no-ops).  Help it catch up instead; it will try again.
	 */
	if (m->a < n->first || !px_entries_fit(n, m->a)) {
		struct px_msg req = { .a = m->a };

		px_handle_catchup_req(n, from, &req);
		return;
	}
	if (px_round(m->ballot) > n->max_round)
		n->max_round = px_round(m->ballot);
	if (m->ballot > n->promised &&
	    (n->role == PX_ROLE_LEADER || n->role == PX_ROLE_CANDIDATE))
		px_step_down(n, m->ballot);
	n->promised = m->ballot;
	grant(n, from);
	n->last_leader_ns = n->now;
	px_send_entries(n, from, PX_MSG_PROMISE, m->a, n->commit, 0, 0, m->a,
			true, false);
}

void px_handle_accept(struct px_node *n, u32 from, const struct px_msg *m)
{
	u64 lo = 0, hi = 0;
	struct px_wentry e;
	struct px_wbuf w;
	size_t off = 0;
	u16 k;

	if (!may_vote(n, from, m))
		return;
	if (m->ballot < n->promised) {
#if PX_PLANT_BUG == 1
		/* Planted: accept the values anyway, ignoring the promise. */
		goto store;
#endif
		px_send_nack(n, from);
		return;
	}
	follow(n, from, m->ballot);
#if PX_PLANT_BUG == 1
store:
#endif
	for (k = 0; k < m->nentries; k++) {
		struct px_slot *s;

		px_wire_entry(m, &off, &e);
		if (e.index <= n->commit) {
			/* Already delivered: still an acceptance to report. */
			if (!lo)
				lo = e.index;
			hi = e.index;
			continue;
		}
		s = px_slot(n, e.index);
		if (!(s && s->chosen))
			s = px_log_store(n, e.index, m->ballot, e.type, &e.id,
					 e.data, e.len);
		if (!s || (hi && e.index != hi + 1))
			break;
		if (!lo)
			lo = e.index;
		hi = e.index;
	}
	/*
	 * Entries the same datagram says are chosen (a thrifty leader's
	 * late copy) need no vote: the reply would be work for nothing.
	 */
	if (lo && hi > m->a) {
		px_begin(n, &w, PX_MSG_ACCEPTED, m->ballot);
		px_wire_u64(&w, lo);
		px_wire_u64(&w, hi);
		px_wire_u64(&w, n->commit);
		px_cv_put(n, &w);
		px_send(n, from, &w);
	}
	if (m->ballot >= n->promised)
		px_log_learn(n, m->a, m->ballot);
}

void px_handle_heartbeat(struct px_node *n, u32 from, const struct px_msg *m)
{
	struct px_wbuf w;

	if (!may_vote(n, from, m))
		return;
	if (m->ballot < n->promised) {
		px_send_nack(n, from);
		return;
	}
	follow(n, from, m->ballot);
	if (m->c > n->all_have)
		n->all_have = m->c;
	px_log_learn(n, m->a, m->ballot);
	/*
	 * A round is acknowledged once.  The leader repeats a round only to
	 * carry a new commit index; a second acknowledgment would renew
	 * nothing, and a lost one is made good by the next round.
	 */
	if (m->ballot == n->hb_ack_ballot && m->b <= n->hb_ack_seq)
		return;
	n->hb_ack_ballot = m->ballot;
	n->hb_ack_seq = m->b;
	px_begin(n, &w, PX_MSG_HEARTBEAT_ACK, m->ballot);
	px_wire_u64(&w, m->b);
	px_wire_u64(&w, n->commit);
	px_send(n, from, &w);
}
