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

/*
 * Sets: a joint configuration's two, and those of configuration entries
 * a candidate finds accepted; past PX_QUORUM_SETS, nothing is a quorum.
 * A node restarted from its disk knows no commit point, so every
 * configuration entry in its log counts: with 4 sets, a cluster that lost
 * power after a few changes never elected a leader again.
 */
#define PX_QUORUM_SETS	16

struct px_quorum {
	u8 nsets;
	u16 set[PX_QUORUM_SETS];	/* voters, as member masks */
	u8 need[PX_QUORUM_SETS];	/* a majority of each */
};

void px_quorum_init(struct px_quorum *q, u16 voters);
void px_quorum_clear(struct px_quorum *q);
/*
 * One more set that a quorum needs @need of (a majority of the set's
 * voters, some of them maybe not in the member table); a set already
 * there is not added twice.
 */
void px_quorum_add(struct px_quorum *q, u16 set, u8 need);
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
