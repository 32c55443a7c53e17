// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration payload (conf.h): encoding, and decoding that trusts
 * nothing.  A leaf.
 */
#include "conf.h"

static bool member_ok(const struct px_member_spec *m)
{
	u32 i;

	if (!m->id || m->id > PAXOS_MAX_NODE_ID ||
	    (m->flags != PX_MEMBER_VOTER && m->flags != PX_MEMBER_LEARNER))
		return false;
	switch (m->family) {
	case 0:
		for (i = 0; i < sizeof(m->addr); i++)
			if (m->addr[i])
				return false;
		return !m->port;
	case 4:
		for (i = 4; i < sizeof(m->addr); i++)
			if (m->addr[i])
				return false;
		return true;
	case 6:
		return true;
	default:
		return false;
	}
}

int px_conf_check(const struct px_member_spec *m, u32 count)
{
	bool voter = false;
	u32 i, j;

	if (!count || count > PX_MAX_NODES)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		if (!member_ok(&m[i]))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (m[j].id == m[i].id)
				return -EINVAL;
		voter |= m[i].flags == PX_MEMBER_VOTER;
	}
	return voter ? 0 : -EINVAL;
}

u32 px_conf_encode(const struct px_conf *c, u8 *buf)
{
	u8 *p = buf;
	u32 l, i;

	*p++ = PX_CONF_VERSION;
	*p++ = c->nlists;
	for (l = 0; l < c->nlists; l++) {
		*p++ = c->count[l];
		for (i = 0; i < c->count[l]; i++) {
			const struct px_member_spec *m = &c->m[l][i];

			p[0] = (u8)m->id;
			p[1] = (u8)(m->id >> 8);
			p[2] = (u8)(m->id >> 16);
			p[3] = (u8)(m->id >> 24);
			p[4] = m->flags;
			p[5] = m->family;
			p[6] = (u8)m->port;
			p[7] = (u8)(m->port >> 8);
			memcpy(p + 8, m->addr, sizeof(m->addr));
			p += PX_CONF_MEMBER_BYTES;
		}
	}
	return (u32)(p - buf);
}

int px_conf_decode(struct px_conf *c, const void *buf, u32 len)
{
	const u8 *p = buf, *end = p + len;
	u32 l, i;

	memset(c, 0, sizeof(*c));
	if (len < 2 || p[0] != PX_CONF_VERSION || !p[1] || p[1] > 2)
		return -EINVAL;
	c->nlists = p[1];
	p += 2;
	for (l = 0; l < c->nlists; l++) {
		if (p == end || !*p || *p > PX_MAX_NODES ||
		    (u32)(end - p - 1) < (u32)*p * PX_CONF_MEMBER_BYTES)
			return -EINVAL;
		c->count[l] = *p++;
		for (i = 0; i < c->count[l]; i++) {
			struct px_member_spec *m = &c->m[l][i];

			m->id = p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
				(u32)p[3] << 24;
			m->flags = p[4];
			m->family = p[5];
			m->port = (u16)(p[6] | p[7] << 8);
			memcpy(m->addr, p + 8, sizeof(m->addr));
			p += PX_CONF_MEMBER_BYTES;
		}
		if (px_conf_check(c->m[l], c->count[l]))
			return -EINVAL;
	}
	return p == end ? 0 : -EINVAL;
}

bool px_conf_votes(const struct px_conf *c, u32 l, u32 id)
{
	u32 i;

	for (i = 0; l < c->nlists && i < c->count[l]; i++)
		if (c->m[l][i].id == id)
			return c->m[l][i].flags == PX_MEMBER_VOTER;
	return false;
}

bool px_conf_names(const struct px_conf *c, u32 id)
{
	u32 l, i;

	for (l = 0; l < c->nlists; l++)
		for (i = 0; i < c->count[l]; i++)
			if (c->m[l][i].id == id)
				return true;
	return false;
}

u32 px_conf_voters(const struct px_conf *c, u32 l)
{
	u32 i, v = 0;

	for (i = 0; l < c->nlists && i < c->count[l]; i++)
		v += c->m[l][i].flags == PX_MEMBER_VOTER;
	return v;
}
