// SPDX-License-Identifier: GPL-2.0
/*
 * Recovery after memory loss.
 *
 * A node starts with a new incarnation and no state, so it may have
 * forgotten promises, acceptances and leases it gave before.  It does not
 * vote until:
 *
 *  1. a recovery set R of at least ceil(n/2) other members, none of them
 *     recovering, answered RECOVER with their promise, commit index and
 *     accepted values.  Any majority this node was part of before the crash
 *     has at least floor(n/2) other members, so it intersects R: the
 *     highest promise in R is at least any ballot we promised, and every
 *     value we helped choose is in R (or chosen, below R's commit index).
 *     We adopt the highest promise and, per instance, the highest-ballot
 *     value reported: real acceptances by members of R, which any
 *     proposer may report without breaking Paxos;
 *  2. it has caught up the chosen log up to the highest commit index in R;
 *  3. a full granted lease (lease * (1 + drift)) has passed since it
 *     started, so any lease it granted before the crash has run out.
 *
 * Votes a member cast before it restarted could reach a leader after the
 * member recovered without them.  Every member records the restarted
 * member's new incarnation when it answers RECOVER, and PROMISE and
 * ACCEPTED carry the sender's crash vector; a leader that learns of a
 * newer incarnation drops the votes of the older one (cv_seen), so a
 * value is only chosen by votes that recovery accounted for.
 *
 * If a majority (with us) is recovering or has never voted, the whole
 * cluster is starting: all begin with an empty log.  (A majority that lost
 * its memory at once is outside the failure model; see protocol.rst.)
 */
#include "core_int.h"

static void send_recover(struct px_node *n)
{
	struct px_recover req = { .nonce = n->nonce };
	struct px_wbuf w;
	u32 i;

	/* Members that were recovering themselves may know more by now. */
	for (i = 0; i < n->n; i++) {
		if (n->peers[i].recovering) {
			n->peers[i].recovering = false;
			n->peers[i].done = false;
		}
	}

	n->recover_sent = n->now;
	px_begin(n, &w, 0);
	px_wire_recover(&w, &req);
	px_broadcast(n, &w);
}

void px_recovery_start(struct px_node *n)
{
	u32 i;

	px_set_role(n, PX_ROLE_RECOVERING);
	n->nonce = n->rng ^ n->incarnation;
	n->recover_start = n->now;
	n->rec_commit = 0;
	n->rec_src = 0;
	n->rec_adopted = false;
	for (i = 0; i < n->n; i++) {
		n->peers[i].frags = 0;
		n->peers[i].nfrag = -1;
		n->peers[i].done = false;
		n->peers[i].recovering = false;
	}
	if (n->n == 1) {
		n->rec_adopted = true;
		px_recovery_progress(n);
		return;
	}
	send_recover(n);
}

void px_recovery_tick(struct px_node *n)
{
	if (!n->rec_adopted) {
		if (n->now - n->recover_sent >= n->cfg.heartbeat_ns)
			send_recover(n);
		return;
	}
	px_recovery_progress(n);
}

/* A member asks for our state after losing its own. */
void px_handle_recover(struct px_node *n, u32 from, const struct px_recover *m)
{
	/* Too much undelivered to list: answer once we have caught up. */
	if (!px_entries_fit(n, PX_MSG_RECOVER_REPLY, n->log.commit + 1))
		return;
	px_send_recover_reply(n, from, m->nonce);
}

/* We are recovering too: our answer says only that. */
void px_recover_refuse(struct px_node *n, u32 from, const struct px_recover *m)
{
	struct px_recover_reply r = {
		.nonce = m->nonce,
		.frag.flags = PX_FRAG_RECOVERING | PX_FRAG_LAST,
	};
	struct px_wbuf w;

	px_begin(n, &w, 0);
	px_wire_recover_reply(&w, &r);
	px_send(n, from, &w);
}

/* An informative answer: adopt its promise and values. */
static void recover_merge(struct px_node *n, u32 from,
			  const struct px_recover_reply *m)
{
	struct px_peer *p = &n->peers[from];

	if (m->commit > n->rec_commit) {
		n->rec_commit = m->commit;
		n->rec_src = p->id;
	}
	/*
	 * Values we cannot keep yet (the ring holds no more above our
	 * commit point) we may not forget: catch up first, and count this
	 * answer when it comes again, to the next RECOVER.
	 */
	if (!px_adopt(n, &m->ents, U64_MAX)) {
		px_request_catchup(n, from);
		return;
	}
	if (m->promised > n->promised)
		n->promised = m->promised;
	px_ballot_seen(n, m->promised);
	if (!p->frags)
		p->empty = true;
	if (m->commit || m->promised || m->ents.count)
		p->empty = false;
	px_frag_seen(p, &m->frag);
}

/*
 * Whether the answers so far let us adopt: the informative ones meet
 * every quorum we may have voted in, or the whole cluster is starting
 * (a quorum with us is recovering or never voted).
 */
static bool may_adopt(const struct px_node *n)
{
	u16 informative = 0, answered = px_self_bit(n);
	bool empty = true;
	u32 i;

	for (i = 0; i < n->n; i++) {
		const struct px_peer *p = &n->peers[i];

		if (i == n->self || !p->done)
			continue;
		answered |= px_bit(i);
		if (!p->recovering)
			informative |= px_bit(i);
		if (!p->recovering && !p->empty)
			empty = false;
	}
	return px_quorum_covers(&n->quorum, px_self_bit(n), informative) ||
	       (empty && px_quorum_has(&n->quorum, answered));
}

void px_handle_recover_reply(struct px_node *n, u32 from,
			     const struct px_recover_reply *m)
{
	struct px_peer *p = &n->peers[from];

	if (n->rec_adopted || m->nonce != n->nonce || p->done)
		return;
	if (m->frag.flags & PX_FRAG_RECOVERING) {
		p->recovering = true;
		p->done = true;
	} else {
		recover_merge(n, from, m);
	}
	if (may_adopt(n)) {
		n->rec_adopted = true;
		px_recovery_progress(n);
	}
}

/* Finish once caught up and a granted lease has surely run out. */
void px_recovery_progress(struct px_node *n)
{
	int src;

	if (!n->rec_adopted)
		return;
	if (n->log.commit < n->rec_commit) {
		src = px_peer_index(n, n->rec_src);
		if (src >= 0)
			px_request_catchup(n, src);
		return;
	}
	if (n->now - n->recover_start < n->grant_ns)
		return;
	px_set_role(n, PX_ROLE_FOLLOWER);
	n->last_leader_ns = n->now;
	px_reset_election(n);
}
