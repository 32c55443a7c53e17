/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Duplicate suppression: per origin, which of its proposals committed.
 * An origin numbers its proposals 1, 2, ... per incarnation and gives out
 * s only once s - PX_MAX_PENDING committed, so a window of 64 numbers
 * above a base says exactly which committed.
 *
 * A table holds PX_MAX_NODES origins, whoever proposed: an entry with
 * incarnation 0 is free.  Its content is a function of the entries
 * delivered (and of the configuration in effect when one must go), so
 * that every node decides alike which copy of a proposal counts, while
 * members come and go.  A leaf.
 */
#ifndef _PX_DEDUP_H
#define _PX_DEDUP_H

#include "wire.h"

#define PX_MAX_PENDING		64	/* = the window's width */

struct px_dedup {
	u32 origin;		/* node id; the entry is free if incarnation is 0 */
	u64 incarnation;
	u64 base;		/* every seq below base has committed */
	u64 bits;		/* bit k: seq base + k has committed */
};

/* Whether @id committed (or can never commit: superseded). */
bool px_dedup_done(const struct px_dedup *t, const struct px_prop_id *id);
/*
 * Mark @id committed: true, or false if its origin has no entry and none
 * is free (px_dedup_evict() one, then mark again).
 */
bool px_dedup_mark(struct px_dedup *t, const struct px_prop_id *id);
/* Free the entry of @origin. */
void px_dedup_evict(struct px_dedup *t, u32 origin);
/* The table as sent to a node that skips to a trim point, and back. */
void px_dedup_export(const struct px_dedup *t, struct px_ddvec *out);
void px_dedup_import(struct px_dedup *t, const struct px_ddvec *in);

#endif /* _PX_DEDUP_H */
