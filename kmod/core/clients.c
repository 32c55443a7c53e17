// SPDX-License-Identifier: GPL-2.0
/*
 * Client sessions in the engine (session.h).  Every node applies the
 * delivered client writes to its table in log order, so all decide alike
 * which entry is a value and which a repeat (delivered as a no-op).
 *
 * A snapshot is installed only together with the table as of its index,
 * asked of its sender while it arrives: whoever holds a snapshot can give
 * its table.  A node whose log skips past a trim point without a snapshot
 * asks a member for the table as of its commit index and delivers nothing
 * until it is in.  A member answers from the table as of its snapshot, of
 * its commit index, or of any retained index (replayed from the table as
 * of its first one).
 */
#include "core_int.h"

/* Whether delivered entry @s stays a value, not a repeat of one. */
bool px_admit(struct px_node *n, const struct px_slot *s)
{
	if (px_committed(n, &s->id))
		return false;	/* one proposal, chosen twice */
	if (!s->id.session)
		return true;
	return px_session_apply(&n->sess, s->id.session, s->id.cseq,
				s->index) == PX_SESS_NEW;
}

/* Apply to @t the client writes from the first retained index to @end - 1. */
void px_sessions_upto(struct px_node *n, struct px_sessions *t, u64 end)
{
	u64 i;

	for (i = n->log.first; i < end; i++) {
		struct px_slot *s = px_slot(n, i);

		if (s && s->type == PX_ENTRY_DATA && s->id.session)
			px_session_apply(t, s->id.session, s->id.cseq, i);
	}
}

static void send_req(struct px_node *n, u32 to, u64 index)
{
	struct px_sess_req r = { .index = index };
	struct px_wbuf w;

	px_begin(n, &w, n->promised);
	px_wire_sess_req(&w, &r);
	px_send(n, to, &w);
}

/* Ask the leader, then every other member in turn, for the missing table. */
static void ask(struct px_node *n)
{
	int l = n->leader ? px_peer_index(n, n->leader) : -1;
	u32 to;

	if (n->n < 2)
		return;
	to = (n->sess_ask_to + 1) % n->n;
	if (to == n->self)
		to = (to + 1) % n->n;
	if (!n->sess_asked_ns && l >= 0 && (u32)l != n->self)
		to = (u32)l;
	n->sess_ask_to = to;
	n->sess_asked_ns = n->now;
	send_req(n, to, n->log.commit);
}

/* Whether the table is as of the commit index, so delivery may go on. */
bool px_sessions_ready(struct px_node *n)
{
	if (n->sess_at == n->log.commit)
		return true;
	if (!n->sess_asked_ns || n->now - n->sess_asked_ns >= n->retry_ns)
		ask(n);
	return false;
}

/* When px_sessions_ready() asks again, or U64_MAX. */
u64 px_sessions_deadline(const struct px_node *n)
{
	if (n->sess_at == n->log.commit)
		return U64_MAX;
	return n->sess_asked_ns + n->retry_ns;
}

/* Whether the table as of snapshot @index from @from is in; else ask. */
bool px_sessions_staged(struct px_node *n, u32 from, u64 index)
{
	if (n->stage_index == index && n->stage_ok)
		return true;
	if (n->stage_index != index || !n->stage_asked_ns ||
	    n->now - n->stage_asked_ns >= n->retry_ns) {
		n->stage_index = index;
		n->stage_ok = false;
		n->stage_asked_ns = n->now;
		send_req(n, from, index);
	}
	return false;
}

/* The snapshot it stood for is installed: the table is ours. */
void px_sessions_install(struct px_node *n)
{
	n->sess = n->stage;
	n->sess_first = n->stage;
	n->snap_sess = n->stage;
	n->sess_at = n->stage_index;
	n->stage_ok = false;
	n->stage_asked_ns = 0;
}

void px_serve_sessions(struct px_node *n, u32 from, u64 index)
{
	const struct px_sessions *t = NULL;
	struct px_wbuf w;

	if (n->have_snap && index == n->snap.index) {
		t = &n->snap_sess;
	} else if (n->sess_at != n->log.commit || index > n->log.commit) {
		return;		/* ours is missing, or it is not there yet */
	} else if (index == n->log.commit) {
		t = &n->sess;
	} else if (index + 1 >= n->log.first) {
		/* A replay walks the log: one per retransmission timeout. */
		if (n->sess_replay_ns && n->now - n->sess_replay_ns < n->retry_ns)
			return;
		n->sess_replay_ns = n->now;
		n->sess_tmp = n->sess_first;
		px_sessions_upto(n, &n->sess_tmp, index + 1);
		t = &n->sess_tmp;
	}
	px_begin(n, &w, n->promised);
	px_wire_sess(&w, index, t);
	px_send(n, from, &w);
}

static void table_in(struct px_sessions *t, const struct px_sess_table *m)
{
	u16 i;

	t->n = m->count;
	for (i = 0; i < m->count; i++)
		px_wire_session(m, i, &t->s[i]);
}

/*
 * The table for a snapshot arriving or for our commit index, or a
 * refusal; true when delivery may go on.
 */
bool px_handle_sessions(struct px_node *n, const struct px_sess_table *m)
{
	if (m->flags & PX_SESS_GONE)
		return false;	/* the next member is asked in time */
	if (n->snap_in.active && m->index == n->snap_in.s.index &&
	    m->index == n->stage_index) {
		table_in(&n->stage, m);
		n->stage_ok = true;
		return false;
	}
	if (n->sess_at == n->log.commit || m->index != n->log.commit)
		return false;
	table_in(&n->sess, m);
	n->sess_at = n->log.commit;
	n->sess_asked_ns = 0;
	if (n->log.first == n->log.commit + 1)
		n->sess_first = n->sess;
	if (n->have_snap && n->snap.index == n->log.commit)
		n->snap_sess = n->sess;
	return true;
}

int px_session_result(const struct px_node *n, const struct px_prop_id *id,
		      u64 *index)
{
	return px_session_outcome(&n->sess, id->session, id->cseq, index);
}
