/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kpaxos wire format: one struct per message type, one encoder and one
 * strict decoder.  No other file knows an offset.
 *
 * Every datagram starts with a 28-byte header, in network byte order:
 *
 *   0 magic 'PX' (u16) | 2 version (u8) | 3 type (u8) | 4 flags (u8)
 *   5 reserved, 0 (u8) | 6 sender node id (u16) | 8 cluster id (u32)
 *   12 sender incarnation (u64) | 20 ballot (u64)
 *
 * The body follows, its parts in this order, each present or not by type:
 *
 *   u64 fields          as named in the type's struct, in order
 *   fragment            flags (u8), number (u8): PROMISE, CATCHUP,
 *                       RECOVER_REPLY
 *   crash vector        count (u16), then (node id u16, incarnation u64)
 *                       pairs of 10 bytes: PROMISE, ACCEPTED
 *   suppression state   count (u16), then (origin u16, incarnation u64,
 *                       base u64, bits u64) records of 26 bytes: CATCHUP
 *   entries             count (u16), then entries: PROMISE, ACCEPT,
 *                       FORWARD, CATCHUP, RECOVER_REPLY
 *   snapshot bytes      length (u32), then the bytes: SNAP_CHUNK
 *   sessions            count (u16), then records: SESS
 *   vote                granted (u8), 0 or 1: PREVOTE_REPLY
 *
 * TIMEOUT_NOW's one field, the target, is a node id: 1 to 0xffff.
 *
 * An entry is a 40-byte header, a client session when its flags say so,
 * and its value:
 *
 *   0 index (u64) | 8 ballot (u64) | 16 origin incarnation (u64)
 *   24 origin sequence (u64) | 32 origin node id (u16) | 34 type (u8)
 *   35 flags (u8) | 36 value length (u32)
 *   40 with PX_EF_SESSION: client session (u64) | 48 client seq (u64)
 *   then the value
 *
 * SESS carries a client-session table, sorted by session, in records of
 * 24 bytes: (session u64, seq u64, index u64).
 *
 * When a cluster key is set the shell appends a MAC and sets PX_WF_MAC.
 * The decoder checks every length, count and field before anything is
 * used; decoded entries point into the datagram.
 */
#ifndef _PX_WIRE_H
#define _PX_WIRE_H

#include "core.h"
#include "session.h"

#define PX_WIRE_MAGIC		0x5058
#define PX_WIRE_VERSION		2
#define PX_HDR_LEN		28
#define PX_WF_MAC		0x01	/* header flags: a MAC trails the datagram */
#define PX_MAX_WIRE_ENTRIES	256
#define PX_MAX_FRAGS		64	/* fragments of one multi-datagram answer */

enum px_msg_type {
	PX_MSG_PREPARE = 1,
	PX_MSG_PROMISE,
	PX_MSG_ACCEPT,
	PX_MSG_ACCEPTED,
	PX_MSG_NACK,
	PX_MSG_HEARTBEAT,
	PX_MSG_HEARTBEAT_ACK,
	PX_MSG_FORWARD,
	PX_MSG_CATCHUP_REQ,
	PX_MSG_CATCHUP,
	PX_MSG_RECOVER,
	PX_MSG_RECOVER_REPLY,
	PX_MSG_BARRIER_REQ,
	PX_MSG_BARRIER_REPLY,
	PX_MSG_SNAP_CHUNK,
	PX_MSG_SNAP_ACK,
	PX_MSG_SESS_REQ,
	PX_MSG_SESS,
	PX_MSG_PREVOTE,
	PX_MSG_PREVOTE_REPLY,
	PX_MSG_TIMEOUT_NOW,
	PX_MSG_CONFIG,
	PX_MSG_CHANGE,
	__PX_MSG_MAX
};

/* Why a datagram was rejected. */
enum px_wire_err {
	PX_WE_SHORT = 1,	/* shorter than its header or fixed body */
	PX_WE_TRAILING,		/* bytes left after the last element */
	PX_WE_BAD_MAGIC,
	PX_WE_BAD_VERSION,
	PX_WE_BAD_TYPE,
	PX_WE_BAD_COUNT,	/* more elements than the protocol allows */
	PX_WE_OVERRUN,		/* an element runs past the end */
	PX_WE_BAD_FIELD,	/* a field out of its range */
};

/* Entry flags. */
#define PX_EF_SESSION		0x01	/* a client session follows the header */

/* Fragment flags. */
#define PX_FRAG_LAST		0x01	/* the answer's last fragment */
#define PX_FRAG_BEHIND		0x02	/* CATCHUP: the requested index is trimmed */
#define PX_FRAG_RECOVERING	0x04	/* RECOVER_REPLY: the sender is recovering */

struct px_hdr {
	u8 type;
	u8 flags;		/* PX_WF_MAC */
	u32 sender;
	u32 cluster;
	u64 incarnation;
	u64 ballot;
};

struct px_frag {
	u8 flags;		/* PX_FRAG_* */
	u8 num;			/* 0 .. PX_MAX_FRAGS - 1 */
};

/* Highest incarnation the sender knows of each member. */
struct px_cv {
	u32 id;
	u64 incarnation;
};

struct px_cvec {
	u16 n;
	struct px_cv cv[PX_MAX_NODES];
};

/* Which proposals of one origin are in the log below a trim point. */
struct px_dd {
	u32 origin;
	u64 incarnation;
	u64 base;
	u64 bits;
};

struct px_ddvec {
	u16 n;
	struct px_dd dd[PX_MAX_NODES];
};

/* A log entry as carried on the wire. */
struct px_wentry {
	u64 index;		/* 0 only in FORWARD */
	u64 ballot;		/* ballot it was accepted in */
	enum px_entry_type type;
	struct px_prop_id id;
	u32 len;
	const u8 *data;
};

/* Validated entries of a decoded message; walk with px_wire_entry(). */
struct px_entries {
	u16 count;
	const u8 *raw;
	size_t len;
};

/* Phase 1a: promise for every instance from @first on. */
struct px_prepare {
	u64 first;
};

/* Phase 1b: accepted values from @first on, in fragments. */
struct px_promise {
	u64 first;
	u64 commit;		/* the sender's commit index */
	struct px_frag frag;
	struct px_cvec cv;
	struct px_entries ents;
};

/* Phase 2a: values to accept in the header's ballot. */
struct px_accept {
	u64 commit;		/* the leader's commit index */
	struct px_entries ents;
};

/* Phase 2b: the contiguous instances @lo..@hi were accepted. */
struct px_accepted {
	u64 lo;
	u64 hi;
	u64 commit;		/* the sender's commit index */
	struct px_cvec cv;
};

struct px_heartbeat {
	u64 commit;
	u64 seq;		/* round: its acknowledgements renew the lease */
	u64 all_have;		/* every member delivered everything below */
};

struct px_hb_ack {
	u64 seq;
	u64 commit;
	/*
	 * 1: the sender skipped entries since it last delivered a
	 * configuration, and may not know the one in effect (the leader
	 * proposes it again).  A trailing byte, absent from older senders.
	 */
	u8 conf_unknown;
};

/* A follower's own proposals, for the leader (entry index 0). */
struct px_forward {
	struct px_entries ents;
};

struct px_catchup_req {
	u64 from;		/* first index wanted */
};

/* Chosen entries, in fragments; with PX_FRAG_BEHIND, where the log starts. */
struct px_catchup {
	u64 first;		/* the sender's first retained index */
	u64 commit;
	struct px_frag frag;
	struct px_ddvec dd;	/* suppression state at @first, when behind */
	struct px_entries ents;
};

struct px_recover {
	u64 nonce;
};

/* The answer to RECOVER: the responder's promise and accepted values. */
struct px_recover_reply {
	u64 nonce;
	u64 commit;
	u64 promised;
	struct px_frag frag;
	struct px_entries ents;
};

struct px_barrier_req {
	u64 token;
};

/* @index 0: ask again later (not leader, or no room). */
struct px_barrier_reply {
	u64 token;
	u64 index;
};

/*
 * Chunk @offset of snapshot (@index, @size, @csum), with the suppression
 * state at @index: @offset a multiple of PX_SNAP_CHUNK, @len PX_SNAP_CHUNK
 * or what is left.
 */
struct px_snap_chunk {
	u64 index;
	u64 size;
	u64 csum;
	u64 offset;
	struct px_ddvec dd;
	u32 len;
	const u8 *data;
	/*
	 * The sender's configuration: the index of the newest it knows
	 * chosen, plus 1; 0 if it may not know it.  A trailing u64, absent
	 * from older senders (0); the chunk at offset 0 then carries the
	 * configuration (conf.h), u16 length and bytes.
	 */
	u64 conf;
	u16 conf_len;
	const u8 *conf_data;
};

/*
 * The receiver of snapshot @index has every byte below @next, and bit i
 * of @have set: the chunk at @next + (i + 1) * PX_SNAP_CHUNK.
 */
struct px_snap_ack {
	u64 index;
	u64 next;
	u64 have;
};

/* Asks for the client-session table as of @index. */
struct px_sess_req {
	u64 index;
};

/*
 * The client-session table as of @index; @gone: the sender cannot give
 * it (no records then).  Walk the records with px_wire_session().
 */
#define PX_SESS_GONE		0x01

struct px_sess_table {
	u64 index;
	u8 flags;		/* PX_SESS_GONE */
	u16 count;
	const u8 *raw;
};

/*
 * Pre-vote: would the members support a phase 1 in the header's ballot
 * (the sender's next one, not yet raised)?  It asks for nothing to be
 * promised and changes no state where it arrives.
 */
struct px_prevote {
	u64 commit;		/* the sender's commit index, for tracing */
};

/*
 * The answer to PREVOTE @ballot; the header carries the answering
 * member's promise, from which the asker learns how high to go.
 */
struct px_prevote_reply {
	u64 ballot;
	u8 granted;		/* 0 or 1 */
};

/*
 * Leadership transfer: the leader of the header's ballot gives up its
 * lease and asks member @target to start phase 1 at once; the other
 * members stop holding its lease against it.
 */
struct px_timeout_now {
	u64 target;		/* node id */
};

/*
 * CONFIG: the leader's configuration, for a member that may not know it
 * (its HEARTBEAT_ACK said so): chosen at @index, the leader's commit
 * index @commit, the payload (conf.h) in @len bytes.
 *
 * CHANGE: a member asks the leader it follows for a configuration
 * change: the members wanted in the payload (one list), @index the
 * configuration in effect at the sender (the change is made only if it
 * is the leader's too), @commit the sender's commit index.
 */
#define PX_WIRE_CONF_MAX	512

struct px_conf_msg {
	u64 index;
	u64 commit;
	u16 len;
	const u8 *data;
};

struct px_msg {
	struct px_hdr h;
	union {
		struct px_prepare prepare;
		struct px_promise promise;
		struct px_accept accept;
		struct px_accepted accepted;
		struct px_heartbeat heartbeat;
		struct px_hb_ack hb_ack;
		struct px_forward forward;
		struct px_catchup_req catchup_req;
		struct px_catchup catchup;
		struct px_recover recover;
		struct px_recover_reply recover_reply;
		struct px_barrier_req barrier_req;
		struct px_barrier_reply barrier_reply;
		struct px_snap_chunk snap_chunk;
		struct px_snap_ack snap_ack;
		struct px_sess_req sess_req;
		struct px_sess_table sess;
		struct px_prevote prevote;
		struct px_prevote_reply prevote_reply;
		struct px_timeout_now timeout_now;
		struct px_conf_msg conf;
	};
};

/* Decode @len bytes; 0 or -enum px_wire_err. */
int px_wire_decode(const void *buf, size_t len, struct px_msg *m);
/* The crash vector a decoded message carries, or NULL. */
const struct px_cvec *px_wire_cv(const struct px_msg *m);
/* The entries a decoded message carries, or NULL. */
const struct px_entries *px_wire_ents(const struct px_msg *m);
/* The next entry of @es; @off starts at 0. */
void px_wire_entry(const struct px_entries *es, size_t *off,
		   struct px_wentry *e);
/* Record @i of a decoded SESS. */
void px_wire_session(const struct px_sess_table *m, u16 i,
		     struct px_session *out);
/* The sender a datagram names, before it is decoded; 0 if too short. */
u32 px_wire_sender(const void *buf, size_t len);
/* Header flags (PX_WF_MAC) of a datagram of at least PX_HDR_LEN bytes. */
u8 px_wire_flags(const void *buf);
void px_wire_set_flags(void *buf, u8 flags);

/*
 * Encoding into a caller buffer: px_wire_begin() writes the header but
 * its type, then one px_wire_<type>() writes the type and the body; for
 * types with entries, px_wire_add_entry() appends them, and for
 * fragmented answers px_wire_last() marks the last fragment.
 */
struct px_wbuf {
	u8 *p;
	size_t len;
	size_t cap;
	size_t count_off;	/* where the entry count lives, 0 if none */
	size_t frag_off;	/* where the fragment flags live, 0 if none */
	u16 count;
};

void px_wire_begin(struct px_wbuf *w, void *buf, size_t cap, u32 sender,
		   u32 cluster, u64 incarnation, u64 ballot);
void px_wire_prepare(struct px_wbuf *w, const struct px_prepare *m);
void px_wire_promise(struct px_wbuf *w, const struct px_promise *m);
void px_wire_accept(struct px_wbuf *w, const struct px_accept *m);
void px_wire_accepted(struct px_wbuf *w, const struct px_accepted *m);
void px_wire_nack(struct px_wbuf *w);
void px_wire_heartbeat(struct px_wbuf *w, const struct px_heartbeat *m);
void px_wire_hb_ack(struct px_wbuf *w, const struct px_hb_ack *m);
void px_wire_forward(struct px_wbuf *w);
void px_wire_catchup_req(struct px_wbuf *w, const struct px_catchup_req *m);
void px_wire_catchup(struct px_wbuf *w, const struct px_catchup *m);
void px_wire_recover(struct px_wbuf *w, const struct px_recover *m);
void px_wire_recover_reply(struct px_wbuf *w, const struct px_recover_reply *m);
void px_wire_barrier_req(struct px_wbuf *w, const struct px_barrier_req *m);
void px_wire_barrier_reply(struct px_wbuf *w, const struct px_barrier_reply *m);
/* The chunk's fields; returns where its m->len bytes go, for the caller. */
u8 *px_wire_snap_chunk(struct px_wbuf *w, const struct px_snap_chunk *m);
void px_wire_snap_ack(struct px_wbuf *w, const struct px_snap_ack *m);
void px_wire_sess_req(struct px_wbuf *w, const struct px_sess_req *m);
/* @t NULL: PX_SESS_GONE. */
void px_wire_sess(struct px_wbuf *w, u64 index, const struct px_sessions *t);
void px_wire_conf(struct px_wbuf *w, const struct px_conf_msg *m);
void px_wire_change(struct px_wbuf *w, const struct px_conf_msg *m);
void px_wire_prevote(struct px_wbuf *w, const struct px_prevote *m);
void px_wire_prevote_reply(struct px_wbuf *w, const struct px_prevote_reply *m);
void px_wire_timeout_now(struct px_wbuf *w, const struct px_timeout_now *m);
/* Append an entry if it fits; false when the datagram is full. */
bool px_wire_add_entry(struct px_wbuf *w, const struct px_wentry *e);
void px_wire_last(struct px_wbuf *w);
size_t px_wire_entry_size(u32 len);
/* Bytes a datagram of @type has for entries, whatever else it carries. */
size_t px_wire_entry_room(u8 type);
/* The smallest datagram of @type that carries one empty entry. */
size_t px_wire_min_batch(u8 type);

#endif /* _PX_WIRE_H */
