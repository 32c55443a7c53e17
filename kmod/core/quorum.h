/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Quorums.  A configuration is one set of voters, or two during a change
 * (joint consensus: a majority of the old members and of the new); a
 * quorum is a majority of every set.  Members are named by their index
 * in the node's member table, sets by bit masks.  A leaf.
 */
#ifndef _PX_QUORUM_H
#define _PX_QUORUM_H

#include "core.h"

struct px_quorum {
	u8 nsets;		/* 1, or 2 in a joint configuration */
	u16 set[2];		/* voters, as member masks */
	u8 need[2];		/* a majority of each */
};

void px_quorum_init(struct px_quorum *q, u16 voters);
/* Whether the members in @votes make a quorum. */
bool px_quorum_has(const struct px_quorum *q, u16 votes);
/* The highest x that a quorum of members has reached: v[member] >= x. */
u64 px_quorum_value(const struct px_quorum *q, const u64 *v);
/*
 * Whether @heard, members other than @self, meets every quorum that
 * contains @self even without it: a quorum @self was part of before it
 * lost its memory has a member in @heard.
 */
bool px_quorum_covers(const struct px_quorum *q, u16 self, u16 heard);

#endif /* _PX_QUORUM_H */
