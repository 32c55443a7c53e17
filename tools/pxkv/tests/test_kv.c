// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pxkv's pure part (built with ASan and UBSan): the command
 * encoding, the state machine, exactly-once through the session table,
 * determinism, and the snapshot round trip and its validation.  Prints
 * one line per failed check and ends with `kv: N passed, M failed`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

static int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("not ok %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static struct kv_slice S(const char *s)
{
	struct kv_slice x = { (const uint8_t *)s, s ? strlen(s) : 0 };

	return x;
}

/* Encode a command into @b (reset first). */
static int enc(struct kv_buf *b, uint8_t op, uint8_t flags, uint64_t client,
	       uint64_t seq, const char *a, const char *v, const char *w)
{
	struct kv_cmd c = { op, flags, client, seq, { S(a), S(v), S(w) } };

	b->len = 0;
	return kv_encode(&c, b);
}

/* Apply a command at the next index; the result code (or -errno). */
static int run(struct kv_sm *sm, struct kv_result *res, uint8_t op,
	       uint8_t flags, uint64_t client, uint64_t seq, const char *a,
	       const char *v, const char *w)
{
	struct kv_buf b = { 0 };
	int rc = enc(&b, op, flags, client, seq, a, v, w);

	if (!rc)
		rc = kv_sm_apply(sm, sm->applied + 1, b.p, b.len, res);
	kb_free(&b);
	return rc < 0 ? rc : res->code;
}

static int has(const struct kv_sm *sm, const char *k, const char *v)
{
	struct kv_slice s;

	if (kv_sm_get(sm, k, strlen(k), &s))
		return v == NULL;
	return v && s.len == strlen(v) && !memcmp(s.p, v, s.len);
}

static int pay_is(const struct kv_result *r, const void *p, size_t n)
{
	return r->payload.len == n && (!n || !memcmp(r->payload.p, p, n));
}

static void test_codec(void)
{
	struct kv_buf b = { 0 };
	struct kv_cmd c;
	size_t n;
	uint8_t big[KV_MAX_ENTRY];
	struct kv_cmd bc = { KV_PUT, 0, 1, 1, { S("k"), { big, 0 } } };

	CHECK(!enc(&b, KV_CAS, 0, 7, 9, "key", "old", "new"), "encode cas");
	CHECK(b.len == KV_HDR + 3 * 4 + 9, "cas length %zu", b.len);
	CHECK(!kv_decode(b.p, b.len, &c), "decode cas");
	CHECK(c.op == KV_CAS && c.client == 7 && c.seq == 9 &&
	      c.f[0].len == 3 && !memcmp(c.f[0].p, "key", 3) &&
	      c.f[2].len == 3 && !memcmp(c.f[2].p, "new", 3), "cas fields");
	/* Every strict prefix is refused, as is a trailing byte. */
	for (n = 0; n < b.len; n++)
		CHECK(kv_decode(b.p, n, &c) < 0, "prefix %zu accepted", n);
	kb_u8(&b, 0);
	CHECK(kv_decode(b.p, b.len, &c) == -EINVAL, "trailing byte");

	CHECK(!enc(&b, KV_PUT, 0, 1, 1, "k", "", NULL), "empty value");
	CHECK(!kv_decode(b.p, b.len, &c) && c.f[1].len == 0, "empty value decodes");
	b.p[0] = 'x';
	CHECK(kv_decode(b.p, b.len, &c) == -ENOMSG, "foreign entry");
	CHECK(kv_decode("hello", 5, &c) == -ENOMSG, "text entry");
	CHECK(kv_decode("k", 1, &c) == -ENOMSG, "one byte");
	b.p[0] = 'k';
	b.p[2] = 2;
	CHECK(kv_decode(b.p, b.len, &c) == -EPROTONOSUPPORT, "newer version");
	b.p[2] = 1;
	b.p[5] = 1;
	CHECK(kv_decode(b.p, b.len, &c) == -EINVAL, "reserved byte");
	b.p[5] = 0;
	b.p[3] = 99;
	CHECK(kv_decode(b.p, b.len, &c) == -EINVAL, "unknown op");
	b.p[3] = KV_PUT;
	b.p[4] = KV_F_ABSENT;
	CHECK(kv_decode(b.p, b.len, &c) == -EINVAL, "flag on put");

	CHECK(enc(&b, KV_PUT, 0, 0, 1, "k", "v", NULL) == -EINVAL, "client 0");
	CHECK(enc(&b, KV_PUT, 0, 1, 0, "k", "v", NULL) == -EINVAL, "seq 0");
	CHECK(enc(&b, KV_PUT, 0, 1, 1, "", "v", NULL) == -EINVAL, "empty key");
	CHECK(enc(&b, KV_LOCK, 0, 1, 1, "l", "", NULL) == -EINVAL, "empty owner");
	CHECK(enc(&b, KV_CAS, KV_F_ABSENT, 1, 1, "k", "x", "y") == -EINVAL,
	      "absent with old value");
	CHECK(!enc(&b, KV_CAS, KV_F_ABSENT, 1, 1, "k", NULL, "y"), "cas absent");
	CHECK(!enc(&b, KV_DUMP, 0, 1, 1, NULL, NULL, NULL), "dump");
	CHECK(b.len == KV_HDR && !kv_decode(b.p, b.len, &c) &&
	      c.op == KV_DUMP, "dump decodes");

	/* The largest command that fits one log entry, and one byte more. */
	memset(big, 'x', sizeof(big));
	bc.f[1].len = KV_MAX_ENTRY - KV_HDR - 8 - 1;
	b.len = 0;
	CHECK(!kv_encode(&bc, &b) && b.len == KV_MAX_ENTRY, "largest entry");
	CHECK(!kv_decode(b.p, b.len, &c), "largest entry decodes");
	bc.f[1].len++;
	b.len = 0;
	CHECK(kv_encode(&bc, &b) == -EINVAL && b.len == 0, "entry too big");
	kb_free(&b);
}

static void test_ops(void)
{
	struct kv_sm sm;
	struct kv_result r;
	uint64_t q = 0;

	kv_sm_init(&sm);
	CHECK(run(&sm, &r, KV_PUT, 0, 1, ++q, "a", "1", NULL) == KV_OK, "put");
	CHECK(has(&sm, "a", "1") && sm.applied == 1, "put applied");
	CHECK(run(&sm, &r, KV_PUT, 0, 1, ++q, "a", "2", NULL) == KV_OK, "overwrite");
	CHECK(has(&sm, "a", "2"), "overwritten");
	CHECK(run(&sm, &r, KV_DEL, 0, 1, ++q, "b", NULL, NULL) == KV_NOTFOUND,
	      "del missing");
	CHECK(run(&sm, &r, KV_DEL, 0, 1, ++q, "a", NULL, NULL) == KV_OK, "del");
	CHECK(has(&sm, "a", NULL), "deleted");

	/* cas: expected absence, expected value, and the failures. */
	CHECK(run(&sm, &r, KV_CAS, KV_F_ABSENT, 1, ++q, "c", NULL, "x") == KV_OK,
	      "cas absent on missing");
	CHECK(has(&sm, "c", "x"), "cas created");
	CHECK(run(&sm, &r, KV_CAS, KV_F_ABSENT, 1, ++q, "c", NULL, "y") == KV_CASFAIL,
	      "cas absent on present");
	CHECK(pay_is(&r, "\1x", 2), "cas failure names the current value");
	CHECK(run(&sm, &r, KV_CAS, 0, 1, ++q, "c", "z", "y") == KV_CASFAIL,
	      "cas wrong value");
	CHECK(has(&sm, "c", "x"), "failed cas changes nothing");
	CHECK(run(&sm, &r, KV_CAS, 0, 1, ++q, "c", "x", "y") == KV_OK, "cas");
	CHECK(has(&sm, "c", "y"), "cas swapped");
	CHECK(run(&sm, &r, KV_CAS, 0, 1, ++q, "nope", "x", "y") == KV_CASFAIL,
	      "cas on missing key");
	CHECK(pay_is(&r, "\0", 1), "cas failure says absent");
	CHECK(run(&sm, &r, KV_PUT, 0, 1, ++q, "e", "", NULL) == KV_OK &&
	      run(&sm, &r, KV_CAS, 0, 1, ++q, "e", "", "f") == KV_OK,
	      "cas from an empty value");

	/* Locks: held until the owner releases them. */
	CHECK(run(&sm, &r, KV_LOCK, 0, 1, ++q, "L", "alice", NULL) == KV_OK, "lock");
	CHECK(run(&sm, &r, KV_LOCK, 0, 1, ++q, "L", "alice", NULL) == KV_OK,
	      "lock again by the owner");
	CHECK(run(&sm, &r, KV_LOCK, 0, 1, ++q, "L", "bob", NULL) == KV_HELD,
	      "lock held");
	CHECK(pay_is(&r, "alice", 5), "held names the owner");
	CHECK(run(&sm, &r, KV_UNLOCK, 0, 1, ++q, "L", "bob", NULL) == KV_NOTOWNER,
	      "unlock by another");
	CHECK(pay_is(&r, "alice", 5), "not-owner names the owner");
	CHECK(run(&sm, &r, KV_UNLOCK, 0, 1, ++q, "L", "alice", NULL) == KV_OK,
	      "unlock");
	CHECK(run(&sm, &r, KV_UNLOCK, 0, 1, ++q, "L", "alice", NULL) == KV_NOTOWNER &&
	      r.payload.len == 0, "unlock a free lock");
	CHECK(run(&sm, &r, KV_LOCK, 0, 1, ++q, "L", "bob", NULL) == KV_OK,
	      "lock after release");
	CHECK(run(&sm, &r, KV_PUT, 0, 1, ++q, "L", "v", NULL) == KV_OK &&
	      sm.locks.count == 1 && has(&sm, "L", "v"),
	      "locks and keys are separate");

	/* Entries that are not ours move the applied index only. */
	q = sm.applied;
	CHECK(kv_sm_apply(&sm, q + 1, "hello", 5, &r) == 1 && sm.applied == q + 1,
	      "foreign entry skipped");
	kv_sm_skip(&sm, q + 2);
	CHECK(sm.applied == q + 2, "no-op skipped");
	CHECK(kv_sm_apply(&sm, q + 2, "hello", 5, &r) == -EINVAL,
	      "an index applied twice is refused");
	{
		struct kv_buf b = { 0 };

		enc(&b, KV_GET, 0, 1, 99, "a", NULL, NULL);
		CHECK(kv_sm_apply(&sm, q + 3, b.p, b.len, &r) == 1,
		      "a read-only op in the log is skipped");
		enc(&b, KV_PUT, 0, 1, 100, "v2", "x", NULL);
		b.p[2] = 2;
		CHECK(kv_sm_apply(&sm, q + 4, b.p, b.len, &r) == -EPROTONOSUPPORT &&
		      sm.applied == q + 3, "a newer version stops the machine");
		kb_free(&b);
	}
	kv_sm_free(&sm);
}

static void test_dedup(void)
{
	struct kv_sm sm;
	struct kv_result r;
	struct kv_buf b = { 0 };
	uint64_t c;
	int ok = 1;

	kv_sm_init(&sm);
	/* A retry (same client and seq, a second log entry) applies once. */
	enc(&b, KV_CAS, KV_F_ABSENT, 42, 1, "k", NULL, "first");
	CHECK(kv_sm_apply(&sm, 1, b.p, b.len, &r) == 0 && r.code == KV_OK &&
	      !r.dup, "first copy applies");
	CHECK(run(&sm, &r, KV_PUT, 0, 43, 1, "k", "other", NULL) == KV_OK,
	      "another client");
	CHECK(kv_sm_apply(&sm, 3, b.p, b.len, &r) == 0 && r.code == KV_OK &&
	      r.dup, "the retry answers as the first");
	CHECK(has(&sm, "k", "other"), "the retry did not apply again");
	CHECK(sm.applied == 3, "the retry moves the applied index");
	CHECK(!kv_sm_result(&sm, 42, 1, &r) && r.code == KV_OK,
	      "result of (42, 1)");
	CHECK(kv_sm_result(&sm, 42, 2, &r) == -ENOENT, "no result for (42, 2)");
	/* A failure is remembered with its payload. */
	CHECK(run(&sm, &r, KV_LOCK, 0, 42, 2, "L", "a", NULL) == KV_OK, "lock a");
	CHECK(run(&sm, &r, KV_LOCK, 0, 43, 2, "L", "b", NULL) == KV_HELD, "lock b");
	CHECK(run(&sm, &r, KV_UNLOCK, 0, 42, 3, "L", "a", NULL) == KV_OK, "unlock a");
	CHECK(run(&sm, &r, KV_LOCK, 0, 43, 2, "L", "b", NULL) == KV_HELD &&
	      r.dup && pay_is(&r, "a", 1), "a retried failure stays a failure");
	CHECK(sm.locks.count == 0, "the retry did not take the lock");
	CHECK(run(&sm, &r, KV_PUT, 0, 42, 1, "k", "late", NULL) == KV_STALE &&
	      has(&sm, "k", "other"), "an older request is stale");

	/* The table is bounded: the session applied longest ago goes. */
	for (c = 1000; c < 1000 + KV_MAX_SESSIONS; c++)
		ok &= run(&sm, &r, KV_PUT, 0, c, 1, "n", "v", NULL) == KV_OK;
	CHECK(ok && sm.nsess == KV_MAX_SESSIONS, "sessions capped (%zu)", sm.nsess);
	CHECK(kv_sm_result(&sm, 42, 3, &r) == -ENOENT &&
	      kv_sm_result(&sm, 43, 2, &r) == -ENOENT, "oldest sessions evicted");
	CHECK(!kv_sm_result(&sm, 1000, 1, &r), "newer sessions kept");
	/* Touching a session keeps it. */
	CHECK(run(&sm, &r, KV_PUT, 0, 1000, 2, "n", "w", NULL) == KV_OK, "touch");
	CHECK(run(&sm, &r, KV_PUT, 0, 9999, 1, "n", "x", NULL) == KV_OK, "new");
	CHECK(!kv_sm_result(&sm, 1000, 2, &r) &&
	      kv_sm_result(&sm, 1001, 1, &r) == -ENOENT,
	      "eviction by last use, not by age");
	kb_free(&b);
	kv_sm_free(&sm);
}

/* A deterministic pseudo-random workload over few keys, locks, clients. */
static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct op {
	struct kv_buf b;
};

static int make_ops(struct op *ops, int n)
{
	static const char *keys[] = { "a", "b", "c", "dd", "e\n", "f=g" };
	static const char *vals[] = { "", "1", "2", "long value ......", "x" };
	static const char *owners[] = { "p", "q", "r" };
	uint64_t seq[5] = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		int cl = next() % 5, op = 1 + next() % 5, fl = 0;
		uint64_t s;
		const char *k = keys[next() % 6], *v = vals[next() % 5],
			   *w = vals[next() % 5];

		/* Sometimes retry the last request, sometimes an old one. */
		s = next() % 8 == 0 && seq[cl] ? seq[cl] - (next() % 2) : ++seq[cl];
		if (!s)
			s = ++seq[cl];
		memset(&ops[i].b, 0, sizeof(ops[i].b));
		if (op == KV_LOCK || op == KV_UNLOCK)
			v = owners[next() % 3];
		if (op == KV_CAS && next() % 3 == 0) {
			fl = KV_F_ABSENT;
			v = NULL;
		}
		if (next() % 16 == 0) {
			kb_bytes(&ops[i].b, "foreign", 7);
			continue;
		}
		if (enc(&ops[i].b, op, fl, 100 + cl, s, k, v, w))
			return -1;
	}
	return 0;
}

static int apply_all(struct kv_sm *sm, struct op *ops, int from, int to)
{
	struct kv_result r;
	int i;

	for (i = from; i < to; i++)
		if (kv_sm_apply(sm, i + 1, ops[i].b.p, ops[i].b.len, &r) < 0)
			return -1;
	return 0;
}

static int digest_eq(const struct kv_sm *a, const struct kv_sm *b)
{
	uint64_t x = 1, y = 2;

	return !kv_sm_digest(a, &x) && !kv_sm_digest(b, &y) && x == y;
}

static void test_determinism_and_snapshots(void)
{
	enum { N = 3000, CUT = 1700 };
	struct op *ops = calloc(N, sizeof(*ops));
	struct kv_sm a, b, c, e;
	struct kv_buf s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
	uint64_t d1 = 0, d2 = 0;
	size_t i;
	int bad = 0, bad_trunc = 0;

	kv_sm_init(&a);
	kv_sm_init(&b);
	kv_sm_init(&c);
	kv_sm_init(&e);
	CHECK(ops && !make_ops(ops, N), "workload");
	if (!ops)
		return;
	CHECK(!apply_all(&a, ops, 0, N) && !apply_all(&b, ops, 0, N),
	      "two machines apply the log");
	CHECK(digest_eq(&a, &b), "same log, same digest");
	CHECK(a.keys.count > 0 && a.locks.count > 0 && a.nsess == 5,
	      "the workload reaches keys, locks and sessions (%zu %zu %zu)",
	      a.keys.count, a.locks.count, a.nsess);
	/* The digest sees every part of the state. */
	kv_sm_skip(&b, b.applied + 1);
	CHECK(!digest_eq(&a, &b), "the applied index is in the digest");

	/* A snapshot half way, restored into a fresh machine, then the rest of
	 * the log: the same state as the machine that applied it all.
	 */
	CHECK(!apply_all(&c, ops, 0, CUT), "apply up to the cut");
	CHECK(!kv_sm_serialize(&c, &s1), "serialize");
	CHECK(!kv_sm_deserialize(&e, s1.p, s1.len), "deserialize");
	CHECK(e.applied == CUT && digest_eq(&c, &e), "the restored state is equal");
	CHECK(!kv_sm_serialize(&e, &s2) && s1.len == s2.len &&
	      !memcmp(s1.p, s2.p, s1.len), "serialization is canonical");
	CHECK(!apply_all(&e, ops, CUT, N) && digest_eq(&a, &e),
	      "restored, then the rest of the log: the same state");
	kv_sm_digest(&a, &d1);
	kv_sm_digest(&e, &d2);
	CHECK(d1 == d2, "digests %016llx %016llx", (unsigned long long)d1,
	      (unsigned long long)d2);

	/* Restoring replaces a state that was there. */
	CHECK(!kv_sm_deserialize(&a, s1.p, s1.len) && digest_eq(&a, &c),
	      "deserialize over a used machine");
	/* An empty machine round-trips too. */
	kv_sm_free(&b);
	CHECK(!kv_sm_serialize(&b, &s3) && !kv_sm_deserialize(&c, s3.p, s3.len) &&
	      c.applied == 0 && c.keys.count == 0 && c.nsess == 0,
	      "empty state round trip");

	/* Corruption: every truncation and every flipped byte is refused
	 * and leaves the machine as it was.
	 */
	kv_sm_digest(&e, &d1);
	for (i = 0; i < s1.len; i++) {
		bad_trunc |= kv_sm_deserialize(&e, s1.p, i) != -EINVAL;
		s1.p[i] ^= 0x5a;
		bad |= kv_sm_deserialize(&e, s1.p, s1.len) != -EINVAL;
		s1.p[i] ^= 0x5a;
	}
	CHECK(!bad_trunc, "every truncation refused");
	CHECK(!bad, "every flipped byte refused");
	kv_sm_digest(&e, &d2);
	CHECK(d1 == d2, "a refused snapshot leaves the state alone");
	kb_free(&s1);
	kb_free(&s2);
	kb_free(&s3);
	for (i = 0; i < N; i++)
		kb_free(&ops[i].b);
	free(ops);
	kv_sm_free(&a);
	kv_sm_free(&b);
	kv_sm_free(&c);
	kv_sm_free(&e);
}

/* Snapshots with a right checksum but wrong contents are refused too. */
static void seal(struct kv_buf *b)
{
	kb_u64(b, kv_fnv(KV_FNV_INIT, b->p, b->len));
}

static void test_snapshot_validation(void)
{
	struct kv_buf b = { 0 };
	struct kv_sm sm;

	kv_sm_init(&sm);
#define HDR() do { b.len = 0; kb_bytes(&b, "PXKVSNAP", 8); kb_u32(&b, 1); \
		   kb_u32(&b, 0); kb_u64(&b, 10); } while (0)
	HDR();
	kb_u32(&b, 0); kb_u32(&b, 0); kb_u32(&b, 0);
	seal(&b);
	CHECK(!kv_sm_deserialize(&sm, b.p, b.len) && sm.applied == 10,
	      "minimal snapshot");

	HDR();
	kb_u32(&b, 2);
	kb_field(&b, "b", 1); kb_field(&b, "1", 1);
	kb_field(&b, "a", 1); kb_field(&b, "2", 1);
	kb_u32(&b, 0); kb_u32(&b, 0);
	seal(&b);
	CHECK(kv_sm_deserialize(&sm, b.p, b.len) == -EINVAL, "keys out of order");

	HDR();
	kb_u32(&b, 2);
	kb_field(&b, "a", 1); kb_field(&b, "1", 1);
	kb_field(&b, "a", 1); kb_field(&b, "2", 1);
	kb_u32(&b, 0); kb_u32(&b, 0);
	seal(&b);
	CHECK(kv_sm_deserialize(&sm, b.p, b.len) == -EINVAL, "duplicate key");

	HDR();
	kb_u32(&b, 0x7fffffff);
	kb_u32(&b, 0); kb_u32(&b, 0);
	seal(&b);
	CHECK(kv_sm_deserialize(&sm, b.p, b.len) == -EINVAL, "huge count");

	HDR();
	kb_u32(&b, 0); kb_u32(&b, 0); kb_u32(&b, 1);
	kb_u64(&b, 5); kb_u64(&b, 1); kb_u64(&b, 11); kb_u8(&b, 0);
	kb_field(&b, NULL, 0);
	seal(&b);
	CHECK(kv_sm_deserialize(&sm, b.p, b.len) == -EINVAL,
	      "session applied after the snapshot's index");

	HDR();
	kb_u32(&b, 0); kb_u32(&b, 0); kb_u32(&b, 0);
	kb_u8(&b, 0);
	seal(&b);
	CHECK(kv_sm_deserialize(&sm, b.p, b.len) == -EINVAL, "trailing byte");

	b.len = 0;
	kb_bytes(&b, "PXKVSNAP", 8); kb_u32(&b, 2); kb_u32(&b, 0); kb_u64(&b, 1);
	kb_u32(&b, 0); kb_u32(&b, 0); kb_u32(&b, 0);
	seal(&b);
	CHECK(kv_sm_deserialize(&sm, b.p, b.len) == -EINVAL, "unknown version");
	CHECK(sm.applied == 10, "refusals left the state alone");
	kb_free(&b);
	kv_sm_free(&sm);
}

int main(void)
{
	test_codec();
	test_ops();
	test_dedup();
	test_determinism_and_snapshots();
	test_snapshot_validation();
	printf("kv: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
