// SPDX-License-Identifier: GPL-2.0
/*
 * The log's ring of slots (layout in log.h): storage, lookup, trimming.
 * A leaf of the engine: it sends nothing and calls no other engine file.
 */
#include "log.h"

int px_log_init(struct px_log *l, u32 want, u32 least)
{
	l->cap = least;
	while (l->cap < want)
		l->cap <<= 1;
	l->ring = px_zalloc_init(sizeof(*l->ring) * l->cap);
	if (!l->ring)
		return -ENOMEM;
	l->first = 1;
	l->commit = 0;
	l->top = 0;
	l->bytes = 0;
	return 0;
}

static void slot_clear(struct px_log *l, struct px_slot *s)
{
	l->bytes -= s->held;
	px_free(s->data);
	memset(s, 0, sizeof(*s));
}

void px_log_free(struct px_log *l)
{
	u32 i;

	if (!l->ring)
		return;
	for (i = 0; i < l->cap; i++)
		px_free(l->ring[i].data);
	px_free_init(l->ring);
	l->ring = NULL;
}

u64 px_log_room_for(const struct px_log *l, u64 index)
{
	if (index < l->first || index - l->first < l->cap)
		return l->first;
	return index - l->cap + 1;
}

int px_log_store(struct px_log *l, u64 index, u64 ballot,
		 enum px_entry_type type, const struct px_prop_id *id,
		 const void *data, u32 len, struct px_slot **out)
{
	struct px_slot *s;
	u8 *copy = NULL;

	*out = NULL;
	if (index <= l->commit || index < l->first)
		return -ESTALE;
	if (px_log_room_for(l, index) > l->first)
		return -ENOSPC;
	if (len) {
		copy = px_alloc(len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	s = &l->ring[index & (l->cap - 1)];
	slot_clear(l, s);
	s->index = index;
	s->ballot = ballot;
	s->type = type;
	if (id)
		s->id = *id;
	s->len = len;
	s->held = len;
	l->bytes += len;
	s->data = copy;
	if (index > l->top)
		l->top = index;
	*out = s;
	return 0;
}

u64 px_log_bytes_from(const struct px_log *l, u64 index)
{
	u64 i = index < l->first ? l->first : index, b = 0;

	for (; i <= l->top; i++) {
		const struct px_slot *s = px_log_slot(l, i);

		if (s)
			b += s->held;
	}
	return b;
}

void px_log_trim(struct px_log *l, u64 below)
{
	if (below > l->commit + 1)
		below = l->commit + 1;
	while (l->first < below) {
		struct px_slot *s = px_log_slot(l, l->first);

		if (s)
			slot_clear(l, s);
		l->first++;
	}
}

void px_log_restart(struct px_log *l, u64 first)
{
	u32 k;

	px_log_trim(l, l->commit + 1);
	for (k = 0; k < l->cap; k++) {
		struct px_slot *s = &l->ring[k];

		if (s->index && s->index < first)
			slot_clear(l, s);
	}
	l->commit = first - 1;
	if (l->top < l->commit)
		l->top = l->commit;
	l->first = first;
}
