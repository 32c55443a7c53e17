// SPDX-License-Identifier: GPL-2.0
/*
 * jgen: histories for jcheck's host tests, in jepsen's format.
 *
 *   jgen SEED FAULT DIR
 *
 * A correct run first: a log of 600 indices (some no-ops), each write with
 * a linearization point at index * 1000 ns and its invocation and
 * completion up to 2.5 us either side, so any two writes ordered in real
 * time are ordered in the log; indeterminate writes, some committed, some
 * not; barriers returning the index of their own linearization point.
 * Some writes were retried through their client session (TRIES > 1),
 * most acknowledged in the end, a few not; some entries are pxkv commands.
 * Five readers: 1 and 3 read everything and 1 snapshots every 50 entries;
 * 2 sees its node go down, then reads a snapshot record and the rest; 1f,
 * a new reader at the end, starts from the last snapshot; 4 loads a pxkv
 * snapshot half way.  Then FAULT (clean for none) plants one violation;
 * jcheck must name it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../jepsen.h"
#include "kv.h"

#define N	600		/* log indices */
#define EXTRA	20		/* indeterminate writes that never committed */
#define NB	120		/* barriers */
#define SNAP	50		/* reader 1 snapshots every SNAP entries */
#define BASE	1000000000ull
#define KVSNAP	350		/* reader 4 loads pxkv's snapshot there */

struct wr {
	unsigned int node, thread;
	unsigned long long seq, invoke, complete, ack;	/* ack 0: failed */
	unsigned int tries;
	const char *err;
};

struct entry {
	int type;		/* 1 data, 2 no-op */
	char val[256];		/* as logged: text or "=HEX" */
	unsigned char raw[128];	/* its bytes */
	size_t len;
};

static struct wr w[N + EXTRA];
static int nw;
static struct entry log_[N + 2];
static int nlog = N;
static struct { unsigned long long invoke, complete, index; int ok; } b[NB];
static unsigned long long seqs[4][2];

static unsigned long long rnd(unsigned long long n)
{
	return (((unsigned long long)rand() << 31) ^ rand()) % n;
}

static struct wr *new_write(void)
{
	struct wr *x = &w[nw++];

	x->node = 1 + rnd(3);
	x->thread = rnd(2);
	x->seq = ++seqs[x->node][x->thread];
	return x;
}

static void value(const struct wr *x, struct entry *e)
{
	e->len = sprintf(e->val, "w%u-%u-%llu", x->node, x->thread, x->seq);
	memcpy(e->raw, e->val, e->len);
}

/* A pxkv command at @e: put of a key by client @n. */
static void kv_entry(struct entry *e, unsigned long long n)
{
	static unsigned long long seq;
	struct kv_buf b = { 0 };
	char key[16], val[16];
	struct kv_cmd c = { .op = KV_PUT, .client = 1 + n % 3, .seq = ++seq };
	size_t k;

	snprintf(key, sizeof(key), "k%llu", n % 5);
	snprintf(val, sizeof(val), "v%llu", n);
	c.f[0] = (struct kv_slice){ (const uint8_t *)key, strlen(key) };
	c.f[1] = (struct kv_slice){ (const uint8_t *)val, strlen(val) };
	if (kv_encode(&c, &b) || b.len > sizeof(e->raw))
		exit(2);
	e->type = 1;
	e->len = b.len;
	memcpy(e->raw, b.p, b.len);
	e->val[0] = '=';
	for (k = 0; k < b.len; k++)
		sprintf(e->val + 1 + 2 * k, "%02x", b.p[k]);
	kb_free(&b);
}

/* pxkv's digest of the log through @upto. */
static unsigned long long kv_state(int upto)
{
	struct kv_result res;
	struct kv_sm sm;
	uint64_t d;
	int i;

	kv_sm_init(&sm);
	for (i = 1; i <= upto; i++)
		if (log_[i].type == 1)
			kv_sm_apply(&sm, i, log_[i].raw, log_[i].len, &res);
		else
			kv_sm_skip(&sm, i);
	if (kv_sm_digest(&sm, &d))
		exit(2);
	kv_sm_free(&sm);
	return d;
}

/* The write at log index @i, acknowledged. */
static struct wr *acked_at(int i)
{
	int k;

	for (k = 0; k < nw; k++)
		if (w[k].ack == (unsigned long long)i)
			return &w[k];
	return NULL;
}

/* The first acknowledged write at or after @i, not retried. */
static int acked_from(int i)
{
	while (!acked_at(i) || acked_at(i)->tries > 1)
		i++;
	return i;
}

static void state(int upto, unsigned long long *count, unsigned long long *hash)
{
	int i;

	*hash = JHASH_INIT;
	*count = 0;
	for (i = 1; i <= upto; i++) {
		*hash = jhash_rec(*hash, i, log_[i].type, log_[i].raw,
				  log_[i].type == 1 ? log_[i].len : 0);
		*count += log_[i].type == 1;
	}
}

static void rec(FILE *f, const char *name, int i)
{
	fprintf(f, "r %s %d %d %s\n", name, i, log_[i].type,
		log_[i].type == 1 ? log_[i].val : "-");
}

static void snap(FILE *f, char kind, const char *name, int i, const char *how)
{
	unsigned long long count, hash;

	state(i, &count, &hash);
	fprintf(f, "%c %s %d %llu %016llx 40000 %s\n", kind, name, i, count, hash, how);
}

static FILE *open_in(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	return f;
}

int main(int argc, char **argv)
{
	const char *fault, *dir;
	int i, k, last_snap = (N - 60) / SNAP * SNAP;	/* entries follow it */
	FILE *f;

	if (argc != 4)
		return 2;
	srand(atoi(argv[1]));
	fault = argv[2];
	dir = argv[3];

	for (i = 1; i <= N; i++) {
		unsigned long long lp = BASE + i * 1000ull;
		struct wr *x;

		if (rnd(100) < 5) {
			log_[i].type = 2;
			continue;
		}
		if (rnd(100) < 5) {
			kv_entry(&log_[i], i);
			continue;
		}
		x = new_write();
		x->invoke = lp - 1 - rnd(2500);
		x->complete = lp + 1 + rnd(2500);
		x->tries = 1;
		if (rnd(100) < 8)
			x->err = "ENOTCONN";	/* committed all the same */
		else
			x->ack = i;
		/* Retried through the session: acknowledged, or given up. */
		if (rnd(100) < 10)
			x->tries = 2 + rnd(3);
		if (x->tries > 1 && x->err)
			x->err = "EINTR";
		log_[i].type = 1;
		value(x, &log_[i]);
	}
	for (k = 0; k < EXTRA; k++) {
		struct wr *x = new_write();

		x->invoke = BASE + rnd(N * 1000ull);
		x->complete = x->invoke + rnd(3000000);
		x->err = k & 1 ? "EINTR" : "ETIMEDOUT";
		x->tries = k % 4 == 1 ? 3 : 1;
	}
	for (k = 0; k < NB; k++) {
		unsigned long long lp = BASE + 1000 + rnd(N * 1000ull - 1000);

		b[k].invoke = lp - rnd(2500);
		b[k].complete = lp + rnd(2500);
		b[k].index = (lp - BASE) / 1000;
		b[k].ok = k % 10 != 9;
	}

	/* Faults in the writes, the log and the barriers. */
	if (!strcmp(fault, "lost")) {
		i = acked_from(last_snap + 10);
		log_[i].type = 2;
	} else if (!strcmp(fault, "wrong-index")) {
		i = acked_from(last_snap + 10);
		acked_at(i)->ack = acked_from(i + 1);
	} else if (!strcmp(fault, "duplicate")) {
		i = acked_from(last_snap + 10);
		log_[++nlog] = log_[i];
	} else if (!strcmp(fault, "retry-twice")) {
		/* A retry committed again, after the first. */
		for (i = last_snap + 10; !acked_at(i) || acked_at(i)->tries < 2; i++)
			;
		log_[++nlog] = log_[i];
	} else if (!strcmp(fault, "retry-index")) {
		/* A retry answered with another index than its value's. */
		for (i = last_snap + 10; !acked_at(i) || acked_at(i)->tries < 2; i++)
			;
		acked_at(i)->ack = acked_from(i + 1);
	} else if (!strcmp(fault, "phantom")) {
		log_[++nlog].type = 1;
		log_[nlog].len = sprintf(log_[nlog].val, "w9-9-9");
		memcpy(log_[nlog].raw, log_[nlog].val, log_[nlog].len);
	} else if (!strcmp(fault, "realtime")) {
		struct wr *x, *y;
		struct entry t;
		int j;

		i = acked_from(last_snap + 10);
		j = acked_from(i + 6);	/* 6 us apart: ordered in real time */
		x = acked_at(i);
		y = acked_at(j);
		x->ack = j;
		y->ack = i;
		t = log_[i];
		log_[i] = log_[j];
		log_[j] = t;
	} else if (!strcmp(fault, "barrier-below")) {
		for (k = 0; !b[k].ok || b[k].index < 100; k++)
			;
		b[k].index = 1;
	} else if (!strcmp(fault, "barrier-above")) {
		for (k = 0; !b[k].ok || b[k].index > N - 100; k++)
			;
		b[k].index = N;
	}

	f = open_in(dir, "clients");
	fprintf(f, "# clients\n");
	for (k = 0; k < nw; k++)
		fprintf(f, "w %u %u %llu %llu %llu %s %llu %u\n", w[k].node,
			w[k].thread, w[k].seq, w[k].invoke, w[k].complete,
			w[k].ack ? "ok" : w[k].err, w[k].ack, w[k].tries);
	for (k = 0; k < NB; k++)
		fprintf(f, "b %d 4 %d %llu %llu %s %llu\n", 1 + k % 3, k + 1,
			b[k].invoke, b[k].complete, b[k].ok ? "ok" : "ETIMEDOUT",
			b[k].ok ? b[k].index : 0);
	fclose(f);

	/* Reader 1: everything, a snapshot every SNAP entries. */
	f = open_in(dir, "r1");
	for (i = 1; i <= nlog; i++) {
		unsigned long long count, hash;

		rec(f, "1", i);
		if (i % SNAP || i > last_snap)
			continue;
		state(i, &count, &hash);
		if (i == 2 * SNAP && !strcmp(fault, "snapshot-content"))
			count++;
		fprintf(f, "p 1 %d %llu %016llx 40000 ok\n", i, count, hash);
	}
	fclose(f);

	/* Reader 2: its node goes down at 201 and comes back with snapshot 300. */
	f = open_in(dir, "r2");
	for (i = 1; i <= 200; i++)
		rec(f, "2", i);
	fprintf(f, "d 2 201\n");
	if (!strcmp(fault, "old-snapshot")) {
		snap(f, 's', "2", 150, "ok");
		i = 151;
	} else {
		snap(f, 's', "2", 300, strcmp(fault, "snapshot-damaged") ?
		     "ok" : "damaged");
		i = 301;
	}
	for (; i <= nlog; i++)
		rec(f, "2", i);
	fclose(f);

	/* Reader 3: everything, or the fault planted in its stream. */
	f = open_in(dir, "r3");
	for (i = 1; i <= nlog; i++) {
		if (i == 400 && !strcmp(fault, "gap"))
			continue;
		if (i == 400 && !strcmp(fault, "erange")) {
			fprintf(f, "g 3 400 ERANGE\n");
			continue;
		}
		if (i == 400 && !strcmp(fault, "disagree")) {
			fprintf(f, "r 3 400 1 w8-8-8\n");
			continue;
		}
		rec(f, "3", i);
		if (i == 400 && !strcmp(fault, "backwards"))
			rec(f, "3", 399);
	}
	fclose(f);

	/* Reader 4: down at 101, back with pxkv's snapshot at KVSNAP. */
	f = open_in(dir, "r4");
	for (i = 1; i <= 100; i++)
		rec(f, "4", i);
	fprintf(f, "d 4 101\n");
	fprintf(f, "s 4 %d 0 %016llx 900 kv\n", KVSNAP,
		kv_state(KVSNAP) ^ !strcmp(fault, "kv-snapshot"));
	for (i = KVSNAP + 1; i <= nlog; i++)
		rec(f, "4", i);
	fclose(f);

	/* A new reader at the end: the last snapshot, then the entries after. */
	f = open_in(dir, "r1f");
	snap(f, 's', "1f", last_snap, "ok");
	for (i = last_snap + 1; i <= nlog; i++)
		rec(f, "1f", i);
	fclose(f);
	return 0;
}
