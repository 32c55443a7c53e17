// SPDX-License-Identifier: GPL-2.0
/*
 * pxkv's pure part: command encoding, the state machine, snapshots.
 * See kv.h for the formats.  Everything here is deterministic.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

/* ------------------------------------------------------------ buffers */

void kb_free(struct kv_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void kb_bytes(struct kv_buf *b, const void *p, size_t n)
{
	if (b->err || !n)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->err = -ENOMEM;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void kb_u8(struct kv_buf *b, uint8_t v)
{
	kb_bytes(b, &v, 1);
}

void kb_u32(struct kv_buf *b, uint32_t v)
{
	uint8_t x[4];
	int i;

	for (i = 0; i < 4; i++)
		x[i] = v >> (8 * i);
	kb_bytes(b, x, 4);
}

void kb_u64(struct kv_buf *b, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = v >> (8 * i);
	kb_bytes(b, x, 8);
}

void kb_field(struct kv_buf *b, const void *p, uint32_t n)
{
	kb_u32(b, n);
	kb_bytes(b, p, n);
}

static const uint8_t *kr_take(struct kv_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = -EINVAL;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t kr_u8(struct kv_rd *r)
{
	const uint8_t *p = kr_take(r, 1);

	return p ? p[0] : 0;
}

uint32_t kr_u32(struct kv_rd *r)
{
	const uint8_t *p = kr_take(r, 4);
	uint32_t v = 0;
	int i;

	for (i = 0; p && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

uint64_t kr_u64(struct kv_rd *r)
{
	const uint8_t *p = kr_take(r, 8);
	uint64_t v = 0;
	int i;

	for (i = 0; p && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

struct kv_slice kr_field(struct kv_rd *r)
{
	struct kv_slice s = { NULL, 0 };
	uint32_t n = kr_u32(r);
	const uint8_t *p = kr_take(r, n);

	if (p) {
		s.p = p;
		s.len = n;
	}
	return s;
}

uint64_t kv_fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ------------------------------------------------------------ commands */

int kv_nfields(uint8_t op)
{
	switch (op) {
	case KV_PUT: return 2;
	case KV_DEL: return 1;
	case KV_CAS: return 3;
	case KV_LOCK: return 2;
	case KV_UNLOCK: return 2;
	case KV_GET: return 1;
	case KV_DUMP: return 0;
	case KV_HASH: return 0;
	}
	return -1;
}

int kv_op_logged(uint8_t op)
{
	return op >= KV_PUT && op <= KV_UNLOCK;
}

const char *kv_op_name(uint8_t op)
{
	switch (op) {
	case KV_PUT: return "put";
	case KV_DEL: return "del";
	case KV_CAS: return "cas";
	case KV_LOCK: return "lock";
	case KV_UNLOCK: return "unlock";
	case KV_GET: return "get";
	case KV_DUMP: return "dump";
	case KV_HASH: return "hash";
	}
	return "?";
}

const char *kv_code_name(uint8_t code)
{
	switch (code) {
	case KV_OK: return "ok";
	case KV_NOTFOUND: return "not-found";
	case KV_CASFAIL: return "cas-failed";
	case KV_HELD: return "held";
	case KV_NOTOWNER: return "not-owner";
	case KV_STALE: return "stale";
	case KV_UNAVAIL: return "unavailable";
	case KV_INVAL: return "invalid";
	case KV_INTERNAL: return "internal";
	}
	return "?";
}

/* Field 0 (key, lock name) and a lock's owner must not be empty. */
static int fields_ok(const struct kv_cmd *c)
{
	int nf = kv_nfields(c->op);

	if (nf < 0)
		return 0;
	if (nf >= 1 && !c->f[0].len)
		return 0;
	if ((c->op == KV_LOCK || c->op == KV_UNLOCK) && !c->f[1].len)
		return 0;
	if (c->op == KV_CAS && (c->flags & KV_F_ABSENT) && c->f[1].len)
		return 0;
	if (c->flags & ~(c->op == KV_CAS ? KV_F_ABSENT : 0))
		return 0;
	return 1;
}

int kv_encode(const struct kv_cmd *c, struct kv_buf *out)
{
	static const uint8_t zero[3];
	int i, nf = kv_nfields(c->op);
	size_t start = out->len;

	if (!fields_ok(c) || !c->client || !c->seq)
		return -EINVAL;
	kb_u8(out, KV_MAGIC0);
	kb_u8(out, KV_MAGIC1);
	kb_u8(out, KV_VERSION);
	kb_u8(out, c->op);
	kb_u8(out, c->flags);
	kb_bytes(out, zero, 3);
	kb_u64(out, c->client);
	kb_u64(out, c->seq);
	for (i = 0; i < nf; i++)
		kb_field(out, c->f[i].p, c->f[i].len);
	if (out->err)
		return out->err;
	if (out->len - start > KV_MAX_ENTRY) {
		out->len = start;
		return -EINVAL;
	}
	return 0;
}

int kv_decode(const void *data, size_t len, struct kv_cmd *c)
{
	struct kv_rd r = { data, len, 0, 0 };
	const uint8_t *p = data;
	int i, nf;

	memset(c, 0, sizeof(*c));
	if (len < 3 || p[0] != KV_MAGIC0 || p[1] != KV_MAGIC1)
		return -ENOMSG;
	if (p[2] != KV_VERSION)
		return -EPROTONOSUPPORT;
	if (len < KV_HDR || len > KV_MAX_ENTRY || p[5] || p[6] || p[7])
		return -EINVAL;
	r.off = 3;
	c->op = kr_u8(&r);
	c->flags = kr_u8(&r);
	r.off = 8;
	c->client = kr_u64(&r);
	c->seq = kr_u64(&r);
	nf = kv_nfields(c->op);
	if (nf < 0)
		return -EINVAL;
	for (i = 0; i < nf; i++)
		c->f[i] = kr_field(&r);
	if (r.err || r.off != len || !c->client || !c->seq || !fields_ok(c))
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------ map */

static int key_cmp(const uint8_t *a, uint32_t al, const uint8_t *b,
		   uint32_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

static size_t bucket(const struct kv_map *m, const void *k, uint32_t klen)
{
	return kv_fnv(KV_FNV_INIT, k, klen) & (m->nbuckets - 1);
}

static struct kv_ent **map_slot(const struct kv_map *m, const void *k,
				uint32_t klen)
{
	struct kv_ent **pp;

	if (!m->nbuckets)
		return NULL;
	for (pp = &m->tab[bucket(m, k, klen)]; *pp; pp = &(*pp)->next)
		if ((*pp)->klen == klen && !memcmp((*pp)->k, k, klen))
			return pp;
	return NULL;
}

static struct kv_ent *map_find(const struct kv_map *m, const void *k,
			       uint32_t klen)
{
	struct kv_ent **pp = map_slot(m, k, klen);

	return pp ? *pp : NULL;
}

static int map_grow(struct kv_map *m)
{
	size_t nb = m->nbuckets ? m->nbuckets * 2 : 16, i;
	struct kv_ent **tab = calloc(nb, sizeof(*tab));
	struct kv_map nm = { tab, nb, m->count };

	if (!tab)
		return -ENOMEM;
	for (i = 0; i < m->nbuckets; i++) {
		struct kv_ent *e = m->tab[i], *next;

		for (; e; e = next) {
			size_t b = bucket(&nm, e->k, e->klen);

			next = e->next;
			e->next = tab[b];
			tab[b] = e;
		}
	}
	free(m->tab);
	*m = nm;
	return 0;
}

/* Dup @n bytes; a non-NULL pointer even for 0 bytes. */
static uint8_t *dup_bytes(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

static int map_put(struct kv_map *m, const void *k, uint32_t klen,
		   const void *v, uint32_t vlen)
{
	struct kv_ent *e = map_find(m, k, klen);
	uint8_t *nv = dup_bytes(v, vlen);
	size_t b;

	if (!nv)
		return -ENOMEM;
	if (e) {
		free(e->v);
		e->v = nv;
		e->vlen = vlen;
		return 0;
	}
	if (m->count >= m->nbuckets && map_grow(m)) {
		free(nv);
		return -ENOMEM;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->k = dup_bytes(k, klen))) {
		free(e);
		free(nv);
		return -ENOMEM;
	}
	e->klen = klen;
	e->v = nv;
	e->vlen = vlen;
	b = bucket(m, k, klen);
	e->next = m->tab[b];
	m->tab[b] = e;
	m->count++;
	return 0;
}

static int map_del(struct kv_map *m, const void *k, uint32_t klen)
{
	struct kv_ent **pp = map_slot(m, k, klen), *e;

	if (!pp)
		return -ENOENT;
	e = *pp;
	*pp = e->next;
	free(e->k);
	free(e->v);
	free(e);
	m->count--;
	return 0;
}

static void map_free(struct kv_map *m)
{
	size_t i;

	for (i = 0; i < m->nbuckets; i++) {
		struct kv_ent *e = m->tab[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e->k);
			free(e->v);
			free(e);
		}
	}
	free(m->tab);
	memset(m, 0, sizeof(*m));
}

static int ent_cmp(const void *a, const void *b)
{
	const struct kv_ent *x = *(struct kv_ent *const *)a;
	const struct kv_ent *y = *(struct kv_ent *const *)b;

	return key_cmp(x->k, x->klen, y->k, y->klen);
}

struct kv_ent **kv_map_sorted(const struct kv_map *m, size_t *n)
{
	struct kv_ent **v;
	size_t i, k = 0;

	*n = 0;
	if (!m->count)
		return NULL;
	v = malloc(m->count * sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < m->nbuckets; i++) {
		struct kv_ent *e;

		for (e = m->tab[i]; e; e = e->next)
			v[k++] = e;
	}
	qsort(v, k, sizeof(*v), ent_cmp);
	*n = k;
	return v;
}

/* ------------------------------------------------------------ sessions */

/* Index of @client in the sorted array, or where it would go (*found 0). */
static size_t sess_pos(const struct kv_sm *sm, uint64_t client, int *found)
{
	size_t lo = 0, hi = sm->nsess;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sm->sess[mid].client < client)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < sm->nsess && sm->sess[lo].client == client;
	return lo;
}

static void sess_remove(struct kv_sm *sm, size_t i)
{
	free(sm->sess[i].payload);
	memmove(&sm->sess[i], &sm->sess[i + 1],
		(sm->nsess - i - 1) * sizeof(sm->sess[0]));
	sm->nsess--;
}

/*
 * A new session for @client; at KV_MAX_SESSIONS the one applied longest
 * ago goes (a function of the log alone, so the same on every node).
 */
static struct kv_session *sess_new(struct kv_sm *sm, uint64_t client)
{
	size_t i, pos;
	int found;

	if (sm->nsess >= KV_MAX_SESSIONS) {
		size_t old = 0;

		for (i = 1; i < sm->nsess; i++)
			if (sm->sess[i].index < sm->sess[old].index)
				old = i;
		sess_remove(sm, old);
	}
	if (sm->nsess == sm->capsess) {
		size_t cap = sm->capsess ? sm->capsess * 2 : 16;
		struct kv_session *s = realloc(sm->sess, cap * sizeof(*s));

		if (!s)
			return NULL;
		sm->sess = s;
		sm->capsess = cap;
	}
	pos = sess_pos(sm, client, &found);
	memmove(&sm->sess[pos + 1], &sm->sess[pos],
		(sm->nsess - pos) * sizeof(sm->sess[0]));
	sm->nsess++;
	memset(&sm->sess[pos], 0, sizeof(sm->sess[pos]));
	sm->sess[pos].client = client;
	return &sm->sess[pos];
}

/* ------------------------------------------------------------ state */

void kv_sm_init(struct kv_sm *sm)
{
	memset(sm, 0, sizeof(*sm));
}

void kv_sm_free(struct kv_sm *sm)
{
	size_t i;

	map_free(&sm->keys);
	map_free(&sm->locks);
	for (i = 0; i < sm->nsess; i++)
		free(sm->sess[i].payload);
	free(sm->sess);
	memset(sm, 0, sizeof(*sm));
}

void kv_sm_skip(struct kv_sm *sm, uint64_t index)
{
	if (index > sm->applied)
		sm->applied = index;
}

int kv_sm_get(const struct kv_sm *sm, const void *key, uint32_t klen,
	      struct kv_slice *val)
{
	struct kv_ent *e = map_find(&sm->keys, key, klen);

	if (!e)
		return -ENOENT;
	val->p = e->v;
	val->len = e->vlen;
	return 0;
}

static void sess_result(const struct kv_session *s, struct kv_result *res)
{
	res->code = s->code;
	res->payload.p = s->payload;
	res->payload.len = s->plen;
}

int kv_sm_result(const struct kv_sm *sm, uint64_t client, uint64_t seq,
		 struct kv_result *res)
{
	int found;
	size_t i = sess_pos(sm, client, &found);

	if (!found || sm->sess[i].seq != seq)
		return -ENOENT;
	sess_result(&sm->sess[i], res);
	res->dup = 0;
	return 0;
}

static int same(const struct kv_ent *e, struct kv_slice s)
{
	return e->vlen == s.len && !memcmp(e->v, s.p, s.len);
}

/*
 * Run @c on the maps: the result code, and in @pay what goes with it
 * (CASFAIL: u8 present + current value; HELD/NOTOWNER: the holder).
 */
static int execute(struct kv_sm *sm, const struct kv_cmd *c,
		   struct kv_buf *pay)
{
	const struct kv_slice *f = c->f;
	struct kv_ent *e;
	int err = 0;

	switch (c->op) {
	case KV_PUT:
		err = map_put(&sm->keys, f[0].p, f[0].len, f[1].p, f[1].len);
		return err ? err : KV_OK;
	case KV_DEL:
		return map_del(&sm->keys, f[0].p, f[0].len) ? KV_NOTFOUND : KV_OK;
	case KV_CAS:
		e = map_find(&sm->keys, f[0].p, f[0].len);
		if ((c->flags & KV_F_ABSENT) ? !!e : (!e || !same(e, f[1]))) {
			kb_u8(pay, !!e);
			if (e)
				kb_bytes(pay, e->v, e->vlen);
			return pay->err ? pay->err : KV_CASFAIL;
		}
		err = map_put(&sm->keys, f[0].p, f[0].len, f[2].p, f[2].len);
		return err ? err : KV_OK;
	case KV_LOCK:
		e = map_find(&sm->locks, f[0].p, f[0].len);
		if (e && !same(e, f[1])) {
			kb_bytes(pay, e->v, e->vlen);
			return pay->err ? pay->err : KV_HELD;
		}
		if (!e)
			err = map_put(&sm->locks, f[0].p, f[0].len, f[1].p,
				      f[1].len);
		return err ? err : KV_OK;
	case KV_UNLOCK:
		e = map_find(&sm->locks, f[0].p, f[0].len);
		if (!e || !same(e, f[1])) {
			if (e)
				kb_bytes(pay, e->v, e->vlen);
			return pay->err ? pay->err : KV_NOTOWNER;
		}
		map_del(&sm->locks, f[0].p, f[0].len);
		return KV_OK;
	}
	return KV_INVAL;
}

int kv_sm_apply(struct kv_sm *sm, uint64_t index, const void *data,
		size_t len, struct kv_result *res)
{
	struct kv_buf pay = { 0 };
	struct kv_session *s;
	struct kv_cmd c;
	size_t i;
	int rc, found;

	memset(res, 0, sizeof(*res));
	if (sm->err)
		return sm->err;
	if (index <= sm->applied)
		return -EINVAL;
	rc = kv_decode(data, len, &c);
	if (rc == -EPROTONOSUPPORT)
		return rc;
	if (rc || !kv_op_logged(c.op)) {
		sm->applied = index;
		return 1;
	}
	i = sess_pos(sm, c.client, &found);
	if (found && c.seq <= sm->sess[i].seq) {
		/* A retry of the last request answers as the first time;
		 * an older one cannot be answered any more.
		 */
		sm->applied = index;
		if (c.seq == sm->sess[i].seq) {
			sess_result(&sm->sess[i], res);
			res->dup = 1;
		} else {
			res->code = KV_STALE;
		}
		return 0;
	}
	rc = execute(sm, &c, &pay);
	if (rc < 0)
		goto nomem;
	s = found ? &sm->sess[i] : sess_new(sm, c.client);
	if (!s)
		goto nomem;
	free(s->payload);
	s->payload = pay.p;	/* may be NULL: no payload */
	s->plen = pay.len;
	s->seq = c.seq;
	s->index = index;
	s->code = rc;
	sm->applied = index;
	sess_result(s, res);
	return 0;
nomem:
	kb_free(&pay);
	sm->err = -ENOMEM;
	return -ENOMEM;
}

/* ------------------------------------------------------------ snapshot */

static const char snap_magic[8] = "PXKVSNAP";
#define SNAP_VERSION 1

void kv_put_map(struct kv_buf *out, const struct kv_map *m)
{
	size_t n, i;
	struct kv_ent **v = kv_map_sorted(m, &n);

	if (!v && m->count) {
		out->err = -ENOMEM;
		return;
	}
	kb_u32(out, n);
	for (i = 0; i < n; i++) {
		kb_field(out, v[i]->k, v[i]->klen);
		kb_field(out, v[i]->v, v[i]->vlen);
	}
	free(v);
}

int kv_sm_serialize(const struct kv_sm *sm, struct kv_buf *out)
{
	size_t start = out->len, i;

	if (sm->err)
		return sm->err;
	kb_bytes(out, snap_magic, sizeof(snap_magic));
	kb_u32(out, SNAP_VERSION);
	kb_u32(out, 0);
	kb_u64(out, sm->applied);
	kv_put_map(out, &sm->keys);
	kv_put_map(out, &sm->locks);
	kb_u32(out, sm->nsess);
	for (i = 0; i < sm->nsess; i++) {
		const struct kv_session *s = &sm->sess[i];

		kb_u64(out, s->client);
		kb_u64(out, s->seq);
		kb_u64(out, s->index);
		kb_u8(out, s->code);
		kb_field(out, s->payload, s->plen);
	}
	if (!out->err)
		kb_u64(out, kv_fnv(KV_FNV_INIT, out->p + start,
				   out->len - start));
	return out->err;
}

/* A map of @n sorted, distinct, non-empty keys. */
static int get_map(struct kv_rd *r, struct kv_map *m)
{
	struct kv_slice prev = { NULL, 0 };
	uint32_t n = kr_u32(r), i;

	/* Each entry takes at least 8 bytes: no huge loops on garbage. */
	if (r->err || n > (r->len - r->off) / 8)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		struct kv_slice k = kr_field(r), v = kr_field(r);

		if (r->err || !k.len)
			return -EINVAL;
		if (i && key_cmp(prev.p, prev.len, k.p, k.len) >= 0)
			return -EINVAL;
		if (map_put(m, k.p, k.len, v.p, v.len))
			return -ENOMEM;
		prev = k;
	}
	return 0;
}

int kv_sm_deserialize(struct kv_sm *sm, const void *data, size_t len)
{
	struct kv_rd r = { data, len, 0, 0 };
	struct kv_sm t;
	uint32_t n, i;
	int err = -EINVAL;

	kv_sm_init(&t);
	if (len < sizeof(snap_magic) + 8 + 8 + 12 + 8 ||
	    memcmp(data, snap_magic, sizeof(snap_magic)) ||
	    kv_fnv(KV_FNV_INIT, data, len - 8) !=
	    (r.off = len - 8, kr_u64(&r)))
		return -EINVAL;
	r.len = len - 8;	/* the checksum is not part of the body */
	r.off = sizeof(snap_magic);
	if (kr_u32(&r) != SNAP_VERSION || kr_u32(&r) != 0)
		return -EINVAL;
	t.applied = kr_u64(&r);
	err = get_map(&r, &t.keys);
	if (!err)
		err = get_map(&r, &t.locks);
	if (err)
		goto out;
	err = -EINVAL;
	n = kr_u32(&r);
	if (r.err || n > KV_MAX_SESSIONS || n > (r.len - r.off) / 29)
		goto out;
	t.sess = calloc(n ? n : 1, sizeof(*t.sess));
	if (!t.sess) {
		err = -ENOMEM;
		goto out;
	}
	t.capsess = n ? n : 1;
	for (i = 0; i < n; i++) {
		struct kv_session *s = &t.sess[i];
		struct kv_slice p;

		s->client = kr_u64(&r);
		s->seq = kr_u64(&r);
		s->index = kr_u64(&r);
		s->code = kr_u8(&r);
		p = kr_field(&r);
		if (r.err || !s->client || !s->seq || s->index > t.applied ||
		    s->code > KV_STALE ||
		    (i && s->client <= t.sess[i - 1].client))
			goto out;
		if (p.len && !(s->payload = dup_bytes(p.p, p.len))) {
			err = -ENOMEM;
			goto out;
		}
		s->plen = p.len;
		t.nsess++;
	}
	if (r.err || r.off != r.len)
		goto out;
	kv_sm_free(sm);
	*sm = t;
	return 0;
out:
	kv_sm_free(&t);
	return err;
}

int kv_sm_digest(const struct kv_sm *sm, uint64_t *digest)
{
	struct kv_buf b = { 0 };
	int err = kv_sm_serialize(sm, &b);

	if (!err)
		*digest = kv_fnv(KV_FNV_INIT, b.p, b.len);
	kb_free(&b);
	return err;
}
