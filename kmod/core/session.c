// SPDX-License-Identifier: GPL-2.0
/*
 * The client-session table (session.h): a sorted array, searched in
 * O(log n) for every committed client write.  A leaf.
 */
#include "session.h"

/* The position of @id, or where it would go. */
static u32 lower_bound(const struct px_sessions *t, u64 id)
{
	u32 lo = 0, hi = t->n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (t->s[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct px_session *px_session_find(const struct px_sessions *t, u64 id)
{
	u32 i = lower_bound(t, id);

	return i < t->n && t->s[i].id == id ? &t->s[i] : NULL;
}

/* Forget the session that committed least recently (lowest index). */
static void evict(struct px_sessions *t)
{
	u32 i, old = 0;

	for (i = 1; i < t->n; i++)
		if (t->s[i].index < t->s[old].index)
			old = i;
	memmove(&t->s[old], &t->s[old + 1],
		(t->n - old - 1) * sizeof(t->s[0]));
	t->n--;
}

enum px_sess_verdict px_session_apply(struct px_sessions *t, u64 id, u64 seq,
				      u64 index)
{
	u32 i = lower_bound(t, id);

	if (i < t->n && t->s[i].id == id) {
		if (seq <= t->s[i].seq)
			return PX_SESS_REPEAT;
		t->s[i].seq = seq;
		t->s[i].index = index;
		return PX_SESS_NEW;
	}
	/* Anything but a first write may be a repeat of a forgotten one. */
	if (seq != 1)
		return PX_SESS_UNKNOWN;
	if (t->n == PX_MAX_SESSIONS) {
		evict(t);
		i = lower_bound(t, id);
	}
	memmove(&t->s[i + 1], &t->s[i], (t->n - i) * sizeof(t->s[0]));
	t->s[i].id = id;
	t->s[i].seq = seq;
	t->s[i].index = index;
	t->n++;
	return PX_SESS_NEW;
}

int px_session_outcome(const struct px_sessions *t, u64 id, u64 seq,
		       u64 *index)
{
	const struct px_session *s = px_session_find(t, id);

	*index = 0;
	if (!s)
		return -ESTALE;
	if (s->seq != seq)
		return -EALREADY;
	*index = s->index;
	return 0;
}
