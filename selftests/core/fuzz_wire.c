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
static const struct px_ops ops = { f_send, f_commit, f_event };

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

	if (px_wire_decode(data, size, &m) == 0 && m.entries) {
		struct px_wentry e;
		size_t off = 0;
		u16 k;

		for (k = 0; k < m.nentries; k++)
			px_wire_entry(&m, &off, &e);
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
		if (role == 2) {
			n->now = now;
			px_start_election(n);
			n->peers[1].done = true;
			px_handle_promise(n, 1, NULL);
		}
		memcpy(copy, data, size);
		px_receive(n, copy, size, now + MS);
		px_tick(n, now + 200 * MS);
		px_node_destroy(n);
	}
	return 0;
}
