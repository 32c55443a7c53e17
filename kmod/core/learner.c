// SPDX-License-Identifier: GPL-2.0
/*
 * The learner: values go into the log here, chosen entries leave it in
 * order and without gaps (the caller's commit callback), and delivered
 * entries are trimmed once no member or reader needs them.  What trimmed
 * entries did to duplicate suppression is kept in dedup_first, for nodes
 * that continue from the first retained index.
 */
#include "core_int.h"

/* Mark in @t the proposals of the retained entries from first to @end - 1. */
void px_dedup_upto(struct px_node *n, struct px_dedup *t, u64 end)
{
	u64 i;

	for (i = n->log.first; i < end; i++) {
		struct px_slot *s = px_slot(n, i);

		if (s && s->type == PX_ENTRY_DATA)
			px_dedup_mark(t, n->n, &s->id);
	}
}

/* Drop delivered entries below @below, remembering their proposals. */
void px_trim_log(struct px_node *n, u64 below)
{
	u64 end = px_min64(below, n->log.commit + 1);

	px_dedup_upto(n, n->dedup_first, end);
	px_log_trim(&n->log, end);
}

/*
 * Store a value at @index.  The ring makes room by dropping the oldest
 * delivered entries; an index that would need an undelivered slot is
 * refused (NULL), and the sender retries later.
 */
struct px_slot *px_store(struct px_node *n, u64 index, u64 ballot,
			 enum px_entry_type type, const struct px_prop_id *id,
			 const void *data, u32 len)
{
	u64 room = px_log_room_for(&n->log, index);
	struct px_slot *s;

	if (room > n->log.first) {
		/* Strict retention never trims what no snapshot covers. */
		if (room > n->log.commit + 1 ||
		    (n->cfg.snapshots && room > px_covered(n)))
			return NULL;
		px_trim_log(n, room);
	}
	if (px_log_store(&n->log, index, ballot, type, id, data, len, &s) ==
	    -ENOMEM)
		px_ctr(n, PAXOS_CTR_DROP_NO_MEMORY);
	return s;
}

/* Lowest index some member may still need: the leader knows, followers
 * learn it from the leader's heartbeats.
 */
u64 px_all_have(const struct px_node *n)
{
	u64 low = n->log.commit + 1;
	u32 i;

	if (n->role != PX_ROLE_LEADER)
		return px_min64(n->all_have, low);
	for (i = 0; i < n->n; i++)
		if (i != n->self)
			low = px_min64(low, n->peers[i].match + 1);
	return low;
}

/* The first index no snapshot of ours covers. */
u64 px_covered(const struct px_node *n)
{
	return n->have_snap ? n->snap.index + 1 : n->log.first;
}

/*
 * Keep the newest @retain entries for readers.  Older ones go once every
 * member has them, once a snapshot covers them (whoever lacks them gets
 * the snapshot), or once the application trimmed them; beyond that only
 * the ring's capacity forces entries out (px_store), and a member that
 * lags further skips ahead.  Strict retention (cfg.snapshots) trims only
 * what a snapshot covers: no member and no reader ever skips an entry.
 */
void px_autotrim(struct px_node *n)
{
	u64 all = px_max64(px_all_have(n), px_covered(n)), point = 0;

	if (n->cfg.snapshots)
		all = px_covered(n);
	if (n->log.commit + 1 > n->cfg.retain)
		point = px_min64(n->log.commit + 1 - n->cfg.retain, all);
	if (n->trim_to)
		point = px_max64(point, px_min64(n->trim_to, all));
	if (point > n->log.first)
		px_trim_log(n, point);
}

void px_deliver(struct px_node *n)
{
	struct px_slot *s;

	while ((s = px_slot(n, n->log.commit + 1)) && s->chosen) {
		n->log.commit++;
		/*
		 * A retried proposal can be chosen twice: once at an index a
		 * new leader did not learn of in time, once again after.  The
		 * delivered prefix decides deterministically which copy counts,
		 * so every node delivers the later one as a no-op.
		 */
		if (s->type == PX_ENTRY_DATA && px_committed(n, &s->id)) {
			px_free(s->data);
			s->data = NULL;
			s->len = 0;
			s->type = PX_ENTRY_NOOP;
		}
		if (s->type == PX_ENTRY_DATA) {
			px_dedup_mark(n->dedup, n->n, &s->id);
			px_pending_done(n, &s->id);
		}
		px_ctr(n, PAXOS_CTR_COMMITS);
		n->ops->commit(n->ctx, s->index, s->type, &s->id, s->data, s->len);
	}
	px_autotrim(n);
}

/*
 * The leader of @ballot says everything up to @commit is chosen.  An
 * entry we accepted in that same ballot holds the value the leader
 * proposed there, so it is chosen; anything else must be fetched: true
 * when something is missing.
 */
bool px_learn(struct px_node *n, u64 commit, u64 ballot)
{
	u64 i;

	for (i = n->log.commit + 1; i <= commit; i++) {
		struct px_slot *s = px_slot(n, i);

		if (!s || s->ballot != ballot)
			break;
		s->chosen = true;
	}
	px_deliver(n);
	return n->log.commit < commit;
}
