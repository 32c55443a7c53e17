/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configurations: who votes, who only learns, and where each member is,
 * as a configuration entry (PX_ENTRY_CONFIG) carries them.  A payload
 * holds one member list, or two while a change is joint (C_old,new: a
 * quorum needs a majority of the voters of each), encoded little-endian:
 *
 *   u8 version (1), u8 nlists (1 or 2), then per list:
 *   u8 count (1..PX_MAX_NODES), then per member:
 *   u32 id, u8 flags (PX_MEMBER_VOTER or PX_MEMBER_LEARNER), u8 family
 *   (0 none, 4, 6), u16 port, u8 addr[16] (IPv4 in the first 4, the rest 0)
 *
 * Ids are 1..PAXOS_MAX_NODE_ID, each once per list, and a list has a
 * voter.  Decoding checks every field: the payload came off the wire.
 * The address is the kernel shell's; the engine only carries it.  A leaf.
 */
#ifndef _PX_CONF_H
#define _PX_CONF_H

#include "core.h"

#define PX_CONF_VERSION		1
#define PX_CONF_MEMBER_BYTES	24
#define PX_CONF_MAX		(2 + 2 * (1 + PX_MAX_NODES * PX_CONF_MEMBER_BYTES))

struct px_conf {
	u8 nlists;			/* 1, or 2: joint (old, new) */
	u8 count[2];
	struct px_member_spec m[2][PX_MAX_NODES];
};

/* Whether @count members make a valid list: 0 or -EINVAL. */
int px_conf_check(const struct px_member_spec *m, u32 count);
/* Bytes written to @buf (PX_CONF_MAX at least); @c must be valid. */
u32 px_conf_encode(const struct px_conf *c, u8 *buf);
/* 0, or -EINVAL for anything but a valid payload of exactly @len bytes. */
int px_conf_decode(struct px_conf *c, const void *buf, u32 len);
/* Whether node @id votes in list @l of @c. */
bool px_conf_votes(const struct px_conf *c, u32 l, u32 id);
/* Whether a list of @c names node @id. */
bool px_conf_names(const struct px_conf *c, u32 id);
/* The voters of list @l. */
u32 px_conf_voters(const struct px_conf *c, u32 l);

#endif /* _PX_CONF_H */
