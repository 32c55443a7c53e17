// SPDX-License-Identifier: GPL-2.0
/* Writes the seed corpus: one valid datagram of each type, and variants. */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "wire.h"

static void out(const char *name, const void *b, size_t l)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "corpus/%s", name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(b, 1, l, f);
	fclose(f);
}

/* One valid datagram of type @t; its length. */
static size_t build(int t, unsigned char *buf, size_t cap)
{
	struct px_wentry e = { .index = 1, .ballot = 1ULL << 32 | 2,
			       .type = PX_ENTRY_DATA, .id = { 2, 9, 1 },
			       .len = 5, .data = (const unsigned char *)"hello" };
	struct px_cvec cv = { 2, { { 1, 5 }, { 2, 9 } } };
	struct px_frag last = { PX_FRAG_LAST, 0 };
	struct px_wbuf w;
	bool ents = true;

	px_wire_begin(&w, buf, cap, 2, 7, 9, 1ULL << 32 | 2);
	switch (t) {
	case PX_MSG_PREPARE:
		px_wire_prepare(&w, &(struct px_prepare){ 1 });
		ents = false;
		break;
	case PX_MSG_PROMISE:
		px_wire_promise(&w, &(struct px_promise){ 1, 0, last, cv, { 0 } });
		break;
	case PX_MSG_ACCEPT:
		px_wire_accept(&w, &(struct px_accept){ 0, { 0 } });
		px_wire_add_entry(&w, &e);
		e.index = 2;
		break;
	case PX_MSG_ACCEPTED:
		px_wire_accepted(&w, &(struct px_accepted){ 1, 2, 0, cv });
		ents = false;
		break;
	case PX_MSG_NACK:
		px_wire_nack(&w);
		ents = false;
		break;
	case PX_MSG_HEARTBEAT:
		px_wire_heartbeat(&w, &(struct px_heartbeat){ 1, 3, 1 });
		ents = false;
		break;
	case PX_MSG_HEARTBEAT_ACK:
		px_wire_hb_ack(&w, &(struct px_hb_ack){ 3, 1, 0 });
		ents = false;
		break;
	case PX_MSG_FORWARD:
		px_wire_forward(&w);
		e.index = 0;
		break;
	case PX_MSG_CATCHUP_REQ:
		px_wire_catchup_req(&w, &(struct px_catchup_req){ 1 });
		ents = false;
		break;
	case PX_MSG_CATCHUP:
		px_wire_catchup(&w, &(struct px_catchup){ 1, 1, last, { 0 }, { 0 } });
		break;
	case PX_MSG_RECOVER:
		px_wire_recover(&w, &(struct px_recover){ 1 });
		ents = false;
		break;
	case PX_MSG_RECOVER_REPLY:
		px_wire_recover_reply(&w, &(struct px_recover_reply){ 1, 1, 0, last, { 0 } });
		break;
	case PX_MSG_BARRIER_REQ:
		px_wire_barrier_req(&w, &(struct px_barrier_req){ 1 });
		ents = false;
		break;
	case PX_MSG_BARRIER_REPLY:
		px_wire_barrier_reply(&w, &(struct px_barrier_reply){ 3, 1 });
		ents = false;
		break;
	case PX_MSG_SNAP_CHUNK:
		memcpy(px_wire_snap_chunk(&w, &(struct px_snap_chunk){
			.index = 5, .size = 5, .csum = px_snap_csum("state", 5),
			.len = 5 }), "state", 5);
		ents = false;
		break;
	case PX_MSG_SNAP_ACK:
		px_wire_snap_ack(&w, &(struct px_snap_ack){ 5, 5, 0 });
		ents = false;
		break;
	case PX_MSG_SESS_REQ:
		px_wire_sess_req(&w, &(struct px_sess_req){ 5 });
		ents = false;
		break;
	case PX_MSG_SESS:
		px_wire_sess(&w, 5, &(struct px_sessions){ 2, { { 3, 1, 2 },
								{ 8, 4, 5 } } });
		ents = false;
		break;
	case PX_MSG_PREVOTE:
		px_wire_prevote(&w, &(struct px_prevote){ 5 });
		ents = false;
		break;
	case PX_MSG_PREVOTE_REPLY:
		px_wire_prevote_reply(&w, &(struct px_prevote_reply){ 3, 1 });
		ents = false;
		break;
	case PX_MSG_TIMEOUT_NOW:
		px_wire_timeout_now(&w, &(struct px_timeout_now){ 2 });
		ents = false;
		break;
	case PX_MSG_CONFIG:
	case PX_MSG_CHANGE: {
		static const struct px_conf c = { 1, { 2 }, { {
			{ 1, PX_MEMBER_VOTER, 4, 7000, { 10, 0, 0, 1 } },
			{ 2, PX_MEMBER_LEARNER, 0, 0, { 0 } } } } };
		u8 p[PX_CONF_MAX];
		const struct px_conf_msg m = { 3, 5, (u16)px_conf_encode(&c, p), p };

		if (t == PX_MSG_CONFIG)
			px_wire_conf(&w, &m);
		else
			px_wire_change(&w, &m);
		ents = false;
		break;
	}
	}
	/* Odd types carry a client write (a session after the header). */
	e.id.session = t % 2 ? 0x1234 : 0;
	e.id.cseq = t % 2 ? 2 : 0;
	if (ents)
		px_wire_add_entry(&w, &e);
	return w.len;
}

int main(void)
{
	static unsigned char buf[PX_MAX_DATAGRAM];
	char name[32];
	size_t len;
	int t;

	for (t = 1; t < __PX_MSG_MAX; t++) {
		len = build(t, buf, sizeof(buf));
		snprintf(name, sizeof(name), "type%02d", t);
		out(name, buf, len);
		snprintf(name, sizeof(name), "type%02d-short", t);
		out(name, buf, len - 1);
		buf[4] = PX_WF_MAC;	/* MAC flag without a MAC */
		snprintf(name, sizeof(name), "type%02d-macflag", t);
		out(name, buf, len);
	}
	out("empty", buf, 0);
	return 0;
}
