// SPDX-License-Identifier: GPL-2.0
/*
 * Stable storage (cfg.durable): what the caller must write, and the
 * answers that wait for it.  Every change to the acceptor's state (the
 * promise, an entry stored, the newest snapshot) makes the node dirty;
 * px_ready() hands the caller everything dirty under one token, and
 * px_persisted() says that token's write and every earlier one are
 * durable.  A PROMISE or ACCEPTED leaves only once the state it vouches
 * for is durable: until then it waits here, tagged with the token that
 * will cover that state.  Up to PX_DUR_DEPTH writes are outstanding;
 * whatever changes meanwhile goes into the next one (group commit).  The
 * leader's own acceptance and a candidate's own promise count once
 * durable too (engine.c, px_persisted()).  Uses no other engine file.
 */
#include "core_int.h"

/*
 * Whether state an answer vouches for changed: the promise, an entry,
 * the snapshot.  A trim alone (log.first moved) is not: it goes to the
 * device with the next write.  A leader trims as it commits, and a write
 * of the trim alone would hold the next entry behind a whole flush.
 */
bool px_dur_dirty(const struct px_node *n)
{
	return n->dur_hi || n->promised != n->dur_promised ||
	       (n->have_snap && memcmp(&n->snap, &n->dur_snap, sizeof(n->snap)));
}

void px_dur_mark(struct px_node *n, u64 index)
{
	if (!n->cfg.durable)
		return;
	if (!n->dur_hi || index < n->dur_lo)
		n->dur_lo = index;
	if (index > n->dur_hi)
		n->dur_hi = index;
}

/*
 * The token whose write covers the state as it is now; 0 when it is
 * durable already (or the node keeps nothing).
 */
u64 px_dur_need(const struct px_node *n)
{
	u64 t;

	if (!n->cfg.durable)
		return 0;
	t = px_dur_dirty(n) ? n->dur_ready + 1 : n->dur_ready;
	return t > n->dur_done ? t : 0;
}

/*
 * Hold an answer until @token is durable.  ACCEPTEDs to one member in one
 * ballot under one token merge into one run.  A full queue drops the
 * answer, counted: the leader or candidate asks again.
 */
void px_dur_defer(struct px_node *n, enum px_msg_type type, u32 to,
		  u64 ballot, u64 a, u64 b, u64 token)
{
	struct px_defer *d;
	u32 i;

	for (i = 0; i < n->ndefer; i++) {
		d = &n->defer[(n->defer_head + i) % PX_MAX_DEFER];
		if (d->type != type || d->to != to || d->ballot != ballot ||
		    d->token != token)
			continue;
		if (type == PX_MSG_PROMISE) {
			d->a = a;
			return;
		}
		if (a <= d->b + 1 && b + 1 >= d->a) {
			d->a = px_min64(d->a, a);
			d->b = px_max64(d->b, b);
			return;
		}
	}
	if (n->ndefer == PX_MAX_DEFER) {
		px_ctr(n, PAXOS_CTR_DROP_NO_MEMORY);
		return;
	}
	d = &n->defer[(n->defer_head + n->ndefer++) % PX_MAX_DEFER];
	d->type = type;
	d->to = to;
	d->ballot = ballot;
	d->a = a;
	d->b = b;
	d->token = token;
}

/* The oldest answer durable now, taken off the queue: false if none. */
bool px_dur_pop(struct px_node *n, struct px_defer *out)
{
	struct px_defer *d = &n->defer[n->defer_head];

	if (!n->ndefer || d->token > n->dur_done)
		return false;
	*out = *d;
	n->defer_head = (n->defer_head + 1) % PX_MAX_DEFER;
	n->ndefer--;
	return true;
}

/* ------------------------------------------------- the snapshot's tables */

static u8 *put(u8 *p, u64 v, u32 bytes)
{
	u32 i;

	for (i = 0; i < bytes; i++)
		*p++ = (u8)(v >> (8 * i));
	return p;
}

static u64 get(const u8 **p, u32 bytes)
{
	u64 v = 0;
	u32 i;

	for (i = 0; i < bytes; i++)
		v |= (u64)(*p)[i] << (8 * i);
	*p += bytes;
	return v;
}

#define META_MAGIC1	0x70786d31	/* "pxm1": no configuration */
#define META_MAGIC	0x70786d32	/* "pxm2" */
#define META_DD		28		/* origin, incarnation, base, bits */
#define META_SESS	24		/* id, seq, index */

/*
 * What a snapshot stands for besides the application's bytes: duplicate
 * suppression and the client sessions as of its index, little-endian.
 */
static u32 meta_encode(const struct px_node *n, u8 *buf)
{
	u8 *p = put(buf, META_MAGIC, 4);
	u32 i, len;

	for (i = 0, len = 0; i < PX_MAX_NODES; i++)
		len += !!n->snap_dd[i].incarnation;
	p = put(p, len, 4);
	for (i = 0; i < PX_MAX_NODES; i++) {
		if (!n->snap_dd[i].incarnation)
			continue;
		p = put(p, n->snap_dd[i].origin, 4);
		p = put(p, n->snap_dd[i].incarnation, 8);
		p = put(p, n->snap_dd[i].base, 8);
		p = put(p, n->snap_dd[i].bits, 8);
	}
	p = put(p, n->snap_sess.n, 4);
	for (i = 0; i < n->snap_sess.n; i++) {
		p = put(p, n->snap_sess.s[i].id, 8);
		p = put(p, n->snap_sess.s[i].seq, 8);
		p = put(p, n->snap_sess.s[i].index, 8);
	}
	/* The configuration known chosen, maybe newer: its index, a flag. */
	p = put(p, n->conf_index, 8);
	p = put(p, n->conf_unknown, 1);
	len = px_conf_encode(&n->conf, p + 2);
	p = put(p, len, 2);
	return (u32)(p + len - buf);
}

/* The configuration section of a "pxm2" blob: 0 or -EINVAL. */
static int meta_conf(struct px_node *n, const u8 *p, const u8 *end)
{
	struct px_conf c;
	u64 index;
	u32 len;
	u8 unknown;

	if (end - p < 11)
		return -EINVAL;
	index = get(&p, 8);
	unknown = (u8)get(&p, 1);
	len = (u32)get(&p, 2);
	if (unknown > 1 || (u64)(end - p) != len || px_conf_decode(&c, p, len))
		return -EINVAL;
	n->conf = c;
	n->conf_index = index;
	n->conf_unknown = unknown;
	px_conf_refresh(n);
	return 0;
}

/* The tables of a snapshot restored from storage: 0 or -EINVAL. */
int px_dur_meta_decode(struct px_node *n, const void *buf, u32 len)
{
	const u8 *p = buf, *end = p + len;
	u32 i, cnt, magic;

	if (len < 12)
		return -EINVAL;
	magic = (u32)get(&p, 4);
	if (magic != META_MAGIC && magic != META_MAGIC1)
		return -EINVAL;
	cnt = (u32)get(&p, 4);
	if (cnt > PX_MAX_NODES || (u64)(end - p) < (u64)cnt * META_DD + 4)
		return -EINVAL;
	memset(n->snap_dd, 0, sizeof(n->snap_dd));
	for (i = 0; i < cnt; i++) {
		struct px_dedup *d = &n->snap_dd[i];

		d->origin = (u32)get(&p, 4);
		d->incarnation = get(&p, 8);
		d->base = get(&p, 8);
		d->bits = get(&p, 8);
	}
	cnt = (u32)get(&p, 4);
	if (cnt > PX_MAX_SESSIONS || (u64)(end - p) < (u64)cnt * META_SESS ||
	    (magic == META_MAGIC1 && (u64)(end - p) != (u64)cnt * META_SESS))
		return -EINVAL;
	n->snap_sess.n = cnt;
	for (i = 0; i < cnt; i++) {
		n->snap_sess.s[i].id = get(&p, 8);
		n->snap_sess.s[i].seq = get(&p, 8);
		n->snap_sess.s[i].index = get(&p, 8);
		/* Sorted by id, each once, as the table keeps them. */
		if (!n->snap_sess.s[i].id ||
		    (i && n->snap_sess.s[i].id <= n->snap_sess.s[i - 1].id))
			return -EINVAL;
	}
	return magic == META_MAGIC ? meta_conf(n, p, end) : 0;
}

/* ------------------------------------------------------------ the API */

bool px_ready(struct px_node *n, struct px_ready *r)
{
	struct px_dur_tok *t;

	memset(r, 0, sizeof(*r));
	if (!n->cfg.durable || n->dur_ready - n->dur_done >= PX_DUR_DEPTH ||
	    !px_dur_dirty(n))
		return false;
	r->token = ++n->dur_ready;
	r->promised = n->promised;
	r->first = n->log.first;
	r->lo = n->dur_hi ? n->dur_lo : 1;
	r->hi = n->dur_hi;
	if (n->have_snap && memcmp(&n->snap, &n->dur_snap, sizeof(n->snap))) {
		r->snap = &n->snap;
		r->meta = n->dur_meta;
		r->meta_len = meta_encode(n, n->dur_meta);
		n->dur_snap = n->snap;
	}
	/* What px_persisted() may then count as ours: promise, acceptances. */
	n->dur_promised = n->promised;
	n->dur_first = n->log.first;
	n->dur_lo = 0;
	n->dur_hi = 0;
	t = &n->dur_tok[r->token % PX_DUR_DEPTH];
	t->ballot = n->role == PX_ROLE_LEADER ? n->ballot : 0;
	t->next = n->next_index;
	t->promised = n->promised;
	t->snap = n->have_snap ? n->snap.index : 0;
	return true;
}

bool px_dirty(const struct px_node *n)
{
	return n->cfg.durable && px_dur_dirty(n);
}

int px_durable_entry(struct px_node *n, u64 index, struct px_entry_view *e)
{
	struct px_slot *s = px_slot(n, index);

	if (!s)
		return -ENOENT;
	e->ballot = s->ballot;
	e->type = s->type;
	e->id = s->id;
	e->data = s->data;
	e->len = s->len;
	return 0;
}
