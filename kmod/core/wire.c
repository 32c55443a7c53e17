// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding and strict decoding of kpaxos datagrams (layout in wire.h).
 * A body is, in this order: zero to three u64 fields, then for some types
 * a flags byte and a fragment number, then for some types a crash vector
 * (u16 count, pairs), for CATCHUP the duplicate-suppression state (u16
 * count, records), then for some types log entries (u16 count, entries).
 */
#include "wire.h"

struct px_layout {
	u8 nu64;
	bool flags;
	bool cv;
	bool entries;
	bool dd;
};

static const struct px_layout layouts[__PX_MSG_MAX] = {
	[PX_MSG_PREPARE]	= { 1, false, false, false },
	[PX_MSG_PROMISE]	= { 2, true,  true,  true  },
	[PX_MSG_ACCEPT]		= { 1, false, false, true  },
	[PX_MSG_ACCEPTED]	= { 3, false, true,  false },
	[PX_MSG_NACK]		= { 0, false, false, false },
	[PX_MSG_HEARTBEAT]	= { 3, false, false, false },
	[PX_MSG_HEARTBEAT_ACK]	= { 2, false, false, false },
	[PX_MSG_FORWARD]	= { 0, false, false, true  },
	[PX_MSG_CATCHUP_REQ]	= { 1, false, false, false },
	[PX_MSG_CATCHUP]	= { 2, true,  false, true, true },
	[PX_MSG_RECOVER]	= { 1, false, false, false },
	[PX_MSG_RECOVER_REPLY]	= { 3, true,  false, true  },
	[PX_MSG_BARRIER_REQ]	= { 1, false, false, false },
	[PX_MSG_BARRIER_REPLY]	= { 2, false, false, false },
};

static u16 get16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static u32 get32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static u64 get64(const u8 *p)
{
	return (u64)get32(p) << 32 | get32(p + 4);
}

static void put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void put64(u8 *p, u64 v)
{
	put32(p, v >> 32);
	put32(p + 4, (u32)v);
}

size_t px_wire_entry_size(u32 len)
{
	return PX_ENTRY_HDR_LEN + len;
}

int px_wire_decode(const void *buf, size_t len, struct px_msg *m)
{
	const u8 *p = buf, *end = p + len;
	const struct px_layout *l;
	u64 *u[3];
	unsigned int i;

	if (len < PX_HDR_LEN)
		return -PX_WE_SHORT;
	if (get16(p) != PX_WIRE_MAGIC)
		return -PX_WE_BAD_MAGIC;
	if (p[2] != PX_WIRE_VERSION)
		return -PX_WE_BAD_VERSION;
	if (p[3] == 0 || p[3] >= __PX_MSG_MAX)
		return -PX_WE_BAD_TYPE;
	m->type = p[3];
	m->flags = p[4];
	if (p[5] || (p[4] & ~PX_WF_MAC))
		return -PX_WE_BAD_FIELD;
	m->sender = get16(p + 6);
	m->cluster = get32(p + 8);
	m->incarnation = get64(p + 12);
	m->ballot = get64(p + 20);
	if (!m->sender)
		return -PX_WE_BAD_FIELD;
	p += PX_HDR_LEN;

	l = &layouts[m->type];
	m->a = 0;
	m->b = 0;
	m->c = 0;
	m->bflags = 0;
	m->frag = 0;
	m->ncv = 0;
	m->ndd = 0;
	m->nentries = 0;
	m->entries = NULL;
	m->entries_len = 0;
	u[0] = &m->a;
	u[1] = &m->b;
	u[2] = &m->c;
	if ((size_t)(end - p) < 8u * l->nu64)
		return -PX_WE_SHORT;
	for (i = 0; i < l->nu64; i++, p += 8)
		*u[i] = get64(p);
	if (l->flags) {
		if (end - p < 2)
			return -PX_WE_SHORT;
		m->bflags = p[0];
		m->frag = p[1];
		if (m->bflags & ~(PX_PROMISE_LAST | PX_CATCHUP_BEHIND |
				  PX_RECOVERING) || m->frag >= 64)
			return -PX_WE_BAD_FIELD;
		p += 2;
	}
	if (l->cv) {
		if (end - p < 2)
			return -PX_WE_SHORT;
		m->ncv = get16(p);
		p += 2;
		if (m->ncv > PX_MAX_NODES)
			return -PX_WE_BAD_COUNT;
		if ((size_t)(end - p) < (size_t)m->ncv * PX_CV_LEN)
			return -PX_WE_OVERRUN;
		for (i = 0; i < m->ncv; i++, p += PX_CV_LEN) {
			m->cv[i].id = get16(p);
			m->cv[i].incarnation = get64(p + 2);
			if (!m->cv[i].id)
				return -PX_WE_BAD_FIELD;
		}
	}
	if (l->dd) {
		if (end - p < 2)
			return -PX_WE_SHORT;
		m->ndd = get16(p);
		p += 2;
		if (m->ndd > PX_MAX_NODES)
			return -PX_WE_BAD_COUNT;
		if ((size_t)(end - p) < (size_t)m->ndd * PX_DD_LEN)
			return -PX_WE_OVERRUN;
		for (i = 0; i < m->ndd; i++, p += PX_DD_LEN) {
			m->dd[i].origin = get16(p);
			m->dd[i].incarnation = get64(p + 2);
			m->dd[i].base = get64(p + 10);
			m->dd[i].bits = get64(p + 18);
			if (!m->dd[i].origin)
				return -PX_WE_BAD_FIELD;
		}
	}
	if (l->entries) {
		const u8 *q;

		if (end - p < 2)
			return -PX_WE_SHORT;
		m->nentries = get16(p);
		p += 2;
		if (m->nentries > PX_MAX_WIRE_ENTRIES)
			return -PX_WE_BAD_COUNT;
		if (m->type == PX_MSG_FORWARD && m->nentries == 0)
			return -PX_WE_BAD_COUNT;
		m->entries = p;
		for (i = 0, q = p; i < m->nentries; i++) {
			u32 vlen;
			u8 type;

			if (end - q < PX_ENTRY_HDR_LEN)
				return -PX_WE_OVERRUN;
			type = q[34];
			vlen = get32(q + 36);
			if (type < PX_ENTRY_DATA || type > PX_ENTRY_CONFIG ||
			    q[35] || vlen > PX_MAX_VALUE ||
			    (!get64(q) && m->type != PX_MSG_FORWARD) ||
			    (type == PX_ENTRY_NOOP && vlen))
				return -PX_WE_BAD_FIELD;
			if ((size_t)(end - q - PX_ENTRY_HDR_LEN) < vlen)
				return -PX_WE_OVERRUN;
			q += PX_ENTRY_HDR_LEN + vlen;
		}
		m->entries_len = q - p;
		p = q;
	}
	if (p != end)
		return -PX_WE_TRAILING;
	return 0;
}

void px_wire_entry(const struct px_msg *m, size_t *off, struct px_wentry *e)
{
	const u8 *q = m->entries + *off;

	e->index = get64(q);
	e->ballot = get64(q + 8);
	e->id.incarnation = get64(q + 16);
	e->id.seq = get64(q + 24);
	e->id.origin = get16(q + 32);
	e->type = (enum px_entry_type)q[34];
	e->len = get32(q + 36);
	e->data = q + PX_ENTRY_HDR_LEN;
	*off += PX_ENTRY_HDR_LEN + e->len;
}

void px_wire_begin(struct px_wbuf *w, void *buf, size_t cap, u8 type,
		   u32 sender, u32 cluster, u64 incarnation, u64 ballot)
{
	u8 *p = buf;

	w->p = p;
	w->cap = cap;
	w->len = PX_HDR_LEN;
	w->count_off = 0;
	w->count = 0;
	put16(p, PX_WIRE_MAGIC);
	p[2] = PX_WIRE_VERSION;
	p[3] = type;
	p[4] = 0;
	p[5] = 0;
	put16(p + 6, (u16)sender);
	put32(p + 8, cluster);
	put64(p + 12, incarnation);
	put64(p + 20, ballot);
}

void px_wire_u8(struct px_wbuf *w, u8 v)
{
	w->p[w->len++] = v;
}

void px_wire_u16(struct px_wbuf *w, u16 v)
{
	put16(w->p + w->len, v);
	w->len += 2;
}

void px_wire_u64(struct px_wbuf *w, u64 v)
{
	put64(w->p + w->len, v);
	w->len += 8;
}

void px_wire_cvs(struct px_wbuf *w, const struct px_cv *cv, u16 n)
{
	u16 i;

	px_wire_u16(w, n);
	for (i = 0; i < n; i++) {
		put16(w->p + w->len, (u16)cv[i].id);
		put64(w->p + w->len + 2, cv[i].incarnation);
		w->len += PX_CV_LEN;
	}
}

void px_wire_dds(struct px_wbuf *w, const struct px_dd *dd, u16 n)
{
	u16 i;

	px_wire_u16(w, n);
	for (i = 0; i < n; i++) {
		put16(w->p + w->len, (u16)dd[i].origin);
		put64(w->p + w->len + 2, dd[i].incarnation);
		put64(w->p + w->len + 10, dd[i].base);
		put64(w->p + w->len + 18, dd[i].bits);
		w->len += PX_DD_LEN;
	}
}

void px_wire_count(struct px_wbuf *w)
{
	w->count_off = w->len;
	w->count = 0;
	px_wire_u16(w, 0);
}

bool px_wire_add_entry(struct px_wbuf *w, const struct px_wentry *e)
{
	u8 *q;

	if (w->len + px_wire_entry_size(e->len) > w->cap ||
	    w->count >= PX_MAX_WIRE_ENTRIES)
		return false;
	q = w->p + w->len;
	put64(q, e->index);
	put64(q + 8, e->ballot);
	put64(q + 16, e->id.incarnation);
	put64(q + 24, e->id.seq);
	put16(q + 32, (u16)e->id.origin);
	q[34] = (u8)e->type;
	q[35] = 0;
	put32(q + 36, e->len);
	if (e->len)
		memcpy(q + PX_ENTRY_HDR_LEN, e->data, e->len);
	w->len += px_wire_entry_size(e->len);
	w->count++;
	put16(w->p + w->count_off, w->count);
	return true;
}
