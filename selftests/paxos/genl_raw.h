/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal generic netlink client for the kselftests: build a request
 * with raw attributes (including deliberately malformed ones), send it,
 * and return the kernel's errno, extack message and reply.  No libnl, so
 * the tests can send what libnl would refuse to build.
 */
#ifndef _PAXOS_GENL_RAW_H
#define _PAXOS_GENL_RAW_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/paxos.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct genl_req {
	char buf[16384];
	size_t len;
};

struct genl_result {
	int err;		/* 0 or -errno from the kernel */
	char extack[256];	/* NLMSGERR_ATTR_MSG, "" if none */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, -1 if none */
	char reply[16384];	/* payload after the genl header */
	size_t reply_len;
};

static inline int genl_open(void)
{
	int one = 1;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

static inline void genl_start(struct genl_req *r, uint16_t family,
			      uint8_t cmd, uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)r->buf;
	struct genlmsghdr *g = NLMSG_DATA(nlh);

	memset(r->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = 1;
	g->cmd = cmd;
	g->version = version;
	r->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Append an attribute of any type and length, valid or not. */
static inline void genl_put(struct genl_req *r, uint16_t type,
			    const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(r->buf + r->len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	r->len += NLA_HDRLEN + NLA_ALIGN(len);
}

static inline void genl_put_u32(struct genl_req *r, uint16_t type, uint32_t v)
{
	genl_put(r, type, &v, sizeof(v));
}

/* Find attribute @type in a run of attributes. */
static inline const struct nlattr *genl_find(const void *attrs, size_t len,
					     uint16_t type)
{
	const char *p = attrs;

	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		if ((size_t)NLA_ALIGN(a->nla_len) >= len)
			break;
		len -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static inline const void *nla_payload(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* Send @r, collect the reply (if any) and the ACK or error. */
static inline int genl_call(int fd, struct genl_req *r, struct genl_result *res)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[32768];
	int done = 0;

	((struct nlmsghdr *)r->buf)->nlmsg_len = r->len;
	memset(res, 0, sizeof(*res));
	res->miss_type = -1;
	if (sendto(fd, r->buf, r->len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh;

		if (n < 0)
			return -errno;
		for (nlh = (void *)buf; NLMSG_OK(nlh, (size_t)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);
				size_t off = sizeof(*e);
				const struct nlattr *a;

				res->err = e->error;
				/* The request is echoed unless capped. */
				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS &&
				    NLMSG_HDRLEN + off < nlh->nlmsg_len) {
					const char *t = (char *)e + off;
					size_t tl = nlh->nlmsg_len - NLMSG_HDRLEN - off;

					a = genl_find(t, tl, NLMSGERR_ATTR_MSG);
					if (a)
						snprintf(res->extack, sizeof(res->extack),
							 "%.*s", (int)(a->nla_len - NLA_HDRLEN),
							 (const char *)nla_payload(a));
					a = genl_find(t, tl, NLMSGERR_ATTR_MISS_TYPE);
					if (a)
						res->miss_type = *(const uint32_t *)nla_payload(a);
				}
				done = 1;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (nlh->nlmsg_len > NLMSG_HDRLEN + GENL_HDRLEN &&
			    !res->reply_len) {
				size_t l = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

				if (l > sizeof(res->reply))
					l = sizeof(res->reply);
				memcpy(res->reply, (char *)NLMSG_DATA(nlh) + GENL_HDRLEN, l);
				res->reply_len = l;
			}
		}
	}
	return res->err;
}

/* Resolve a family: its id, version and whether it has mcast group @grp. */
static inline int genl_family(int fd, const char *name, uint32_t *version,
			      const char *grp, int *has_grp)
{
	struct genl_req r;
	struct genl_result res;
	const struct nlattr *a;
	int err;

	genl_start(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	genl_put(&r, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	err = genl_call(fd, &r, &res);
	if (err)
		return err;
	a = genl_find(res.reply, res.reply_len, CTRL_ATTR_FAMILY_ID);
	if (!a)
		return -ENOENT;
	if (version) {
		const struct nlattr *v = genl_find(res.reply, res.reply_len,
						   CTRL_ATTR_VERSION);
		*version = v ? *(const uint32_t *)nla_payload(v) : 0;
	}
	if (grp && has_grp) {
		const struct nlattr *g = genl_find(res.reply, res.reply_len,
						   CTRL_ATTR_MCAST_GROUPS);
		*has_grp = 0;
		if (g) {
			const char *p = nla_payload(g);
			size_t l = g->nla_len - NLA_HDRLEN;

			/* Nested: one nest per group, each with a name. */
			while (l >= NLA_HDRLEN) {
				const struct nlattr *e = (const void *)p;
				const struct nlattr *nm;

				if (e->nla_len < NLA_HDRLEN || e->nla_len > l)
					break;
				nm = genl_find(nla_payload(e), e->nla_len - NLA_HDRLEN,
					       CTRL_ATTR_MCAST_GRP_NAME);
				if (nm && !strcmp(nla_payload(nm), grp))
					*has_grp = 1;
				if ((size_t)NLA_ALIGN(e->nla_len) >= l)
					break;
				l -= NLA_ALIGN(e->nla_len);
				p += NLA_ALIGN(e->nla_len);
			}
		}
	}
	return *(const uint16_t *)nla_payload(a);
}

#endif /* _PAXOS_GENL_RAW_H */
