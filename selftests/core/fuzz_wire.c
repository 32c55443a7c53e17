// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: every input is a datagram.  It goes to the decoder,
 * and to a live 3-node engine whose node 1 is, in turn, recovering,
 * follower and leader, as if it came from node 2.  Build: make fuzz_wire.
 */
#include <string.h>

#include "core_int.h"

#define MS 1000000ULL

static void f_send(void *c, u32 to, const void *b, size_t l) { (void)c; (void)to; (void)b; (void)l; }
static void f_commit(void *c, u64 i, enum px_entry_type t, const struct px_prop_id *id,
		     const void *d, u32 l) { (void)c; (void)i; (void)t; (void)id; (void)d; (void)l; }
static void f_event(void *c, const struct px_event *e) { (void)c; (void)e; }
static int f_read(void *c, const struct px_snap *s, u64 off, void *b, u32 l)
{
	(void)c; (void)s; (void)off;
	memset(b, 0, l);
	return 0;
}

static int f_write(void *c, const struct px_snap *s, u64 off, const void *d, u32 l)
{
	(void)c; (void)s; (void)off; (void)d; (void)l;
	return 0;
}

static void f_install(void *c, const struct px_snap *s) { (void)c; (void)s; }

static const struct px_ops ops = {
	.send = f_send, .commit = f_commit, .event = f_event,
	.snap_read = f_read, .snap_write = f_write, .snap_install = f_install,
};

/* Make @n leader: an election and node 2's promise. */
static void elect(struct px_node *n, u64 now)
{
	static u8 buf[256];
	struct px_promise p = { .frag = { PX_FRAG_LAST, 0 } };
	struct px_wbuf w;

	n->now = now;
	px_start_election(n);
	p.first = n->prepare_from;
	px_wire_begin(&w, buf, sizeof(buf), 2, 7, 9, n->ballot);
	px_wire_promise(&w, &p);
	px_receive(n, buf, w.len, now);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct px_config cfg = { .cluster_id = 7, .self_id = 1, .nmembers = 3,
				 .members = { 1, 2, 3 }, .heartbeat_ns = 10 * MS,
				 .election_ns = 50 * MS, .lease_ns = 100 * MS,
				 .drift_ppm = 1000, .window = 8, .retain = 16 };
	static u8 copy[PX_MAX_DATAGRAM + 1024];
	struct px_msg m;
	struct px_node *n;
	u64 now = 1000 * MS;
	int role;

	if (px_wire_decode(data, size, &m) == 0 && px_wire_ents(&m)) {
		const struct px_entries *es = px_wire_ents(&m);
		struct px_wentry e;
		size_t off = 0;
		u16 k;

		for (k = 0; k < es->count; k++)
			px_wire_entry(es, &off, &e);
	}
	if (size > sizeof(copy))
		return 0;
	for (role = 0; role < 3; role++) {
		px_node_create(&cfg, &ops, NULL, 5, 1, now, &n);
		if (!n)
			return 0;
		if (role >= 1) {
			/* Skip recovery: a follower with a little log. */
			n->role = PX_ROLE_FOLLOWER;
			px_propose(n, NULL, "abc", 3, now);
		}
		if (role == 2)
			elect(n, now);
		memcpy(copy, data, size);
		px_receive(n, copy, size, now + MS);
		px_tick(n, now + 200 * MS);
		px_node_destroy(n);
	}
	return 0;
}
