/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pxkv: a replicated key-value store and lock service on /dev/paxoslog.
 *
 * This header is the pure part, shared by the daemon, the CLI and the
 * unit tests: the command encoding (a log entry, and a request on the
 * daemon's socket), the deterministic state machine, its snapshot
 * serialization and digest.  No I/O, no clocks, no randomness: every node
 * that applies the same log holds the same bytes.
 */
#ifndef _PXKV_KV_H
#define _PXKV_KV_H

#include <stddef.h>
#include <stdint.h>

/*
 * A command, little-endian:
 *
 *   0  'k' 'v'     magic: other entries in the log are not ours
 *   2  u8 version  KV_VERSION
 *   3  u8 op       enum kv_op
 *   4  u8 flags    KV_F_*
 *   5  3 bytes 0
 *   8  u64 client  the client's id, never 0
 *  16  u64 seq     the client's request number, from 1, increasing
 *  24  fields      each a u32 length and its bytes; how many: by op
 *
 *   put K V, del K, cas K OLD NEW (OLD empty and ignored with
 *   KV_F_ABSENT), lock NAME OWNER, unlock NAME OWNER; get K, dump, hash
 *   (requests only, never logged).
 */
#define KV_MAGIC0	'k'
#define KV_MAGIC1	'v'
#define KV_VERSION	1
#define KV_HDR		24
#define KV_MAX_ENTRY	8192	/* PAXOS_MAX_VALUE: one command, one entry */
#define KV_MAX_SESSIONS	4096	/* dedup table; the oldest is evicted */

enum kv_op {
	KV_PUT = 1,
	KV_DEL = 2,
	KV_CAS = 3,
	KV_LOCK = 4,
	KV_UNLOCK = 5,
	/* Read-only requests: answered by the daemon, never in the log. */
	KV_GET = 16,
	KV_DUMP = 17,
	KV_HASH = 18,
};

#define KV_F_ABSENT	0x01	/* cas: expect the key to be absent */

/* Results of a command, and the daemon's own answers. */
enum kv_code {
	KV_OK = 0,
	KV_NOTFOUND = 1,	/* get or del of a missing key */
	KV_CASFAIL = 2,		/* payload: the current value, if any */
	KV_HELD = 3,		/* lock held by another owner: payload */
	KV_NOTOWNER = 4,	/* unlock: payload the holder, empty if free */
	KV_STALE = 5,		/* a request older than the client's last */
	/* From the daemon, never the state machine. */
	KV_UNAVAIL = 10,	/* node down, no leader in time: retry */
	KV_INVAL = 11,		/* a malformed request */
	KV_INTERNAL = 12,
};

struct kv_slice {
	const uint8_t *p;
	uint32_t len;
};

struct kv_cmd {
	uint8_t op, flags;
	uint64_t client, seq;
	struct kv_slice f[3];	/* key/name, value/old/owner, new */
};

/* A growing byte buffer; @err is set once an allocation failed. */
struct kv_buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

void kb_free(struct kv_buf *b);
void kb_bytes(struct kv_buf *b, const void *p, size_t n);
void kb_u8(struct kv_buf *b, uint8_t v);
void kb_u32(struct kv_buf *b, uint32_t v);
void kb_u64(struct kv_buf *b, uint64_t v);
void kb_field(struct kv_buf *b, const void *p, uint32_t n);

/* A bounds-checked reader; @err is set by any read past the end. */
struct kv_rd {
	const uint8_t *p;
	size_t len, off;
	int err;
};

uint8_t kr_u8(struct kv_rd *r);
uint32_t kr_u32(struct kv_rd *r);
uint64_t kr_u64(struct kv_rd *r);
struct kv_slice kr_field(struct kv_rd *r);

/* How many fields @op carries, or -1 for an unknown op. */
int kv_nfields(uint8_t op);
/* 0, or -EINVAL (bad op, client 0, seq 0, too big for one entry). */
int kv_encode(const struct kv_cmd *c, struct kv_buf *out);
/*
 * 0; -ENOMSG: not a pxkv command (no magic); -EPROTONOSUPPORT: a version
 * this code does not know; -EINVAL: malformed.  The slices point into
 * @data.
 */
int kv_decode(const void *data, size_t len, struct kv_cmd *c);
/* Whether @op changes state (goes through the log). */
int kv_op_logged(uint8_t op);
const char *kv_op_name(uint8_t op);
const char *kv_code_name(uint8_t code);

/* Byte-string map with a deterministic (sorted) iteration. */
struct kv_ent {
	struct kv_ent *next;
	uint32_t klen, vlen;
	uint8_t *k, *v;
};

struct kv_map {
	struct kv_ent **tab;
	size_t nbuckets, count;
};

/* Sessions: a client's last request and its result, for retries. */
struct kv_session {
	uint64_t client, seq, index;	/* index: where it was applied */
	uint8_t code;
	uint32_t plen;
	uint8_t *payload;
};

struct kv_sm {
	struct kv_map keys, locks;
	struct kv_session *sess;	/* sorted by client */
	size_t nsess, capsess;
	uint64_t applied;		/* the last log index applied */
	int err;			/* out of memory: state undefined */
};

/* What applying a command gave; the payload stays valid until the next
 * call that changes @sm.
 */
struct kv_result {
	uint8_t code;
	uint8_t dup;		/* a retry: the first answer, not applied again */
	struct kv_slice payload;
};

void kv_sm_init(struct kv_sm *sm);
void kv_sm_free(struct kv_sm *sm);
/*
 * Apply log entry @index (> applied): a pxkv command changes the state
 * and gives @res; anything else only moves the applied index.  0 applied,
 * 1 not a command of ours (or malformed: ignored by every node alike),
 * -EPROTONOSUPPORT a newer version (the caller must stop: applying it
 * differently from newer nodes would fork the state), -ENOMEM.
 */
int kv_sm_apply(struct kv_sm *sm, uint64_t index, const void *data,
		size_t len, struct kv_result *res);
/* A no-op or configuration entry: only the applied index moves. */
void kv_sm_skip(struct kv_sm *sm, uint64_t index);
/* The value of @key, 0 or -ENOENT. */
int kv_sm_get(const struct kv_sm *sm, const void *key, uint32_t klen,
	      struct kv_slice *val);
/* The result of request (@client, @seq) if it is that client's last
 * applied one: 0, or -ENOENT.
 */
int kv_sm_result(const struct kv_sm *sm, uint64_t client, uint64_t seq,
		 struct kv_result *res);
/* Entries of @m sorted by key (caller frees the array); NULL on ENOMEM
 * (or when empty, with *n 0).
 */
struct kv_ent **kv_map_sorted(const struct kv_map *m, size_t *n);
/* @m's entries in key order: a u32 count, then key and value fields. */
void kv_put_map(struct kv_buf *out, const struct kv_map *m);

/*
 * Snapshot: the whole state in a canonical byte string, little-endian:
 *   "PXKVSNAP" u32 version u32 0 u64 applied
 *   u32 nkeys { field key, field value } sorted by key
 *   u32 nlocks { field name, field owner } sorted by name
 *   u32 nsessions { u64 client u64 seq u64 index u8 code field payload }
 *                 sorted by client
 *   u64 FNV-1a of every byte before it
 * Equal states give equal bytes.
 */
int kv_sm_serialize(const struct kv_sm *sm, struct kv_buf *out);
/* Replace @sm (initialized) with the snapshot's state: 0, or -EINVAL for
 * anything malformed (checksum, order, duplicates, bounds), leaving @sm
 * untouched; -ENOMEM.
 */
int kv_sm_deserialize(struct kv_sm *sm, const void *data, size_t len);
/* Digest of the whole state, applied index included. */
int kv_sm_digest(const struct kv_sm *sm, uint64_t *digest);

uint64_t kv_fnv(uint64_t h, const void *p, size_t n);
#define KV_FNV_INIT 0xcbf29ce484222325ULL

#endif /* _PXKV_KV_H */
