// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of a commit on the leader: a 3-node cluster on an in-memory
 * network, warmed up, then K 64-byte proposals on the leader, each
 * delivered to the followers and their acknowledgements back.  Only the
 * leader's engine calls are measured under callgrind
 * (--toggle-collect=leader_propose --toggle-collect=leader_rx); --report
 * prints the whole cluster's wall-clock time per commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

#define K 10000
#define MS 1000000ULL

struct dg {
	u32 to;
	u32 len;
	u8 data[PX_MAX_DATAGRAM];
};

static struct px_node *px[3];
static struct dg q[64];
static u32 qn;
static u64 now = 1000 * MS, commits;

static void b_send(void *ctx, u32 to, const void *buf, size_t len)
{
	(void)ctx;
	if (qn == 64)
		return;
	q[qn].to = to - 1;
	q[qn].len = (u32)len;
	memcpy(q[qn].data, buf, len);
	qn++;
}

static void b_commit(void *ctx, u64 index, enum px_entry_type type,
		     const struct px_prop_id *id, const void *data, u32 len)
{
	(void)index; (void)type; (void)id; (void)data; (void)len;
	if (!ctx)
		commits++;
}

static void b_event(void *ctx, const struct px_event *ev)
{
	(void)ctx; (void)ev;
}

static const struct px_ops ops = {
	.send = b_send, .commit = b_commit, .event = b_event,
};

/* Deliver queued datagrams; the leader's are handled in leader_rx(). */
__attribute__((noinline)) void leader_rx(struct dg *d)
{
	px_receive(px[0], d->data, d->len, now);
}

__attribute__((noinline)) void leader_propose(const void *v, u32 len)
{
	px_propose(px[0], NULL, v, len, now);
}

static void pump(void)
{
	static struct dg d;

	while (qn) {
		qn--;
		d.to = q[qn].to;
		d.len = q[qn].len;
		memcpy(d.data, q[qn].data, d.len);
		if (d.to == 0)
			leader_rx(&d);
		else
			px_receive(px[d.to], d.data, d.len, now);
	}
}

static void leader_commits(void)
{
	static const char value[64] = "sixty-four bytes of value .....";
	int k;

	for (k = 0; k < K; k++) {
		leader_propose(value, sizeof(value));
		pump();
	}
}

int main(int argc, char **argv)
{
	struct px_config cfg = { .cluster_id = 1, .nmembers = 3,
				 .members = { 1, 2, 3 },
				 .heartbeat_ns = 10 * MS, .election_ns = 50 * MS,
				 .lease_ns = 200 * MS, .drift_ppm = 1000,
				 .preferred_leader = 1 };
	struct timespec a, b;
	int i, t;

	for (i = 0; i < 3; i++) {
		cfg.self_id = i + 1;
		px_node_create(&cfg, &ops, i ? (void *)1 : NULL, 100 + i, i + 1,
			       now, &px[i]);
	}
	for (t = 0; t < 2000; t++) {
		pump();
		now += MS / 2;
		for (i = 0; i < 3; i++)
			if (px_next_deadline(px[i]) <= now)
				px_tick(px[i], now);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	leader_commits();
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (argc > 1 && !strcmp(argv[1], "--report"))
		printf("bench_commit: %llu commits on the leader, %.0f ns per commit (whole cluster, one core)\n",
		       (unsigned long long)commits,
		       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / K);
	for (i = 0; i < 3; i++)
		px_node_destroy(px[i]);
	return commits >= K ? 0 : 1;
}
