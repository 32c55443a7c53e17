/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The log: a ring of slots indexed by log index modulo its capacity.
 * Slots from first to commit hold chosen entries, delivered in order;
 * slots above commit hold values accepted (as an acceptor) or proposed
 * (as the leader) that are not known chosen yet.  A leaf: it stores,
 * finds, trims and restarts, and knows nothing of the protocol.
 */
#ifndef _PX_LOG_H
#define _PX_LOG_H

#include "core.h"

struct px_slot {
	u64 index;		/* 0: empty */
	u64 ballot;		/* ballot the value was accepted in */
	enum px_entry_type type;
	struct px_prop_id id;
	u32 len;
	u32 held;		/* bytes counted in px_log.bytes for it */
	u8 *data;
	bool chosen;
	u16 acks;		/* leader: members that accepted it in its ballot */
	u16 sent_to;		/* leader: members it was sent to in its ballot */
	u64 sent_ns;		/* leader: last time it was sent */
};

struct px_log {
	struct px_slot *ring;
	u32 cap;		/* a power of two */
	u64 first;		/* lowest retained index */
	u64 commit;		/* highest index delivered */
	u64 top;		/* highest index with a slot in use */
	u64 bytes;		/* value bytes the slots hold */
};

/* A ring of at least @want (and @least) slots; 0 or -ENOMEM. */
int px_log_init(struct px_log *l, u32 want, u32 least);
void px_log_free(struct px_log *l);

static inline struct px_slot *px_log_slot(const struct px_log *l, u64 index)
{
	struct px_slot *s = &l->ring[index & (l->cap - 1)];

	return s->index == index ? s : NULL;
}

/*
 * The trim point below which entries must go before @index has a slot:
 * first when it has one already.
 */
u64 px_log_room_for(const struct px_log *l, u64 index);
/*
 * Store a value at @index, replacing what the slot held.  -ESTALE if
 * @index was delivered or trimmed, -ENOSPC if the ring has no room for it
 * (see px_log_room_for), -ENOMEM.
 */
int px_log_store(struct px_log *l, u64 index, u64 ballot,
		 enum px_entry_type type, const struct px_prop_id *id,
		 const void *data, u32 len, struct px_slot **out);
/* Bytes held by the values at @index and above. */
u64 px_log_bytes_from(const struct px_log *l, u64 index);
/* Drop delivered entries below @below; undelivered ones always stay. */
void px_log_trim(struct px_log *l, u64 below);
/* Continue at @first: everything below is forgotten, as if delivered. */
void px_log_restart(struct px_log *l, u64 first);

#endif /* _PX_LOG_H */
