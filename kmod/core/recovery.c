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
 * newer incarnation drops the votes of the older one (px_cv_seen), so a
 * value is only chosen by votes that recovery accounted for.
 *
 * If a majority (with us) is recovering or has never voted, the whole
 * cluster is starting: all begin with an empty log.  (A majority that lost
 * its memory at once is outside the failure model; see protocol.rst.)
 */
#include "core_int.h"

static u32 needed(const struct px_node *n)
{
	return n->n - n->n / 2;		/* ceil(n / 2) others */
}

static void send_recover(struct px_node *n)
{
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
	px_begin(n, &w, PX_MSG_RECOVER, 0);
	px_wire_u64(&w, n->nonce);
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
	if (n->role != PX_ROLE_RECOVERING)
		return;
	if (!n->rec_adopted) {
		if (n->now - n->recover_sent >= n->cfg.heartbeat_ns)
			send_recover(n);
		return;
	}
	px_recovery_progress(n);
}

/* A member asks for our state after losing its own. */
void px_handle_recover(struct px_node *n, u32 from, const struct px_msg *m)
{
	u8 flags = n->role == PX_ROLE_RECOVERING ? PX_RECOVERING : 0;

	if (flags) {
		struct px_wbuf w;

		px_begin(n, &w, PX_MSG_RECOVER_REPLY, 0);
		px_wire_u64(&w, m->a);
		px_wire_u64(&w, 0);
		px_wire_u64(&w, 0);
		px_wire_u8(&w, flags | PX_PROMISE_LAST);
		px_wire_u8(&w, 0);
		px_wire_count(&w);
		px_send(n, from, &w);
		return;
	}
	/* Too much undelivered to list: answer once we have caught up. */
	if (!px_entries_fit(n, n->commit + 1))
		return;
	px_send_entries(n, from, PX_MSG_RECOVER_REPLY, m->a, n->commit,
			n->promised, 0, n->commit + 1, false, false);
}

void px_handle_recover_reply(struct px_node *n, u32 from, const struct px_msg *m)
{
	struct px_peer *p = &n->peers[from];
	u32 i, informative = 0, recovering = 0;
	bool empty = true, adopt;

	if (n->role != PX_ROLE_RECOVERING || n->rec_adopted || m->a != n->nonce ||
	    p->done)
		return;
	if (m->bflags & PX_RECOVERING) {
		p->recovering = true;
		p->done = true;
	} else {
		px_log_adopt(n, m, U64_MAX);
		if (m->c > n->promised)
			n->promised = m->c;
		if (px_round(m->c) > n->max_round)
			n->max_round = px_round(m->c);
		if (m->b > n->rec_commit) {
			n->rec_commit = m->b;
			n->rec_src = p->id;
		}
		if (!p->frags)
			p->empty = true;
		if (m->b || m->c || m->nentries)
			p->empty = false;
		px_frag_seen(p, m);
	}
	for (i = 0; i < n->n; i++) {
		if (i == n->self || !n->peers[i].done)
			continue;
		if (n->peers[i].recovering)
			recovering++;
		else
			informative++;
		if (!n->peers[i].recovering && !n->peers[i].empty)
			empty = false;
	}
	adopt = informative >= needed(n) ||
		(empty && informative + recovering + 1 >= n->quorum);
#if PX_PLANT_BUG == 4
	/* Planted: trust any single answer. */
	adopt = informative + recovering >= 1;
#endif
	if (adopt) {
		n->rec_adopted = true;
		px_recovery_progress(n);
	}
}

/* Finish once caught up and a granted lease has surely run out. */
void px_recovery_progress(struct px_node *n)
{
	int src;

	if (n->role != PX_ROLE_RECOVERING || !n->rec_adopted)
		return;
	if (n->commit < n->rec_commit) {
		src = px_peer_index(n, n->rec_src);
		if (src >= 0)
			px_request_catchup(n, src);
		return;
	}
#if PX_PLANT_BUG != 4
	if (n->now - n->recover_start < n->grant_ns)
		return;
#endif
	px_set_role(n, PX_ROLE_FOLLOWER);
	n->last_leader_ns = n->now;
	px_reset_election(n);
}
