// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots.  The application hands the engine a snapshot of its state
 * as of an index (its bytes stay with the caller, read back through
 * ops->snap_read); entries up to that index may then be trimmed.  A
 * member that asks for entries this node no longer holds receives the
 * snapshot instead, in SNAP_CHUNKs sent in order, at most PX_SNAP_WINDOW
 * beyond what it acknowledged (SNAP_ACK), again from there when it stays
 * silent for a retransmission timeout.  The receiver takes only the chunk
 * at the offset it expects, keeps a running checksum, and once the last
 * byte is in and the checksum matches, installs it: its log continues at
 * the snapshot's index + 1 and its duplicate suppression is the
 * snapshot's.  A newer snapshot supersedes a transfer in flight.
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
		p->snap_sent = px_min64(p->snap_sent + PX_SNAP_CHUNK,
					n->snap.size);
	}
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
	p->snap_sent_ns = n->now;
	p->snap_moved_ns = n->now;
	send_window(n, to_idx);
}

void px_handle_snap_ack(struct px_node *n, u32 from, const struct px_snap_ack *m)
{
	struct px_peer *p = &n->peers[from];

	/* Acknowledgements arrive late and out of order: only progress counts. */
	if (!p->snap_active || m->index != p->snap_index ||
	    p->snap_index != n->snap.index || m->next <= p->snap_acked)
		return;
	p->snap_acked = px_min64(m->next, n->snap.size);
	p->snap_sent = px_max64(p->snap_sent, p->snap_acked);
	p->snap_sent_ns = n->now;
	p->snap_moved_ns = n->now;
	if (p->snap_acked == n->snap.size) {
		p->snap_active = false;
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
		p->snap_sent = p->snap_acked;
		p->snap_sent_ns = n->now;
		send_window(n, j);
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
	px_emit(n, PX_EV_SNAPSHOT, s->index, s->size, 0);
	px_deliver(n);
}

/*
 * Whether @m belongs to the transfer under way or starts one; if not, what
 * to acknowledge so that its sender stops or starts over.
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
	*ack = 0;
	if (m->offset)
		return false;		/* from its start, please */
	in->active = true;
	in->s.index = m->index;
	in->s.size = m->size;
	in->s.csum = m->csum;
	in->next = 0;
	in->sum = PX_CSUM_INIT;
	in->moved_ns = n->now;
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
		send_ack(n, from, m->index, ack);
		return;
	}
	/* The last chunk waits for the client sessions as of the snapshot. */
	if (m->offset == in->next && !px_sessions_staged(n, from, in->s.index) &&
	    m->offset + m->len == in->s.size)
		return;
	if (m->offset == in->next) {
		if (n->ops->snap_write(n->ctx, &in->s, m->offset, m->data,
				       m->len)) {
			px_ctr(n, PAXOS_CTR_DROP_NO_MEMORY);
			in->active = false;
			return;
		}
		in->next += m->len;
		in->sum = px_snap_csum(in->sum, m->data, m->len);
		in->moved_ns = n->now;
	}
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
