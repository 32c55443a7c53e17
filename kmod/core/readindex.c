// SPDX-License-Identifier: GPL-2.0
/*
 * Linearizable read barriers (ReadIndex).  A barrier answers an index at
 * or above every write that completed before it was asked.  A leader
 * holding a valid lease answers its commit index at once.  Without one it
 * notes the highest index it proposed and confirms it still leads with a
 * heartbeat round a quorum acknowledges.  A follower asks the leader and
 * completes once its own log reaches the index the leader answered.
 */
#include "core_int.h"

static struct px_barrier *barrier_new(struct px_node *n, u64 token)
{
	u32 i;

	for (i = 0; i < PX_MAX_BARRIERS; i++) {
		struct px_barrier *b = &n->barriers[i];

		if (b->used)
			continue;
		memset(b, 0, sizeof(*b));
		b->used = true;
		b->token = token;
		b->started_ns = n->now;
		n->nbarriers++;
		return b;
	}
	return NULL;
}

static void barrier_free(struct px_node *n, struct px_barrier *b)
{
	b->used = false;
	n->nbarriers--;
}

/* The leader confirms @b with the heartbeat round after the current one. */
static void confirm_by_round(struct px_node *n, struct px_barrier *b)
{
	b->index = n->next_index - 1;
	b->seq = n->hb_seq + 1;
}

int px_barrier_start(struct px_node *n, u64 token, u64 *index)
{
	struct px_barrier *b;

	if (px_lease_held(n)) {
		*index = n->log.commit;
		return 0;
	}
	b = barrier_new(n, token);
	if (!b)
		return -EAGAIN;
	if (n->role == PX_ROLE_LEADER) {
		confirm_by_round(n, b);
		n->hb_next = n->now;
		px_lead(n);
	} else {
		px_barriers_tick(n);
	}
	return 1;
}

static void barrier_reply(struct px_node *n, u32 to_idx, u64 token, u64 index)
{
	struct px_barrier_reply r = { .token = token, .index = index };
	struct px_wbuf w;

	/* The follower waits for its log to reach @index. */
	if (index && n->role == PX_ROLE_LEADER)
		px_tell(n, px_bit(to_idx));
	px_begin(n, &w, n->promised);
	px_wire_barrier_reply(&w, &r);
	px_send(n, to_idx, &w);
}

/* Not the leader: the follower asks again, of the leader it learns. */
void px_barrier_refuse(struct px_node *n, u32 from, u64 token)
{
	barrier_reply(n, from, token, 0);
}

/* The leader takes a follower's barrier. */
void px_barrier_serve(struct px_node *n, u32 from, u64 token)
{
	struct px_barrier *b;

	if (px_lease_held(n)) {
		barrier_reply(n, from, token, n->log.commit);
		return;
	}
	b = barrier_new(n, token);
	if (!b) {
		barrier_reply(n, from, token, 0);
		return;
	}
	b->from = n->peers[from].id;
	confirm_by_round(n, b);
	px_send_heartbeat(n);
}

void px_handle_barrier_reply(struct px_node *n, const struct px_barrier_reply *m)
{
	u32 i;

	for (i = 0; i < PX_MAX_BARRIERS; i++) {
		struct px_barrier *b = &n->barriers[i];

		if (!b->used || b->from || b->seq || b->token != m->token)
			continue;
		if (m->index) {
			b->have_index = true;
			b->index = m->index;
		}
	}
}

/* A follower's barriers: ask the leader, again after a while; time out. */
void px_barriers_tick(struct px_node *n)
{
	int l = n->leader ? px_peer_index(n, n->leader) : -1;
	u32 i;

	/* A leader's barriers wait for its rounds (px_barriers_check()). */
	if (n->role == PX_ROLE_LEADER)
		return;
	for (i = 0; i < PX_MAX_BARRIERS && n->nbarriers; i++) {
		struct px_barrier *b = &n->barriers[i];
		struct px_barrier_req req = { .token = b->token };
		struct px_wbuf w;

		if (!b->used || b->seq || b->from || b->have_index)
			continue;
		if (n->now - b->started_ns >
		    PX_BARRIER_TIMEOUTS * n->cfg.election_ns) {
			barrier_free(n, b);
			px_emit(n, PX_EV_BARRIER, b->token, 0, -ETIMEDOUT);
			continue;
		}
		if (l < 0 || (u32)l == n->self ||
		    (b->sent_ns && n->now - b->sent_ns < n->retry_ns))
			continue;
		b->sent_ns = n->now;
		px_begin(n, &w, n->promised);
		px_wire_barrier_req(&w, &req);
		px_send(n, l, &w);
	}
}

/* Whether @b is done.  A leader's barrier goes to the follower path if
 * we no longer lead, a follower's request is dropped (it asks again); one
 * we asked of a leader goes to the leader's path once we lead.
 */
static bool barrier_done(struct px_node *n, struct px_barrier *b, u64 q)
{
	if (!b->seq && n->role == PX_ROLE_LEADER && !b->have_index) {
		/* Asked of a leader, and we lead now: our own round confirms it. */
		confirm_by_round(n, b);
		n->hb_next = n->now;
		return false;
	}
	if (!b->seq)
		return b->have_index && n->log.commit >= b->index;
	if (n->role == PX_ROLE_LEADER)
		return q >= b->seq && n->log.commit >= b->index;
	if (b->from) {
		barrier_free(n, b);
	} else {
		b->seq = 0;
		b->sent_ns = 0;
	}
	return false;
}

/* Complete, forward or fail pending barriers; after every event. */
void px_barriers_check(struct px_node *n)
{
	u64 q = n->role == PX_ROLE_LEADER ? px_hb_quorum_round(n) : 0;
	u32 i;

	for (i = 0; i < PX_MAX_BARRIERS && n->nbarriers; i++) {
		struct px_barrier *b = &n->barriers[i];

		if (!b->used || !barrier_done(n, b, q))
			continue;
		if (b->from) {
			int j = px_peer_index(n, b->from);

			if (j >= 0)
				barrier_reply(n, j, b->token, b->index);
		} else {
			px_emit(n, PX_EV_BARRIER, b->token, b->index, 0);
		}
		barrier_free(n, b);
	}
}
