// SPDX-License-Identifier: GPL-2.0
/*
 * Counting votes against a configuration of one or two voter sets
 * (quorum.h).  With at most 16 members a set is a mask and counting is
 * a population count.
 */
#include "quorum.h"

static u32 popcount(u32 v)
{
	u32 c = 0;

	while (v) {
		v &= v - 1;
		c++;
	}
	return c;
}

void px_quorum_init(struct px_quorum *q, u16 voters)
{
	q->nsets = 1;
	q->set[0] = voters;
	q->need[0] = (u8)(popcount(voters) / 2 + 1);
	q->set[1] = 0;
	q->need[1] = 0;
}

bool px_quorum_has(const struct px_quorum *q, u16 votes)
{
	u32 i;

	for (i = 0; i < q->nsets; i++)
		if (popcount(votes & q->set[i]) < q->need[i])
			return false;
	return true;
}

/* The need-th largest value among the members of one set. */
static u64 set_value(u16 set, u8 need, const u64 *v)
{
	u64 top[PX_MAX_NODES];
	u32 i, j, k = 0;

	/* Insertion sort, largest first, of the set's values (at most 16). */
	for (i = 0; i < 16 && k < PX_MAX_NODES; i++) {
		u64 x;

		if (!(set & (1u << i)))
			continue;
		x = v[i];
		for (j = k++; j > 0 && top[j - 1] < x; j--)
			top[j] = top[j - 1];
		top[j] = x;
	}
	return need && need <= k ? top[need - 1] : 0;
}

u64 px_quorum_value(const struct px_quorum *q, const u64 *v)
{
	u64 x = U64_MAX;
	u32 i;

	for (i = 0; i < q->nsets; i++) {
		u64 y = set_value(q->set[i], q->need[i], v);

		if (y < x)
			x = y;
	}
	return x;
}

bool px_quorum_covers(const struct px_quorum *q, u16 self, u16 heard)
{
	u16 all = q->set[0] | (q->nsets > 1 ? q->set[1] : 0);

	/* Those not heard, with @self, must not be a quorum by themselves. */
	return !px_quorum_has(q, (all & ~heard) | self);
}
