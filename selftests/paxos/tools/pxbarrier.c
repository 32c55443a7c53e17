// SPDX-License-Identifier: GPL-2.0
/*
 * pxbarrier: read barriers racing blocking writes on /dev/paxoslog.
 *
 *   pxbarrier run NODE THREADS SECONDS OUT
 *	THREADS threads, each with its own open file, alternate a blocking
 *	write() of a unique value and PAXOS_IOC_BARRIER for SECONDS, then
 *	write one line per operation to OUT:
 *	  w NODE THREAD END_NS INDEX		a write returned at END_NS
 *	  b NODE THREAD START_NS INDEX		a barrier taken at START_NS
 *	  e NODE THREAD START_NS OP ERRNO	an operation (w or b) failed
 *	Times are CLOCK_MONOTONIC, which every network namespace of one
 *	machine shares.
 *   pxbarrier check FILE...
 *	Merge the records of every node.  A barrier is linearizable if its
 *	index is at or above the index of every write that returned before
 *	the barrier was taken, on any node.  Fails on any failed operation,
 *	any such barrier below an earlier write, or a node that did not
 *	complete both kinds of operation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/paxos.h>

#define MAX_THREADS	256
#define MAX_NODES	16
#define STUCK_S		60	/* an operation outliving the run by this fails */
#define SHOW		5	/* failures printed in full */

struct rec {
	char kind;		/* 'w', 'b' or 'e' */
	char op;		/* for 'e': the operation that failed */
	unsigned int node, thread;
	uint64_t ns;		/* write: end; barrier and error: start */
	uint64_t index;		/* for 'e': the errno */
};

struct recs {
	struct rec *r;
	size_t len, cap;
};

static void push(struct recs *v, const struct rec *r)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 1024;
		v->r = realloc(v->r, v->cap * sizeof(*v->r));
		if (!v->r) {
			perror("realloc");
			exit(1);
		}
	}
	v->r[v->len++] = *r;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "?";
}

/* ------------------------------------------------------------------ run */

struct worker {
	pthread_t tid;
	unsigned int node, thread;
	uint64_t end;
	atomic_int busy;	/* 0 idle, 'w' or 'b': inside that call */
	atomic_int finished;
	struct recs recs;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct rec r = { .node = w->node, .thread = w->thread };
	char val[64];
	uint64_t k, idx;
	int fd;

	fd = open("/dev/" PAXOS_DEVICE_NAME, O_RDWR);
	if (fd < 0) {
		perror("open /dev/paxoslog");
		exit(1);
	}
	for (k = 1; now_ns() < w->end; k++) {
		int len = snprintf(val, sizeof(val), "bar-%u-%u-%" PRIu64,
				   w->node, w->thread, k);

		r.ns = now_ns();
		atomic_store(&w->busy, 'w');
		if (write(fd, val, len) == len &&
		    !ioctl(fd, PAXOS_IOC_LAST_WRITE, &idx)) {
			r.kind = 'w';
			r.ns = now_ns();
			r.index = idx;
		} else {
			r.kind = 'e';
			r.op = 'w';
			r.index = errno;
		}
		push(&w->recs, &r);

		r.ns = now_ns();
		atomic_store(&w->busy, 'b');
		if (!ioctl(fd, PAXOS_IOC_BARRIER, &idx)) {
			r.kind = 'b';
			r.index = idx;
		} else {
			r.kind = 'e';
			r.op = 'b';
			r.index = errno;
		}
		push(&w->recs, &r);
		atomic_store(&w->busy, 0);
	}
	close(fd);
	atomic_store(&w->finished, 1);
	return NULL;
}

static int run(int argc, char **argv)
{
	static struct worker ws[MAX_THREADS];
	unsigned int node, nthreads, secs, i, done;
	size_t nw = 0, nb = 0, ne = 0, j;
	uint64_t deadline;
	FILE *out;

	if (argc != 6)
		return 2;
	node = strtoul(argv[2], NULL, 0);
	nthreads = strtoul(argv[3], NULL, 0);
	secs = strtoul(argv[4], NULL, 0);
	if (!nthreads || nthreads > MAX_THREADS || !secs) {
		fprintf(stderr, "pxbarrier: 1..%d threads, at least 1 s\n",
			MAX_THREADS);
		return 2;
	}
	out = fopen(argv[5], "w");
	if (!out) {
		perror(argv[5]);
		return 1;
	}
	deadline = now_ns() + secs * 1000000000ull;
	for (i = 0; i < nthreads; i++) {
		ws[i].node = node;
		ws[i].thread = i;
		ws[i].end = deadline;
		if (pthread_create(&ws[i].tid, NULL, work, &ws[i])) {
			perror("pthread_create");
			return 1;
		}
	}
	/* Poll for the end: a thread stuck in the kernel must not hang us. */
	for (;;) {
		struct timespec t = { 0, 100000000 };

		for (i = 0, done = 0; i < nthreads; i++)
			done += atomic_load(&ws[i].finished);
		if (done == nthreads)
			break;
		if (now_ns() > deadline + STUCK_S * 1000000000ull) {
			for (i = 0; i < nthreads; i++)
				if (!atomic_load(&ws[i].finished))
					printf("node %u thread %u: stuck in %s\n",
					       node, i, atomic_load(&ws[i].busy) == 'b' ?
					       "the barrier ioctl" : "write");
			return 1;
		}
		nanosleep(&t, NULL);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(ws[i].tid, NULL);
		for (j = 0; j < ws[i].recs.len; j++) {
			const struct rec *r = &ws[i].recs.r[j];

			if (r->kind == 'e') {
				fprintf(out, "e %u %u %" PRIu64 " %c %" PRIu64 "\n",
					r->node, r->thread, r->ns, r->op, r->index);
				ne++;
			} else {
				fprintf(out, "%c %u %u %" PRIu64 " %" PRIu64 "\n",
					r->kind, r->node, r->thread, r->ns, r->index);
				*(r->kind == 'w' ? &nw : &nb) += 1;
			}
		}
	}
	if (fclose(out)) {
		perror(argv[5]);
		return 1;
	}
	printf("node %u: %u threads, %zu writes, %zu barriers, %zu failed\n",
	       node, nthreads, nw, nb, ne);
	return 0;
}

/* ---------------------------------------------------------------- check */

static int by_ns(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->ns < y->ns ? -1 : x->ns > y->ns;
}

static int check(int argc, char **argv)
{
	size_t nw[MAX_NODES] = { 0 }, nb[MAX_NODES] = { 0 }, ne[MAX_NODES] = { 0 };
	struct recs w = { 0 }, b = { 0 }, e = { 0 };
	const struct rec *maxw = NULL;
	size_t i, j, bad = 0;
	int a, ok = 1;

	for (a = 2; a < argc; a++) {
		FILE *f = fopen(argv[a], "r");
		char line[256];

		if (!f) {
			perror(argv[a]);
			return 1;
		}
		while (fgets(line, sizeof(line), f)) {
			struct rec r = { 0 };
			char op = 0;

			if (sscanf(line, "%c %u %u %" SCNu64, &r.kind, &r.node,
				   &r.thread, &r.ns) != 4 || r.node >= MAX_NODES ||
			    (r.kind == 'e' ?
			     sscanf(line, "e %*u %*u %*u %c %" SCNu64, &op, &r.index) != 2 :
			     sscanf(line, "%*c %*u %*u %*u %" SCNu64, &r.index) != 1)) {
				fprintf(stderr, "%s: bad line: %s", argv[a], line);
				return 1;
			}
			r.op = op;
			if (r.kind == 'w') {
				push(&w, &r);
				nw[r.node]++;
			} else if (r.kind == 'b') {
				push(&b, &r);
				nb[r.node]++;
			} else {
				push(&e, &r);
				ne[r.node]++;
			}
		}
		fclose(f);
	}
	for (i = 0; i < MAX_NODES; i++) {
		if (!nw[i] && !nb[i] && !ne[i])
			continue;
		printf("node %zu: %zu writes, %zu barriers, %zu failed\n",
		       i, nw[i], nb[i], ne[i]);
		if (!nw[i] || !nb[i]) {
			printf("node %zu: no writes or no barriers completed\n", i);
			ok = 0;
		}
	}
	for (i = 0; i < e.len; i++) {
		const struct rec *r = &e.r[i];

		if (i < SHOW)
			printf("node %u thread %u: %s failed: %s (%s) at %" PRIu64 " ns\n",
			       r->node, r->thread, r->op == 'b' ? "barrier" : "write",
			       ename(r->index), strerror(r->index), r->ns);
		ok = 0;
	}
	/* A tally of the failures by operation and errno. */
	for (i = 0; i < e.len; i++) {
		size_t n = 0;

		for (j = 0; j < i; j++)
			if (e.r[j].op == e.r[i].op && e.r[j].index == e.r[i].index)
				break;
		if (j < i)
			continue;
		for (j = i; j < e.len; j++)
			n += e.r[j].op == e.r[i].op && e.r[j].index == e.r[i].index;
		printf("%zu %s failed with %s\n", n,
		       e.r[i].op == 'b' ? "barriers" : "writes", ename(e.r[i].index));
	}

	/* Sweep barriers by start time over writes by end time. */
	qsort(w.r, w.len, sizeof(*w.r), by_ns);
	qsort(b.r, b.len, sizeof(*b.r), by_ns);
	for (i = 0, j = 0; i < b.len; i++) {
		const struct rec *r = &b.r[i];

		for (; j < w.len && w.r[j].ns < r->ns; j++)
			if (!maxw || w.r[j].index > maxw->index)
				maxw = &w.r[j];
		if (!maxw || r->index >= maxw->index)
			continue;
		if (bad++ < SHOW)
			printf("node %u thread %u: barrier at %" PRIu64 " ns gave %" PRIu64
			       ", below index %" PRIu64 " of a write on node %u done at %"
			       PRIu64 " ns\n", r->node, r->thread, r->ns, r->index,
			       maxw->index, maxw->node, maxw->ns);
		ok = 0;
	}
	printf("%zu barriers checked against %zu writes: %zu below an earlier write\n",
	       b.len, w.len, bad);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	int r = 2;

	if (argc > 1 && !strcmp(argv[1], "run"))
		r = run(argc, argv);
	else if (argc > 2 && !strcmp(argv[1], "check"))
		r = check(argc, argv);
	if (r == 2)
		fprintf(stderr, "usage: pxbarrier run NODE THREADS SECONDS OUT\n"
			"       pxbarrier check FILE...\n");
	return r;
}
