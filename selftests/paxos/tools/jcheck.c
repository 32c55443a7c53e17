// SPDX-License-Identifier: GPL-2.0
/*
 * jcheck: the offline checker of the Jepsen-style test.  It reads the
 * histories jepsen logged (every client and reader, any number of files,
 * format in jepsen.c) and verifies:
 *
 *   disagree	 all readers saw the same record at every index
 *   lost	 an acknowledged write is at its acknowledged index ...
 *   wrong-index ... and nowhere else
 *   duplicate	 no value is at two indices (indeterminate writes included)
 *   retry-twice a write retried through its client session (TRIES > 1)
 *		 is at one index at most, however many attempts it took ...
 *   retry-index ... and if acknowledged, at the index the retry returned
 *   phantom	 every value in the log is one a writer wrote, or a pxkv
 *		 command (magic "kv")
 *   realtime	 a write that completed before another was invoked has the
 *		 lower index (acknowledged writes, and indeterminate ones
 *		 found in the log, which never completed)
 *   barrier-below  a barrier is at or above every write completed before
 *		 it was invoked
 *   barrier-above  a write invoked after a barrier completed is above it
 *   gap, backwards, erange  every reader's stream goes record by record,
 *		 index + 1 each, or through a snapshot record s to s + 1; a
 *		 read that failed with ERANGE is a skip
 *   old-snapshot  a snapshot record is never older than the reader's state
 *   snapshot-damaged, snapshot-content  a snapshot's bytes are intact and
 *		 its state (count, hash: jepsen.h) is what the entries it
 *		 covers give, where they are known; where some are not, the
 *		 first snapshot past them anchors the chain and later ones are
 *		 checked against it
 *   kv-snapshot a pxkv snapshot a reader loaded ("kv") holds the state
 *		 pxkv's state machine (kv.c) gives when it applies the log up
 *		 to its index, where every entry up to there is known
 *
 * It replays the pxkv commands of the whole log through kv.c and prints
 * the digest `pxkv hash` must give on every node at that index.
 * It prints the figures, up to five examples of each violation, and one
 * line per kind with its count; exit 0 when there is none, 1 when there
 * is, 2 when a history cannot be read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jepsen.h"
#include "kv.h"

#define PAXOS_REC_DATA_T	1	/* uapi record types, as logged */
#define PAXOS_REC_NOOP_T	2
#define MAX_INDEX		(1u << 24)
#define MAX_STREAMS		64
#define SHOW			5

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		perror("jcheck");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		perror("jcheck");
		exit(2);
	}
	return d;
}

/* ------------------------------------------------------------ violations */

enum kind {
	V_DISAGREE, V_LOST, V_WRONG_INDEX, V_DUPLICATE, V_PHANTOM, V_REALTIME,
	V_BARRIER_BELOW, V_BARRIER_ABOVE, V_GAP, V_BACKWARDS, V_ERANGE,
	V_OLD_SNAPSHOT, V_SNAP_DAMAGED, V_SNAP_CONTENT, V_RETRY_TWICE,
	V_RETRY_INDEX, V_KV_SNAPSHOT, V_KINDS
};

static const char *const kind_name[V_KINDS] = {
	"disagree", "lost", "wrong-index", "duplicate", "phantom", "realtime",
	"barrier-below", "barrier-above", "gap", "backwards", "erange",
	"old-snapshot", "snapshot-damaged", "snapshot-content", "retry-twice",
	"retry-index", "kv-snapshot",
};

static unsigned long nviol[V_KINDS];

static void violation(enum kind k, const char *fmt, ...)
{
	va_list ap;

	if (nviol[k]++ >= SHOW)
		return;
	printf("jcheck: VIOLATION %s: ", kind_name[k]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* ------------------------------------------------------------ string map */

struct slot {
	char *key;
	uint64_t val;
};

struct map {
	struct slot *s;
	size_t cap, len;
};

static uint64_t strhash(const char *k)
{
	return jfnv(JHASH_INIT, k, strlen(k));
}

static struct slot *map_find(struct map *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = strhash(key) & (m->cap - 1); m->s[i].key; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->s[i].key, key))
			return &m->s[i];
	return NULL;
}

/* Insert @key (not yet there). */
static void map_put(struct map *m, const char *key, uint64_t val)
{
	size_t i;

	if (2 * (m->len + 1) > m->cap) {
		struct map n = { .cap = m->cap ? 2 * m->cap : 1024 };

		n.s = calloc(n.cap, sizeof(*n.s));
		if (!n.s)
			exit(2);
		for (i = 0; i < m->cap; i++)
			if (m->s[i].key)
				map_put(&n, m->s[i].key, m->s[i].val);
		free(m->s);
		*m = n;
	}
	for (i = strhash(key) & (m->cap - 1); m->s[i].key; i = (i + 1) & (m->cap - 1))
		;
	m->s[i].key = (char *)key;
	m->s[i].val = val;
	m->len++;
}

/* ------------------------------------------------------------ histories */

struct op {
	char kind;		/* 'w' or 'b' */
	int ok;
	char err[24];
	unsigned int tries;	/* attempts, retries through the session */
	uint64_t invoke, complete, index;
	char *value;		/* writes */
	uint64_t found;		/* writes: where the log holds the value, 0 */
};

struct ent {
	char *tok;		/* the value as logged */
	uint16_t type;
	const char *by;		/* first stream that read it */
};

struct claim {
	uint64_t index, count, hash;
	const char *by;
	char kind;		/* 's' read, 'p' written, 'k' pxkv's read */
};

struct stream {
	char *name;
	uint64_t next;		/* the index due */
	unsigned long entries, snaps, written, downs, skipped, eranges;
	uint64_t snap_bytes, last;
};

static struct op *ops;
static size_t nops;
static struct ent *log_;
static uint64_t log_cap, max_index;
static struct claim *claims, *kvclaims;
static size_t nclaims, nkvclaims;
static struct stream streams[MAX_STREAMS];
static int nstreams;

static struct stream *stream(const char *name)
{
	int i;

	for (i = 0; i < nstreams; i++)
		if (!strcmp(streams[i].name, name))
			return &streams[i];
	if (nstreams == MAX_STREAMS) {
		fprintf(stderr, "jcheck: more than %d reader streams\n", MAX_STREAMS);
		exit(2);
	}
	streams[nstreams].name = xstrdup(name);
	streams[nstreams].next = 1;
	return &streams[nstreams++];
}

static void add_claim(char kind, const char *by, uint64_t index, uint64_t count,
		      uint64_t hash)
{
	if (kind == 'k') {
		kvclaims = xrealloc(kvclaims, (nkvclaims + 1) * sizeof(*kvclaims));
		kvclaims[nkvclaims++] = (struct claim){ index, count, hash, by, kind };
		return;
	}
	claims = xrealloc(claims, (nclaims + 1) * sizeof(*claims));
	claims[nclaims++] = (struct claim){ index, count, hash, by, kind };
}

static void record(struct stream *s, uint64_t index, unsigned int type,
		   const char *tok)
{
	struct ent *e;

	if (index > s->next) {
		violation(V_GAP, "reader %s: record %" PRIu64 " where %" PRIu64
			  " was due (%" PRIu64 " entries skipped)", s->name,
			  index, s->next, index - s->next);
		s->skipped += index - s->next;
	} else if (index < s->next) {
		violation(V_BACKWARDS, "reader %s: record %" PRIu64 " after %" PRIu64,
			  s->name, index, s->next - 1);
	}
	s->next = index + 1;
	s->entries++;
	s->last = index;
	if (index >= log_cap) {
		uint64_t cap = log_cap ? log_cap : 4096;

		while (cap <= index)
			cap *= 2;
		log_ = xrealloc(log_, cap * sizeof(*log_));
		memset(log_ + log_cap, 0, (cap - log_cap) * sizeof(*log_));
		log_cap = cap;
	}
	if (index > max_index)
		max_index = index;
	e = &log_[index];
	if (!e->tok) {
		e->tok = xstrdup(tok);
		e->type = type;
		e->by = s->name;
	} else if (e->type != type || strcmp(e->tok, tok)) {
		violation(V_DISAGREE, "index %" PRIu64 ": reader %s read %u %s, reader %s read %u %s",
			  index, e->by, e->type, e->tok, s->name, type, tok);
	}
}

static int parse(const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned long ln = 0;

	if (!f) {
		fprintf(stderr, "jcheck: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		char name[64], tok[2 * 8192 + 8], res[32];
		unsigned long long a, b, c, d;
		unsigned int node, thread, type;
		struct stream *s;
		struct op o;
		int bad = 0, n;

		ln++;
		line[strcspn(line, "\n")] = 0;
		switch (line[0]) {
		case 0:
		case '#':
			continue;
		case 'w':
		case 'b':
			memset(&o, 0, sizeof(o));
			o.tries = 1;
			n = sscanf(line + 1, "%u %u %llu %llu %llu %23s %llu %u", &node,
				   &thread, &a, &b, &c, o.err, &d, &o.tries);
			if ((n != 7 && n != 8) || !o.tries) {
				bad = 1;
				break;
			}
			o.kind = line[0];
			o.ok = !strcmp(o.err, "ok");
			o.invoke = b;
			o.complete = c;
			o.index = d;
			if (o.complete < o.invoke || (o.ok && !o.index)) {
				bad = 1;
				break;
			}
			if (o.kind == 'w') {
				snprintf(tok, sizeof(tok), "w%u-%u-%llu", node, thread, a);
				o.value = xstrdup(tok);
			}
			ops = xrealloc(ops, (nops + 1) * sizeof(*ops));
			ops[nops++] = o;
			break;
		case 'r':
			if (sscanf(line + 1, "%63s %llu %u %16391s", name, &a, &type,
				   tok) != 4 || !a || a >= MAX_INDEX) {
				bad = 1;
				break;
			}
			record(stream(name), a, type, tok);
			break;
		case 's':
		case 'p':
			if (sscanf(line + 1, "%63s %llu %llu %llx %llu %31s", name, &a,
				   &b, &c, &d, res) != 6 || a >= MAX_INDEX) {
				bad = 1;
				break;
			}
			s = stream(name);
			if (line[0] == 'p') {
				if (!strcmp(res, "ok")) {
					s->written++;
					add_claim('p', s->name, a, b, c);
				}
				break;
			}
			if (a + 1 < s->next)
				violation(V_OLD_SNAPSHOT, "reader %s: snapshot record %llu at %" PRIu64
					  ", older than its state", s->name, a, s->next);
			if (strcmp(res, "ok") && strcmp(res, "kv"))
				violation(V_SNAP_DAMAGED, "reader %s: snapshot %llu: %s",
					  s->name, a, res);
			s->next = a + 1;
			s->snaps++;
			s->snap_bytes += d;
			s->last = a;
			if (a > max_index)
				max_index = a;
			add_claim(strcmp(res, "kv") ? 's' : 'k', s->name, a, b, c);
			break;
		case 'd':
			if (sscanf(line + 1, "%63s %llu", name, &a) != 2) {
				bad = 1;
				break;
			}
			stream(name)->downs++;
			break;
		case 'g':
			if (sscanf(line + 1, "%63s %llu %31s", name, &a, res) != 3) {
				bad = 1;
				break;
			}
			s = stream(name);
			s->eranges++;
			violation(V_ERANGE, "reader %s: read at %llu failed with %s",
				  s->name, a, res);
			break;
		default:
			bad = 1;
		}
		if (bad) {
			fprintf(stderr, "jcheck: %s:%lu: cannot parse: %.80s\n", file,
				ln, line);
			free(line);
			fclose(f);
			return -1;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------ checks */

static struct map values;	/* value -> index in the log */
static unsigned long kv_entries;
static struct map writes;	/* value -> op + 1 */

static void check_values(void)
{
	uint64_t i;
	size_t k;

	for (k = 0; k < nops; k++) {
		if (ops[k].kind != 'w')
			continue;
		if (map_find(&writes, ops[k].value)) {
			fprintf(stderr, "jcheck: value %s written twice\n", ops[k].value);
			exit(2);
		}
		map_put(&writes, ops[k].value, k + 1);
	}
	for (i = 1; i <= max_index && i < log_cap; i++) {
		struct ent *e = &log_[i];
		struct slot *s;

		if (!e->tok || e->type != PAXOS_REC_DATA_T)
			continue;
		if (!strncmp(e->tok, "=6b76", 5)) {	/* "kv": pxkv's */
			kv_entries++;
			continue;
		}
		s = map_find(&values, e->tok);
		if (s) {
			struct slot *w = map_find(&writes, e->tok);

			if (w && ops[w->val - 1].tries > 1)
				violation(V_RETRY_TWICE, "%s, retried %u times, at index %"
					  PRIu64 " and at %" PRIu64, e->tok,
					  ops[w->val - 1].tries - 1, s->val, i);
			else
				violation(V_DUPLICATE, "%s at index %" PRIu64 " and at %"
					  PRIu64, e->tok, s->val, i);
			continue;
		}
		map_put(&values, e->tok, i);
		s = map_find(&writes, e->tok);
		if (!s)
			violation(V_PHANTOM, "index %" PRIu64 " holds %s, which nobody wrote",
				  i, e->tok);
		else
			ops[s->val - 1].found = i;
	}
}

static unsigned long unverified;

static void check_acks(void)
{
	size_t k;

	for (k = 0; k < nops; k++) {
		struct op *o = &ops[k];

		if (o->kind != 'w' || !o->ok || o->found == o->index)
			continue;
		if (o->tries > 1 && o->found)
			violation(V_RETRY_INDEX, "%s acknowledged at %" PRIu64
				  " after %u retries is at %" PRIu64, o->value,
				  o->index, o->tries - 1, o->found);
		else if (o->tries > 1 && o->index < log_cap && log_[o->index].tok)
			violation(V_RETRY_INDEX, "%s acknowledged at %" PRIu64
				  " after %u retries is nowhere; %" PRIu64 " holds %s",
				  o->value, o->index, o->tries - 1, o->index,
				  log_[o->index].tok);
		else if (o->found)
			violation(V_WRONG_INDEX, "%s acknowledged at %" PRIu64
				  " is at %" PRIu64, o->value, o->index, o->found);
		else if (o->index < log_cap && log_[o->index].tok)
			violation(V_LOST, "%s acknowledged at %" PRIu64
				  " is nowhere; %" PRIu64 " holds %s", o->value,
				  o->index, o->index, log_[o->index].tok);
		else
			unverified++;	/* no reader saw that index */
	}
}

/* Writes with a place in the log, by completion (never: UINT64_MAX). */
struct placed {
	uint64_t complete, index;
	size_t op;
};

static int by_complete(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;

	return x->complete < y->complete ? -1 : x->complete > y->complete;
}

/* How many of @p (sorted) completed before @t. */
static size_t before(const struct placed *p, size_t n, uint64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p[mid].complete < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void check_order(void)
{
	struct placed *w = xrealloc(NULL, nops * sizeof(*w));
	struct placed *b = xrealloc(NULL, nops * sizeof(*b));
	size_t *wmax = xrealloc(NULL, nops * sizeof(*wmax));
	size_t *bmax = xrealloc(NULL, nops * sizeof(*bmax));
	size_t nw = 0, nb = 0, k, j;

	for (k = 0; k < nops; k++) {
		const struct op *o = &ops[k];

		if (o->kind == 'w' && (o->ok || o->found))
			w[nw++] = (struct placed){ o->ok ? o->complete : UINT64_MAX,
						   o->ok ? o->index : o->found, k };
		else if (o->kind == 'b' && o->ok)
			b[nb++] = (struct placed){ o->complete, o->index, k };
	}
	qsort(w, nw, sizeof(*w), by_complete);
	qsort(b, nb, sizeof(*b), by_complete);
	/* wmax[j]: the one of w[0..j] with the highest index. */
	for (j = 0; j < nw; j++)
		wmax[j] = j && w[wmax[j - 1]].index >= w[j].index ? wmax[j - 1] : j;
	for (j = 0; j < nb; j++)
		bmax[j] = j && b[bmax[j - 1]].index >= b[j].index ? bmax[j - 1] : j;

	for (k = 0; k < nw; k++) {
		const struct op *o = &ops[w[k].op];
		const struct placed *p;

		j = before(w, nw, o->invoke);
		if (j && (p = &w[wmax[j - 1]])->index >= w[k].index)
			violation(V_REALTIME, "%s completed at %" PRIu64 " at index %" PRIu64
				  ", then %s invoked at %" PRIu64 " got index %" PRIu64,
				  ops[p->op].value, p->complete, p->index, o->value,
				  o->invoke, w[k].index);
		j = before(b, nb, o->invoke);
		if (j && (p = &b[bmax[j - 1]])->index >= w[k].index)
			violation(V_BARRIER_ABOVE, "a barrier completed at %" PRIu64
				  " returned %" PRIu64 ", then %s invoked at %" PRIu64
				  " got index %" PRIu64, p->complete, p->index,
				  o->value, o->invoke, w[k].index);
	}
	for (k = 0; k < nb; k++) {
		const struct op *o = &ops[b[k].op];
		const struct placed *p;

		j = before(w, nw, o->invoke);
		if (j && (p = &w[wmax[j - 1]])->index > o->index)
			violation(V_BARRIER_BELOW, "%s completed at %" PRIu64 " at index %" PRIu64
				  ", then a barrier invoked at %" PRIu64 " returned %" PRIu64,
				  ops[p->op].value, p->complete, p->index, o->invoke,
				  o->index);
	}
	free(w);
	free(b);
	free(wmax);
	free(bmax);
}

static int by_index(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* A logged value's bytes: text, "-" for none, "=HEX". */
static size_t decode(const char *tok, unsigned char *out)
{
	size_t n = 0;

	if (!strcmp(tok, "-"))
		return 0;
	if (tok[0] != '=') {
		n = strlen(tok);
		memcpy(out, tok, n);
		return n;
	}
	for (tok++; tok[0] && tok[1]; tok += 2) {
		unsigned int x;

		if (sscanf(tok, "%2x", &x) != 1)
			break;
		out[n++] = x;
	}
	return n;
}

static unsigned long verified, anchored;

static void check_snapshots(void)
{
	static unsigned char val[2 * 8192 + 8];
	uint64_t i, h = JHASH_INIT, count = 0;
	size_t c = 0;
	int valid = 1;

	if (nclaims)
		qsort(claims, nclaims, sizeof(*claims), by_index);
	while (c < nclaims && claims[c].index == 0)
		c++;
	for (i = 1; c < nclaims; i++) {
		if (i < log_cap && log_[i].tok) {
			size_t n = decode(log_[i].tok, val);

			h = jhash_rec(h, i, log_[i].type, val, n);
			count += log_[i].type == PAXOS_REC_DATA_T;
		} else {
			valid = 0;
		}
		for (; c < nclaims && claims[c].index == i; c++) {
			const struct claim *s = &claims[c];

			if (!valid) {
				/* Entries before it unknown: it anchors the chain. */
				h = s->hash;
				count = s->count;
				valid = 1;
				anchored++;
			} else if (s->hash != h || s->count != count) {
				violation(V_SNAP_CONTENT, "snapshot %" PRIu64 " %s by %s: %" PRIu64
					  " entries, hash %016" PRIx64 "; the log gives %" PRIu64
					  ", %016" PRIx64, i, s->kind == 's' ? "read" : "written",
					  s->by, s->count, s->hash, count, h);
			} else {
				verified++;
			}
		}
	}
}

/*
 * pxkv's state machine over the log: each kv snapshot a reader loaded
 * against the state at its index, and the digest at the log's end.
 */
static unsigned long kv_verified, kv_unknown;
static uint64_t kv_digest, kv_index;
static int kv_complete;

static void check_kv(void)
{
	static unsigned char val[2 * 8192 + 8];
	struct kv_sm sm;
	uint64_t i, d;
	size_t c = 0;
	int known = 1;

	if (nkvclaims)
		qsort(kvclaims, nkvclaims, sizeof(*kvclaims), by_index);
	kv_sm_init(&sm);
	for (i = 1; i <= max_index; i++) {
		struct kv_result res;

		if (i >= log_cap || !log_[i].tok) {
			known = 0;
		} else if (log_[i].type == PAXOS_REC_DATA_T) {
			size_t n = decode(log_[i].tok, val);

			if (kv_sm_apply(&sm, i, val, n, &res) < 0) {
				fprintf(stderr, "jcheck: kv entry %" PRIu64 ": cannot apply\n", i);
				exit(2);
			}
		} else {
			kv_sm_skip(&sm, i);
		}
		for (; c < nkvclaims && kvclaims[c].index == i; c++) {
			if (!known) {
				kv_unknown++;
				continue;
			}
			if (kv_sm_digest(&sm, &d))
				exit(2);
			if (d != kvclaims[c].hash)
				violation(V_KV_SNAPSHOT, "pxkv snapshot %" PRIu64 " read by %s: digest %016"
					  PRIx64 "; the log gives %016" PRIx64, i,
					  kvclaims[c].by, kvclaims[c].hash, d);
			else
				kv_verified++;
		}
	}
	kv_unknown += nkvclaims - c;
	kv_complete = known;
	kv_index = max_index;
	if (known && kv_sm_digest(&sm, &kv_digest))
		exit(2);
	kv_sm_free(&sm);
}

/* ------------------------------------------------------------ report */

static void report(void)
{
	unsigned long wok = 0, wfail = 0, wcommitted = 0, bok = 0, bfail = 0;
	unsigned long known = 0, data = 0, noop = 0, total = 0;
	unsigned long rok = 0, rfail = 0, rtries = 0, rfound = 0;
	char errs[512] = "", rerrs[256] = "";
	size_t rlen = 0;
	struct map byerr = { 0 };
	size_t k, len = 0;
	uint64_t i;
	int j;

	for (k = 0; k < nops; k++) {
		const struct op *o = &ops[k];
		struct slot *s;

		if (o->kind == 'w' && o->tries > 1) {
			rtries += o->tries;
			rok += o->ok;
			rfound += !!o->found;
			if (!o->ok && rlen < sizeof(rerrs) - 32 && !strstr(rerrs, o->err))
				rlen += snprintf(rerrs + rlen, sizeof(rerrs) - rlen, "%s%s",
						 rlen ? " " : "", o->err);
			rfail += !o->ok;
		}
		if (o->kind == 'b') {
			bok += o->ok;
			bfail += !o->ok;
			continue;
		}
		if (o->ok) {
			wok++;
			continue;
		}
		wfail++;
		wcommitted += !!o->found;
		s = map_find(&byerr, o->err);
		if (s)
			s->val++;
		else
			map_put(&byerr, o->err, 1);
	}
	for (k = 0; k < byerr.cap; k++)
		if (byerr.s[k].key && len < sizeof(errs) - 64)
			len += snprintf(errs + len, sizeof(errs) - len, "%s%s %" PRIu64,
					len ? ", " : "", byerr.s[k].key, byerr.s[k].val);
	free(byerr.s);
	for (i = 1; i <= max_index && i < log_cap; i++) {
		if (!log_[i].tok)
			continue;
		known++;
		data += log_[i].type == PAXOS_REC_DATA_T;
		noop += log_[i].type == PAXOS_REC_NOOP_T;
	}
	printf("jcheck: writes: %lu acknowledged, %lu indeterminate (%s), of which %lu committed\n",
	       wok, wfail, wfail ? errs : "none", wcommitted);
	printf("jcheck: barriers: %lu ok, %lu failed\n", bok, bfail);
	printf("jcheck: log: %" PRIu64 " indices, %lu read by some reader (%lu data, %lu no-op)\n",
	       max_index, known, data, noop);
	for (j = 0; j < nstreams; j++) {
		const struct stream *s = &streams[j];

		total += s->skipped;
		printf("jcheck: reader %s: %lu entries to %" PRIu64 ", %lu snapshot records (%" PRIu64
		       " bytes), %lu snapshots written, node down %lu times, %lu skipped\n",
		       s->name, s->entries, s->last, s->snaps, s->snap_bytes,
		       s->written, s->downs, s->skipped);
	}
	printf("jcheck: snapshots: %lu checked against the log, %lu anchoring the chain past unread entries\n",
	       verified, anchored);
	printf("jcheck: acknowledged writes at an index no reader saw: %lu\n", unverified);
	printf("jcheck: retried through their session: %lu writes (%lu attempts): %lu acknowledged, %lu failed (%s), %lu in the log, each at most once\n",
	       rok + rfail, rtries, rok, rfail, rfail ? rerrs : "none", rfound);
	printf("jcheck: pxkv: %lu commands in the log, %lu snapshots checked against it, %lu past unread entries\n",
	       kv_entries, kv_verified, kv_unknown);
	if (kv_complete)
		printf("jcheck: pxkv: digest %016" PRIx64 " %" PRIu64 "\n", kv_digest, kv_index);
	printf("jcheck: skipped %lu, lost %lu, duplicates %lu\n", total,
	       nviol[V_LOST] + nviol[V_WRONG_INDEX] + nviol[V_RETRY_INDEX],
	       nviol[V_DUPLICATE] + nviol[V_RETRY_TWICE]);
	for (j = 0; j < V_KINDS; j++)
		printf("jcheck: %s %lu\n", kind_name[j], nviol[j]);
}

int main(int argc, char **argv)
{
	unsigned long bad = 0;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: jcheck HISTORY...\n");
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (parse(argv[i]))
			return 2;
	check_values();
	check_acks();
	check_order();
	check_snapshots();
	check_kv();
	report();
	for (i = 0; i < V_KINDS; i++)
		bad += nviol[i];
	printf("jcheck: %s\n", bad ? "FAIL" : "PASS");
	return bad ? 1 : 0;
}
