// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the engine: the wire codec (every malformed class), and
 * small scripted clusters on a lossless in-memory network for elections,
 * phase 1 adoption, no-ops, pipelining, batching, duplicate suppression,
 * leases and barriers, recovery and trimming.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

static int passed, failed;

#define CHECK(c) do {							\
	if (c) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("not ok %s:%d: %s\n", __FILE__, __LINE__, #c);	\
	}								\
} while (0)

#define MS 1000000ULL

/* ------------------------------------------------------------ wire */

static size_t sample_accept(u8 *buf, u16 nent, u32 vlen)
{
	struct px_wbuf w;
	struct px_wentry e = { .index = 5, .ballot = 1ULL << 32 | 1,
			       .type = PX_ENTRY_DATA, .len = vlen };
	static u8 val[PX_MAX_VALUE];
	u16 i;

	e.id.origin = 2;
	e.id.seq = 9;
	e.data = val;
	struct px_accept a = { .commit = 4 };

	px_wire_begin(&w, buf, PX_MAX_DATAGRAM, 1, 7, 42, 1ULL << 32 | 1);
	px_wire_accept(&w, &a);
	for (i = 0; i < nent; i++) {
		e.index = 5 + i;
		px_wire_add_entry(&w, &e);
	}
	return w.len;
}

static void test_wire(void)
{
	static u8 buf[PX_MAX_DATAGRAM + 64];
	struct px_msg m;
	struct px_wentry e;
	size_t len, off = 0;

	len = sample_accept(buf, 3, 10);
	CHECK(px_wire_decode(buf, len, &m) == 0);
	CHECK(m.h.type == PX_MSG_ACCEPT && m.h.sender == 1 && m.h.cluster == 7);
	CHECK(m.h.incarnation == 42 && m.accept.commit == 4 &&
	      m.accept.ents.count == 3);
	px_wire_entry(&m.accept.ents, &off, &e);
	CHECK(e.index == 5 && e.len == 10 && e.id.origin == 2 && e.id.seq == 9);
	px_wire_entry(&m.accept.ents, &off, &e);
	CHECK(e.index == 6);

	CHECK(px_wire_decode(buf, 10, &m) == -PX_WE_SHORT);
	CHECK(px_wire_decode(buf, PX_HDR_LEN + 4, &m) == -PX_WE_SHORT);
	CHECK(px_wire_decode(buf, len - 1, &m) == -PX_WE_OVERRUN);
	buf[len] = 0;
	CHECK(px_wire_decode(buf, len + 1, &m) == -PX_WE_TRAILING);
	buf[0] ^= 0xff;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_BAD_MAGIC);
	buf[0] ^= 0xff;
	buf[2] = 9;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_BAD_VERSION);
	buf[2] = PX_WIRE_VERSION;
	buf[3] = 0;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_BAD_TYPE);
	buf[3] = __PX_MSG_MAX;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_BAD_TYPE);
	buf[3] = PX_MSG_ACCEPT;
	buf[4] = 0x80;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_BAD_FIELD);
	buf[4] = 0;
	/* The entry count claims more than the protocol allows. */
	buf[PX_HDR_LEN + 8] = 0xff;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_BAD_COUNT);
	buf[PX_HDR_LEN + 8] = 0;
	/* An entry length that runs past the end. */
	buf[PX_HDR_LEN + 10 + 36] = 0x7f;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_BAD_FIELD);
	buf[PX_HDR_LEN + 10 + 36] = 0;
	buf[PX_HDR_LEN + 10 + 39] = 200;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_OVERRUN);
	buf[PX_HDR_LEN + 10 + 39] = 10;
	/* A bad entry type. */
	buf[PX_HDR_LEN + 10 + 34] = 9;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_BAD_FIELD);
	buf[PX_HDR_LEN + 10 + 34] = PX_ENTRY_DATA;
	/* Sender 0 is not a node. */
	buf[6] = 0;
	buf[7] = 0;
	CHECK(px_wire_decode(buf, len, &m) == -PX_WE_BAD_FIELD);
	buf[7] = 1;
	CHECK(px_wire_decode(buf, len, &m) == 0);
	/* The largest value fits in one datagram. */
	len = sample_accept(buf, 1, PX_MAX_VALUE);
	CHECK(len <= PX_MAX_DATAGRAM && px_wire_decode(buf, len, &m) == 0);
}

/* Encode @t with every field set, decode it, and compare. */
static void roundtrip(u8 t)
{
	static u8 buf[PX_MAX_DATAGRAM];
	struct px_wentry e = { .index = 3, .ballot = 5, .type = PX_ENTRY_DATA,
			       .id = { 2, 11, 13, 0x5e55, 4 }, .len = 4,
			       .data = (const u8 *)"abcd" };
	static struct px_sessions st = { 2, { { 7, 3, 12 }, { 9, 1, 16 } } };
	struct px_cvec cv = { 2, { { 1, 100 }, { 3, 300 } } };
	struct px_ddvec dd = { 1, { { 2, 11, 7, 0x5 } } };
	struct px_frag f = { PX_FRAG_LAST, 3 };
	struct px_msg m, d;
	struct px_wbuf w;
	bool ents = false;
	size_t off = 0;

	memset(&m, 0, sizeof(m));
	px_wire_begin(&w, buf, sizeof(buf), 4, 7, 99, 6ULL << 32 | 4);
	switch (t) {
	case PX_MSG_PREPARE:
		m.prepare.first = 17;
		px_wire_prepare(&w, &m.prepare);
		break;
	case PX_MSG_PROMISE:
		m.promise = (struct px_promise){ 17, 16, f, cv, { 0 } };
		px_wire_promise(&w, &m.promise);
		ents = true;
		break;
	case PX_MSG_ACCEPT:
		m.accept.commit = 16;
		px_wire_accept(&w, &m.accept);
		ents = true;
		break;
	case PX_MSG_ACCEPTED:
		m.accepted = (struct px_accepted){ 17, 19, 16, cv };
		px_wire_accepted(&w, &m.accepted);
		break;
	case PX_MSG_NACK:
		px_wire_nack(&w);
		break;
	case PX_MSG_HEARTBEAT:
		m.heartbeat = (struct px_heartbeat){ 16, 8, 12 };
		px_wire_heartbeat(&w, &m.heartbeat);
		break;
	case PX_MSG_HEARTBEAT_ACK:
		m.hb_ack = (struct px_hb_ack){ 8, 16, 1 };
		px_wire_hb_ack(&w, &m.hb_ack);
		break;
	case PX_MSG_FORWARD:
		px_wire_forward(&w);
		ents = true;
		break;
	case PX_MSG_CATCHUP_REQ:
		m.catchup_req.from = 17;
		px_wire_catchup_req(&w, &m.catchup_req);
		break;
	case PX_MSG_CATCHUP:
		f.flags = PX_FRAG_BEHIND;
		m.catchup = (struct px_catchup){ 9, 16, f, dd, { 0 } };
		px_wire_catchup(&w, &m.catchup);
		ents = true;
		break;
	case PX_MSG_RECOVER:
		m.recover.nonce = 77;
		px_wire_recover(&w, &m.recover);
		break;
	case PX_MSG_RECOVER_REPLY:
		f.flags = PX_FRAG_RECOVERING;
		m.recover_reply = (struct px_recover_reply){ 77, 16, 5, f, { 0 } };
		px_wire_recover_reply(&w, &m.recover_reply);
		ents = true;
		break;
	case PX_MSG_BARRIER_REQ:
		m.barrier_req.token = 55;
		px_wire_barrier_req(&w, &m.barrier_req);
		break;
	case PX_MSG_BARRIER_REPLY:
		m.barrier_reply = (struct px_barrier_reply){ 55, 16 };
		px_wire_barrier_reply(&w, &m.barrier_reply);
		break;
	case PX_MSG_SNAP_CHUNK:
		m.snap_chunk = (struct px_snap_chunk){ 40, 8197, 77, 8192, dd, 5, NULL, 9, 3, (const u8 *)"cfg" };
		memcpy(px_wire_snap_chunk(&w, &m.snap_chunk), "snapz", 5);
		break;
	case PX_MSG_SNAP_ACK:
		m.snap_ack = (struct px_snap_ack){ 40, 8192, 0x8000000000000005ULL };
		px_wire_snap_ack(&w, &m.snap_ack);
		break;
	case PX_MSG_SESS_REQ:
		m.sess_req.index = 16;
		px_wire_sess_req(&w, &m.sess_req);
		break;
	case PX_MSG_SESS:
		px_wire_sess(&w, 16, &st);
		break;
	case PX_MSG_PREVOTE:
		m.prevote.commit = 16;
		px_wire_prevote(&w, &m.prevote);
		break;
	case PX_MSG_PREVOTE_REPLY:
		m.prevote_reply = (struct px_prevote_reply){ 7ULL << 32 | 2, 1 };
		px_wire_prevote_reply(&w, &m.prevote_reply);
		break;
	case PX_MSG_TIMEOUT_NOW:
		m.timeout_now.target = 3;
		px_wire_timeout_now(&w, &m.timeout_now);
		break;
	case PX_MSG_CONFIG:
		m.conf = (struct px_conf_msg){ 5, 9, 3, (const u8 *)"cfg" };
		px_wire_conf(&w, &m.conf);
		break;
	case PX_MSG_CHANGE:
		m.conf = (struct px_conf_msg){ 5, 9, 3, (const u8 *)"chg" };
		px_wire_change(&w, &m.conf);
		break;
	}
	if (ents)
		CHECK(px_wire_add_entry(&w, &e));
	px_wire_last(&w);
	memset(&d, 0xa5, sizeof(d));
	CHECK(px_wire_decode(buf, w.len, &d) == 0);
	CHECK(d.h.type == t && d.h.sender == 4 && d.h.cluster == 7 &&
	      d.h.incarnation == 99 && d.h.ballot == (6ULL << 32 | 4));
	switch (t) {
	case PX_MSG_PREPARE:
		CHECK(d.prepare.first == 17);
		break;
	case PX_MSG_PROMISE:
		CHECK(d.promise.first == 17 && d.promise.commit == 16);
		CHECK(d.promise.frag.num == 3 && d.promise.frag.flags == PX_FRAG_LAST);
		CHECK(d.promise.cv.n == 2 && d.promise.cv.cv[1].id == 3 &&
		      d.promise.cv.cv[1].incarnation == 300);
		CHECK(px_wire_cv(&d) == &d.promise.cv);
		break;
	case PX_MSG_ACCEPT:
		CHECK(d.accept.commit == 16);
		break;
	case PX_MSG_ACCEPTED:
		CHECK(d.accepted.lo == 17 && d.accepted.hi == 19 &&
		      d.accepted.commit == 16 && d.accepted.cv.n == 2);
		CHECK(px_wire_cv(&d) == &d.accepted.cv);
		break;
	case PX_MSG_HEARTBEAT:
		CHECK(d.heartbeat.commit == 16 && d.heartbeat.seq == 8 &&
		      d.heartbeat.all_have == 12);
		break;
	case PX_MSG_HEARTBEAT_ACK:
		CHECK(d.hb_ack.seq == 8 && d.hb_ack.commit == 16 && d.hb_ack.conf_unknown == 1);
		break;
	case PX_MSG_CATCHUP_REQ:
		CHECK(d.catchup_req.from == 17);
		break;
	case PX_MSG_CATCHUP:
		CHECK(d.catchup.first == 9 && d.catchup.commit == 16);
		CHECK(d.catchup.frag.flags == (PX_FRAG_BEHIND | PX_FRAG_LAST));
		CHECK(d.catchup.dd.n == 1 && d.catchup.dd.dd[0].origin == 2 &&
		      d.catchup.dd.dd[0].base == 7 && d.catchup.dd.dd[0].bits == 5);
		break;
	case PX_MSG_RECOVER:
		CHECK(d.recover.nonce == 77);
		break;
	case PX_MSG_RECOVER_REPLY:
		CHECK(d.recover_reply.nonce == 77 && d.recover_reply.commit == 16 &&
		      d.recover_reply.promised == 5);
		CHECK(d.recover_reply.frag.flags ==
		      (PX_FRAG_RECOVERING | PX_FRAG_LAST));
		break;
	case PX_MSG_BARRIER_REQ:
		CHECK(d.barrier_req.token == 55);
		break;
	case PX_MSG_BARRIER_REPLY:
		CHECK(d.barrier_reply.token == 55 && d.barrier_reply.index == 16);
		break;
	case PX_MSG_SNAP_CHUNK:
		CHECK(d.snap_chunk.index == 40 && d.snap_chunk.size == 8197 &&
		      d.snap_chunk.csum == 77 && d.snap_chunk.offset == 8192);
		CHECK(d.snap_chunk.dd.n == 1 && d.snap_chunk.dd.dd[0].bits == 5);
		CHECK(d.snap_chunk.conf == 9 && d.snap_chunk.conf_len == 3 &&
		      !memcmp(d.snap_chunk.conf_data, "cfg", 3));
		CHECK(d.snap_chunk.len == 5 && !memcmp(d.snap_chunk.data, "snapz", 5));
		/* A chunk past the snapshot's end is refused. */
		buf[PX_HDR_LEN + 8 + 6] = 0;	/* size 100 < offset */
		buf[PX_HDR_LEN + 8 + 7] = 100;
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_FIELD);
		/* So is one that is not the whole chunk at its offset. */
		buf[PX_HDR_LEN + 8 + 6] = 9000 >> 8;
		buf[PX_HDR_LEN + 8 + 7] = 9000 & 0xff;
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_FIELD);
		buf[PX_HDR_LEN + 8 + 6] = 8197 >> 8;
		buf[PX_HDR_LEN + 8 + 7] = 8197 & 0xff;
		buf[PX_HDR_LEN + 24 + 7] = 1;	/* offset 8193: not a chunk's */
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_FIELD);
		buf[PX_HDR_LEN + 24 + 7] = 0;
		break;
	case PX_MSG_SNAP_ACK:
		CHECK(d.snap_ack.index == 40 && d.snap_ack.next == 8192 &&
		      d.snap_ack.have == 0x8000000000000005ULL);
		break;
	case PX_MSG_SESS_REQ:
		CHECK(d.sess_req.index == 16);
		break;
	case PX_MSG_SESS: {
		struct px_session r;

		CHECK(d.sess.index == 16 && !d.sess.flags && d.sess.count == 2);
		px_wire_session(&d.sess, 1, &r);
		CHECK(r.id == 9 && r.seq == 1 && r.index == 16);
		/* Records out of order, or one past the table's index. */
		buf[w.len - 17] = 6;	/* session 9 -> 6 < 7 */
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_FIELD);
		buf[w.len - 17] = 9;
		buf[w.len - 1] = 17;		/* index 16 -> 17 */
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_FIELD);
		buf[w.len - 1] = 16;
		break;
	}
	case PX_MSG_PREVOTE:
		CHECK(d.prevote.commit == 16);
		break;
	case PX_MSG_PREVOTE_REPLY:
		CHECK(d.prevote_reply.ballot == (7ULL << 32 | 2) &&
		      d.prevote_reply.granted == 1);
		/* A vote is yes or no. */
		buf[w.len - 1] = 2;
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_FIELD);
		buf[w.len - 1] = 0;
		CHECK(px_wire_decode(buf, w.len, &d) == 0 &&
		      !d.prevote_reply.granted);
		break;
	case PX_MSG_TIMEOUT_NOW:
		CHECK(d.timeout_now.target == 3);
		/* A node id, never 0. */
		buf[w.len - 1] = 0;
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_FIELD);
		buf[w.len - 1] = 3;
		break;
	case PX_MSG_CONFIG:
	case PX_MSG_CHANGE:
		CHECK(d.conf.index == 5 && d.conf.commit == 9 && d.conf.len == 3 &&
		      !memcmp(d.conf.data, t == PX_MSG_CONFIG ? "cfg" : "chg", 3));
		/* Chosen above the commit index it comes with: refused. */
		buf[PX_HDR_LEN] = 10;
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_FIELD);
		buf[PX_HDR_LEN] = 5;
		break;
	}
	if (ents) {
		const struct px_entries *es = t == PX_MSG_PROMISE ? &d.promise.ents :
			t == PX_MSG_ACCEPT ? &d.accept.ents :
			t == PX_MSG_FORWARD ? &d.forward.ents :
			t == PX_MSG_CATCHUP ? &d.catchup.ents : &d.recover_reply.ents;
		struct px_wentry g;

		CHECK(es->count == 1);
		px_wire_entry(es, &off, &g);
		CHECK(g.index == 3 && g.ballot == 5 && g.id.origin == 2 &&
		      g.id.incarnation == 11 && g.id.seq == 13 && g.len == 4 &&
		      !memcmp(g.data, "abcd", 4));
		CHECK(g.id.session == 0x5e55 && g.id.cseq == 4);
	}
	/* A flag the type does not define, where it has fragments. */
	if (w.frag_off) {
		buf[w.frag_off] |= 0x80;
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_FIELD);
	}
	/*
	 * One byte short fails, whatever the type, but for a HEARTBEAT_ACK
	 * without its trailing configuration flag, as older nodes send it.
	 */
	if (t == PX_MSG_HEARTBEAT_ACK)
		CHECK(px_wire_decode(buf, w.len - 1, &d) == 0 &&
		      !d.hb_ack.conf_unknown);
	else
		CHECK(px_wire_decode(buf, w.len - 1, &d) < 0);
}

static void test_wire_types(void)
{
	u8 t;

	for (t = 1; t < __PX_MSG_MAX; t++)
		roundtrip(t);
	/* An empty FORWARD is refused: it would be work for nothing. */
	{
		static u8 buf[PX_HDR_LEN + 2];
		struct px_wbuf w;
		struct px_msg d;

		px_wire_begin(&w, buf, sizeof(buf), 4, 7, 99, 1);
		px_wire_forward(&w);
		CHECK(px_wire_decode(buf, w.len, &d) == -PX_WE_BAD_COUNT);
	}
}

/* ------------------------------------------------------------ quorum */

/* The client-session table: new, repeat, unknown, and who makes room. */
static void test_session_table(void)
{
	static struct px_sessions t;
	u64 i;

	CHECK(px_session_apply(&t, 50, 2, 1) == PX_SESS_UNKNOWN);
	CHECK(px_session_apply(&t, 50, 1, 2) == PX_SESS_NEW);
	CHECK(px_session_apply(&t, 50, 1, 3) == PX_SESS_REPEAT);
	CHECK(px_session_apply(&t, 50, 3, 4) == PX_SESS_NEW);	/* 2 overtaken */
	CHECK(px_session_apply(&t, 50, 2, 5) == PX_SESS_REPEAT);
	CHECK(px_session_find(&t, 50)->seq == 3 &&
	      px_session_find(&t, 50)->index == 4);
	/* Fill the table; session 50 wrote least recently, then 1000. */
	for (i = 0; i < PX_MAX_SESSIONS - 1; i++)
		CHECK(px_session_apply(&t, 1000 + i * 7, 1, 10 + i) == PX_SESS_NEW);
	CHECK(t.n == PX_MAX_SESSIONS);
	CHECK(px_session_apply(&t, 50, 4, 400) == PX_SESS_NEW);
	CHECK(px_session_apply(&t, 3, 1, 401) == PX_SESS_NEW);	/* 1000 goes */
	CHECK(t.n == PX_MAX_SESSIONS && !px_session_find(&t, 1000) &&
	      px_session_find(&t, 50) && px_session_find(&t, 3));
	CHECK(px_session_apply(&t, 1000, 2, 402) == PX_SESS_UNKNOWN);
	for (i = 1; i < t.n; i++)
		CHECK(t.s[i - 1].id < t.s[i].id);
}

static void test_quorum(void)
{
	struct px_quorum q;
	u64 v[PX_MAX_NODES] = { 5, 9, 7, 1, 3 };

	px_quorum_init(&q, 0x7);			/* 3 voters: 2 decide */
	CHECK(!px_quorum_has(&q, 0x1) && px_quorum_has(&q, 0x5));
	CHECK(px_quorum_has(&q, 0xff) && !px_quorum_has(&q, 0x18));
	CHECK(px_quorum_value(&q, v) == 7);		/* 2nd largest of 5, 9, 7 */
	/* Recovery: the others heard must meet every quorum with us. */
	CHECK(px_quorum_covers(&q, 0x1, 0x6) && !px_quorum_covers(&q, 0x1, 0x2));
	px_quorum_init(&q, 0xf);			/* 4 voters: 3 decide */
	CHECK(!px_quorum_has(&q, 0x3) && px_quorum_has(&q, 0xb));
	CHECK(px_quorum_covers(&q, 0x1, 0x6) && !px_quorum_covers(&q, 0x1, 0x4));
	px_quorum_init(&q, 0x1);			/* alone */
	CHECK(px_quorum_has(&q, 0x1) && !px_quorum_has(&q, 0x0));
	/* Joint: a majority of {0,1,2} and of {2,3,4}. */
	px_quorum_init(&q, 0x7);
	q.nsets = 2;
	q.set[1] = 0x1c;
	q.need[1] = 2;
	CHECK(!px_quorum_has(&q, 0x3) && !px_quorum_has(&q, 0x18));
	CHECK(px_quorum_has(&q, 0x6 | 0x8) && px_quorum_has(&q, 0x1b));
	CHECK(px_quorum_value(&q, v) == 3);		/* min(7, 3) */
}

/* ------------------------------------------------------------ cluster */

struct qmsg {
	u64 due;		/* delivered once C.now reaches it */
	u32 from, to, len;
	u8 data[PX_MAX_DATAGRAM];
};

static struct {
	u32 n;
	u64 now;
	u64 delay;		/* one-way network delay */
	struct px_node *px[5];
	u64 inc[5];
	bool cut[5];
	struct qmsg *q;
	u32 qn, qcap;
	u64 log[5][512];	/* delivered: origin << 48 | seq, or 0 for no-op */
	u64 ndel[5];
	u64 first_del[5];
	int barrier_done[5];
	u64 barrier_index[5];
	int full_ev[5];		/* PX_EV_LOG_FULL: full, then room again */
	int room_ev[5];
	u64 behind_ev[5];	/* the last PX_EV_BEHIND: a */
	u64 skipped_ev[5];	/* ... and b */
	int config_ev[5];	/* PX_EV_CONFIG */
	int config_del[5];	/* entries of type PX_ENTRY_CONFIG delivered */
	struct px_config cfg;
} C;

static void u_send(void *ctx, u32 to, const void *buf, size_t len)
{
	u32 from = (u32)(uintptr_t)ctx;
	struct qmsg *m;

	if (C.cut[from] || C.cut[to - 1])
		return;
	if (C.qn == C.qcap) {
		C.qcap = C.qcap ? 2 * C.qcap : 64;
		C.q = realloc(C.q, C.qcap * sizeof(*C.q));
	}
	m = &C.q[C.qn++];
	m->due = C.now + C.delay;
	m->from = from;
	m->to = to - 1;
	m->len = (u32)len;
	memcpy(m->data, buf, len);
}

static void u_commit(void *ctx, u64 index, enum px_entry_type type,
		     const struct px_prop_id *id, const void *data, u32 len)
{
	u32 me = (u32)(uintptr_t)ctx;

	(void)data;
	(void)len;
	if (type == PX_ENTRY_CONFIG)
		C.config_del[me]++;
	if (!C.ndel[me])
		C.first_del[me] = index;
	if (index < 512)
		C.log[me][index] = type == PX_ENTRY_DATA ?
				   (u64)id->origin << 48 | id->seq : 0;
	C.ndel[me]++;
}

static void u_event(void *ctx, const struct px_event *ev)
{
	u32 me = (u32)(uintptr_t)ctx;

	if (ev->type == PX_EV_BARRIER && !ev->err) {
		C.barrier_done[me]++;
		C.barrier_index[me] = ev->b;
	}
	if (ev->type == PX_EV_CONFIG)
		C.config_ev[me]++;
	if (ev->type == PX_EV_LOG_FULL && ev->a)
		C.full_ev[me]++;
	if (ev->type == PX_EV_LOG_FULL && !ev->a)
		C.room_ev[me]++;
	if (ev->type == PX_EV_BEHIND) {
		C.behind_ev[me] = ev->a;
		C.skipped_ev[me] = ev->b;
	}
}

static const struct px_ops u_ops = {
	.send = u_send, .commit = u_commit, .event = u_event,
};

/* Snapshots of 16 zero bytes: what they stand for is not looked at here. */
static int u_snap_read(void *ctx, const struct px_snap *s, u64 off, void *buf,
		       u32 len)
{
	(void)ctx;
	(void)s;
	(void)off;
	memset(buf, 0, len);
	return 0;
}

static int u_snap_write(void *ctx, const struct px_snap *s, u64 off,
			const void *data, u32 len)
{
	(void)ctx;
	(void)s;
	(void)off;
	(void)data;
	(void)len;
	return 0;
}

static void u_snap_install(void *ctx, const struct px_snap *s)
{
	(void)ctx;
	(void)s;
}

static const struct px_ops u_snap_ops = {
	.send = u_send, .commit = u_commit, .event = u_event,
	.snap_read = u_snap_read, .snap_write = u_snap_write,
	.snap_install = u_snap_install,
};

static void u_start(u32 i)
{
	C.cfg.self_id = i + 1;
	C.inc[i] += 1000;
	C.ndel[i] = 0;
	px_node_create(&C.cfg, C.cfg.snapshots || C.cfg.retain_bytes ?
		       &u_snap_ops : &u_ops, (void *)(uintptr_t)i, C.inc[i],
		       i + 1, C.now, &C.px[i]);
}

/*
 * Retention of the next u_cluster(): byte bound (0: default), strict;
 * stable storage (a disk that writes at once and never fails), voters.
 */
static u64 u_retain_bytes;
static bool u_strict;
static bool u_durable;
static u32 u_nvoters;

static void u_cluster(u32 n, u64 lease_ns)
{
	u32 i;

	memset(&C.cfg, 0, sizeof(C.cfg));
	free(C.q);
	memset(&C, 0, sizeof(C));
	C.n = n;
	C.now = 1000 * MS;
	C.cfg.cluster_id = 1;
	C.cfg.nmembers = n;
	for (i = 0; i < n; i++)
		C.cfg.members[i] = i + 1;
	C.cfg.heartbeat_ns = 10 * MS;
	C.cfg.election_ns = 50 * MS;
	C.cfg.lease_ns = lease_ns;
	C.cfg.drift_ppm = 1000;
	C.cfg.window = 16;
	C.cfg.retain = 32;
	C.cfg.preferred_leader = 1;
	C.cfg.retain_bytes = u_retain_bytes;
	C.cfg.snapshots = u_strict || u_durable;
	C.cfg.durable = u_durable;
	C.cfg.nvoters = u_nvoters;
	for (i = 0; i < n; i++)
		u_start(i);
}

/* Deliver every datagram that is due, then advance time in 1 ms steps. */
static void u_run(u64 ms)
{
	u64 end = C.now + ms * MS;
	u32 i, k;

	while (C.now < end) {
		for (k = 0; k < C.qn;) {
			struct qmsg m = C.q[k];

			if (m.due > C.now) {
				k++;
				continue;
			}
			memmove(C.q + k, C.q + k + 1, (C.qn - k - 1) * sizeof(*C.q));
			C.qn--;
			if (C.px[m.to] && !C.cut[m.to])
				px_receive(C.px[m.to], m.data, m.len, C.now);
		}
		C.now += MS;
		for (i = 0; i < C.n; i++)
			if (C.px[i] && px_next_deadline(C.px[i]) <= C.now)
				px_tick(C.px[i], C.now);
		for (i = 0; i < C.n && C.cfg.durable; i++) {
			struct px_ready r;

			while (C.px[i] && px_ready(C.px[i], &r))
				px_persisted(C.px[i], r.token, C.now);
		}
	}
}

static int u_leader(void)
{
	struct px_status st;
	u32 i;
	int l = -1;

	for (i = 0; i < C.n; i++) {
		if (!C.px[i] || C.cut[i])
			continue;
		px_get_status(C.px[i], &st, C.now);
		if (st.role == PX_ROLE_LEADER)
			l = (int)i;
	}
	return l;
}

/*
 * A 3-node cluster with @delay_ns one-way delay, run until it elected a
 * leader: the leader's index, or -1 (a failed check).
 */
static int u_elect(u64 lease_ns, u64 delay_ns)
{
	int l;

	u_cluster(3, lease_ns);
	C.delay = delay_ns;
	u_run(400);
	l = u_leader();
	CHECK(l >= 0);
	return l;
}

static enum px_role u_role(u32 i)
{
	struct px_status st;

	px_get_status(C.px[i], &st, C.now);
	return st.role;
}

static void test_cluster_basics(void)
{
	u32 i, k;
	int l;
	u64 idx;

	l = u_elect(200 * MS, 0);
	for (i = 0; i < 3; i++)
		CHECK(u_role(i) == PX_ROLE_LEADER || u_role(i) == PX_ROLE_FOLLOWER);
	/* Proposals from every node commit once, in the same order everywhere. */
	for (k = 0; k < 10; k++)
		for (i = 0; i < 3; i++)
			CHECK(px_propose(C.px[i], NULL, "value", 5, C.now) == 0);
	u_run(200);
	for (i = 0; i < 3; i++) {
		CHECK(C.ndel[i] >= 31);
		CHECK(!memcmp(C.log[0], C.log[i], sizeof(C.log[0])));
	}
	/* A retried proposal (same id) commits once. */
	{
		struct px_prop_id id = { .seq = px_last_seq(C.px[1]) + 1 };
		u64 before = C.ndel[0], data = 0;

		CHECK(px_propose(C.px[1], &id, "dup", 3, C.now) == 0);
		CHECK(px_propose(C.px[1], &id, "dup", 3, C.now) == 0);
		u_run(300);
		for (idx = 1; idx < 512; idx++)
			data += C.log[0][idx] == ((u64)2 << 48 | id.seq);
		CHECK(data == 1);
		CHECK(C.ndel[0] > before);
	}
	/* The leader answers a barrier at once while its lease holds. */
	l = u_leader();
	CHECK(l >= 0);
	if (l >= 0) {
		struct px_status st;
		u64 tx;

		px_get_status(C.px[l], &st, C.now);
		tx = st.counters[PAXOS_CTR_TX_PACKETS];
		CHECK(st.lease_valid);
		CHECK(px_read_barrier(C.px[l], 1, &idx, C.now) == 0);
		CHECK(idx == st.commit_index);
		px_get_status(C.px[l], &st, C.now);
		CHECK(st.counters[PAXOS_CTR_TX_PACKETS] == tx);
		/* A follower gets one through the leader. */
		i = (u32)(l + 1) % 3;
		CHECK(px_read_barrier(C.px[i], 7, &idx, C.now) == 1);
		u_run(50);
		CHECK(C.barrier_done[i] == 1 && C.barrier_index[i] >= st.commit_index);
	}
	/* Invalid proposals. */
	CHECK(px_propose(C.px[0], NULL, "x", 0, C.now) == -EINVAL);
	CHECK(px_propose(C.px[0], NULL, "x", PX_MAX_VALUE + 1, C.now) == -EINVAL);
	{
		struct px_prop_id far = { .seq = px_last_seq(C.px[0]) + 2 };

		CHECK(px_propose(C.px[0], &far, "x", 1, C.now) == -EINVAL);
	}
	for (i = 0; i < 3; i++)
		px_node_destroy(C.px[i]);
}

/*
 * A leader never asks for catch-up, so it ignores CATCHUP: one saying the
 * log starts far ahead (BEHIND) once made the leader skip there and walk
 * every index in between (found by the fuzzer).
 */
static void test_leader_ignores_catchup(void)
{
	static u8 buf[256];
	struct px_catchup c = { .first = 1 << 20, .commit = 1 << 20,
				.frag = { PX_FRAG_BEHIND | PX_FRAG_LAST, 0 } };
	struct px_status before, after;
	struct px_wbuf w;
	int l = u_elect(200 * MS, 0);
	u32 f;

	if (l < 0)
		return;
	f = (u32)(l + 1) % 3;
	px_get_status(C.px[l], &before, C.now);
	px_wire_begin(&w, buf, sizeof(buf), C.cfg.members[f], C.cfg.cluster_id,
		      C.inc[f], before.ballot);
	px_wire_catchup(&w, &c);
	px_receive(C.px[l], buf, w.len, C.now);
	px_get_status(C.px[l], &after, C.now);
	CHECK(after.role == PX_ROLE_LEADER);
	CHECK(after.commit_index == before.commit_index);
	CHECK(after.first_index == before.first_index);
	/* The cluster still commits. */
	CHECK(px_propose(C.px[f], NULL, "after", 5, C.now) == 0);
	u_run(100);
	px_get_status(C.px[l], &after, C.now);
	CHECK(after.commit_index > before.commit_index);
	for (f = 0; f < 3; f++)
		px_node_destroy(C.px[f]);
}

/* A cluster of one elects itself and commits alone, with and without a lease. */
static void test_single(void)
{
	u64 lease;
	u32 k;

	for (lease = 0; lease <= 200 * MS; lease += 200 * MS) {
		u_cluster(1, lease);
		u_run(400);
		CHECK(u_leader() == 0);
		for (k = 0; k < 5; k++)
			CHECK(px_propose(C.px[0], NULL, "solo", 4, C.now) == 0);
		u_run(5);
		/* The new leader's no-op, then the five values. */
		CHECK(C.ndel[0] >= 6);
		CHECK(C.qn == 0);
		px_node_destroy(C.px[0]);
	}
}

static u64 u_ctr(u32 i, int c)
{
	struct px_status st;

	px_get_status(C.px[i], &st, C.now);
	return st.counters[c];
}

/*
 * A follower cut off for six election timeouts at a time and reconnected
 * asks in vain (pre-vote): it raises no ballot, the leader stays, and no
 * node starts an election; with and without a lease.
 */
static void test_flap(void)
{
	struct px_status st;
	u64 lease, ballot, e0, y0;
	u32 f, g, k;
	int l;

	for (lease = 0; lease <= 200 * MS; lease += 200 * MS) {
		l = u_elect(lease, 1 * MS);
		if (l < 0)
			return;
		f = (l + 1) % 3;
		g = (l + 2) % 3;
		px_get_status(C.px[l], &st, C.now);
		ballot = st.ballot;
		e0 = u_ctr(0, PAXOS_CTR_ELECTIONS) + u_ctr(1, PAXOS_CTR_ELECTIONS) +
		     u_ctr(2, PAXOS_CTR_ELECTIONS);
		y0 = u_ctr(l, PAXOS_CTR_PREVOTES_GRANTED) +
		     u_ctr(g, PAXOS_CTR_PREVOTES_GRANTED);
		for (k = 0; k < 3; k++) {
			C.cut[f] = true;
			u_run(300);
			C.cut[f] = false;
			u_run(100);
		}
		CHECK(u_leader() == l);
		px_get_status(C.px[l], &st, C.now);
		CHECK(st.ballot == ballot);
		CHECK(u_ctr(0, PAXOS_CTR_ELECTIONS) + u_ctr(1, PAXOS_CTR_ELECTIONS) +
		      u_ctr(2, PAXOS_CTR_ELECTIONS) == e0);
		/* It did ask, and heard no from the leader and the other. */
		CHECK(u_ctr(f, PAXOS_CTR_PREVOTES) > 0);
		CHECK(u_ctr(l, PAXOS_CTR_PREVOTES_REFUSED) > 0);
		CHECK(u_ctr(g, PAXOS_CTR_PREVOTES_REFUSED) > 0);
		CHECK(u_ctr(l, PAXOS_CTR_PREVOTES_GRANTED) +
		      u_ctr(g, PAXOS_CTR_PREVOTES_GRANTED) == y0);
		px_get_status(C.px[f], &st, C.now);
		CHECK(st.leader == (u32)l + 1 && st.ballot == ballot);
		for (k = 0; k < 3; k++)
			px_node_destroy(C.px[k]);
	}
}

/*
 * Check-quorum: a leader that hears no majority steps down within an
 * election timeout, or at its lease's end; a member that hears a leader
 * ignores another node's PREPARE, promise unchanged.
 */
static void test_check_quorum(void)
{
	u64 lease;
	u32 k;
	int l, l2;

	for (lease = 0; lease <= 200 * MS; lease += 200 * MS) {
		l = u_elect(lease, 1 * MS);
		if (l < 0)
			return;
		C.cut[l] = true;
		u_run(lease ? 150 : 70);
		CHECK(u_role(l) == (lease ? PX_ROLE_LEADER : PX_ROLE_FOLLOWER));
		u_run(lease ? 100 : 0);
		CHECK(u_role(l) == PX_ROLE_FOLLOWER);
		CHECK(u_ctr(l, PAXOS_CTR_CHECKQ_STEPDOWNS) == 1);
		/* The others elect one of themselves once they stop hearing it. */
		u_run(400);
		l2 = u_leader();
		CHECK(l2 >= 0 && l2 != l);
		for (k = 0; k < 3; k++)
			px_node_destroy(C.px[k]);
	}
	/* A PREPARE from a follower while the leader is heard: ignored. */
	l = u_elect(0, 1 * MS);
	if (l < 0)
		return;
	{
		u32 f = (l + 1) % 3, g = (l + 2) % 3;
		struct px_status st;
		u64 before;

		px_get_status(C.px[g], &st, C.now);
		before = st.ballot;
		/* f starts phase 1 at once, as the old engine did. */
		px_start_election(C.px[f]);
		u_run(5);
		px_get_status(C.px[g], &st, C.now);
		CHECK(st.ballot == before);
		CHECK(u_ctr(g, PAXOS_CTR_PREPARE_REFUSED) > 0);
		CHECK(u_ctr(l, PAXOS_CTR_PREPARE_REFUSED) > 0);
	}
	for (k = 0; k < 3; k++)
		px_node_destroy(C.px[k]);
}

static void test_failover_and_recovery(void)
{
	struct px_status st;
	u32 i, k;
	int l, l2;

	l = u_elect(200 * MS, 0);
	if (l < 0)
		return;
	for (k = 0; k < 5; k++)
		px_propose(C.px[(l + 1) % 3], NULL, "before", 6, C.now);
	u_run(100);
	/* Cut the leader off: nobody else may lead before its lease ends. */
	C.cut[l] = true;
	u_run(150);
	for (i = 0; i < 3; i++)
		if ((int)i != l)
			CHECK(u_role(i) != PX_ROLE_LEADER);
	u_run(600);
	l2 = u_leader();
	CHECK(l2 >= 0 && l2 != l);
	for (k = 0; k < 5; k++)
		px_propose(C.px[l2], NULL, "after", 5, C.now);
	u_run(200);
	/* The old leader returns, memory wiped: it recovers and catches up. */
	px_node_destroy(C.px[l]);
	C.cut[l] = false;
	u_start(l);
	CHECK(u_role(l) == PX_ROLE_RECOVERING);
	/* It must not vote before a granted lease has run out. */
	u_run(100);
	CHECK(u_role(l) == PX_ROLE_RECOVERING);
	u_run(600);
	/* Node 1 is preferred: back and caught up, it is handed the lead. */
	CHECK(u_role(l) == PX_ROLE_FOLLOWER ||
	      (l == 0 && u_role(l) == PX_ROLE_LEADER));
	px_get_status(C.px[l], &st, C.now);
	CHECK(st.commit_index >= 12);
	for (k = 1; k <= st.commit_index && k < 512; k++)
		CHECK(C.log[l][k] == C.log[l2][k]);
	for (i = 0; i < 3; i++)
		px_node_destroy(C.px[i]);
}

static void test_trim_and_behind(void)
{
	struct px_status st;
	u32 i, k;
	int l;

	l = u_elect(0, 0);
	if (l < 0)
		return;
	/* One follower misses more than the ring holds. */
	i = (u32)(l + 1) % 3;
	C.cut[i] = true;
	for (k = 0; k < 200; k++) {
		px_propose(C.px[l], NULL, "fill", 4, C.now);
		u_run(2);
	}
	u_run(200);
	px_get_status(C.px[l], &st, C.now);
	CHECK(st.commit_index >= 200);
	CHECK(st.first_index > 1);	/* bounded memory: the ring dropped old ones */
	CHECK(px_log_get(C.px[l], 1, &(enum px_entry_type){0}, &(u32){0}) == NULL);
	C.cut[i] = false;
	u_run(500);
	px_get_status(C.px[i], &st, C.now);
	CHECK(st.commit_index >= 200);
	CHECK(C.first_del[i] == 1 || C.ndel[i] < st.commit_index);
	/* Application trim. */
	CHECK(px_trim(C.px[l], 1000000) == -EINVAL);
	for (i = 0; i < 3; i++)
		px_node_destroy(C.px[i]);
}

/*
 * Duplicate suppression remembers 64 sequence numbers per origin, so an
 * origin may not give out seq s while s - 64 is still waiting, even when
 * every other proposal committed.
 */
static void test_pending_window(void)
{
	struct px_prop_id id = { 0 };
	u64 idx, count[65] = { 0 };
	int l, f, i;

	l = u_elect(0, 0);
	f = (l + 1) % 3;
	C.cut[f] = true;
	CHECK(px_propose(C.px[f], NULL, "first", 5, C.now) == 0);
	C.cut[f] = false;
	for (i = 2; i <= 64; i++)
		CHECK(px_propose(C.px[f], NULL, "more", 4, C.now) == 0);
	u_run(1);
	for (idx = 1; idx < 512; idx++)
		if (C.log[f][idx] >> 48 == (u64)f + 1)
			count[(C.log[f][idx] & 0xffff) % 65]++;
	CHECK(count[1] == 0 && count[2] == 1 && count[64] == 1);
	CHECK(!px_propose_room(C.px[f]));
	CHECK(px_propose(C.px[f], NULL, "65th", 4, C.now) == -EAGAIN);
	/* A retry of a waiting proposal is no new one. */
	id.seq = 1;
	CHECK(px_propose(C.px[f], &id, "first", 5, C.now) == 0);
	u_run(200);
	CHECK(px_propose_room(C.px[f]));
	memset(count, 0, sizeof(count));
	for (idx = 1; idx < 512; idx++)
		if (C.log[f][idx] >> 48 == (u64)f + 1)
			count[(C.log[f][idx] & 0xffff) % 65]++;
	for (i = 1; i <= 64; i++)
		CHECK(count[i] == 1);
	CHECK(px_propose(C.px[f], NULL, "65th", 4, C.now) == 0);
	for (i = 0; i < 3; i++)
		px_node_destroy(C.px[i]);
}

static u64 u_counter(u32 i, int c)
{
	struct px_status st;

	px_get_status(C.px[i], &st, C.now);
	return st.counters[c];
}

static struct px_status *u_status(u32 i)
{
	static struct px_status st;

	px_get_status(C.px[i], &st, C.now);
	return &st;
}

/* Every node snapshots its state as of its commit index. */
static void u_snapshot_all(void)
{
	struct px_snap s = { .size = 16 };
	static const u8 zero[16];
	u32 i;

	s.csum = px_snap_csum(zero, sizeof(zero));
	for (i = 0; i < C.n; i++) {
		s.index = u_status(i)->commit_index;
		CHECK(px_snapshot(C.px[i], &s) == 0);
	}
}

/*
 * A byte bound without strict retention: the oldest entries go to stay
 * within it, counted, even those a cut follower lacks; that follower,
 * back, is told they are gone, skips ahead and says so.
 */
static void test_retain_bytes(void)
{
	u64 most = 0;
	u32 f, k;
	int l;

	u_retain_bytes = 1000;
	l = u_elect(0, 0);
	u_retain_bytes = 0;
	if (l < 0)
		return;
	f = (u32)(l + 1) % 3;
	C.cut[f] = true;
	for (k = 0; k < 60; k++) {
		CHECK(px_propose(C.px[l], NULL, memset((u8[100]){0}, k, 100),
				 100, C.now) == 0);
		u_run(2);
		most = px_max64(most, u_status(l)->retained_bytes);
	}
	CHECK(most <= 1000 && most >= 800);
	CHECK(u_status(l)->retain_bytes == 1000 && !u_status(l)->strict);
	CHECK(u_status(l)->commit_index > 60);
	CHECK(u_status(l)->first_index > 40);
	CHECK(u_counter(l, PAXOS_CTR_EVICTED) >= 40);
	CHECK(u_counter(l, PAXOS_CTR_LOG_FULL) == 0 && !C.full_ev[l]);
	C.cut[f] = false;
	u_run(300);
	CHECK(u_status(f)->commit_index == u_status(l)->commit_index);
	CHECK(u_counter(f, PAXOS_CTR_BEHIND) == 1);
	CHECK(u_counter(f, PAXOS_CTR_SKIPPED) >= 40);
	CHECK(C.behind_ev[f] > 40 && C.skipped_ev[f] == C.behind_ev[f] - 2);
	CHECK(!u_status(f)->behind && u_status(f)->retained_bytes <= 1000);
	/* A lower bound takes effect at once: the oldest entries go. */
	k = (u32)u_counter(l, PAXOS_CTR_EVICTED);
	px_set_retain_bytes(C.px[l], 300);
	CHECK(u_status(l)->retained_bytes <= 300 && u_status(l)->retain_bytes == 300);
	CHECK(u_counter(l, PAXOS_CTR_EVICTED) >= k + 5);
	for (k = 0; k < 3; k++)
		px_node_destroy(C.px[k]);
}

/*
 * Strict retention and a byte bound: once the values no snapshot covers
 * fill it, proposals are refused (-ENOSPC), counted and announced; after
 * a snapshot they go again.
 */
static void test_log_full(void)
{
	int l, err = 0;
	u32 k, i;

	u_retain_bytes = 1000;
	u_strict = true;
	l = u_elect(0, 0);
	u_retain_bytes = 0;
	u_strict = false;
	if (l < 0)
		return;
	for (k = 0; k < 40 && !err; k++) {
		err = px_propose(C.px[l], NULL, "0123456789abcdefghijklmnopqrstuvwxyz"
				 "0123456789abcdefghijklmnopqrstuvwxyz0123456789"
				 "abcdefghijklmnopqr", 100, C.now);
		u_run(2);
	}
	CHECK(err == -ENOSPC && k == 11);
	CHECK(u_status(l)->log_full && u_status(l)->retained_bytes == 1000);
	CHECK(u_counter(l, PAXOS_CTR_LOG_FULL) >= 1 && C.full_ev[l] == 1);
	CHECK(px_propose(C.px[l], NULL, "x", 1, C.now) == -ENOSPC);
	CHECK(C.full_ev[l] == 1);	/* announced once */
	CHECK(u_counter(l, PAXOS_CTR_EVICTED) == 0);
	/*
	 * A snapshot that frees too little: still full; not said again, as
	 * nothing was delivered since that a newer snapshot could cover.
	 */
	{
		struct px_snap s = { .index = 1, .size = 16 };

		s.csum = px_snap_csum((u8[16]){ 0 }, 16);
		CHECK(px_snapshot(C.px[l], &s) == 0);
		CHECK(u_status(l)->log_full && !C.room_ev[l]);
		u_run(50);
		CHECK(px_propose(C.px[l], NULL, "x", 1, C.now) == -ENOSPC);
		CHECK(C.full_ev[l] == 1);
	}
	u_snapshot_all();
	CHECK(!u_status(l)->log_full && C.room_ev[l] == 1);
	for (k = 0; k < 20; k++) {
		CHECK(px_propose(C.px[l], NULL, "again", 5, C.now) == 0);
		u_run(2);
	}
	u_run(50);
	for (i = 0; i < 3; i++) {
		CHECK(u_status(i)->retained_bytes <= 1000);
		CHECK(u_status(i)->commit_index == u_status(l)->commit_index);
	}
	for (k = 0; k < 3; k++)
		px_node_destroy(C.px[k]);
}

/*
 * A node with strict retention that lacks entries its members dropped
 * without a snapshot never skips: it is behind, serves no barrier, asks
 * every member, and catches up once one of them has a snapshot.
 */
static void test_behind_strict(void)
{
	u64 idx = 0;
	u32 f, k;
	int l;

	u_retain_bytes = 1000;
	l = u_elect(0, 0);
	u_retain_bytes = 0;
	if (l < 0)
		return;
	f = (u32)(l + 1) % 3;
	px_node_destroy(C.px[f]);
	C.px[f] = NULL;
	for (k = 0; k < 40; k++) {
		px_propose(C.px[l], NULL, memset((u8[100]){0}, k, 100), 100, C.now);
		u_run(2);
	}
	C.cfg.snapshots = true;
	u_start(f);
	C.cfg.snapshots = false;
	u_run(400);
	CHECK(u_status(f)->behind > 30 && u_status(f)->commit_index == 0);
	CHECK(u_counter(f, PAXOS_CTR_BEHIND) == 1);
	CHECK(u_counter(f, PAXOS_CTR_SKIPPED) == 0 && C.skipped_ev[f] == 0);
	CHECK(C.behind_ev[f] > 30 && !C.ndel[f]);
	CHECK(px_log_get(C.px[f], 1, &(enum px_entry_type){0}, &(u32){0}) == NULL);
	if (u_role(f) == PX_ROLE_FOLLOWER)
		CHECK(px_read_barrier(C.px[f], 1, &idx, C.now) == -ENODATA);
	u_snapshot_all();
	u_run(400);
	CHECK(!u_status(f)->behind && u_role(f) == PX_ROLE_FOLLOWER);
	CHECK(u_status(f)->commit_index == u_status(l)->commit_index);
	for (k = 0; k < 3; k++)
		px_node_destroy(C.px[k]);
}

/* Counter @c summed over the nodes other than @leader. */
static u64 followers_sum(int leader, int c)
{
	u64 sum = 0;
	u32 j;

	for (j = 0; j < C.n; j++)
		if (j != (u32)leader)
			sum += u_counter(j, c);
	return sum;
}

/*
 * A follower acknowledges each heartbeat round once: the leader repeats
 * a round after every commit, and acknowledging each repeat would double
 * a follower's datagrams at one write outstanding.  New rounds are still
 * acknowledged, so the lease keeps being renewed.
 */
static void test_heartbeat_ack_once(void)
{
	struct px_status st;
	u64 tx[3];
	int l, i, k;

	l = u_elect(200 * MS, 0);
	if (l < 0)
		return;
	for (i = 0; i < 3; i++)
		tx[i] = u_counter(i, PAXOS_CTR_TX_PACKETS);
	/* 20 commits, one a millisecond, in two heartbeat periods. */
	for (k = 0; k < 20; k++) {
		CHECK(px_propose(C.px[l], NULL, "v", 1, C.now) == 0);
		u_run(1);
	}
	for (i = 0; i < 3; i++) {
		if (i == l)
			continue;
		px_get_status(C.px[i], &st, C.now);
		/* An ACCEPTED per write, an acknowledgement per round (<= 3). */
		CHECK(st.counters[PAXOS_CTR_TX_PACKETS] - tx[i] <= 20 + 3);
		CHECK(st.commit_index >= 20);
	}
	u_run(500);
	px_get_status(C.px[l], &st, C.now);
	CHECK(st.role == PX_ROLE_LEADER && st.lease_valid);
	for (i = 0; i < 3; i++)
		px_node_destroy(C.px[i]);
}

/*
 * Thrifty ACCEPTs: with a measured round trip a batch goes to one
 * follower of two first.  When that follower fails with the batch in
 * flight, the batch goes to the other within two round trips (a
 * "spread"), well before the retransmission time (2 heartbeats).
 */
static void test_thrifty(void)
{
	int l, k, to = -1;
	u64 commit, spreads, tx;
	u32 j;

	l = u_elect(0, 1 * MS);	/* 2 ms round trip; retransmit: 20 ms */
	if (l < 0)
		return;
	for (k = 0; k < 10; k++) {
		commit = u_counter(l, PAXOS_CTR_COMMITS);
		CHECK(px_propose(C.px[l], NULL, "w", 1, C.now) == 0);
		u_run(10);
		CHECK(u_counter(l, PAXOS_CTR_COMMITS) == commit + 1);
	}
	/*
	 * Over 10 more writes the followers answer with one ACCEPTED each
	 * and one acknowledgment per heartbeat round (10 ms): a follower
	 * sent a batch only once it was chosen does not vote on it.
	 */
	tx = followers_sum(l, PAXOS_CTR_TX_PACKETS);
	for (k = 0; k < 10; k++) {
		CHECK(px_propose(C.px[l], NULL, "v", 1, C.now) == 0);
		u_run(10);
	}
	CHECK(followers_sum(l, PAXOS_CTR_TX_PACKETS) - tx <= 10 + 2 * 11);
	spreads = u_counter(l, PAXOS_CTR_SPREADS);
	CHECK(spreads == 0);
	/* One more write: its ACCEPT (type: header byte 3) is in flight to
	 * exactly one follower.
	 */
	commit = u_counter(l, PAXOS_CTR_COMMITS);
	CHECK(px_propose(C.px[l], NULL, "x", 1, C.now) == 0);
	for (j = 0; j < C.qn; j++) {
		if (C.q[j].from != (u32)l || C.q[j].data[3] != PX_MSG_ACCEPT)
			continue;
		CHECK(to < 0 || to == (int)C.q[j].to);
		to = (int)C.q[j].to;
	}
	CHECK(to >= 0);
	if (to < 0)
		return;
	C.cut[to] = true;
	u_run(10);
	CHECK(u_counter(l, PAXOS_CTR_COMMITS) == commit + 1);
	CHECK(u_counter(l, PAXOS_CTR_SPREADS) > spreads);
	/* Later writes go to the live follower first. */
	spreads = u_counter(l, PAXOS_CTR_SPREADS);
	for (k = 0; k < 5; k++) {
		CHECK(px_propose(C.px[l], NULL, "y", 1, C.now) == 0);
		u_run(10);
	}
	CHECK(u_counter(l, PAXOS_CTR_COMMITS) == commit + 6);
	CHECK(u_counter(l, PAXOS_CTR_SPREADS) == spreads);
	for (j = 0; j < 3; j++)
		px_node_destroy(C.px[j]);
}

/*
 * Commit news wait for the next ACCEPT or two round trips, but the
 * origin of a proposal learns its commit at once, and every follower
 * has everything chosen by the next heartbeat round.
 */
static void test_news(void)
{
	u64 before, f_before[3];
	int l, f, k;
	u32 j;

	l = u_elect(0, 1 * MS);	/* 2 ms round trip */
	if (l < 0)
		return;
	for (k = 0; k < 5; k++) {
		CHECK(px_propose(C.px[l], NULL, "w", 1, C.now) == 0);
		u_run(10);
	}
	/*
	 * Forward, ACCEPT, ACCEPTED, news: 4 one-way trips, at every phase
	 * of the heartbeat period (a round would carry the news too).
	 */
	f = (l + 1) % 3;
	for (k = 0; k < 10; k++) {
		before = C.ndel[f];
		CHECK(px_propose(C.px[f], NULL, "mine", 4, C.now) == 0);
		u_run(5);
		CHECK(C.ndel[f] == before + 1);
		u_run(6);
	}
	/*
	 * A write of the leader's own: each follower delivers it at most
	 * two round trips (4 ms), one tick of the deadline grid (~1 ms)
	 * and one trip after the leader, at every phase of the heartbeat
	 * period (10 ms).
	 */
	for (k = 0; k < 10; k++) {
		u64 t, done[3] = { 0 };

		for (j = 0; j < 3; j++)
			f_before[j] = C.ndel[j];
		CHECK(px_propose(C.px[l], NULL, "own", 3, C.now) == 0);
		for (t = 1; t <= 20; t++) {
			u_run(1);
			for (j = 0; j < 3; j++)
				if (!done[j] && C.ndel[j] > f_before[j])
					done[j] = t;
		}
		for (j = 0; j < 3; j++)
			CHECK(done[j] && done[j] <= done[l] + 7);
		u_run(3);
	}
	/*
	 * A closed loop of writes at the leader: each ACCEPT carries the
	 * commit index before it, so the follower that acknowledges them
	 * hears no news apart, and followers receive heartbeats only in
	 * the rounds (every 10 ms).
	 */
	{
		u64 hb = followers_sum(l, PAXOS_CTR_RX_HEARTBEAT), t0 = C.now, c;

		for (k = 0; k < 50; k++) {
			c = u_counter(l, PAXOS_CTR_COMMITS);
			CHECK(px_propose(C.px[l], NULL, "loop", 4, C.now) == 0);
			while (u_counter(l, PAXOS_CTR_COMMITS) == c && C.now - t0 < 1000 * MS)
				u_run(1);
		}
		hb = followers_sum(l, PAXOS_CTR_RX_HEARTBEAT) - hb;
		CHECK(hb <= 2 * ((C.now - t0) / (10 * MS) + 1));
	}
	for (j = 0; j < 3; j++)
		px_node_destroy(C.px[j]);
}

/*
 * Leadership transfer: with a 1 s lease, the target leads within a few
 * round trips, the old leader gives its lease up first, never two hold
 * one, and values written before and after all commit.  A transfer to a
 * node cut off is given up and the leader steps down.
 */
static void test_transfer(void)
{
	struct px_status st;
	u32 t, k, ms;
	int l;

	u_cluster(3, 1000 * MS);
	C.delay = 1 * MS;
	u_run(2500);	/* recovery waits out a lease */
	l = u_leader();
	CHECK(l >= 0);
	if (l < 0)
		return;
	t = (l + 1) % 3;
	CHECK(px_transfer(C.px[t], 1, C.now) == -EAGAIN);	/* not the leader */
	CHECK(px_transfer(C.px[l], 9, C.now) == -EINVAL);
	CHECK(px_transfer(C.px[l], l + 1, C.now) == -EINVAL);
	for (k = 0; k < 5; k++)
		CHECK(px_propose(C.px[l], NULL, "before", 6, C.now) == 0);
	CHECK(px_transfer(C.px[l], t + 1, C.now) == 0);
	CHECK(px_transfer(C.px[l], t + 1, C.now) == -EBUSY);
	for (ms = 0; ms < 100 && u_leader() != (int)t; ms++) {
		u_run(1);
		px_get_status(C.px[l], &st, C.now);
		/* One lease at a time: the old one is given up first. */
		if (u_leader() == (int)t)
			CHECK(!st.lease_valid);
	}
	CHECK(u_leader() == (int)t);
	CHECK(ms < 20);		/* a few 1 ms hops, not a 1 s lease */
	CHECK(u_ctr(l, PAXOS_CTR_TRANSFERS) == 1);
	for (k = 0; k < 5; k++)
		CHECK(px_propose(C.px[l], NULL, "after", 5, C.now) == 0);
	u_run(200);
	px_get_status(C.px[t], &st, C.now);
	CHECK(st.lease_valid && st.commit_index >= 12);
	CHECK(C.ndel[l] == C.ndel[t]);

	/* The target cut off: given up within an election timeout. */
	l = (int)t;
	t = (l + 1) % 3;
	C.cut[t] = true;
	CHECK(px_transfer(C.px[l], t + 1, C.now) == 0);
	u_run(110);
	CHECK(u_role(l) != PX_ROLE_LEADER || !u_ctr(l, PAXOS_CTR_TRANSFERS));
	C.cut[t] = false;
	u_run(3000);
	CHECK(u_leader() >= 0);
	for (k = 0; k < 3; k++)
		px_node_destroy(C.px[k]);
}

static u64 u_elections(void)
{
	u64 e = 0;
	u32 i;

	for (i = 0; i < C.n; i++)
		e += u_ctr(i, PAXOS_CTR_ELECTIONS);
	return e;
}

/*
 * The preferred leader set on a running cluster: an id that names no
 * voter changes nothing; a voter is handed the leadership within a few
 * round trips.  Cut off, it is not handed it, and the others elect once
 * and keep their leader; back, it leads again.
 */
static void test_prefer(void)
{
	u32 k, ms;
	u64 e, x;
	int l, t;

	u_cluster(3, 1000 * MS);
	C.delay = 1 * MS;
	u_run(2500);
	l = u_leader();
	CHECK(l >= 0);
	if (l < 0)
		return;
	for (k = 0; k < 3; k++)
		px_set_preferred(C.px[k], 9, C.now);
	u_run(500);
	CHECK(u_leader() == l && !u_ctr(l, PAXOS_CTR_TRANSFERS));
	t = (l + 2) % 3;
	for (k = 0; k < 3; k++)
		px_set_preferred(C.px[k], t + 1, C.now);
	for (ms = 0; ms < 100 && u_leader() != t; ms++)
		u_run(1);
	CHECK(u_leader() == t);
	CHECK(ms < 20);
	CHECK(u_ctr(l, PAXOS_CTR_TRANSFERS) == 1);

	C.cut[t] = true;
	u_run(2500);
	l = u_leader();
	CHECK(l >= 0 && l != t);
	e = u_elections();
	x = u_ctr(l, PAXOS_CTR_TRANSFERS);
	u_run(2000);
	CHECK(u_leader() == l && u_elections() == e);
	CHECK(u_ctr(l, PAXOS_CTR_TRANSFERS) == x);

	C.cut[t] = false;
	for (ms = 0; ms < 2000 && u_leader() != t; ms++)
		u_run(1);
	CHECK(u_leader() == t);
	CHECK(u_ctr(l, PAXOS_CTR_TRANSFERS) == x + 1);
	for (k = 0; k < 3; k++)
		px_node_destroy(C.px[k]);
}

/* Tick node 0 alone for @ms milliseconds, a millisecond at a time. */
static void d_ticks(struct px_node *px, u32 ms)
{
	u32 k;

	for (k = 0; k < ms; k++) {
		C.now += MS;
		px_tick(px, C.now);
	}
}

/*
 * Stable storage, one node: it votes for itself, leads and commits only
 * as its writes become durable; what it restores is checked.
 */
static void test_durable(void)
{
	struct px_config cfg = {
		.cluster_id = 7, .self_id = 1, .nmembers = 1, .members = { 1 },
		.heartbeat_ns = 10 * MS, .election_ns = 50 * MS,
		.snapshots = true, .durable = true,
	};
	struct px_entry_view v;
	struct px_status st;
	struct px_ready r, r2;
	struct px_node *px;
	u64 d0;

	C.now = 1000 * MS;
	cfg.snapshots = false;
	CHECK(px_node_create(&cfg, &u_snap_ops, (void *)0, 5, 1, C.now, &px) ==
	      -EINVAL);
	cfg.snapshots = true;
	CHECK(px_node_create(&cfg, &u_snap_ops, (void *)0, 5, 1, C.now, &px) == 0);
	/* A durable node follows at once: no recovery. */
	px_get_status(px, &st, C.now);
	CHECK(st.role == PX_ROLE_FOLLOWER);
	/* Restoring: tables of another membership, then out of place. */
	CHECK(px_restore_snap(px, &(struct px_snap){ .index = 9, .size = 16 },
			      "nonsense", 8) == -EINVAL);
	d_ticks(px, 120);
	CHECK(px_restore_promise(px, 1) == -EINVAL);
	/* Its own promise counts once durable: a candidate until then. */
	px_get_status(px, &st, C.now);
	CHECK(st.role == PX_ROLE_CANDIDATE);
	CHECK(px_ready(px, &r) && r.token == 1 && r.promised == st.ballot);
	CHECK(!px_ready(px, &r2));	/* one write at a time */
	px_persisted(px, r.token, C.now);
	px_get_status(px, &st, C.now);
	CHECK(st.role == PX_ROLE_LEADER && st.commit_index == 0);
	/* Its no-op commits once durable: its own vote counts then. */
	d0 = C.ndel[0];
	CHECK(px_propose(px, NULL, "disk", 4, C.now) == 0);
	d_ticks(px, 5);
	CHECK(C.ndel[0] == d0);
	CHECK(px_ready(px, &r) && r.token == 2 && r.lo == 1 && r.hi == 2);
	CHECK(px_durable_entry(px, 2, &v) == 0 && v.len == 4 &&
	      !memcmp(v.data, "disk", 4) && v.ballot == st.ballot);
	CHECK(px_durable_entry(px, 3, &v) == -ENOENT);
	px_persisted(px, 1, C.now);	/* an old token changes nothing */
	CHECK(C.ndel[0] == d0);
	px_persisted(px, r.token, C.now);
	CHECK(C.ndel[0] == d0 + 2);
	px_get_status(px, &st, C.now);
	CHECK(st.commit_index == 2);
	px_node_destroy(px);

	/* Restart from that disk: the entries, the promise; it then leads. */
	CHECK(px_node_create(&cfg, &u_snap_ops, (void *)0, 6, 1, C.now, &px) == 0);
	v.data = "disk";
	CHECK(px_restore_entry(px, 2, &v) == 0);
	CHECK(px_restore_entry(px, 2, &v) == -EINVAL);	/* not in order */
	CHECK(px_restore_promise(px, st.ballot) == 0);
	d_ticks(px, 150);
	CHECK(px_ready(px, &r));
	px_persisted(px, r.token, C.now);
	d_ticks(px, 5);
	CHECK(px_ready(px, &r));
	px_persisted(px, r.token, C.now);
	px_get_status(px, &st, C.now);
	CHECK(st.role == PX_ROLE_LEADER && st.commit_index >= 3);
	CHECK(px_round(st.ballot) > 1);
	px_node_destroy(px);
}

/*
 * Two writes in flight: the second is handed out while the first is
 * outstanding, a third waits, and each token counts only what was dirty
 * when it was handed out, in token order.
 */
static void test_durable_depth(void)
{
	struct px_config cfg = {
		.cluster_id = 7, .self_id = 1, .nmembers = 1, .members = { 1 },
		.heartbeat_ns = 10 * MS, .election_ns = 50 * MS,
		.snapshots = true, .durable = true,
	};
	struct px_ready r1, r2, r3;
	struct px_status st;
	struct px_node *px;
	u64 d0;

	C.now = 1000 * MS;
	CHECK(px_node_create(&cfg, &u_snap_ops, (void *)0, 5, 1, C.now, &px) == 0);
	d_ticks(px, 120);
	CHECK(px_ready(px, &r1));
	px_persisted(px, r1.token, C.now);
	d0 = C.ndel[0];
	CHECK(px_propose(px, NULL, "a", 1, C.now) == 0);
	CHECK(px_ready(px, &r1) && r1.lo == 1 && r1.hi == 2);
	CHECK(px_propose(px, NULL, "b", 1, C.now) == 0);
	CHECK(px_ready(px, &r2) && r2.token == r1.token + 1 && r2.lo == 3 &&
	      r2.hi == 3);
	CHECK(px_propose(px, NULL, "c", 1, C.now) == 0);
	CHECK(!px_ready(px, &r3) && px_dirty(px));	/* two outstanding */
	px_persisted(px, r2.token + 1, C.now);	/* not handed out: ignored */
	CHECK(C.ndel[0] == d0);
	/* The first counts its entries only: "b" waits for the second. */
	px_persisted(px, r1.token, C.now);
	px_get_status(px, &st, C.now);
	CHECK(C.ndel[0] == d0 + 2 && st.commit_index == 2);
	CHECK(px_ready(px, &r3) && r3.token == r2.token + 1 && r3.lo == 4);
	/* One token covers those before it: both come durable at once. */
	px_persisted(px, r3.token, C.now);
	px_get_status(px, &st, C.now);
	CHECK(C.ndel[0] == d0 + 4 && st.commit_index == 4);
	CHECK(!px_ready(px, &r1) && !px_dirty(px));
	px_node_destroy(px);
}

/* The configuration payload: what it encodes decodes; nothing else does. */
static void test_conf_codec(void)
{
	struct px_conf c = { .nlists = 2, .count = { 3, 2 } }, d;
	u8 buf[PX_CONF_MAX + 8], bad[PX_CONF_MAX + 8];
	u32 len, i, off;

	for (i = 0; i < 3; i++)
		c.m[0][i] = (struct px_member_spec){ .id = i + 1,
			.flags = PX_MEMBER_VOTER, .family = 4, .port = 7000 + i,
			.addr = { 10, 0, 0, (u8)(i + 1) } };
	c.m[1][0] = (struct px_member_spec){ .id = 2, .flags = PX_MEMBER_VOTER,
		.family = 6, .port = 1, .addr = { 0xfe, 0x80, [15] = 1 } };
	c.m[1][1] = (struct px_member_spec){ .id = 0xffff,
		.flags = PX_MEMBER_LEARNER };
	len = px_conf_encode(&c, buf);
	CHECK(len == 2 + 1 + 3 * 24 + 1 + 2 * 24 && len <= PX_CONF_MAX);
	CHECK(px_conf_decode(&d, buf, len) == 0 && !memcmp(&c, &d, sizeof(c)));
	CHECK(px_conf_voters(&d, 0) == 3 && px_conf_voters(&d, 1) == 1);
	CHECK(px_conf_votes(&d, 1, 2) && !px_conf_votes(&d, 1, 0xffff) &&
	      !px_conf_votes(&d, 1, 1) && !px_conf_votes(&d, 2, 2));
	/* Short, long, or one byte wrong: refused. */
	for (i = 0; i < len; i++)
		CHECK(px_conf_decode(&d, buf, i) == -EINVAL);
	memcpy(bad, buf, len);
	bad[len] = 0;
	CHECK(px_conf_decode(&d, bad, len + 1) == -EINVAL);
	off = 3 + 24 + 24;	/* list 0, member 2 (id 3) */
	{
		static const struct { u32 at; u8 v; } w[] = {
			{ 0, 2 }, { 1, 0 }, { 1, 3 }, { 2, 0 }, { 2, 10 },
			{ 3 + 24, 1 },			/* id 1 twice */
			{ 3 + 24, 0 },			/* id 0 */
			{ 3 + 24 + 2, 1 },		/* id 0x10002 */
			{ 3 + 4, 0 }, { 3 + 4, 3 },	/* flags */
			{ 3 + 5, 5 },			/* family */
			{ 3 + 8 + 4, 1 },		/* IPv4 with more */
		};

		for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
			memcpy(bad, buf, len);
			bad[w[i].at] = w[i].v;
			CHECK(px_conf_decode(&d, bad, len) == -EINVAL);
		}
	}
	/* No voter in a list. */
	memcpy(bad, buf, len);
	bad[3 + 3 * 24 + 1 + 4] = PX_MEMBER_LEARNER;
	CHECK(px_conf_decode(&d, bad, len) == -EINVAL);
	/* No address with a port. */
	memcpy(bad, buf, len);
	bad[off + 5] = 0;
	memset(bad + off + 8, 0, 16);
	CHECK(px_conf_decode(&d, bad, len) == -EINVAL);
	bad[off + 6] = 0;
	bad[off + 7] = 0;
	CHECK(px_conf_decode(&d, bad, len) == 0);
	CHECK(px_conf_check(c.m[0], 0) == -EINVAL);
	CHECK(px_conf_check(c.m[1], 2) == 0);
	CHECK(px_conf_check(c.m[1] + 1, 1) == -EINVAL);	/* a learner only */
}

static u32 u_config(u32 i, u32 *voters, u32 *nl)
{
	struct px_status st;

	px_get_status(C.px[i], &st, C.now);
	memcpy(voters, st.voters, sizeof(st.voters));
	*nl = st.nlearners;
	return st.config_pending ? 0 : st.nvoters;
}

/*
 * 5 members with stable storage, the first 3 of them voters, run until
 * one of those leads: its index, or -1.
 */
static int u_cluster_5x3(void)
{
	int l;

	u_durable = true;
	u_nvoters = 3;
	u_cluster(5, 100 * MS);
	u_durable = false;
	u_nvoters = 0;
	u_run(1500);
	l = u_leader();
	CHECK(l >= 0 && l < 3);
	return l >= 0 && l < 3 ? l : -1;
}

/*
 * Configuration changes on 5 members, 3 of them voters: a learner joins
 * the voters, the leader leaves them and hands over; a learner never
 * leads, nor does a member the configuration leaves out.
 */
static void test_config(void)
{
	struct px_member_spec m[5];
	struct px_status st;
	u32 v[PX_MAX_NODES], nl, i, ms;
	int l, l2;

	/* Without stable storage: refused. */
	memset(m, 0, sizeof(m));
	m[0] = (struct px_member_spec){ .id = 1, .flags = PX_MEMBER_VOTER };
	l = u_elect(0, 1 * MS);
	if (l >= 0)
		CHECK(px_config_change(C.px[l], m, 1, C.now) == -EOPNOTSUPP);
	for (i = 0; i < 3; i++)
		px_node_destroy(C.px[i]);

	l = u_cluster_5x3();
	if (l < 0)
		return;
	CHECK(u_config(4, v, &nl) == 3 && nl == 2);
	CHECK(px_transfer(C.px[l], 5, C.now) == -EINVAL);	/* a learner */
	memset(m, 0, sizeof(m));
	for (i = 0; i < 5; i++) {
		m[i].id = i + 1;
		m[i].flags = i < 4 ? PX_MEMBER_VOTER : PX_MEMBER_LEARNER;
	}
	{
		/* The old and the new members, together, past PX_MAX_NODES. */
		struct px_member_spec big[PX_MAX_NODES];

		memset(big, 0, sizeof(big));
		for (i = 0; i < PX_MAX_NODES; i++) {
			big[i].id = 10 + i;
			big[i].flags = PX_MEMBER_VOTER;
		}
		CHECK(px_config_change(C.px[l], big, PX_MAX_NODES, C.now) ==
		      -ENOSPC);
	}
	CHECK(px_config_change(C.px[l], m, 0, C.now) == -EINVAL);
	CHECK(px_config_change(C.px[(l + 1) % 3], m, 0, C.now) == -EINVAL);
	/* Asked of a follower: it asks its leader, which makes the change. */
	CHECK(px_config_change(C.px[(l + 1) % 3], m, 5, C.now) == -EINPROGRESS);
	for (ms = 0; ms < 100; ms++) {
		struct px_status st;

		px_get_status(C.px[l], &st, C.now);
		if (st.config_pending)
			break;
		u_run(1);
	}
	CHECK(ms < 100);
	CHECK(px_config_change(C.px[l], m, 5, C.now) == -EBUSY);
	CHECK(px_propose(C.px[l], NULL, "during", 6, C.now) == 0);
	for (ms = 0; ms < 1000 && u_config(4, v, &nl) != 4; ms++)
		u_run(1);
	for (i = 0; i < 5; i++) {
		CHECK(u_config(i, v, &nl) == 4 && nl == 1);
		CHECK(C.config_ev[i] == 2 && C.config_del[i] == 2);
	}
	CHECK(u_leader() == l);
	/* The leader leaves: C_old,new, C_new, then it hands over. */
	m[l].flags = PX_MEMBER_LEARNER;
	CHECK(px_config_change(C.px[l], m, 5, C.now) == 0);
	for (ms = 0; ms < 1000; ms++) {
		u_run(1);
		l2 = u_leader();
		CHECK(l2 != 4);
		if (l2 >= 0 && l2 != l)
			break;
	}
	u_run(300);
	l2 = u_leader();
	CHECK(l2 >= 0 && l2 != l && l2 != 4);
	CHECK(px_propose(C.px[l2], NULL, "after", 5, C.now) == 0);
	u_run(300);
	for (i = 0; i < 5; i++) {
		CHECK(u_config(i, v, &nl) == 3 && nl == 2);
		px_get_status(C.px[i], &st, C.now);
		CHECK(st.commit_index >= 8 && C.config_ev[i] == 4);
	}
	CHECK(u_role(l) == PX_ROLE_FOLLOWER);
	/* The old leader, a learner now, never campaigns: cut the rest off. */
	for (i = 0; i < 5; i++)
		C.cut[i] = i != (u32)l;
	u_run(1000);
	CHECK(u_role(l) == PX_ROLE_FOLLOWER);
	for (i = 0; i < 5; i++)
		px_node_destroy(C.px[i]);
	memset(C.cut, 0, sizeof(C.cut));
}

/*
 * A change waits for a new voter that never catches up (cut off): any
 * other change is refused while it waits, but one that leaves that node
 * out replaces it, and the node leaves; changes go on after.
 */
static void test_config_cancel(void)
{
	struct px_member_spec m[5];
	struct px_status st;
	u32 v[PX_MAX_NODES], nl, i, ms;
	int l;

	l = u_cluster_5x3();
	if (l < 0)
		return;
	C.cut[3] = true;
	u_run(500);
	memset(m, 0, sizeof(m));
	for (i = 0; i < 5; i++) {
		m[i].id = i + 1;
		m[i].flags = i < 4 ? PX_MEMBER_VOTER : PX_MEMBER_LEARNER;
	}
	CHECK(px_config_change(C.px[l], m, 5, C.now) == 0);
	u_run(500);
	CHECK(u_config(l, v, &nl) == 0);	/* waits for node 4 */
	px_get_status(C.px[l], &st, C.now);
	CHECK(st.next_nvoters == 4 && st.next_voters[3] == 4 &&
	      st.next_nlearners == 1 && st.next_learners[0] == 5);
	m[4].flags = PX_MEMBER_VOTER;		/* node 5 too: not a cancel */
	CHECK(px_config_change(C.px[l], m, 5, C.now) == -EBUSY);
	/* Node 4 left out, node 5 kept a learner: replaces the change. */
	m[3] = m[4];
	m[3].flags = PX_MEMBER_LEARNER;
	CHECK(px_config_change(C.px[l], m, 4, C.now) == 0);
	for (ms = 0; ms < 1000 && u_config(l, v, &nl) != 3; ms++)
		u_run(1);
	CHECK(ms < 1000 && nl == 1);
	px_get_status(C.px[l], &st, C.now);
	CHECK(!st.config_pending && !st.next_nvoters && !st.next_nlearners);
	u_run(300);
	for (i = 0; i < 3; i++)
		CHECK(u_config(i, v, &nl) == 3 && nl == 1);
	/* Then the next change goes through: node 5 a voter. */
	m[3].flags = PX_MEMBER_VOTER;
	CHECK(px_config_change(C.px[l], m, 4, C.now) == 0);
	for (ms = 0; ms < 1000 && u_config(l, v, &nl) != 4; ms++)
		u_run(1);
	CHECK(ms < 1000 && nl == 0);
	CHECK(px_propose(C.px[l], NULL, "after", 5, C.now) == 0);
	u_run(300);
	for (i = 0; i < 5; i++)
		px_node_destroy(C.px[i]);
	memset(C.cut, 0, sizeof(C.cut));
}

int main(void)
{
	test_wire();
	test_wire_types();
	test_quorum();
	test_session_table();
	test_leader_ignores_catchup();
	test_cluster_basics();
	test_single();
	test_failover_and_recovery();
	test_flap();
	test_check_quorum();
	test_trim_and_behind();
	test_pending_window();
	test_retain_bytes();
	test_log_full();
	test_behind_strict();
	test_heartbeat_ack_once();
	test_thrifty();
	test_news();
	test_durable();
	test_durable_depth();
	test_transfer();
	test_prefer();
	test_conf_codec();
	test_config();
	test_config_cancel();
	free(C.q);
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
