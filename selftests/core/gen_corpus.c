// SPDX-License-Identifier: GPL-2.0
/* Writes the seed corpus: one valid datagram of each type, and variants. */
#include <stdio.h>
#include <string.h>

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

int main(void)
{
	static unsigned char buf[PX_MAX_DATAGRAM];
	struct px_wentry e = { .index = 1, .ballot = 1ULL << 32 | 2,
			       .type = PX_ENTRY_DATA, .len = 5,
			       .data = (const unsigned char *)"hello" };
	struct px_cv cv[2] = { { 1, 5 }, { 2, 9 } };
	struct px_wbuf w;
	char name[32];
	int t;

	e.id.origin = 2;
	e.id.seq = 1;
	for (t = 1; t < __PX_MSG_MAX; t++) {
		px_wire_begin(&w, buf, sizeof(buf), t, 2, 7, 9, 1ULL << 32 | 2);
		switch (t) {
		case PX_MSG_PREPARE: case PX_MSG_CATCHUP_REQ: case PX_MSG_RECOVER:
		case PX_MSG_BARRIER_REQ:
			px_wire_u64(&w, 1);
			break;
		case PX_MSG_PROMISE:
			px_wire_u64(&w, 1); px_wire_u64(&w, 0);
			px_wire_u8(&w, 1); px_wire_u8(&w, 0);
			px_wire_cvs(&w, cv, 2);
			px_wire_count(&w); px_wire_add_entry(&w, &e);
			break;
		case PX_MSG_ACCEPT:
			px_wire_u64(&w, 0);
			px_wire_count(&w); px_wire_add_entry(&w, &e);
			e.index = 2;
			px_wire_add_entry(&w, &e);
			e.index = 1;
			break;
		case PX_MSG_ACCEPTED:
			px_wire_u64(&w, 1); px_wire_u64(&w, 2); px_wire_u64(&w, 0);
			px_wire_cvs(&w, cv, 2);
			break;
		case PX_MSG_HEARTBEAT:
			px_wire_u64(&w, 1); px_wire_u64(&w, 3); px_wire_u64(&w, 1);
			break;
		case PX_MSG_HEARTBEAT_ACK: case PX_MSG_BARRIER_REPLY:
			px_wire_u64(&w, 3); px_wire_u64(&w, 1);
			break;
		case PX_MSG_FORWARD:
			px_wire_count(&w); px_wire_add_entry(&w, &e);
			break;
		case PX_MSG_CATCHUP:
			px_wire_u64(&w, 1); px_wire_u64(&w, 1);
			px_wire_u8(&w, 0); px_wire_u8(&w, 0);
			px_wire_dds(&w, NULL, 0);
			px_wire_count(&w); px_wire_add_entry(&w, &e);
			break;
		case PX_MSG_RECOVER_REPLY:
			px_wire_u64(&w, 1); px_wire_u64(&w, 1); px_wire_u64(&w, 0);
			px_wire_u8(&w, 1); px_wire_u8(&w, 0);
			px_wire_count(&w); px_wire_add_entry(&w, &e);
			break;
		}
		snprintf(name, sizeof(name), "type%02d", t);
		out(name, buf, w.len);
		snprintf(name, sizeof(name), "type%02d-short", t);
		out(name, buf, w.len - 1);
		buf[4] = 1;	/* MAC flag without a MAC */
		snprintf(name, sizeof(name), "type%02d-macflag", t);
		out(name, buf, w.len);
	}
	out("empty", buf, 0);
	return 0;
}
