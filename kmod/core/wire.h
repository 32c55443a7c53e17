/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kpaxos wire format.  Every datagram starts with a 28-byte header in
 * network byte order:
 *
 *   0 magic 'PX' | 2 version | 3 type | 4 flags | 5 reserved
 *   6 sender node id | 8 cluster id | 12 sender incarnation | 20 ballot
 *
 * followed by a body whose layout depends on the type.  Log entries in a
 * body are each a 32-byte entry header (index, ballot, origin, type,
 * origin incarnation, sequence, length) followed by the value.  Crash
 * vectors are (node id, incarnation) pairs; a CATCHUP also carries the
 * duplicate-suppression state at its first index.  The decoder checks every
 * length and count against the datagram before anything is used, and
 * decoded entries point into the datagram.
 */
#ifndef _PX_WIRE_H
#define _PX_WIRE_H

#include "core.h"

#define PX_WIRE_MAGIC		0x5058
#define PX_WIRE_VERSION		1
#define PX_HDR_LEN		28
#define PX_ENTRY_HDR_LEN	40
#define PX_CV_LEN		10
#define PX_WF_MAC		0x01	/* a MAC trails the datagram */

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

#define PX_MAX_WIRE_ENTRIES	256
#define PX_PROMISE_LAST		0x01	/* PROMISE/RECOVER_REPLY: last fragment */
#define PX_CATCHUP_BEHIND	0x02	/* CATCHUP: requested index is trimmed */
#define PX_RECOVERING		0x04	/* RECOVER_REPLY: responder is recovering */

struct px_wentry {
	u64 index;
	u64 ballot;		/* ballot it was accepted in */
	enum px_entry_type type;
	struct px_prop_id id;
	u32 len;
	const u8 *data;
};

struct px_cv {
	u32 id;
	u64 incarnation;
};

/* Which proposals of one origin are in the log below a trim point. */
struct px_dd {
	u32 origin;
	u64 incarnation;
	u64 base;
	u64 bits;
};

#define PX_DD_LEN		26

struct px_msg {
	/* header */
	u8 type;
	u8 flags;
	u32 sender;
	u32 cluster;
	u64 incarnation;
	u64 ballot;
	/* body: which fields are meaningful depends on the type */
	u64 a;			/* from / commit / lo / seq / nonce / token */
	u64 b;			/* commit / hi / match / promised / index */
	u64 c;			/* first index */
	u8 bflags;		/* PX_PROMISE_LAST, PX_CATCHUP_BEHIND, ... */
	u8 frag;
	u16 ncv;
	u16 nentries;
	struct px_cv cv[PX_MAX_NODES];
	u16 ndd;
	struct px_dd dd[PX_MAX_NODES];
	const u8 *entries;	/* raw, validated; walk with px_wire_entry() */
	size_t entries_len;
};

/* Decode @len bytes; 0 or -enum px_wire_err. */
int px_wire_decode(const void *buf, size_t len, struct px_msg *m);
/* The next entry of a decoded message; @off starts at 0. */
void px_wire_entry(const struct px_msg *m, size_t *off, struct px_wentry *e);

/* Encoding into a caller buffer of PX_MAX_DATAGRAM bytes. */
struct px_wbuf {
	u8 *p;
	size_t len;
	size_t cap;
	size_t count_off;	/* where the entry count lives, 0 if none */
	u16 count;
};

void px_wire_begin(struct px_wbuf *w, void *buf, size_t cap, u8 type,
		   u32 sender, u32 cluster, u64 incarnation, u64 ballot);
void px_wire_u8(struct px_wbuf *w, u8 v);
void px_wire_u16(struct px_wbuf *w, u16 v);
void px_wire_u64(struct px_wbuf *w, u64 v);
/* Reserve the u16 entry count; entries follow. */
void px_wire_count(struct px_wbuf *w);
/* Append an entry if it fits; false when the datagram is full. */
bool px_wire_add_entry(struct px_wbuf *w, const struct px_wentry *e);
void px_wire_cvs(struct px_wbuf *w, const struct px_cv *cv, u16 n);
void px_wire_dds(struct px_wbuf *w, const struct px_dd *dd, u16 n);
size_t px_wire_entry_size(u32 len);

#endif /* _PX_WIRE_H */
