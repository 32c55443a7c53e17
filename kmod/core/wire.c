// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding and strict decoding of kpaxos datagrams (the layout is in
 * wire.h).  Reads go through a cursor that records the first error, so a
 * decoder is a plain list of the type's fields.
 */
#include "wire.h"

#define PX_ENTRY_HDR_LEN	40
#define PX_ENTRY_SESS_LEN	16	/* with PX_EF_SESSION */
#define PX_SESS_LEN		24
#define PX_CV_LEN		10
#define PX_DD_LEN		26

/* Unaligned big-endian access; compilers make these single loads and stores. */
static inline u16 get16(const u8 *p)
{
	u16 v;

	memcpy(&v, p, sizeof(v));
	return be16_to_cpu((__force __be16)v);
}

static inline u32 get32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return be32_to_cpu((__force __be32)v);
}

static inline u64 get64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return be64_to_cpu((__force __be64)v);
}

static inline void put16(u8 *p, u16 v)
{
	__be16 b = cpu_to_be16(v);

	memcpy(p, &b, sizeof(b));
}

static inline void put32(u8 *p, u32 v)
{
	__be32 b = cpu_to_be32(v);

	memcpy(p, &b, sizeof(b));
}

static inline void put64(u8 *p, u64 v)
{
	__be64 b = cpu_to_be64(v);

	memcpy(p, &b, sizeof(b));
}

/* ------------------------------------------------------------ decoding */

struct rd {
	const u8 *p;
	const u8 *end;
	int err;
	u8 type;
};

/* Whether @n more bytes are there; else fail with @why. */
static bool rd_need(struct rd *r, size_t n, int why)
{
	if (r->err)
		return false;
	if ((size_t)(r->end - r->p) < n) {
		r->err = -why;
		return false;
	}
	return true;
}

static u64 rd_u64(struct rd *r)
{
	u64 v;

	if (!rd_need(r, 8, PX_WE_SHORT))
		return 0;
	v = get64(r->p);
	r->p += 8;
	return v;
}

static u16 rd_count(struct rd *r, u16 max)
{
	u16 v;

	if (!rd_need(r, 2, PX_WE_SHORT))
		return 0;
	v = get16(r->p);
	r->p += 2;
	if (v > max) {
		r->err = -PX_WE_BAD_COUNT;
		return 0;
	}
	return v;
}

static void rd_frag(struct rd *r, struct px_frag *f, u8 allowed)
{
	f->flags = 0;
	f->num = 0;
	if (!rd_need(r, 2, PX_WE_SHORT))
		return;
	f->flags = r->p[0];
	f->num = r->p[1];
	r->p += 2;
	if ((f->flags & ~allowed) || f->num >= PX_MAX_FRAGS)
		r->err = -PX_WE_BAD_FIELD;
}

static void rd_cv(struct rd *r, struct px_cvec *cv)
{
	u16 i;

	cv->n = rd_count(r, PX_MAX_NODES);
	if (!rd_need(r, (size_t)cv->n * PX_CV_LEN, PX_WE_OVERRUN)) {
		cv->n = 0;
		return;
	}
	for (i = 0; i < cv->n; i++, r->p += PX_CV_LEN) {
		cv->cv[i].id = get16(r->p);
		cv->cv[i].incarnation = get64(r->p + 2);
		if (!cv->cv[i].id)
			r->err = -PX_WE_BAD_FIELD;
	}
}

static void rd_dd(struct rd *r, struct px_ddvec *dd)
{
	u16 i;

	dd->n = rd_count(r, PX_MAX_NODES);
	if (!rd_need(r, (size_t)dd->n * PX_DD_LEN, PX_WE_OVERRUN)) {
		dd->n = 0;
		return;
	}
	for (i = 0; i < dd->n; i++, r->p += PX_DD_LEN) {
		dd->dd[i].origin = get16(r->p);
		dd->dd[i].incarnation = get64(r->p + 2);
		dd->dd[i].base = get64(r->p + 10);
		dd->dd[i].bits = get64(r->p + 18);
		if (!dd->dd[i].origin)
			r->err = -PX_WE_BAD_FIELD;
	}
}

/* The header length of the entry at @q, client session included. */
static size_t entry_hlen(const u8 *q)
{
	return PX_ENTRY_HDR_LEN + (q[35] & PX_EF_SESSION ? PX_ENTRY_SESS_LEN : 0);
}

/* Check one entry at @q, its first PX_ENTRY_HDR_LEN bytes there; 0 or -err. */
static int entry_check(const struct rd *r, const u8 *q)
{
	u8 type = q[34];
	u32 vlen = get32(q + 36);
	size_t hlen = entry_hlen(q);

	if (type < PX_ENTRY_DATA || type > PX_ENTRY_CONFIG ||
	    (q[35] & ~PX_EF_SESSION) || vlen > PX_MAX_VALUE ||
	    (type == PX_ENTRY_NOOP && vlen) ||
	    (!get64(q) && r->type != PX_MSG_FORWARD))
		return -PX_WE_BAD_FIELD;
	if ((size_t)(r->end - q) < hlen ||
	    (size_t)(r->end - q - hlen) < vlen)
		return -PX_WE_OVERRUN;
	/* A client session is nonzero and numbers its writes from 1. */
	if (hlen > PX_ENTRY_HDR_LEN &&
	    (!get64(q + PX_ENTRY_HDR_LEN) || !get64(q + PX_ENTRY_HDR_LEN + 8)))
		return -PX_WE_BAD_FIELD;
	return 0;
}

static void rd_entries(struct rd *r, struct px_entries *es)
{
	const u8 *q;
	u16 i;

	es->count = rd_count(r, PX_MAX_WIRE_ENTRIES);
	es->raw = r->p;
	es->len = 0;
	if (r->err)
		return;
	if (r->type == PX_MSG_FORWARD && !es->count) {
		r->err = -PX_WE_BAD_COUNT;
		return;
	}
	for (i = 0, q = r->p; i < es->count; i++) {
		if (r->end - q < PX_ENTRY_HDR_LEN) {
			r->err = -PX_WE_OVERRUN;
			return;
		}
		r->err = entry_check(r, q);
		if (r->err)
			return;
		q += entry_hlen(q) + get32(q + 36);
	}
	es->len = q - r->p;
	r->p = q;
}

/*
 * A configuration payload: u16 length, then that many bytes, at most
 * PX_WIRE_CONF_MAX and never none; @bad, a field before it out of range.
 */
static void rd_conf_blob(struct rd *r, bool bad, u16 *len, const u8 **data)
{
	if (!rd_need(r, 2, PX_WE_SHORT))
		return;
	*len = get16(r->p);
	r->p += 2;
	if (bad || !*len || *len > PX_WIRE_CONF_MAX) {
		r->err = -PX_WE_BAD_FIELD;
		return;
	}
	if (!rd_need(r, *len, PX_WE_OVERRUN))
		return;
	*data = r->p;
	r->p += *len;
}

/* The optional trailer: the sender's configuration index, and itself. */
static void rd_snap_conf(struct rd *r, struct px_snap_chunk *c)
{
	c->conf = 0;
	c->conf_len = 0;
	c->conf_data = NULL;
	if (r->end - r->p < 8)
		return;
	c->conf = rd_u64(r);
	if (r->p == r->end)
		return;
	rd_conf_blob(r, !c->conf, &c->conf_len, &c->conf_data);
}

static void rd_snap_chunk(struct rd *r, struct px_snap_chunk *c)
{
	c->index = rd_u64(r);
	c->size = rd_u64(r);
	c->csum = rd_u64(r);
	c->offset = rd_u64(r);
	rd_dd(r, &c->dd);
	c->len = 0;
	c->data = NULL;
	if (!rd_need(r, 4, PX_WE_SHORT))
		return;
	c->len = get32(r->p);
	r->p += 4;
	if (!c->size || c->size > PX_MAX_SNAPSHOT || c->offset >= c->size ||
	    c->offset % PX_SNAP_CHUNK ||
	    c->len != (c->size - c->offset < PX_SNAP_CHUNK ?
		       c->size - c->offset : PX_SNAP_CHUNK)) {
		r->err = -PX_WE_BAD_FIELD;
		return;
	}
	if (!rd_need(r, c->len, PX_WE_OVERRUN))
		return;
	c->data = r->p;
	r->p += c->len;
	rd_snap_conf(r, c);
}

/* Sessions strictly increasing, each with a write committed. */
static void rd_sess(struct rd *r, struct px_sess_table *t)
{
	const u8 *q;
	u64 prev = 0;
	u16 i;

	t->index = rd_u64(r);
	if (!rd_need(r, 1, PX_WE_SHORT))
		return;
	t->flags = *r->p++;
	t->count = rd_count(r, PX_MAX_SESSIONS);
	t->raw = r->p;
	if (r->err)
		return;
	if ((t->flags & ~PX_SESS_GONE) || ((t->flags & PX_SESS_GONE) && t->count)) {
		r->err = -PX_WE_BAD_FIELD;
		return;
	}
	if (!rd_need(r, (size_t)t->count * PX_SESS_LEN, PX_WE_OVERRUN))
		return;
	for (i = 0, q = r->p; i < t->count; i++, q += PX_SESS_LEN) {
		if (get64(q) <= prev || !get64(q + 8) || !get64(q + 16) ||
		    get64(q + 16) > t->index) {
			r->err = -PX_WE_BAD_FIELD;
			return;
		}
		prev = get64(q);
	}
	r->p = q;
}

/*
 * A pre-vote, or its answer: yes (1) or no (0), nothing else; or a
 * leader's TIMEOUT_NOW, naming a node.
 */
static void rd_vote(struct rd *r, struct px_msg *m)
{
	struct px_prevote_reply *v = &m->prevote_reply;

	if (m->h.type == PX_MSG_PREVOTE) {
		m->prevote.commit = rd_u64(r);
		return;
	}
	if (m->h.type == PX_MSG_TIMEOUT_NOW) {
		m->timeout_now.target = rd_u64(r);
		if (!r->err && (!m->timeout_now.target ||
				m->timeout_now.target > 0xffff))
			r->err = -PX_WE_BAD_FIELD;
		return;
	}
	v->ballot = rd_u64(r);
	v->granted = 0;
	if (!rd_need(r, 1, PX_WE_SHORT))
		return;
	v->granted = *r->p++;
	if (v->granted > 1)
		r->err = -PX_WE_BAD_FIELD;
}

/* The payload is the engine's to check (conf.h); here only its bound. */
static void rd_conf(struct rd *r, struct px_conf_msg *c)
{
	c->index = rd_u64(r);
	c->commit = rd_u64(r);
	c->len = 0;
	c->data = NULL;
	rd_conf_blob(r, c->index > c->commit, &c->len, &c->data);
}

/* The trailing configuration flag is optional: older nodes omit it. */
static void rd_hb_ack(struct rd *r, struct px_hb_ack *a)
{
	a->seq = rd_u64(r);
	a->commit = rd_u64(r);
	a->conf_unknown = 0;
	if (!r->err && r->p < r->end) {
		a->conf_unknown = *r->p++;
		if (a->conf_unknown > 1)
			r->err = -PX_WE_BAD_FIELD;
	}
}

static void rd_heartbeat(struct rd *r, struct px_heartbeat *h)
{
	h->commit = rd_u64(r);
	h->seq = rd_u64(r);
	h->all_have = rd_u64(r);
}

static void rd_body(struct rd *r, struct px_msg *m)
{
	switch (m->h.type) {
	case PX_MSG_PREPARE:
		m->prepare.first = rd_u64(r);
		break;
	case PX_MSG_PROMISE:
		m->promise.first = rd_u64(r);
		m->promise.commit = rd_u64(r);
		rd_frag(r, &m->promise.frag, PX_FRAG_LAST);
		rd_cv(r, &m->promise.cv);
		rd_entries(r, &m->promise.ents);
		break;
	case PX_MSG_ACCEPT:
		m->accept.commit = rd_u64(r);
		rd_entries(r, &m->accept.ents);
		break;
	case PX_MSG_ACCEPTED:
		m->accepted.lo = rd_u64(r);
		m->accepted.hi = rd_u64(r);
		m->accepted.commit = rd_u64(r);
		rd_cv(r, &m->accepted.cv);
		break;
	case PX_MSG_NACK:
		break;
	case PX_MSG_HEARTBEAT:
		rd_heartbeat(r, &m->heartbeat);
		break;
	case PX_MSG_HEARTBEAT_ACK:
		rd_hb_ack(r, &m->hb_ack);
		break;
	case PX_MSG_FORWARD:
		rd_entries(r, &m->forward.ents);
		break;
	case PX_MSG_CATCHUP_REQ:
		m->catchup_req.from = rd_u64(r);
		break;
	case PX_MSG_CATCHUP:
		m->catchup.first = rd_u64(r);
		m->catchup.commit = rd_u64(r);
		rd_frag(r, &m->catchup.frag, PX_FRAG_LAST | PX_FRAG_BEHIND);
		rd_dd(r, &m->catchup.dd);
		rd_entries(r, &m->catchup.ents);
		break;
	case PX_MSG_RECOVER:
		m->recover.nonce = rd_u64(r);
		break;
	case PX_MSG_RECOVER_REPLY:
		m->recover_reply.nonce = rd_u64(r);
		m->recover_reply.commit = rd_u64(r);
		m->recover_reply.promised = rd_u64(r);
		rd_frag(r, &m->recover_reply.frag,
			PX_FRAG_LAST | PX_FRAG_RECOVERING);
		rd_entries(r, &m->recover_reply.ents);
		break;
	case PX_MSG_BARRIER_REQ:
		m->barrier_req.token = rd_u64(r);
		break;
	case PX_MSG_BARRIER_REPLY:
		m->barrier_reply.token = rd_u64(r);
		m->barrier_reply.index = rd_u64(r);
		break;
	case PX_MSG_SNAP_CHUNK:
		rd_snap_chunk(r, &m->snap_chunk);
		break;
	case PX_MSG_SNAP_ACK:
		m->snap_ack.index = rd_u64(r);
		m->snap_ack.next = rd_u64(r);
		m->snap_ack.have = rd_u64(r);
		break;
	case PX_MSG_SESS_REQ:
		m->sess_req.index = rd_u64(r);
		break;
	case PX_MSG_SESS:
		rd_sess(r, &m->sess);
		break;
	case PX_MSG_CONFIG:
	case PX_MSG_CHANGE:
		rd_conf(r, &m->conf);
		break;
	}
}

int px_wire_decode(const void *buf, size_t len, struct px_msg *m)
{
	const u8 *p = buf;
	struct rd r = { .p = p + PX_HDR_LEN, .end = p + len };

	if (len < PX_HDR_LEN)
		return -PX_WE_SHORT;
	if (get16(p) != PX_WIRE_MAGIC)
		return -PX_WE_BAD_MAGIC;
	if (p[2] != PX_WIRE_VERSION)
		return -PX_WE_BAD_VERSION;
	if (p[3] == 0 || p[3] >= __PX_MSG_MAX)
		return -PX_WE_BAD_TYPE;
	if (p[5] || (p[4] & ~PX_WF_MAC))
		return -PX_WE_BAD_FIELD;
	m->h.type = p[3];
	m->h.flags = p[4];
	m->h.sender = get16(p + 6);
	m->h.cluster = get32(p + 8);
	m->h.incarnation = get64(p + 12);
	m->h.ballot = get64(p + 20);
	if (!m->h.sender)
		return -PX_WE_BAD_FIELD;
	r.type = m->h.type;
	if (r.type == PX_MSG_PREVOTE || r.type == PX_MSG_PREVOTE_REPLY ||
	    r.type == PX_MSG_TIMEOUT_NOW)
		rd_vote(&r, m);
	else
		rd_body(&r, m);
	if (!r.err && r.p != r.end)
		r.err = -PX_WE_TRAILING;
	return r.err;
}

const struct px_cvec *px_wire_cv(const struct px_msg *m)
{
	if (m->h.type == PX_MSG_PROMISE)
		return &m->promise.cv;
	if (m->h.type == PX_MSG_ACCEPTED)
		return &m->accepted.cv;
	return NULL;
}

const struct px_entries *px_wire_ents(const struct px_msg *m)
{
	switch (m->h.type) {
	case PX_MSG_PROMISE:
		return &m->promise.ents;
	case PX_MSG_ACCEPT:
		return &m->accept.ents;
	case PX_MSG_FORWARD:
		return &m->forward.ents;
	case PX_MSG_CATCHUP:
		return &m->catchup.ents;
	case PX_MSG_RECOVER_REPLY:
		return &m->recover_reply.ents;
	default:
		return NULL;
	}
}

void px_wire_entry(const struct px_entries *es, size_t *off,
		   struct px_wentry *e)
{
	const u8 *q = es->raw + *off;

	e->index = get64(q);
	e->ballot = get64(q + 8);
	e->id.incarnation = get64(q + 16);
	e->id.seq = get64(q + 24);
	e->id.origin = get16(q + 32);
	e->type = (enum px_entry_type)q[34];
	e->len = get32(q + 36);
	e->id.session = 0;
	e->id.cseq = 0;
	if (q[35] & PX_EF_SESSION) {
		e->id.session = get64(q + PX_ENTRY_HDR_LEN);
		e->id.cseq = get64(q + PX_ENTRY_HDR_LEN + 8);
	}
	e->data = q + entry_hlen(q);
	*off += entry_hlen(q) + e->len;
}

void px_wire_session(const struct px_sess_table *m, u16 i,
		     struct px_session *out)
{
	const u8 *q = m->raw + (size_t)i * PX_SESS_LEN;

	out->id = get64(q);
	out->seq = get64(q + 8);
	out->index = get64(q + 16);
}

u32 px_wire_sender(const void *buf, size_t len)
{
	return len < PX_HDR_LEN ? 0 : get16((const u8 *)buf + 6);
}

u8 px_wire_flags(const void *buf)
{
	return ((const u8 *)buf)[4];
}

void px_wire_set_flags(void *buf, u8 flags)
{
	((u8 *)buf)[4] = flags;
}

/* ------------------------------------------------------------ encoding */

static void wr_u8(struct px_wbuf *w, u8 v)
{
	w->p[w->len++] = v;
}

static void wr_u16(struct px_wbuf *w, u16 v)
{
	put16(w->p + w->len, v);
	w->len += 2;
}

static void wr_u64(struct px_wbuf *w, u64 v)
{
	put64(w->p + w->len, v);
	w->len += 8;
}

static void wr_type(struct px_wbuf *w, u8 type)
{
	w->p[3] = type;
}

static void wr_frag(struct px_wbuf *w, const struct px_frag *f)
{
	w->frag_off = w->len;
	wr_u8(w, f->flags);
	wr_u8(w, f->num);
}

static void wr_cv(struct px_wbuf *w, const struct px_cvec *cv)
{
	u16 i;

	wr_u16(w, cv->n);
	for (i = 0; i < cv->n; i++) {
		put16(w->p + w->len, (u16)cv->cv[i].id);
		put64(w->p + w->len + 2, cv->cv[i].incarnation);
		w->len += PX_CV_LEN;
	}
}

static void wr_dd(struct px_wbuf *w, const struct px_ddvec *dd)
{
	u16 i;

	wr_u16(w, dd->n);
	for (i = 0; i < dd->n; i++) {
		const struct px_dd *d = &dd->dd[i];

		put16(w->p + w->len, (u16)d->origin);
		put64(w->p + w->len + 2, d->incarnation);
		put64(w->p + w->len + 10, d->base);
		put64(w->p + w->len + 18, d->bits);
		w->len += PX_DD_LEN;
	}
}

/* The entry count; entries follow. */
static void wr_entries(struct px_wbuf *w)
{
	w->count_off = w->len;
	w->count = 0;
	wr_u16(w, 0);
}

void px_wire_begin(struct px_wbuf *w, void *buf, size_t cap, u32 sender,
		   u32 cluster, u64 incarnation, u64 ballot)
{
	u8 *p = buf;

	w->p = p;
	w->cap = cap;
	w->len = PX_HDR_LEN;
	w->count_off = 0;
	w->frag_off = 0;
	w->count = 0;
	put16(p, PX_WIRE_MAGIC);
	p[2] = PX_WIRE_VERSION;
	p[3] = 0;
	p[4] = 0;
	p[5] = 0;
	put16(p + 6, (u16)sender);
	put32(p + 8, cluster);
	put64(p + 12, incarnation);
	put64(p + 20, ballot);
}

void px_wire_prepare(struct px_wbuf *w, const struct px_prepare *m)
{
	wr_type(w, PX_MSG_PREPARE);
	wr_u64(w, m->first);
}

void px_wire_promise(struct px_wbuf *w, const struct px_promise *m)
{
	wr_type(w, PX_MSG_PROMISE);
	wr_u64(w, m->first);
	wr_u64(w, m->commit);
	wr_frag(w, &m->frag);
	wr_cv(w, &m->cv);
	wr_entries(w);
}

void px_wire_accept(struct px_wbuf *w, const struct px_accept *m)
{
	wr_type(w, PX_MSG_ACCEPT);
	wr_u64(w, m->commit);
	wr_entries(w);
}

void px_wire_accepted(struct px_wbuf *w, const struct px_accepted *m)
{
	wr_type(w, PX_MSG_ACCEPTED);
	wr_u64(w, m->lo);
	wr_u64(w, m->hi);
	wr_u64(w, m->commit);
	wr_cv(w, &m->cv);
}

void px_wire_nack(struct px_wbuf *w)
{
	wr_type(w, PX_MSG_NACK);
}

void px_wire_heartbeat(struct px_wbuf *w, const struct px_heartbeat *m)
{
	wr_type(w, PX_MSG_HEARTBEAT);
	wr_u64(w, m->commit);
	wr_u64(w, m->seq);
	wr_u64(w, m->all_have);
}

void px_wire_hb_ack(struct px_wbuf *w, const struct px_hb_ack *m)
{
	wr_type(w, PX_MSG_HEARTBEAT_ACK);
	wr_u64(w, m->seq);
	wr_u64(w, m->commit);
	wr_u8(w, m->conf_unknown);
}

void px_wire_forward(struct px_wbuf *w)
{
	wr_type(w, PX_MSG_FORWARD);
	wr_entries(w);
}

void px_wire_catchup_req(struct px_wbuf *w, const struct px_catchup_req *m)
{
	wr_type(w, PX_MSG_CATCHUP_REQ);
	wr_u64(w, m->from);
}

void px_wire_catchup(struct px_wbuf *w, const struct px_catchup *m)
{
	wr_type(w, PX_MSG_CATCHUP);
	wr_u64(w, m->first);
	wr_u64(w, m->commit);
	wr_frag(w, &m->frag);
	wr_dd(w, &m->dd);
	wr_entries(w);
}

void px_wire_recover(struct px_wbuf *w, const struct px_recover *m)
{
	wr_type(w, PX_MSG_RECOVER);
	wr_u64(w, m->nonce);
}

void px_wire_recover_reply(struct px_wbuf *w, const struct px_recover_reply *m)
{
	wr_type(w, PX_MSG_RECOVER_REPLY);
	wr_u64(w, m->nonce);
	wr_u64(w, m->commit);
	wr_u64(w, m->promised);
	wr_frag(w, &m->frag);
	wr_entries(w);
}

void px_wire_barrier_req(struct px_wbuf *w, const struct px_barrier_req *m)
{
	wr_type(w, PX_MSG_BARRIER_REQ);
	wr_u64(w, m->token);
}

void px_wire_barrier_reply(struct px_wbuf *w, const struct px_barrier_reply *m)
{
	wr_type(w, PX_MSG_BARRIER_REPLY);
	wr_u64(w, m->token);
	wr_u64(w, m->index);
}

u8 *px_wire_snap_chunk(struct px_wbuf *w, const struct px_snap_chunk *m)
{
	u8 *data;

	wr_type(w, PX_MSG_SNAP_CHUNK);
	wr_u64(w, m->index);
	wr_u64(w, m->size);
	wr_u64(w, m->csum);
	wr_u64(w, m->offset);
	wr_dd(w, &m->dd);
	put32(w->p + w->len, m->len);
	w->len += 4;
	data = w->p + w->len;
	w->len += m->len;
	wr_u64(w, m->conf);
	if (m->conf_len) {
		wr_u16(w, m->conf_len);
		memcpy(w->p + w->len, m->conf_data, m->conf_len);
		w->len += m->conf_len;
	}
	return data;
}

void px_wire_snap_ack(struct px_wbuf *w, const struct px_snap_ack *m)
{
	wr_type(w, PX_MSG_SNAP_ACK);
	wr_u64(w, m->index);
	wr_u64(w, m->next);
	wr_u64(w, m->have);
}

void px_wire_sess_req(struct px_wbuf *w, const struct px_sess_req *m)
{
	wr_type(w, PX_MSG_SESS_REQ);
	wr_u64(w, m->index);
}

void px_wire_sess(struct px_wbuf *w, u64 index, const struct px_sessions *t)
{
	u32 i;

	wr_type(w, PX_MSG_SESS);
	wr_u64(w, index);
	wr_u8(w, t ? 0 : PX_SESS_GONE);
	wr_u16(w, t ? (u16)t->n : 0);
	for (i = 0; t && i < t->n; i++) {
		wr_u64(w, t->s[i].id);
		wr_u64(w, t->s[i].seq);
		wr_u64(w, t->s[i].index);
	}
}

void px_wire_prevote(struct px_wbuf *w, const struct px_prevote *m)
{
	wr_type(w, PX_MSG_PREVOTE);
	wr_u64(w, m->commit);
}

void px_wire_prevote_reply(struct px_wbuf *w, const struct px_prevote_reply *m)
{
	wr_type(w, PX_MSG_PREVOTE_REPLY);
	wr_u64(w, m->ballot);
	wr_u8(w, m->granted);
}

void px_wire_timeout_now(struct px_wbuf *w, const struct px_timeout_now *m)
{
	wr_type(w, PX_MSG_TIMEOUT_NOW);
	wr_u64(w, m->target);
}

static void wr_conf(struct px_wbuf *w, u8 type, const struct px_conf_msg *m)
{
	wr_type(w, type);
	wr_u64(w, m->index);
	wr_u64(w, m->commit);
	wr_u16(w, m->len);
	memcpy(w->p + w->len, m->data, m->len);
	w->len += m->len;
}

void px_wire_conf(struct px_wbuf *w, const struct px_conf_msg *m)
{
	wr_conf(w, PX_MSG_CONFIG, m);
}

void px_wire_change(struct px_wbuf *w, const struct px_conf_msg *m)
{
	wr_conf(w, PX_MSG_CHANGE, m);
}

/* The most an entry of @len bytes takes: callers plan with this. */
size_t px_wire_entry_size(u32 len)
{
	return PX_ENTRY_HDR_LEN + PX_ENTRY_SESS_LEN + len;
}

bool px_wire_add_entry(struct px_wbuf *w, const struct px_wentry *e)
{
	size_t hlen = PX_ENTRY_HDR_LEN + (e->id.session ? PX_ENTRY_SESS_LEN : 0);
	u8 *q;

	if (w->len + hlen + e->len > w->cap ||
	    w->count >= PX_MAX_WIRE_ENTRIES)
		return false;
	q = w->p + w->len;
	put64(q, e->index);
	put64(q + 8, e->ballot);
	put64(q + 16, e->id.incarnation);
	put64(q + 24, e->id.seq);
	put16(q + 32, (u16)e->id.origin);
	q[34] = (u8)e->type;
	q[35] = e->id.session ? PX_EF_SESSION : 0;
	put32(q + 36, e->len);
	if (e->id.session) {
		put64(q + PX_ENTRY_HDR_LEN, e->id.session);
		put64(q + PX_ENTRY_HDR_LEN + 8, e->id.cseq);
	}
	if (e->len)
		memcpy(q + hlen, e->data, e->len);
	w->len += hlen + e->len;
	w->count++;
	put16(w->p + w->count_off, w->count);
	return true;
}

void px_wire_last(struct px_wbuf *w)
{
	if (w->frag_off)
		w->p[w->frag_off] |= PX_FRAG_LAST;
}

/* The most a body of @type carries besides its entries. */
static size_t fixed_len(u8 type)
{
	const size_t frag = 2, count = 2;
	const size_t cv = count + PX_MAX_NODES * PX_CV_LEN;
	const size_t dd = count + PX_MAX_NODES * PX_DD_LEN;

	switch (type) {
	case PX_MSG_PROMISE:
		return 2 * 8 + frag + cv + count;
	case PX_MSG_ACCEPT:
		return 8 + count;
	case PX_MSG_FORWARD:
		return count;
	case PX_MSG_CATCHUP:
		return 2 * 8 + frag + dd + count;
	case PX_MSG_RECOVER_REPLY:
		return 3 * 8 + frag + count;
	default:
		return PX_MAX_DATAGRAM - PX_HDR_LEN;
	}
}

size_t px_wire_entry_room(u8 type)
{
	return PX_MAX_DATAGRAM - PX_HDR_LEN - fixed_len(type);
}

size_t px_wire_min_batch(u8 type)
{
	return PX_HDR_LEN + fixed_len(type) + px_wire_entry_size(0);
}
