/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Duplicate suppression: per origin, which of its proposals committed.
 * An origin numbers its proposals 1, 2, ... per incarnation and gives out
 * s only once s - PX_MAX_PENDING committed, so a window of 64 numbers
 * above a base says exactly which committed.  A leaf.
 */
#ifndef _PX_DEDUP_H
#define _PX_DEDUP_H

#include "wire.h"

#define PX_MAX_PENDING		64	/* = the window's width */

struct px_dedup {
	u32 origin;		/* member node id, set once */
	u64 incarnation;
	u64 base;		/* every seq below base has committed */
	u64 bits;		/* bit k: seq base + k has committed */
};

/* Whether @id committed (or can never commit: not a member, or superseded). */
bool px_dedup_done(const struct px_dedup *t, u32 n, const struct px_prop_id *id);
void px_dedup_mark(struct px_dedup *t, u32 n, const struct px_prop_id *id);
/* The table as sent to a node that skips to a trim point, and back. */
void px_dedup_export(const struct px_dedup *t, u32 n, struct px_ddvec *out);
void px_dedup_import(struct px_dedup *t, u32 n, const struct px_ddvec *in);

#endif /* _PX_DEDUP_H */
