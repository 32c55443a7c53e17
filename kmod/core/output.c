// SPDX-License-Identifier: GPL-2.0
/*
 * What the engine hands its caller: datagrams to members and events.
 * Every file sends through here; nothing here calls back into the engine.
 */
#include "core_int.h"

/* A datagram from us in @ballot; a px_wire_<type>() call follows. */
void px_begin(struct px_node *n, struct px_wbuf *w, u64 ballot)
{
	px_wire_begin(w, n->buf, sizeof(n->buf), n->cfg.self_id,
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
	/* The one followed so far may be a removed leader kept till now. */
	if (n->leader != leader)
		n->conf_prune = true;
	n->leader = leader;
	n->leader_ballot = ballot;
	px_emit(n, PX_EV_LEADER, leader, ballot, 0);
}

/* Our crash vector: the highest incarnation we know of every member. */
void px_cv_fill(const struct px_node *n, struct px_cvec *cv)
{
	u32 i;

	cv->n = 0;
	for (i = 0; i < n->n; i++) {
		if (!n->peers[i].incarnation)
			continue;
		cv->cv[cv->n].id = n->peers[i].id;
		cv->cv[cv->n].incarnation = n->peers[i].incarnation;
		cv->n++;
	}
}
