// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots.  The application hands the engine a snapshot of its state
 * as of an index (its bytes stay with the caller, read back through
 * ops->snap_read); entries up to that index may then be trimmed.  A
 * member that asks for entries this node no longer holds receives the
 * snapshot instead, in SNAP_CHUNKs sent in order, at most PX_SNAP_WINDOW
 * beyond what it acknowledged (SNAP_ACK).  The receiver takes only the
 * chunk at the offset it expects and keeps a running checksum; once the
 * last byte is in and the checksum matches, it installs the snapshot: its
 * log continues at the snapshot's index + 1 and its duplicate suppression
 * is the snapshot's.  A newer snapshot supersedes a transfer in flight.
 *
 * Losses: the sender goes back to what was acknowledged when the receiver
 * reports a gap, or when the transfer stays silent for a retransmission
 * timeout.  The sender's offsets rise until it goes back, so a chunk at or
 * below the last one seen starts a new round; in each round the receiver
 * reports a gap once (an acknowledgment of what it has, which the sender
 * already has: a duplicate), so that one loss costs one window sent again.
 * A chunk it already has is acknowledged only up to its own end, never as
 * a duplicate: resent rounds do not make more.
 */
#include "core_int.h"

u64 px_snap_csum(u64 h, const void *data, size_t len)
{
	const u8 *p = data;
	size_t i;

	/* FNV-1a, 64 bits. */
	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int px_snap_take(struct px_node *n, const struct px_snap *s)
{
	if (!n->ops->snap_read)
		return -EOPNOTSUPP;
	if (s->index + 1 < n->log.first || s->index > n->log.commit ||
	    !s->size || s->size > PX_MAX_SNAPSHOT ||
	    (n->have_snap && s->index < n->snap.index))
		return -EINVAL;
	/* Duplicate suppression as of s->index: from the first index on. */
	if (n->sess_at != n->log.commit)
		return -EAGAIN;	/* our client sessions are not in yet */
	memcpy(n->snap_dd, n->dedup_first, sizeof(n->snap_dd));
	px_dedup_upto(n, n->snap_dd, s->index + 1);
	n->snap_sess = n->sess_first;
	px_sessions_upto(n, &n->snap_sess, s->index + 1);
	n->snap = *s;
	n->have_snap = true;
	px_ctr(n, PAXOS_CTR_SNAP_TAKEN);
	return 0;
}

/* Whether our snapshot stands for everything below our log from @want. */
bool px_snap_covers(const struct px_node *n, u64 want)
{
	return n->have_snap && want <= n->snap.index &&
	       n->snap.index + 1 >= n->log.first;
}

/* One chunk of our snapshot from @off to member @to_idx; false if gone. */
static bool send_chunk(struct px_node *n, u32 to_idx, u64 off)
{
	struct px_snap_chunk c = {
		.index = n->snap.index,
		.size = n->snap.size,
		.csum = n->snap.csum,
		.offset = off,
		.len = (u32)px_min64(PX_SNAP_CHUNK, n->snap.size - off),
	};
	struct px_wbuf w;
	u8 *data;

	px_dedup_export(n->snap_dd, n->n, &c.dd);
	px_begin(n, &w, n->promised);
	data = px_wire_snap_chunk(&w, &c);
	if (n->ops->snap_read(n->ctx, &n->snap, off, data, c.len))
		return false;
	px_send(n, to_idx, &w);
	px_ctr_add(n, PAXOS_CTR_SNAP_TX_BYTES, c.len);
	return true;
}

/* Fill the window of member @j from where it was last sent. */
static void send_window(struct px_node *n, u32 j)
{
	struct px_peer *p = &n->peers[j];
	u64 end = px_min64(n->snap.size, p->snap_acked +
			   (u64)PX_SNAP_WINDOW * PX_SNAP_CHUNK);

	while (p->snap_sent < end) {
		if (!send_chunk(n, j, p->snap_sent)) {
			p->snap_active = false;
			return;
		}
		if (p->snap_sent < p->snap_top)
			px_ctr(n, PAXOS_CTR_SNAP_RETRANSMITS);
		p->snap_sent = px_min64(p->snap_sent + PX_SNAP_CHUNK,
					n->snap.size);
		p->snap_top = px_max64(p->snap_top, p->snap_sent);
	}
}

/* Send member @j's window again from what it acknowledged. */
static void go_back(struct px_node *n, u32 j)
{
	struct px_peer *p = &n->peers[j];

	p->snap_sent = p->snap_acked;
	p->snap_sent_ns = n->now;
	send_window(n, j);
}

/* Member @to_idx needs what our snapshot covers: send it, or go on. */
void px_snap_send(struct px_node *n, u32 to_idx)
{
	struct px_peer *p = &n->peers[to_idx];

	if (p->snap_active && p->snap_index == n->snap.index)
		return;		/* under way: acks and the timer move it */
	p->snap_active = true;
	p->snap_index = n->snap.index;
	p->snap_acked = 0;
	p->snap_sent = 0;
	p->snap_top = 0;
	p->snap_sent_ns = n->now;
	p->snap_moved_ns = n->now;
	send_window(n, to_idx);
}

void px_handle_snap_ack(struct px_node *n, u32 from, const struct px_snap_ack *m)
{
	struct px_peer *p = &n->peers[from];

	if (!p->snap_active || m->index != p->snap_index ||
	    p->snap_index != n->snap.index || m->next < p->snap_acked)
		return;
	if (m->next == p->snap_acked) {
		/* A duplicate: a gap at what it has; at once, not on the timer. */
		if (p->snap_sent > p->snap_acked)
			go_back(n, from);
		return;
	}
	/* Acknowledgements arrive late and out of order: only progress counts. */
	p->snap_acked = px_min64(m->next, n->snap.size);
	p->snap_sent = px_max64(p->snap_sent, p->snap_acked);
	p->snap_sent_ns = n->now;
	p->snap_moved_ns = n->now;
	if (p->snap_acked == n->snap.size) {
		p->snap_active = false;
		px_ctr(n, PAXOS_CTR_SNAP_SENT);
		return;
	}
	send_window(n, from);
}

/*
 * Transfers that went quiet go again from what was acknowledged; one that
 * has not moved for PX_SNAP_STALL timeouts (the receiver dropped it, or
 * restarted) starts over.
 */
void px_snap_tick(struct px_node *n)
{
	u32 j;

	for (j = 0; j < n->n; j++) {
		struct px_peer *p = &n->peers[j];

		if (!p->snap_active || n->now - p->snap_sent_ns < n->retry_ns)
			continue;
		if (p->snap_index != n->snap.index) {
			p->snap_active = false;	/* a newer one goes when asked */
			continue;
		}
		if (n->now - p->snap_moved_ns >= PX_SNAP_STALL * n->retry_ns) {
			p->snap_acked = 0;
			p->snap_moved_ns = n->now;
		}
		go_back(n, j);
	}
}

static void send_ack(struct px_node *n, u32 to_idx, u64 index, u64 next)
{
	struct px_snap_ack a = { .index = index, .next = next };
	struct px_wbuf w;

	px_begin(n, &w, n->promised);
	px_wire_snap_ack(&w, &a);
	px_send(n, to_idx, &w);
}

/* The whole snapshot is in and checked: our log continues after it. */
static void install(struct px_node *n, const struct px_snap_chunk *m)
{
	const struct px_snap *s = &n->snap_in.s;

	n->snap_in.active = false;
	px_log_restart(&n->log, s->index + 1);
	px_dedup_import(n->dedup, n->n, &m->dd);
	memcpy(n->dedup_first, n->dedup, sizeof(n->dedup));
	memcpy(n->snap_dd, n->dedup, sizeof(n->dedup));
	n->snap = *s;
	n->have_snap = true;
	px_sessions_install(n);
	n->ops->snap_install(n->ctx, s);
	px_ctr(n, PAXOS_CTR_SNAP_INSTALLED);
	px_emit(n, PX_EV_SNAPSHOT, s->index, s->size, 0);
	px_deliver(n);
}

/*
 * Whether @m belongs to the transfer under way or starts one (which then
 * expects offset 0); if not, what to acknowledge so that its sender stops,
 * or more than m->size for nothing.
 */
static bool snap_begin(struct px_node *n, const struct px_snap_chunk *m,
		       u64 *ack)
{
	struct px_snap_in *in = &n->snap_in;

	*ack = m->size;
	if (m->index <= n->log.commit)
		return false;		/* we have all it covers */
	/* A transfer that stopped moving (its sender went away) is given up. */
	if (in->active && n->now - in->moved_ns >= PX_SNAP_STALL * n->retry_ns)
		in->active = false;
	if (in->active && m->index == in->s.index && m->size == in->s.size &&
	    m->csum == in->s.csum)
		return true;
	if (in->active && m->index < in->s.index)
		return false;		/* ours is newer: it supersedes @m */
	if (in->active && m->offset) {
		*ack = ~0ULL;		/* ours goes on; @m's sender starts over */
		return false;
	}
	in->active = true;
	in->s.index = m->index;
	in->s.size = m->size;
	in->s.csum = m->csum;
	in->next = 0;
	in->sum = PX_CSUM_INIT;
	in->last_off = 0;
	in->nacked = false;
	in->moved_ns = n->now;
	return true;
}

/*
 * What to acknowledge for chunk @m of the transfer under way, which did
 * not move it: false for nothing.
 */
static bool snap_ack_other(struct px_snap_in *in,
			   const struct px_snap_chunk *m, u64 *ack)
{
	bool round = m->offset <= in->last_off;

	in->last_off = m->offset;
	if (m->offset < in->next) {
		/* Had already: up to its end, a duplicate never. */
		*ack = m->offset + m->len;
		return *ack < in->next;
	}
	if (in->nacked && !round)
		return false;	/* this round's gap is reported */
	in->nacked = true;
	*ack = in->next;
	return true;
}

void px_handle_snap_chunk(struct px_node *n, u32 from,
			  const struct px_snap_chunk *m)
{
	struct px_snap_in *in = &n->snap_in;
	u64 ack;

	if (!n->ops->snap_write)
		return;		/* we take no snapshots */
	if (!snap_begin(n, m, &ack)) {
		if (ack <= m->size)
			send_ack(n, from, m->index, ack);
		return;
	}
	if (m->offset != in->next) {
		if (snap_ack_other(in, m, &ack))
			send_ack(n, from, in->s.index, ack);
		return;
	}
	/* The last chunk waits for the client sessions as of the snapshot. */
	if (!px_sessions_staged(n, from, in->s.index) &&
	    m->offset + m->len == in->s.size)
		return;
	if (n->ops->snap_write(n->ctx, &in->s, m->offset, m->data, m->len)) {
		px_ctr(n, PAXOS_CTR_DROP_NO_MEMORY);
		in->active = false;
		return;
	}
	in->last_off = m->offset;
	in->nacked = false;
	in->next += m->len;
	in->sum = px_snap_csum(in->sum, m->data, m->len);
	in->moved_ns = n->now;
	px_ctr_add(n, PAXOS_CTR_SNAP_RX_BYTES, m->len);
	if (in->next == in->s.size && in->sum != in->s.csum) {
		/* Damaged in a way the datagram checks missed: again. */
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		in->next = 0;
		in->sum = PX_CSUM_INIT;
	}
	send_ack(n, from, in->s.index, in->next);
	if (in->next == in->s.size)
		install(n, m);
}
