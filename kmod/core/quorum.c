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

void px_quorum_clear(struct px_quorum *q)
{
	memset(q, 0, sizeof(*q));
}

void px_quorum_init(struct px_quorum *q, u16 voters)
{
	px_quorum_clear(q);
	px_quorum_add(q, voters, (u8)(popcount(voters) / 2 + 1));
}

void px_quorum_add(struct px_quorum *q, u16 set, u8 need)
{
	u32 i;

	for (i = 0; i < q->nsets; i++)
		if (q->set[i] == set && q->need[i] == need)
			return;
	if (q->nsets == PX_QUORUM_SETS) {
		q->need[0] = 0xff;	/* more than any set holds */
		return;
	}
	q->set[q->nsets] = set;
	q->need[q->nsets] = need;
	q->nsets++;
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
	u16 all = 0;
	u32 i;

	for (i = 0; i < q->nsets; i++)
		all |= q->set[i];

	/* Those not heard, with @self, must not be a quorum by themselves. */
	return !px_quorum_has(q, (all & ~heard) | self);
}
