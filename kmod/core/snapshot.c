// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots.  The application hands the engine a snapshot of its state
 * as of an index (its bytes stay with the caller, read back through
 * ops->snap_read); entries up to that index may then be trimmed.  A
 * member that asks for entries this node no longer holds receives the
 * snapshot instead, in SNAP_CHUNKs of PX_SNAP_CHUNK bytes, one frame
 * each, so that a lost packet costs one chunk, not the IP fragments of a
 * larger one.  Selective repeat: the receiver stores any chunk it lacks
 * up to PX_SNAP_WINDOW chunks past the first one it lacks, straight into
 * the application's store, adds it to an order-independent checksum, and
 * acknowledges with the offset below which it has every byte and a bitmap
 * of the chunks it has past it (SNAP_ACK): at once for a chunk out of
 * order, a duplicate or the last one, else every PX_SNAP_ACK_EVERY chunks
 * (a transfer gone quiet is woken by the sender's timeout).  The sender keeps
 * at most that window in flight; a chunk below one the receiver has is
 * lost and is sent again once, and a transfer that goes quiet for a
 * retransmission timeout (a few chunk round trips, timed as TCP does,
 * without retransmitted chunks, doubled by each timeout in a row) sends
 * the first chunk still missing again.  Once the
 * last chunk is in and the checksum matches, the receiver installs the
 * snapshot: its log continues at the snapshot's index + 1 and its
 * duplicate suppression is the snapshot's.  A newer snapshot supersedes a
 * transfer in flight.
 */
#include "core_int.h"

u64 px_snap_chunk_sum(u64 off, const void *data, size_t len)
{
	u64 h = 0xcbf29ce484222325ULL;
	const u8 *p = data;
	size_t i;

	/* FNV-1a, 64 bits, over the chunk's offset then its bytes. */
	for (i = 0; i < 8; i++) {
		h ^= (u8)(off >> (8 * i));
		h *= 0x100000001b3ULL;
	}
	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

u64 px_snap_csum(const void *data, u64 size)
{
	const u8 *p = data;
	u64 sum = 0, off;

	for (off = 0; off < size; off += PX_SNAP_CHUNK)
		sum += px_snap_chunk_sum(off, p + off,
					 px_min64(PX_SNAP_CHUNK, size - off));
	return sum;
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
		.conf = n->conf_unknown ? 0 : n->conf_index + 1,
		.conf_data = n->conf_buf,
	};
	struct px_wbuf w;
	u8 *data;

	px_dedup_export(n->snap_dd, &c.dd);
	if (!off && c.conf)
		c.conf_len = (u16)px_conf_encode(&n->conf, n->conf_buf);
	px_begin(n, &w, n->promised);
	data = px_wire_snap_chunk(&w, &c);
	if (n->ops->snap_read(n->ctx, &n->snap, off, data, c.len)) {
		n->peers[to_idx].snap_active = false;
		return false;
	}
	px_send(n, to_idx, &w);
	px_ctr_add(n, PAXOS_CTR_SNAP_TX_BYTES, c.len);
	return true;
}

/*
 * How long member @p's transfer may stay quiet before a chunk goes again:
 * four chunk round trips, doubled by every timeout without progress (a
 * round trip grown under load must not make us flood the receiver).
 */
static u64 snap_rto(const struct px_node *n, const struct px_peer *p)
{
	u64 rto = px_max64(4 * p->snap_srtt_ns, PX_SNAP_RTO_MIN_NS);

	if (!p->snap_srtt_ns || p->snap_backoff >= 16)
		return n->retry_ns;
	return px_min64(rto << p->snap_backoff, n->retry_ns);
}

u64 px_snap_deadline(const struct px_node *n)
{
	u64 d = ~0ULL;
	u32 j;

	for (j = 0; j < n->n; j++)
		if (n->peers[j].snap_active)
			d = px_min64(d, n->peers[j].snap_sent_ns +
					snap_rto(n, &n->peers[j]));
	return d;
}

/* A round-trip sample from the chunk timed, once @p has it. */
static void snap_rtt(struct px_node *n, struct px_peer *p,
		     const struct px_snap_ack *m)
{
	u64 k, sample;

	if (!p->snap_probe_ns)
		return;
	if (m->next <= p->snap_probe_off) {
		k = (p->snap_probe_off - m->next) / PX_SNAP_CHUNK;
		if (!k || k > 64 || !((m->have >> (k - 1)) & 1))
			return;
	}
	sample = n->now - p->snap_probe_ns;
	p->snap_probe_ns = 0;
	p->snap_srtt_ns = p->snap_srtt_ns ?
		p->snap_srtt_ns - (p->snap_srtt_ns >> PX_SRTT_SHIFT) +
		(sample >> PX_SRTT_SHIFT) : sample;
}

/* The end of member @j's window: the receiver stores nothing past it. */
static u64 window_end(const struct px_node *n, const struct px_peer *p)
{
	return px_min64(n->snap.size,
			p->snap_acked + PX_SNAP_WINDOW * PX_SNAP_CHUNK);
}

/*
 * Send member @j again the chunks it lacks below @upto (those not sent
 * again since the last timeout only, unless @all), then new chunks to
 * the end of its window.
 */
static void send_window(struct px_node *n, u32 j, u64 upto, bool all)
{
	struct px_peer *p = &n->peers[j];
	u64 off, end = window_end(n, p);
	u32 i;

	upto = px_min64(upto, end);
	for (i = 0, off = p->snap_acked; off < upto; i++, off += PX_SNAP_CHUNK) {
		if (i && (p->snap_have >> (i - 1)) & 1)
			continue;	/* it has this one */
		if (!all && (p->snap_resent >> i) & 1)
			continue;	/* sent again already */
		if (!send_chunk(n, j, off))
			return;
		if (off == p->snap_probe_off)
			p->snap_probe_ns = 0;	/* which copy is answered? */
		p->snap_resent |= 1ULL << i;
		px_ctr(n, PAXOS_CTR_SNAP_RETRANSMITS);
	}
	for (; p->snap_sent < end; p->snap_sent += PX_SNAP_CHUNK) {
		if (!send_chunk(n, j, p->snap_sent))
			return;
		if (!p->snap_probe_ns) {
			p->snap_probe_off = p->snap_sent;
			p->snap_probe_ns = n->now;
		}
	}
	p->snap_sent = px_min64(p->snap_sent, n->snap.size);
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
	p->snap_have = 0;
	p->snap_resent = 0;
	p->snap_sent = 0;
	p->snap_sent_ns = n->now;
	p->snap_moved_ns = n->now;
	p->snap_probe_ns = 0;
	p->snap_backoff = 0;
	send_window(n, to_idx, 0, false);
}

void px_handle_snap_ack(struct px_node *n, u32 from, const struct px_snap_ack *m)
{
	struct px_peer *p = &n->peers[from];
	u64 d, top;

	if (!p->snap_active || m->index != p->snap_index ||
	    p->snap_index != n->snap.index || m->next < p->snap_acked)
		return;
	if (m->next >= n->snap.size) {
		p->snap_active = false;
		px_ctr(n, PAXOS_CTR_SNAP_SENT);
		return;
	}
	if (m->next % PX_SNAP_CHUNK)
		return;
	snap_rtt(n, p, m);
	/* Acknowledgements arrive late and out of order: merge them. */
	d = (m->next - p->snap_acked) / PX_SNAP_CHUNK;
	if (d) {
		p->snap_have = d < 64 ? p->snap_have >> d : 0;
		p->snap_resent = d < 64 ? p->snap_resent >> d : 0;
		p->snap_acked = m->next;
		p->snap_sent = px_max64(p->snap_sent, m->next);
		p->snap_moved_ns = n->now;
		p->snap_backoff = 0;
	}
	p->snap_have |= m->have;
	p->snap_sent_ns = n->now;
	/* Every chunk it lacks below the highest one it has was lost. */
	top = (u64)fls64(p->snap_have);
	send_window(n, from, px_min64(p->snap_sent,
				      p->snap_acked + top * PX_SNAP_CHUNK), false);
}

/*
 * A transfer that went quiet sends the first chunk missing again (its
 * acknowledgment shows what else is missing); one that has not moved
 * for PX_SNAP_STALL retransmission timeouts (the receiver dropped it, or
 * restarted) starts over.
 */
void px_snap_tick(struct px_node *n)
{
	u32 j;

	for (j = 0; j < n->n; j++) {
		struct px_peer *p = &n->peers[j];

		if (!p->snap_active ||
		    n->now - p->snap_sent_ns < snap_rto(n, p))
			continue;
		if (p->snap_index != n->snap.index) {
			p->snap_active = false;	/* a newer one goes when asked */
			continue;
		}
		if (n->now - p->snap_moved_ns >= PX_SNAP_STALL * n->retry_ns) {
			p->snap_acked = 0;
			p->snap_have = 0;
			p->snap_sent = 0;
			p->snap_moved_ns = n->now;
		}
		p->snap_resent = 0;
		p->snap_probe_ns = 0;
		p->snap_sent_ns = n->now;
		p->snap_backoff++;
		send_window(n, j, p->snap_acked + PX_SNAP_CHUNK, true);
	}
}

static void send_ack(struct px_node *n, u32 to_idx, u64 index, u64 next,
		     u64 have)
{
	struct px_snap_ack a = { .index = index, .next = next, .have = have };
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
	px_dedup_import(n->dedup, &m->dd);
	memcpy(n->dedup_first, n->dedup, sizeof(n->dedup));
	memcpy(n->snap_dd, n->dedup, sizeof(n->dedup));
	n->snap = *s;
	n->have_snap = true;
	px_conf_installed(n, m->conf);
	px_sessions_install(n);
	n->ops->snap_install(n->ctx, s);
	px_ctr(n, PAXOS_CTR_SNAP_INSTALLED);
	px_emit(n, PX_EV_SNAPSHOT, s->index, s->size, 0);
	px_deliver(n);
}

/* The transfer under way has no chunk yet. */
static void snap_in_empty(struct px_snap_in *in)
{
	in->next = 0;
	in->have = 0;
	in->chunks = 0;
	in->sum = 0;
	in->conf_have = false;
}

/*
 * Whether @m belongs to the transfer under way or starts one; if not,
 * whether to tell its sender that we need none of it (@m is older than
 * what we have or are taking).
 */
static bool snap_begin(struct px_node *n, const struct px_snap_chunk *m,
		       bool *refuse)
{
	struct px_snap_in *in = &n->snap_in;

	*refuse = true;
	if (m->index <= n->log.commit)
		return false;		/* we have all it covers */
	/* The same snapshot goes on, from any sender, after any pause. */
	if (in->active && m->index == in->s.index && m->size == in->s.size &&
	    m->csum == in->s.csum)
		return true;
	/* A transfer that stopped moving (its sender went away) gives way. */
	if (in->active && n->now - in->moved_ns >= PX_SNAP_STALL * n->retry_ns)
		in->active = false;
	if (in->active && m->index < in->s.index)
		return false;		/* ours is newer: it supersedes @m */
	if (in->active && m->index == in->s.index) {
		*refuse = false;	/* other bytes at that index: ours first */
		return false;
	}
	in->active = true;
	in->s.index = m->index;
	in->s.size = m->size;
	in->s.csum = m->csum;
	in->moved_ns = n->now;
	snap_in_empty(in);
	return true;
}

/* Bit of @in->have for chunk @off (past in->next), or 64 if outside. */
static u32 have_bit(const struct px_snap_in *in, u64 off)
{
	u64 k = (off - in->next) / PX_SNAP_CHUNK;

	return k && k <= PX_SNAP_WINDOW ? (u32)(k - 1) : 64;
}

/* Store chunk @m: 0, or -errno (then the transfer is dropped). */
static int snap_store(struct px_node *n, const struct px_snap_chunk *m)
{
	struct px_snap_in *in = &n->snap_in;
	u32 bit = have_bit(in, m->offset);
	int err;

	err = n->ops->snap_write(n->ctx, &in->s, m->offset, m->data, m->len);
	if (err)
		return err;
	in->chunks++;
	in->sum += px_snap_chunk_sum(m->offset, m->data, m->len);
	if (!m->offset && m->conf_len) {
		in->conf_have = !px_conf_decode(&in->conf, m->conf_data,
						m->conf_len);
		in->conf_index = m->conf - 1;
	}
	in->moved_ns = n->now;
	px_ctr_add(n, PAXOS_CTR_SNAP_RX_BYTES, m->len);
	if (m->offset != in->next) {
		in->have |= 1ULL << bit;
		return 0;
	}
	/* The first missing chunk came: move past those after it we have. */
	in->next += m->len;
	while (in->have & 1) {
		in->have >>= 1;
		in->next = px_min64(in->next + PX_SNAP_CHUNK, in->s.size);
	}
	in->have >>= 1;
	return 0;
}

/* A chunk of a snapshot sent to us: true once one is installed. */
bool px_handle_snap_chunk(struct px_node *n, u32 from,
			  const struct px_snap_chunk *m)
{
	struct px_snap_in *in = &n->snap_in;
	bool refuse, in_order;
	u64 total;
	u32 bit;

	if (!n->ops->snap_write)
		return false;	/* we take no snapshots */
	if (!snap_begin(n, m, &refuse)) {
		if (refuse)
			send_ack(n, from, m->index, m->size, 0);
		return false;
	}
	bit = have_bit(in, m->offset);
	if (m->offset < in->next || (bit < 64 && (in->have >> bit) & 1) ||
	    (m->offset != in->next && bit == 64))
		goto ack;	/* had it already, or past the window */
	/* The last chunk waits for the client sessions as of the snapshot. */
	total = (in->s.size + PX_SNAP_CHUNK - 1) / PX_SNAP_CHUNK;
	if (in->chunks + 1 == total &&
	    !px_sessions_staged(n, from, in->s.index))
		return false;
	in_order = m->offset == in->next;
	if (snap_store(n, m)) {
		px_ctr(n, PAXOS_CTR_DROP_NO_MEMORY);
		in->active = false;
		return false;
	}
	/* Chunks in order with nothing missing: every PX_SNAP_ACK_EVERY. */
	if (in_order && !in->have && in->next < in->s.size &&
	    in->chunks % PX_SNAP_ACK_EVERY)
		return false;
	if (in->next == in->s.size && in->sum != in->s.csum) {
		/* Damaged in a way the datagram checks missed: again. */
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		snap_in_empty(in);
	}
ack:
	send_ack(n, from, in->s.index, in->next, in->have);
	if (in->next != in->s.size)
		return false;
	install(n, m);
	return true;
}
