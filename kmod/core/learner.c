// SPDX-License-Identifier: GPL-2.0
/*
 * The learner: values go into the log here, chosen entries leave it in
 * order and without gaps (the caller's commit callback), and delivered
 * entries are trimmed once no member or reader needs them.  What trimmed
 * entries did to duplicate suppression is kept in dedup_first, for nodes
 * that continue from the first retained index.
 */
#include "core_int.h"

/*
 * Mark proposal @id committed in @t.  A table full of origins loses the
 * one with the lowest id that the configuration in effect does not name
 * (members come and go): a choice every node makes alike.
 */
void px_dd_mark(const struct px_node *n, struct px_dedup *t,
		const struct px_prop_id *id)
{
	u32 i, gone = 0;

	if (px_dedup_mark(t, id))
		return;
	for (i = 0; i < PX_MAX_NODES; i++)
		if (!px_conf_names(&n->conf, t[i].origin) &&
		    (!gone || t[i].origin < gone))
			gone = t[i].origin;
	if (!gone)
		return;
	px_dedup_evict(t, gone);
	px_dedup_mark(t, id);
}

/* Mark in @t the proposals of the retained entries from first to @end - 1. */
void px_dedup_upto(struct px_node *n, struct px_dedup *t, u64 end)
{
	u64 i;

	for (i = n->log.first; i < end; i++) {
		struct px_slot *s = px_slot(n, i);

		if (s && s->id.origin)
			px_dd_mark(n, t, &s->id);
	}
}

/* Drop delivered entries below @below, remembering their proposals. */
void px_trim_log(struct px_node *n, u64 below)
{
	u64 end = px_min64(below, n->log.commit + 1);

	px_dedup_upto(n, n->dedup_first, end);
	px_sessions_upto(n, &n->sess_first, end);
	px_log_trim(&n->log, end);
}

/*
 * How far entries may go to make room: the delivered ones; under strict
 * retention only those a snapshot covers.
 */
static u64 trim_limit(const struct px_node *n)
{
	u64 limit = n->log.commit + 1;

	if (n->cfg.durable)	/* what a restart finds must fit the ring */
		limit = px_min64(limit, n->dur_snap_done + 1);
	return n->cfg.snapshots ? px_min64(limit, px_covered(n)) : limit;
}

/*
 * Whether a value of @len bytes fits at @index within cfg.retain_bytes
 * once the entries below @limit go.  The values below @index count, not
 * those above it: the entry delivered next finds whatever room trimming
 * frees, and a log that holds nothing below @index takes any value, so
 * delivery always progresses.  *@to: where to trim for it.
 */
static bool bytes_fit(const struct px_node *n, u64 index, u32 len, u64 limit,
		      u64 *to)
{
	const struct px_log *l = &n->log;
	u64 max = n->cfg.retain_bytes, used = l->bytes, i = l->first;

	*to = i;
	if (!len || used + len <= max)
		return true;
	used -= px_log_bytes_from(l, index);
	limit = px_min64(limit, index);
	for (; used && used + len > max && i < limit; i++) {
		const struct px_slot *s = px_log_slot(l, i);

		if (s)
			used -= s->held;
	}
	*to = i;
	return !used || used + len <= max;
}

/* Entries below @to go for room before retention let them: counted. */
static void evict(struct px_node *n, u64 to)
{
	if (to <= n->log.first)
		return;
	n->counters[PAXOS_CTR_EVICTED] += to - n->log.first;
	px_trim_log(n, to);
}

/*
 * Over the bound (it was lowered, or values filled gaps out of order):
 * the oldest entries that may go, go.
 */
static void shrink(struct px_node *n)
{
	u64 limit = trim_limit(n), used = n->log.bytes, i = n->log.first;

	for (; used > n->cfg.retain_bytes && i < limit; i++) {
		const struct px_slot *s = px_log_slot(&n->log, i);

		if (s)
			used -= s->held;
	}
	evict(n, i);
}

/* Whether a new value of @len bytes would find room at the log's top. */
bool px_log_room(struct px_node *n, u32 len)
{
	u64 limit = trim_limit(n), index = n->log.top + 1, to;

	return px_log_room_for(&n->log, index) <= limit &&
	       bytes_fit(n, index, len, limit, &to);
}

/*
 * Strict retention: no room for a value of @len bytes until a snapshot.
 * The log stays full, for every proposal, until the largest value it
 * refused fits.  It is announced again once entries were delivered since,
 * which a newer snapshot could cover: one snapshot may not free enough.
 */
void px_log_full(struct px_node *n, u32 len)
{
	px_ctr(n, PAXOS_CTR_LOG_FULL);
	n->full_len = max(n->full_len, len);
	if (n->log_full && n->full_at == n->log.commit)
		return;
	n->log_full = true;
	n->full_at = n->log.commit;
	px_emit(n, PX_EV_LOG_FULL, 1, n->log.bytes, 0);
}

/*
 * Store a value at @index.  Room comes from dropping the oldest entries
 * that may go (trim_limit()), for a slot in the ring and for the bytes
 * (bytes_fit()).  Without room the value is refused (NULL) and its sender
 * retries later; under strict retention the log is then full until the
 * application snapshots.
 */
struct px_slot *px_store(struct px_node *n, u64 index, u64 ballot,
			 enum px_entry_type type, const struct px_prop_id *id,
			 const void *data, u32 len)
{
	u64 limit = trim_limit(n), room = px_log_room_for(&n->log, index), to;
	struct px_slot *s;

	if (room > n->log.commit + 1)
		return NULL;	/* undelivered entries fill the ring */
	if (room > limit || !bytes_fit(n, index, len, limit, &to)) {
		if (n->cfg.snapshots)
			px_log_full(n, len);
		return NULL;
	}
	evict(n, px_max64(room, to));
	if (px_log_store(&n->log, index, ballot, type, id, data, len, &s) ==
	    -ENOMEM)
		px_ctr(n, PAXOS_CTR_DROP_NO_MEMORY);
	if (s)
		px_dur_mark(n, index);
	/* A configuration entry stored, or one replaced. */
	if (type == PX_ENTRY_CONFIG || (n->conf_top && index <= n->conf_top))
		px_conf_refresh(n);
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
 * the ring's capacity and the byte bound force entries out (px_store),
 * and a member that lags further skips ahead.  Strict retention
 * (cfg.snapshots) trims only what a snapshot covers: no member and no
 * reader ever skips an entry, and a full log stays full until a snapshot.
 * After a trim: whether a full log has room again, and whether a node
 * that was behind got entries (a snapshot, or the skip) since.
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
	if (n->log.bytes > n->cfg.retain_bytes)
		shrink(n);
	if (n->log_full && px_log_room(n, n->full_len)) {
		n->log_full = false;
		n->full_len = 0;
		px_emit(n, PX_EV_LOG_FULL, 0, n->log.bytes, 0);
	}
	if (n->behind && n->log.commit != n->behind_at)
		n->behind = 0;
}

void px_deliver(struct px_node *n)
{
	struct px_slot *s;

	while ((n->sess_at == n->log.commit || px_sessions_ready(n)) &&
	       (s = px_slot(n, n->log.commit + 1)) && s->chosen) {
		n->log.commit++;
		n->sess_at++;
		/*
		 * A retried proposal can be chosen twice: once at an index a
		 * new leader did not learn of in time, once again after; and a
		 * client may retry a write through another node.  The
		 * delivered prefix decides deterministically which copy counts,
		 * so every node delivers the later one as a no-op (which keeps
		 * its id: its proposer learns the fate of its write).
		 */
		if (s->type == PX_ENTRY_DATA && !px_admit(n, s)) {
			px_free(s->data);
			s->data = NULL;
			s->len = 0;
			s->type = PX_ENTRY_NOOP;
		}
		if (s->id.origin) {
			px_dd_mark(n, n->dedup, &s->id);
			px_pending_done(n, &s->id);
		}
		px_ctr(n, PAXOS_CTR_COMMITS);
		n->ops->commit(n->ctx, s->index, s->type, &s->id, s->data, s->len);
		if (s->type == PX_ENTRY_CONFIG)
			px_conf_chosen(n, s);
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
