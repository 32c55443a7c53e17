// SPDX-License-Identifier: GPL-2.0
/*
 * Duplicate suppression tables (dedup.h): which proposals of each origin
 * committed.  A leaf.
 */
#include "dedup.h"

/* The table index of @origin, or -1. */
static int find(const struct px_dedup *t, u32 origin)
{
	u32 i;

	for (i = 0; i < PX_MAX_NODES; i++)
		if (t[i].incarnation && t[i].origin == origin)
			return (int)i;
	return -1;
}

/* A free entry, or -1. */
static int find_free(const struct px_dedup *t)
{
	u32 i;

	for (i = 0; i < PX_MAX_NODES; i++)
		if (!t[i].incarnation)
			return (int)i;
	return -1;
}

bool px_dedup_done(const struct px_dedup *t, const struct px_prop_id *id)
{
	int i = find(t, id->origin);
	const struct px_dedup *d;

	if (i < 0)
		return false;	/* nothing of it committed that we know of */
	d = &t[i];
	if (id->incarnation < d->incarnation)
		return true;	/* its origin restarted; nobody waits for it */
	if (id->incarnation > d->incarnation)
		return false;
	if (id->seq < d->base)
		return true;
	if (id->seq >= d->base + PX_MAX_PENDING)
		return false;
	return d->bits & (1ULL << (id->seq - d->base));
}

bool px_dedup_mark(struct px_dedup *t, const struct px_prop_id *id)
{
	int i = find(t, id->origin);
	struct px_dedup *d;

	if (!id->incarnation)
		return true;
	if (i < 0) {
		i = find_free(t);
		if (i < 0)
			return false;
		t[i].origin = id->origin;
	}
	d = &t[i];
	if (id->incarnation > d->incarnation) {
		d->incarnation = id->incarnation;
		d->base = 0;
		d->bits = 0;
	} else if (id->incarnation < d->incarnation) {
		return true;
	}
	if (id->seq < d->base)
		return true;
	/*
	 * An origin gives out sequence number s only once s - PX_MAX_PENDING
	 * has committed (px_propose), so a number 64 below one that
	 * committed has committed too.
	 */
	if (id->seq >= d->base + PX_MAX_PENDING) {
		u64 shift = id->seq - d->base - (PX_MAX_PENDING - 1);

		d->bits = shift >= 64 ? 0 : d->bits >> shift;
		d->base += shift;
	}
	d->bits |= 1ULL << (id->seq - d->base);
	while (d->bits & 1) {
		d->bits >>= 1;
		d->base++;
	}
	return true;
}

void px_dedup_evict(struct px_dedup *t, u32 origin)
{
	int i = find(t, origin);

	if (i >= 0)
		memset(&t[i], 0, sizeof(t[i]));
}

void px_dedup_export(const struct px_dedup *t, struct px_ddvec *out)
{
	u32 i;

	out->n = 0;
	for (i = 0; i < PX_MAX_NODES; i++) {
		struct px_dd *dd = &out->dd[out->n];

		if (!t[i].incarnation)
			continue;
		dd->origin = t[i].origin;
		dd->incarnation = t[i].incarnation;
		dd->base = t[i].base;
		dd->bits = t[i].bits;
		out->n++;
	}
}

void px_dedup_import(struct px_dedup *t, const struct px_ddvec *in)
{
	u32 i;

	memset(t, 0, PX_MAX_NODES * sizeof(*t));
	for (i = 0; i < in->n; i++) {
		int k = find(t, in->dd[i].origin);

		if (k < 0)
			k = find_free(t);
		if (k < 0 || !in->dd[i].incarnation)
			continue;
		t[k].origin = in->dd[i].origin;
		t[k].incarnation = in->dd[i].incarnation;
		t[k].base = in->dd[i].base;
		t[k].bits = in->dd[i].bits;
	}
}
