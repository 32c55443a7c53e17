// SPDX-License-Identifier: GPL-2.0
/*
 * Our own proposals: numbered per incarnation, kept until delivered, and
 * sent to our log when we lead or forwarded to the leader otherwise,
 * again after a retransmission timeout or a change of leader.  Sequence
 * number s is given out only once s - PX_MAX_PENDING was delivered, which
 * is what lets duplicate suppression (dedup.c) keep a 64-number window;
 * a retried proposal keeps its number, so it commits once.
 */
#include "core_int.h"

static struct px_pending *pending_of(struct px_node *n, u64 seq)
{
	return &n->pending[seq % PX_MAX_PENDING];
}

/*
 * A write that returned undecided may still wait when the same file
 * writes again: send what of client session @session waits again now,
 * before the new one and in the same datagrams, so that the cluster does
 * not see the session begin at the later number (and refuse it).
 */
static void session_resend(struct px_node *n, u64 session)
{
	u64 s;

	for (s = n->pend_low; session && s <= n->next_seq; s++) {
		struct px_pending *q = pending_of(n, s);

		if (q->used && q->id.seq == s && q->id.session == session)
			q->sent_ns = 0;
	}
}

int px_pending_add(struct px_node *n, const struct px_prop_id *id,
		   const void *data, u32 len)
{
	struct px_prop_id pid = {
		.origin = n->cfg.self_id,
		.incarnation = n->incarnation,
		.seq = id && id->seq ? id->seq : n->next_seq + 1,
		.session = id ? id->session : 0,
		.cseq = id ? id->cseq : 0,
	};
	struct px_pending *p = pending_of(n, pid.seq);

	if (!len || len > PX_MAX_VALUE || pid.seq > n->next_seq + 1 ||
	    !pid.session != !pid.cseq)
		return -EINVAL;
	if (n->role == PX_ROLE_DOWN)
		return -ENOTCONN;
	if (p->used) {
		if (p->id.seq != pid.seq)
			return -EAGAIN;	/* s - PX_MAX_PENDING still waits */
		/* A retry of a proposal still waiting: send it again now. */
		p->sent_ns = 0;
		n->pend_new = true;
		px_pending_flush(n);
		return 0;
	}
	/* A retry of one that committed already. */
	if (px_committed(n, &pid))
		return 0;
	p->data = px_alloc(len);
	if (!p->data)
		return -ENOMEM;
	session_resend(n, pid.session);
	memcpy(p->data, data, len);
	p->len = len;
	p->used = true;
	p->sent_ns = 0;
	p->id = pid;
	if (pid.seq > n->next_seq)
		n->next_seq = pid.seq;
	if (pid.seq < n->pend_low)
		n->pend_low = pid.seq;
	n->npending++;
	n->pend_new = true;
	px_ctr(n, PAXOS_CTR_PROPOSALS);
	px_pending_flush(n);
	return 0;
}

static void pending_drop(struct px_node *n, struct px_pending *p)
{
	px_free(p->data);
	memset(p, 0, sizeof(*p));
	n->npending--;
}

/* Delivered: if it is one of ours, its wait is over. */
void px_pending_done(struct px_node *n, const struct px_prop_id *id)
{
	struct px_pending *p;

	if (id->origin != n->cfg.self_id || id->incarnation != n->incarnation)
		return;
	p = pending_of(n, id->seq);
	if (p->used && p->id.seq == id->seq)
		pending_drop(n, p);
}

/*
 * Entries the node skipped may hold proposals of ours that wait: decided,
 * they would never be delivered here, their waits never end and their
 * numbers never free (px_pending_room()).  Called once the skipped
 * entries' suppression state and session table are in.
 */
void px_pending_covered(struct px_node *n)
{
	u32 i;

	for (i = 0; i < PX_MAX_PENDING && n->npending; i++) {
		struct px_pending *p = &n->pending[i];
		u64 seq = p->id.seq, index = 0;
		int err = -EALREADY;

		if (!p->used || !px_committed(n, &p->id))
			continue;
		if (p->id.session)
			err = px_session_outcome(&n->sess, p->id.session,
						 p->id.cseq, &index);
		pending_drop(n, p);
		px_emit(n, PX_EV_DECIDED, seq, index, err);
	}
}

/* Whether proposal @seq waits and is due to be sent. */
static struct px_pending *due(struct px_node *n, u64 seq)
{
	struct px_pending *p = pending_of(n, seq);

	if (!p->used || p->id.seq != seq ||
	    (p->sent_ns && n->now - p->sent_ns < n->retry_ns))
		return NULL;
	return p;
}

static void forward_begin(struct px_node *n, struct px_wbuf *w)
{
	px_begin(n, w, n->promised);
	px_wire_forward(w);
}

static void forward_send(struct px_node *n, u32 l, struct px_wbuf *w)
{
	px_send(n, l, w);
	px_ctr(n, PAXOS_CTR_FORWARDED);
}

/* Forward what is due from @seq on to the leader, member @l. */
static void forward(struct px_node *n, u32 l, u64 seq)
{
	struct px_wbuf w;
	bool have = false;

	forward_begin(n, &w);
	for (; seq <= n->next_seq; seq++) {
		struct px_pending *p = due(n, seq);
		struct px_wentry e = { .type = PX_ENTRY_DATA };

		if (!p)
			continue;
		e.id = p->id;
		e.len = p->len;
		e.data = p->data;
		if (!px_wire_add_entry(&w, &e)) {
			forward_send(n, l, &w);
			forward_begin(n, &w);
			if (!px_wire_add_entry(&w, &e))
				continue;
		}
		p->sent_ns = n->now;
		have = true;
	}
	if (have)
		forward_send(n, l, &w);
}

/* We lead: what is due from @seq on goes into our own log. */
static void append(struct px_node *n, u64 seq)
{
	for (; seq <= n->next_seq; seq++) {
		struct px_pending *p = due(n, seq);

		if (!p)
			continue;
		px_leader_append(n, &p->id, p->data, p->len);
		p->sent_ns = n->now;
	}
	px_leader_flush(n);
}

/*
 * Send our proposals that wait, in sequence order, so that one writer's
 * values commit in the order it wrote them while the leader stays.
 */
void px_pending_flush(struct px_node *n)
{
	int l = n->leader ? px_peer_index(n, n->leader) : -1;
	u64 seq = n->next_seq > PX_MAX_PENDING ?
		  n->next_seq - PX_MAX_PENDING + 1 : 1;

	if (n->role == PX_ROLE_RECOVERING || l < 0 || !n->npending)
		return;
	if ((u32)l == n->self && n->role != PX_ROLE_LEADER)
		return;
	n->pend_new = false;
	/* Delivered proposals leave from the front: step past them once. */
	if (n->pend_low < seq)
		n->pend_low = seq;
	while (n->pend_low <= n->next_seq &&
	       !(pending_of(n, n->pend_low)->used &&
		 pending_of(n, n->pend_low)->id.seq == n->pend_low))
		n->pend_low++;
	if ((u32)l == n->self)
		append(n, n->pend_low);
	else
		forward(n, l, n->pend_low);
}

/* The leader changed: every waiting proposal goes to the next one. */
void px_pending_resend(struct px_node *n)
{
	u32 i;

	for (i = 0; i < PX_MAX_PENDING; i++)
		n->pending[i].sent_ns = 0;
	n->pend_new = true;
}

bool px_pending_room(const struct px_node *n)
{
	return !n->pending[(n->next_seq + 1) % PX_MAX_PENDING].used;
}

void px_pending_free(struct px_node *n)
{
	u32 i;

	for (i = 0; i < PX_MAX_PENDING; i++)
		px_free(n->pending[i].data);
}
