// SPDX-License-Identifier: GPL-2.0
/*
 * The "paxos" generic netlink family: configuration, status, proposals
 * and event notifications.  Every command has its own strict policy, so
 * an attribute a command does not take is an error; changes need
 * CAP_NET_ADMIN in the user namespace owning the network namespace.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "pxk.h"

static struct genl_family pxk_family;

/* Bounds of the timers an operator may set (paxosctl(8), abi.rst). */
#define PXK_MAX_HEARTBEAT_MS	10000
#define PXK_MIN_ELECTION_MS	2
#define PXK_MAX_TIMER_MS	600000	/* election and lease: 10 minutes */
#define PXK_MAX_DRIFT_PPM	100000	/* 10% */
/* A status reply: the node, PAXOS_MAX_MEMBERS - 1 member nests, counters. */
#define PXK_STATUS_SIZE		8192

static struct netlink_range_validation node_id_range = {
	.min = 1, .max = PAXOS_MAX_NODE_ID,
};

static struct netlink_range_validation preferred_range = {
	.min = 0, .max = PAXOS_MAX_NODE_ID,
};

static struct netlink_range_validation election_range = {
	.min = PXK_MIN_ELECTION_MS, .max = PXK_MAX_TIMER_MS,
};

static struct netlink_range_validation lease_range = {
	.min = 0, .max = PXK_MAX_TIMER_MS,
};

static struct netlink_range_validation drift_range = {
	.min = 0, .max = PXK_MAX_DRIFT_PPM,
};

static const struct nla_policy node_policy[PAXOS_A_MAX + 1] = {
	[PAXOS_A_NODE_ID] = NLA_POLICY_FULL_RANGE(NLA_U32, &node_id_range),
	[PAXOS_A_CLUSTER_ID] = { .type = NLA_U32 },
	[PAXOS_A_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[PAXOS_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[PAXOS_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[PAXOS_A_HEARTBEAT_MS] = NLA_POLICY_RANGE(NLA_U32, 1, PXK_MAX_HEARTBEAT_MS),
	[PAXOS_A_ELECTION_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &election_range),
	[PAXOS_A_STORAGE] = { .type = NLA_NUL_STRING,
			      .len = PAXOS_STORAGE_PATH_MAX - 1 },
	[PAXOS_A_JOIN] = NLA_POLICY_MAX(NLA_U8, 1),
};

static const struct nla_policy member_policy[PAXOS_A_MAX + 1] = {
	[PAXOS_A_NODE_ID] = NLA_POLICY_FULL_RANGE(NLA_U32, &node_id_range),
	[PAXOS_A_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[PAXOS_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[PAXOS_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy lease_policy[PAXOS_A_MAX + 1] = {
	[PAXOS_A_LEASE_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &lease_range),
	[PAXOS_A_DRIFT_PPM] = NLA_POLICY_FULL_RANGE(NLA_U32, &drift_range),
	[PAXOS_A_PREFERRED_LEADER] = NLA_POLICY_FULL_RANGE(NLA_U32, &preferred_range),
};

static const struct nla_policy key_policy[PAXOS_A_MAX + 1] = {
	[PAXOS_A_KEY] = { .type = NLA_BINARY, .len = PAXOS_KEY_LEN },
};

static struct netlink_range_validation timeout_range = {
	.min = 1, .max = PAXOS_MAX_TIMEOUT_MS,
};

static const struct nla_policy propose_policy[PAXOS_A_MAX + 1] = {
	[PAXOS_A_VALUE] = { .type = NLA_BINARY, .len = PAXOS_MAX_VALUE },
	[PAXOS_A_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
};

static const struct nla_policy transfer_policy[PAXOS_A_MAX + 1] = {
	[PAXOS_A_NODE_ID] = NLA_POLICY_FULL_RANGE(NLA_U32, &node_id_range),
};

static const struct nla_policy trim_policy[PAXOS_A_MAX + 1] = {
	[PAXOS_A_INDEX] = { .type = NLA_U64 },
};

static struct netlink_range_validation retain_range = {
	.min = PAXOS_MIN_RETAIN_BYTES, .max = PAXOS_MAX_RETAIN_BYTES,
};

static const struct nla_policy log_policy[PAXOS_A_MAX + 1] = {
	[PAXOS_A_RETAIN_BYTES] = NLA_POLICY_FULL_RANGE(NLA_U64, &retain_range),
};

static const struct nla_policy empty_policy[PAXOS_A_MAX + 1] = {
};

static struct pxk_node *info_node(struct genl_info *info)
{
	struct pxk_node *n = pxk_node_get(genl_info_net(info));

	if (!n)
		GENL_SET_ERR_MSG(info, "network namespace is going away");
	return n;
}

/* Configuration changes need the node down. */
static bool need_down(struct pxk_node *n, struct genl_info *info)
{
	if (!n->up)
		return true;
	GENL_SET_ERR_MSG(info, "node is up: take it down first (paxosctl down)");
	return false;
}

static int get_addr(struct genl_info *info, int a4, int a6, struct pxk_addr *a)
{
	if (info->attrs[a4] && info->attrs[a6]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[a6],
				    "give an IPv4 or an IPv6 address, not both");
		return -EINVAL;
	}
	if (info->attrs[a4]) {
		a->v6 = false;
		a->v4 = nla_get_in_addr(info->attrs[a4]);
	} else if (info->attrs[a6]) {
		a->v6 = true;
		a->a6 = nla_get_in6_addr(info->attrs[a6]);
	}
	return 0;
}

static int put_addr(struct sk_buff *skb, int a4, int a6, const struct pxk_addr *a)
{
	if (a->v6)
		return nla_put_in6_addr(skb, a6, &a->a6);
	return nla_put_in_addr(skb, a4, a->v4);
}

static int pxk_node_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct pxk_node *n = info_node(info);
	struct pxk_addr a;
	u32 i;
	int err = 0;

	if (!n)
		return -ENODEV;
	mutex_lock(&n->cfg_lock);
	if (!need_down(n, info)) {
		err = -EBUSY;
		goto out;
	}
	a = n->addr;
	err = get_addr(info, PAXOS_A_ADDR4, PAXOS_A_ADDR6, &a);
	if (err)
		goto out;
	if (tb[PAXOS_A_NODE_ID]) {
		u32 id = nla_get_u32(tb[PAXOS_A_NODE_ID]);

		for (i = 0; i < n->nmembers; i++) {
			if (n->members[i].id == id) {
				NL_SET_ERR_MSG_ATTR(info->extack, tb[PAXOS_A_NODE_ID],
						    "a member already has this id");
				err = -EEXIST;
				goto out;
			}
		}
	}
	if (!tb[PAXOS_A_NODE_ID] && !n->id) {
		NL_SET_ERR_MSG(info->extack, "node id missing");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, PAXOS_A_NODE_ID);
		err = -EINVAL;
		goto out;
	}
	/* The device is tried now, so that up fails only if it changed. */
	if (tb[PAXOS_A_STORAGE] && nla_len(tb[PAXOS_A_STORAGE]) > 1) {
		if (*(char *)nla_data(tb[PAXOS_A_STORAGE]) != '/') {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[PAXOS_A_STORAGE],
					    "storage: give the device's absolute path");
			err = -EINVAL;
			goto out;
		}
		err = pxk_store_check(n, nla_data(tb[PAXOS_A_STORAGE]),
				      info->extack);
		if (err) {
			NL_SET_BAD_ATTR(info->extack, tb[PAXOS_A_STORAGE]);
			goto out;
		}
	}
	if (tb[PAXOS_A_NODE_ID])
		n->id = nla_get_u32(tb[PAXOS_A_NODE_ID]);
	if (tb[PAXOS_A_CLUSTER_ID])
		n->cluster = nla_get_u32(tb[PAXOS_A_CLUSTER_ID]);
	if (tb[PAXOS_A_PORT])
		a.port = nla_get_u16(tb[PAXOS_A_PORT]);
	n->addr = a;
	if (tb[PAXOS_A_HEARTBEAT_MS])
		n->heartbeat_ms = nla_get_u32(tb[PAXOS_A_HEARTBEAT_MS]);
	if (tb[PAXOS_A_ELECTION_MS])
		n->election_ms = nla_get_u32(tb[PAXOS_A_ELECTION_MS]);
	if (tb[PAXOS_A_JOIN])
		n->join = nla_get_u8(tb[PAXOS_A_JOIN]);
	if (tb[PAXOS_A_STORAGE]) {
		nla_strscpy(n->storage, tb[PAXOS_A_STORAGE], sizeof(n->storage));
		n->storage_state = n->storage[0] ? PAXOS_STORAGE_CLOSED :
				   PAXOS_STORAGE_NONE;
	}
out:
	mutex_unlock(&n->cfg_lock);
	pxk_node_put(n);
	return err;
}

/*
 * What a configuration change on a running node came to, for the
 * operator.  NL_SET_ERR_MSG_FMT (6.2) names the leader; older kernels
 * say to look at the status.
 */
static void change_msg(struct genl_info *info, int err)
{
	struct netlink_ext_ack *extack = info->extack;

	switch (err) {
	case -EAGAIN:
		NL_SET_ERR_MSG(extack,
			       "no leader to make the change (none heard from lately, or it hands over): try again");
		break;
	case -EBUSY:
		NL_SET_ERR_MSG(extack,
			       "a configuration change is under way (paxosctl status); member del of a node it waits for gives it up");
		break;
	case -EOPNOTSUPP:
		NL_SET_ERR_MSG(extack,
			       "membership changes need stable storage (paxosctl storage set DEV)");
		break;
	case -ENOSPC:
		NL_SET_ERR_MSG(extack,
			       "too many members: 9 at most, old and new together");
		break;
	case -EEXIST:
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[PAXOS_A_NODE_ID],
				    "already a member of the configuration, at that address");
		break;
	case -ENOENT:
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[PAXOS_A_NODE_ID],
				    "not a member of the configuration");
		break;
	case -EINVAL:
		NL_SET_ERR_MSG(extack,
			       "the configuration would have no voter, or a bad address");
		break;
	case -ENOTCONN:
		NL_SET_ERR_MSG(extack, "node is down");
		break;
	}
}

/* A member's address from the request: 0, or -EINVAL (extack set). */
static int member_addr(struct pxk_node *n, struct genl_info *info,
		       struct pxk_member *m)
{
	struct nlattr **tb = info->attrs;
	int err;

	m->id = nla_get_u32(tb[PAXOS_A_NODE_ID]);
	err = get_addr(info, PAXOS_A_ADDR4, PAXOS_A_ADDR6, &m->addr);
	if (err)
		return err;
	if (tb[PAXOS_A_PORT])
		m->addr.port = nla_get_u16(tb[PAXOS_A_PORT]);
	if (m->id == n->id) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PAXOS_A_NODE_ID],
				    "this is the node's own id");
		return -EINVAL;
	}
	if (n->up && m->addr.v6 != n->addr.v6) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[PAXOS_A_ADDR4] ? tb[PAXOS_A_ADDR4] :
				    tb[PAXOS_A_ADDR6],
				    "member address family differs from the node's");
		return -EINVAL;
	}
	return 0;
}

/* MEMBER_ADD while down: into the member table (cfg_lock held). */
static int member_add_down(struct pxk_node *n, struct genl_info *info,
			   const struct pxk_member *m)
{
	u32 i;

	for (i = 0; i < n->nmembers; i++) {
		if (n->members[i].id == m->id) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[PAXOS_A_NODE_ID],
					    "member already exists");
			return -EEXIST;
		}
	}
	if (n->nmembers == ARRAY_SIZE(n->members)) {
		NL_SET_ERR_MSG(info->extack, "cluster is full (9 nodes)");
		return -ENOSPC;
	}
	spin_lock_bh(&n->lock);
	n->members[n->nmembers++] = *m;
	spin_unlock_bh(&n->lock);
	return 0;
}

static int pxk_member_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct pxk_node *n;
	struct pxk_member m = { .addr.port = PAXOS_DEFAULT_PORT };
	int err = 0;

	if (GENL_REQ_ATTR_CHECK(info, PAXOS_A_NODE_ID)) {
		NL_SET_ERR_MSG(info->extack, "member id missing");
		return -EINVAL;
	}
	if (!tb[PAXOS_A_ADDR4] && !tb[PAXOS_A_ADDR6]) {
		NL_SET_ERR_MSG(info->extack, "member address missing");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, PAXOS_A_ADDR4);
		return -EINVAL;
	}
	n = info_node(info);
	if (!n)
		return -ENODEV;
	mutex_lock(&n->cfg_lock);
	err = member_addr(n, info, &m);
	if (err)
		goto out;
	if (!n->up) {
		err = member_add_down(n, info, &m);
		goto out;
	}
	err = pxk_member_change(n, m.id, &m.addr);
	change_msg(info, err);
out:
	mutex_unlock(&n->cfg_lock);
	pxk_node_put(n);
	return err;
}

static int pxk_member_del(struct sk_buff *skb, struct genl_info *info)
{
	struct pxk_node *n;
	u32 i, id;
	int err = -ENOENT;

	if (GENL_REQ_ATTR_CHECK(info, PAXOS_A_NODE_ID)) {
		NL_SET_ERR_MSG(info->extack, "member id missing");
		return -EINVAL;
	}
	n = info_node(info);
	if (!n)
		return -ENODEV;
	id = nla_get_u32(info->attrs[PAXOS_A_NODE_ID]);
	mutex_lock(&n->cfg_lock);
	if (n->up) {
		/* The node's own id too: a leader may remove itself. */
		err = pxk_member_change(n, id, NULL);
		change_msg(info, err);
		goto out;
	}
	spin_lock_bh(&n->lock);
	for (i = 0; i < n->nmembers; i++) {
		if (n->members[i].id == id) {
			n->members[i] = n->members[--n->nmembers];
			err = 0;
			break;
		}
	}
	spin_unlock_bh(&n->lock);
	if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[PAXOS_A_NODE_ID],
				    "no such member");
out:
	mutex_unlock(&n->cfg_lock);
	pxk_node_put(n);
	return err;
}

static int pxk_lease_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct pxk_node *n = info_node(info);
	int err = 0;

	if (!n)
		return -ENODEV;
	mutex_lock(&n->cfg_lock);
	if (n->up && (tb[PAXOS_A_LEASE_MS] || tb[PAXOS_A_DRIFT_PPM])) {
		/* Every member's lease arithmetic assumes the same two. */
		GENL_SET_ERR_MSG(info,
				 "node is up: only the preferred leader changes while up; duration and drift need 'paxosctl down' first");
		err = -EBUSY;
		goto out;
	}
	if (tb[PAXOS_A_LEASE_MS])
		n->lease_ms = nla_get_u32(tb[PAXOS_A_LEASE_MS]);
	if (tb[PAXOS_A_DRIFT_PPM])
		n->drift_ppm = nla_get_u32(tb[PAXOS_A_DRIFT_PPM]);
	if (tb[PAXOS_A_PREFERRED_LEADER]) {
		n->preferred = nla_get_u32(tb[PAXOS_A_PREFERRED_LEADER]);
		/* On a running node at once: a leader may hand over now. */
		spin_lock_bh(&n->lock);
		if (n->px) {
			px_set_preferred(n->px, n->preferred, ktime_get_ns());
			pxk_after(n);
		}
		spin_unlock_bh(&n->lock);
		pxk_udp_flush(n);
	}
out:
	mutex_unlock(&n->cfg_lock);
	pxk_node_put(n);
	return err;
}

static int pxk_key_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *a = info->attrs[PAXOS_A_KEY];
	struct pxk_node *n;
	int err = 0;

	if (GENL_REQ_ATTR_CHECK(info, PAXOS_A_KEY)) {
		NL_SET_ERR_MSG(info->extack, "key missing (empty to clear)");
		return -EINVAL;
	}
	if (nla_len(a) != 0 && nla_len(a) != PAXOS_KEY_LEN) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "a key is exactly 32 bytes");
		return -EINVAL;
	}
	n = info_node(info);
	if (!n)
		return -ENODEV;
	mutex_lock(&n->cfg_lock);
	err = pxk_udp_set_key(n, nla_len(a) ? nla_data(a) : NULL);
	mutex_unlock(&n->cfg_lock);
	pxk_node_put(n);
	return err;
}

static int pxk_up_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pxk_node *n = info_node(info);
	int err;

	if (!n)
		return -ENODEV;
	mutex_lock(&n->cfg_lock);
	err = pxk_up(n, info->extack);
	mutex_unlock(&n->cfg_lock);
	pxk_node_put(n);
	return err;
}

static int pxk_down_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pxk_node *n = info_node(info);

	if (!n)
		return -ENODEV;
	mutex_lock(&n->cfg_lock);
	pxk_down(n);
	mutex_unlock(&n->cfg_lock);
	pxk_node_put(n);
	return 0;
}

static int pxk_propose_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *a = info->attrs[PAXOS_A_VALUE];
	u32 ms = PAXOS_PROPOSE_TIMEOUT_MS;
	struct pxk_node *n;
	struct sk_buff *msg;
	u64 index = 0;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, PAXOS_A_VALUE)) {
		NL_SET_ERR_MSG(info->extack, "value missing");
		return -EINVAL;
	}
	if (!nla_len(a)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "empty value");
		return -EINVAL;
	}
	if (info->attrs[PAXOS_A_TIMEOUT_MS])
		ms = nla_get_u32(info->attrs[PAXOS_A_TIMEOUT_MS]);
	n = info_node(info);
	if (!n)
		return -ENODEV;
	err = pxk_propose(n, nla_data(a), nla_len(a), false,
			  (jiffies + msecs_to_jiffies(ms)) | 1, &index);
	pxk_node_put(n);
	if (err == -ENOTCONN)
		NL_SET_ERR_MSG(info->extack, "node is down");
	else if (err == -ENOSPC)
		NL_SET_ERR_MSG(info->extack,
			       "retained log full: take a snapshot (PAXOS_IOC_SNAP_WRITE)");
	else if (err == -ETIMEDOUT)
		NL_SET_ERR_MSG(info->extack,
			       "not committed within the timeout: it may still commit");
	else if (err == -EALREADY)
		NL_SET_ERR_MSG(info->extack,
			       "committed in entries a snapshot covers: index not known here");
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &pxk_family, 0, PAXOS_CMD_PROPOSE);
	if (!hdr || nla_put_u64_64bit(msg, PAXOS_A_INDEX, index, PAXOS_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int pxk_trim_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pxk_node *n;
	int err = -ENOTCONN;

	if (GENL_REQ_ATTR_CHECK(info, PAXOS_A_INDEX)) {
		NL_SET_ERR_MSG(info->extack, "index missing");
		return -EINVAL;
	}
	n = info_node(info);
	if (!n)
		return -ENODEV;
	spin_lock_bh(&n->lock);
	if (n->px) {
		err = px_trim(n->px, nla_get_u64(info->attrs[PAXOS_A_INDEX]));
		pxk_after(n);
	}
	spin_unlock_bh(&n->lock);
	pxk_node_put(n);
	if (err == -EINVAL)
		NL_SET_ERR_MSG(info->extack, "index is beyond the committed log");
	else if (err)
		NL_SET_ERR_MSG(info->extack, "node is down");
	return err;
}

/*
 * Leadership transfer: the leader hands over to a member (px_transfer());
 * the command returns once it started, `paxosctl status` shows the rest.
 */
static int pxk_transfer_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pxk_node *n;
	int err = -ENOTCONN;

	if (GENL_REQ_ATTR_CHECK(info, PAXOS_A_NODE_ID)) {
		NL_SET_ERR_MSG(info->extack, "target node id missing");
		return -EINVAL;
	}
	n = info_node(info);
	if (!n)
		return -ENODEV;
	spin_lock_bh(&n->lock);
	if (n->px) {
		err = px_transfer(n->px, nla_get_u32(info->attrs[PAXOS_A_NODE_ID]),
				  ktime_get_ns());
		pxk_after(n);
	}
	spin_unlock_bh(&n->lock);
	pxk_udp_flush(n);
	pxk_node_put(n);
	if (err == -EINVAL)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[PAXOS_A_NODE_ID],
				    "not another member of the cluster");
	else if (err == -EAGAIN)
		NL_SET_ERR_MSG(info->extack,
			       "not the leader: run it on the leader (paxosctl status)");
	else if (err == -EBUSY)
		NL_SET_ERR_MSG(info->extack, "a transfer is under way");
	else if (err == -ENOTCONN)
		NL_SET_ERR_MSG(info->extack, "node is down");
	return err;
}

/*
 * The bound on the retained log's bytes, at once on a running node: under
 * strict retention a lower one may leave the log full until a snapshot.
 */
static int pxk_log_set(struct sk_buff *skb, struct genl_info *info)
{
	struct pxk_node *n;
	u64 bytes, cap;

	if (GENL_REQ_ATTR_CHECK(info, PAXOS_A_RETAIN_BYTES)) {
		NL_SET_ERR_MSG(info->extack, "retain bytes missing");
		return -EINVAL;
	}
	bytes = nla_get_u64(info->attrs[PAXOS_A_RETAIN_BYTES]);
	n = info_node(info);
	if (!n)
		return -ENODEV;
	mutex_lock(&n->cfg_lock);
	spin_lock_bh(&n->lock);
	cap = pxk_store_log_cap(n);
	spin_unlock_bh(&n->lock);
	/* The open device stages records for a log as large as it was at up. */
	if (bytes > cap) {
		mutex_unlock(&n->cfg_lock);
		pxk_node_put(n);
		NL_SET_ERR_MSG(info->extack,
			       "with storage, raise the bound while the node is down");
		return -EBUSY;
	}
	WRITE_ONCE(n->retain_bytes, bytes);
	spin_lock_bh(&n->lock);
	if (n->px) {
		px_set_retain_bytes(n->px, bytes);
		pxk_after(n);
	}
	spin_unlock_bh(&n->lock);
	mutex_unlock(&n->cfg_lock);
	pxk_udp_flush(n);
	pxk_node_put(n);
	return 0;
}

static u64 retain_bytes(struct pxk_node *n)
{
	u64 b = READ_ONCE(n->retain_bytes);

	return b ? b : PAXOS_DEFAULT_RETAIN_BYTES;
}

/* The retained log: its bound, its use and whether it is full. */
static int put_log(struct sk_buff *msg, struct pxk_node *n,
		   const struct px_status *st, bool running)
{
	if (!running)
		return nla_put_u64_64bit(msg, PAXOS_A_RETAIN_BYTES,
					 retain_bytes(n), PAXOS_A_PAD);
	if (nla_put_u64_64bit(msg, PAXOS_A_RETAIN_BYTES, st->retain_bytes,
			      PAXOS_A_PAD) ||
	    nla_put_u64_64bit(msg, PAXOS_A_RETAINED_BYTES, st->retained_bytes,
			      PAXOS_A_PAD) ||
	    nla_put_u8(msg, PAXOS_A_LOG_FULL, st->log_full) ||
	    nla_put_u8(msg, PAXOS_A_STRICT_RETENTION, st->strict))
		return -EMSGSIZE;
	return 0;
}

static int put_member(struct sk_buff *skb, const struct pxk_member *m,
		      const struct px_member_status *ms, u64 now)
{
	struct nlattr *nest = nla_nest_start(skb, PAXOS_A_MEMBER);
	u8 state = PAXOS_MEMBER_UNKNOWN;

	if (!nest)
		return -EMSGSIZE;
	if (ms)
		state = ms->reachable ? PAXOS_MEMBER_REACHABLE :
			PAXOS_MEMBER_UNREACHABLE;
	if (nla_put_u32(skb, PAXOS_MA_NODE_ID, m->id) ||
	    put_addr(skb, PAXOS_MA_ADDR4, PAXOS_MA_ADDR6, &m->addr) ||
	    nla_put_u16(skb, PAXOS_MA_PORT, m->addr.port) ||
	    nla_put_u8(skb, PAXOS_MA_STATE, state) ||
	    (ms && nla_put_u64_64bit(skb, PAXOS_MA_MATCH_INDEX, ms->match_index,
				     PAXOS_MA_PAD)) ||
	    (ms && ms->last_heard_ns &&
	     nla_put_u64_64bit(skb, PAXOS_MA_LAST_HEARD_MS,
			       div_u64(now - ms->last_heard_ns, NSEC_PER_MSEC),
			       PAXOS_MA_PAD))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static const struct px_member_status *find_ms(const struct px_status *st, u32 id)
{
	u32 i;

	for (i = 0; i < st->nmembers; i++)
		if (st->members[i].id == id)
			return &st->members[i];
	return NULL;
}

/* The storage device, if any, and its state (cfg_lock held). */
static int put_storage(struct sk_buff *msg, struct pxk_node *n, u8 state)
{
	if (n->storage[0] && nla_put_string(msg, PAXOS_A_STORAGE, n->storage))
		return -EMSGSIZE;
	return nla_put_u8(msg, PAXOS_A_STORAGE_STATE, state);
}

/* The rest of a NODE_GET, LEASE_GET or LOG_GET reply. */
static int put_config(struct sk_buff *msg, struct pxk_node *n,
		      const struct px_status *st, bool running, u8 cmd,
		      u8 storage)
{
	switch (cmd) {
	case PAXOS_CMD_NODE_GET:
		if (nla_put_u32(msg, PAXOS_A_HEARTBEAT_MS, n->heartbeat_ms) ||
		    nla_put_u32(msg, PAXOS_A_ELECTION_MS, n->election_ms) ||
		    nla_put_u8(msg, PAXOS_A_JOIN, n->join) ||
		    put_storage(msg, n, storage))
			return -EMSGSIZE;
		return 0;
	case PAXOS_CMD_LEASE_GET:
		if (nla_put_u32(msg, PAXOS_A_LEASE_MS, n->lease_ms) ||
		    nla_put_u32(msg, PAXOS_A_DRIFT_PPM, n->drift_ppm) ||
		    nla_put_u32(msg, PAXOS_A_PREFERRED_LEADER, n->preferred))
			return -EMSGSIZE;
		return 0;
	default:
		if (put_log(msg, n, st, running) ||
		    nla_put_u64_64bit(msg, PAXOS_A_FIRST_INDEX, st->first_index,
				      PAXOS_A_PAD) ||
		    nla_put_u64_64bit(msg, PAXOS_A_COMMIT_INDEX, st->commit_index,
				      PAXOS_A_PAD))
			return -EMSGSIZE;
		return 0;
	}
}

static int put_ids(struct sk_buff *msg, int type, const u32 *ids, u32 cnt)
{
	struct nlattr *nest = nla_nest_start(msg, type);
	u32 i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < cnt; i++) {
		if (nla_put_u32(msg, i + 1, ids[i])) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* The configuration in effect (STATUS_GET of a running node). */
static int put_conf(struct sk_buff *msg, const struct px_status *st)
{
	if (nla_put_u64_64bit(msg, PAXOS_A_CONFIG_INDEX, st->config_index,
			      PAXOS_A_PAD) ||
	    put_ids(msg, PAXOS_A_VOTERS, st->voters,
		    min_t(u32, st->nvoters, PX_MAX_NODES)) ||
	    put_ids(msg, PAXOS_A_LEARNERS, st->learners,
		    min_t(u32, st->nlearners, PX_MAX_NODES)) ||
	    nla_put_u8(msg, PAXOS_A_CONFIG_JOINT, st->config_joint) ||
	    nla_put_u8(msg, PAXOS_A_CONFIG_PENDING, st->config_pending) ||
	    nla_put_u8(msg, PAXOS_A_CONFIG_UNKNOWN, st->config_unknown))
		return -EMSGSIZE;
	if (st->config_pending &&
	    (put_ids(msg, PAXOS_A_NEXT_VOTERS, st->next_voters,
		     min_t(u32, st->next_nvoters, PX_MAX_NODES)) ||
	     put_ids(msg, PAXOS_A_NEXT_LEARNERS, st->next_learners,
		     min_t(u32, st->next_nlearners, PX_MAX_NODES))))
		return -EMSGSIZE;
	return 0;
}

/* What a status reply is built from, taken under the node lock. */
struct pxk_status_copy {
	struct px_status st;
	u64 ctr[PX_CTR_MAX];
	struct pxk_member ms[PAXOS_MAX_MEMBERS - 1];
};

/* Status, node, lease and log replies share one builder. */
static int fill_status(struct sk_buff *msg, struct pxk_node *n, u8 cmd)
{
	struct pxk_status_copy *c = kzalloc(sizeof(*c), GFP_KERNEL);
	u64 *ctr, now = ktime_get_ns();
	struct pxk_member *ms;
	struct px_status *st;
	struct nlattr *nest;
	bool running;
	u8 state, storage;
	u32 i, nms;
	int err = -EMSGSIZE;

	/* The engine keeps one counter per uapi index. */
	BUILD_BUG_ON(PAXOS_CTR_MAX + 1 != PX_CTR_MAX);
	BUILD_BUG_ON(ARRAY_SIZE(c->ms) != ARRAY_SIZE(n->members));
	if (!c)
		return -ENOMEM;
	st = &c->st;
	ms = c->ms;
	ctr = c->ctr;
	pxk_counters(n, ctr);
	spin_lock_bh(&n->lock);
	running = n->px;
	if (running)
		px_get_status(n->px, st, now);
	state = pxk_state(n);
	if (running && st->behind)
		state = PAXOS_STATE_BEHIND;
	storage = n->storage[0] ? n->storage_state : PAXOS_STORAGE_NONE;
	/* While up, the engine's configurations change the members. */
	nms = n->nmembers;
	memcpy(ms, n->members, nms * sizeof(ms[0]));
	spin_unlock_bh(&n->lock);

	if (nla_put_u8(msg, PAXOS_A_STATE, state) ||
	    nla_put_u32(msg, PAXOS_A_NODE_ID, n->id) ||
	    nla_put_u32(msg, PAXOS_A_CLUSTER_ID, n->cluster) ||
	    put_addr(msg, PAXOS_A_ADDR4, PAXOS_A_ADDR6, &n->addr) ||
	    nla_put_u16(msg, PAXOS_A_PORT, n->addr.port))
		goto out;
	if (cmd != PAXOS_CMD_STATUS_GET) {
		err = put_config(msg, n, st, running, cmd, storage);
		goto out;
	}
	if (put_log(msg, n, st, running) ||
	    nla_put_u32(msg, PAXOS_A_LEADER_ID, st->leader) ||
	    nla_put_u64_64bit(msg, PAXOS_A_BALLOT, st->ballot, PAXOS_A_PAD) ||
	    nla_put_u64_64bit(msg, PAXOS_A_COMMIT_INDEX, st->commit_index, PAXOS_A_PAD) ||
	    nla_put_u64_64bit(msg, PAXOS_A_FIRST_INDEX, st->first_index, PAXOS_A_PAD) ||
	    nla_put_u8(msg, PAXOS_A_LEASE_VALID, st->lease_valid) ||
	    nla_put_u64_64bit(msg, PAXOS_A_LEASE_REMAINING_US,
			      div_u64(st->lease_remaining_ns, NSEC_PER_USEC), PAXOS_A_PAD) ||
	    nla_put_u64_64bit(msg, PAXOS_A_INCARNATION, st->incarnation, PAXOS_A_PAD) ||
	    nla_put_u8(msg, PAXOS_A_KEY_SET, !!rcu_access_pointer(n->key)) ||
	    put_storage(msg, n, storage) ||
	    (running && put_conf(msg, st)))
		goto out;
	for (i = 0; i < nms; i++)
		if (put_member(msg, &ms[i],
			       running ? find_ms(st, ms[i].id) : NULL, now))
			goto out;
	nest = nla_nest_start(msg, PAXOS_A_COUNTERS);
	if (!nest)
		goto out;
	for (i = 1; i < PX_CTR_MAX; i++)
		if (nla_put_u64_64bit(msg, i, ctr[i], PAXOS_CTR_UNSPEC))
			goto out;
	nla_nest_end(msg, nest);
	err = 0;
out:
	kfree(c);
	return err;
}

static int pxk_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	struct pxk_node *n = info_node(info);
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!n)
		return -ENODEV;
	msg = genlmsg_new(PXK_STATUS_SIZE, GFP_KERNEL);
	if (!msg) {
		pxk_node_put(n);
		return -ENOMEM;
	}
	hdr = genlmsg_put_reply(msg, info, &pxk_family, 0, cmd);
	mutex_lock(&n->cfg_lock);
	err = hdr ? fill_status(msg, n, cmd) : -EMSGSIZE;
	mutex_unlock(&n->cfg_lock);
	pxk_node_put(n);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* MEMBER_GET dump: one message per member; cb->args[0] is the cursor. */
static int pxk_member_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pxk_node *n = pxk_node_get(sock_net(skb->sk));
	struct pxk_member ms[ARRAY_SIZE(n->members)];
	u32 i = cb->args[0], nms;

	if (!n)
		return -ENODEV;
	mutex_lock(&n->cfg_lock);
	/* While up, the engine's configurations change the members. */
	spin_lock_bh(&n->lock);
	nms = n->nmembers;
	memcpy(ms, n->members, nms * sizeof(ms[0]));
	spin_unlock_bh(&n->lock);
	cb->seq = nms;
	for (; i < nms; i++) {
		void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, &pxk_family,
					NLM_F_MULTI, PAXOS_CMD_MEMBER_GET);

		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (put_member(skb, &ms[i], NULL, 0)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&n->cfg_lock);
	pxk_node_put(n);
	cb->args[0] = i;
	return skb->len;
}

static const struct genl_ops pxk_ops[] = {
	{ .cmd = PAXOS_CMD_STATUS_GET, .doit = pxk_get_doit,
	  .policy = empty_policy, .maxattr = PAXOS_A_MAX },
	{ .cmd = PAXOS_CMD_NODE_SET, .doit = pxk_node_set,
	  .policy = node_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_NODE_GET, .doit = pxk_get_doit,
	  .policy = empty_policy, .maxattr = PAXOS_A_MAX },
	{ .cmd = PAXOS_CMD_MEMBER_ADD, .doit = pxk_member_add,
	  .policy = member_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_MEMBER_DEL, .doit = pxk_member_del,
	  .policy = member_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_MEMBER_GET, .dumpit = pxk_member_dump,
	  .policy = empty_policy, .maxattr = PAXOS_A_MAX },
	{ .cmd = PAXOS_CMD_LEASE_SET, .doit = pxk_lease_set,
	  .policy = lease_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_LEASE_GET, .doit = pxk_get_doit,
	  .policy = empty_policy, .maxattr = PAXOS_A_MAX },
	{ .cmd = PAXOS_CMD_KEY_SET, .doit = pxk_key_set,
	  .policy = key_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_UP, .doit = pxk_up_doit,
	  .policy = empty_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_DOWN, .doit = pxk_down_doit,
	  .policy = empty_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_PROPOSE, .doit = pxk_propose_doit,
	  .policy = propose_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_TRIM, .doit = pxk_trim_doit,
	  .policy = trim_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_LOG_SET, .doit = pxk_log_set,
	  .policy = log_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = PAXOS_CMD_LOG_GET, .doit = pxk_get_doit,
	  .policy = empty_policy, .maxattr = PAXOS_A_MAX },
	{ .cmd = PAXOS_CMD_LEADER_TRANSFER, .doit = pxk_transfer_doit,
	  .policy = transfer_policy, .maxattr = PAXOS_A_MAX,
	  .flags = GENL_UNS_ADMIN_PERM },
};

static const struct genl_multicast_group pxk_mcgrps[] = {
	{ .name = PAXOS_MCGRP_EVENTS },
};

static struct genl_family pxk_family __ro_after_init = {
	.name = PAXOS_FAMILY_NAME,
	.version = PAXOS_FAMILY_VERSION,
	.maxattr = PAXOS_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = pxk_ops,
	.n_ops = ARRAY_SIZE(pxk_ops),
	.mcgrps = pxk_mcgrps,
	.n_mcgrps = ARRAY_SIZE(pxk_mcgrps),
};

/* A LOG_NTF: the log full or with room again, behind, or a skip. */
static int put_log_event(struct sk_buff *msg, struct pxk_node *n,
			 const struct px_event *ev)
{
	u8 what;

	if (ev->type == PX_EV_LOG_FULL)
		what = ev->a ? PAXOS_LOG_EV_FULL : PAXOS_LOG_EV_ROOM;
	else
		what = ev->b ? PAXOS_LOG_EV_SKIPPED : PAXOS_LOG_EV_BEHIND;
	if (nla_put_u8(msg, PAXOS_A_LOG_EVENT, what))
		return -EMSGSIZE;
	if (ev->type == PX_EV_LOG_FULL)
		return nla_put_u64_64bit(msg, PAXOS_A_RETAINED_BYTES, ev->b,
					 PAXOS_A_PAD) ||
		       nla_put_u64_64bit(msg, PAXOS_A_RETAIN_BYTES,
					 retain_bytes(n), PAXOS_A_PAD);
	return nla_put_u64_64bit(msg, PAXOS_A_INDEX, ev->a, PAXOS_A_PAD) ||
	       nla_put_u64_64bit(msg, PAXOS_A_COUNT, ev->b, PAXOS_A_PAD);
}

/* The attributes of notification @cmd for @ev, after the node id. */
static int put_event(struct sk_buff *msg, struct pxk_node *n, u8 cmd,
		     const struct px_event *ev)
{
	struct nlattr *nest;

	switch (cmd) {
	case PAXOS_CMD_LEADER_NTF:
		return nla_put_u32(msg, PAXOS_A_LEADER_ID, (u32)ev->a) ||
		       nla_put_u64_64bit(msg, PAXOS_A_BALLOT, ev->b, PAXOS_A_PAD);
	case PAXOS_CMD_LEASE_NTF:
		return nla_put_u8(msg, PAXOS_A_LEASE_VALID, !!ev->a);
	case PAXOS_CMD_MEMBER_NTF:
		nest = nla_nest_start(msg, PAXOS_A_MEMBER);
		if (!nest || nla_put_u32(msg, PAXOS_MA_NODE_ID, (u32)ev->a) ||
		    nla_put_u8(msg, PAXOS_MA_STATE, ev->b ? PAXOS_MEMBER_REACHABLE :
						     PAXOS_MEMBER_UNREACHABLE))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
		return 0;
	default:
		return put_log_event(msg, n, ev);
	}
}

/* Leader, lease, member and log notifications (process context). */
void pxk_genl_event(struct pxk_node *n, const struct px_event *ev)
{
	struct net *net = READ_ONCE(n->net);
	struct sk_buff *msg;
	void *hdr;
	u8 cmd;

	if (!net)
		return;
	switch (ev->type) {
	case PX_EV_LEADER:
		cmd = PAXOS_CMD_LEADER_NTF;
		break;
	case PX_EV_LEASE:
		cmd = PAXOS_CMD_LEASE_NTF;
		break;
	case PX_EV_MEMBER:
		cmd = PAXOS_CMD_MEMBER_NTF;
		break;
	case PX_EV_LOG_FULL:
	case PX_EV_BEHIND:
		cmd = PAXOS_CMD_LOG_NTF;
		break;
	default:
		return;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &pxk_family, 0, cmd);
	if (!hdr || nla_put_u32(msg, PAXOS_A_NODE_ID, n->id) ||
	    put_event(msg, n, cmd, ev)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&pxk_family, net, msg, 0, 0, GFP_KERNEL);
}

/* Stable storage failed (@state): a LOG_NTF in process context. */
void pxk_genl_storage_event(struct pxk_node *n, u8 state)
{
	struct net *net = READ_ONCE(n->net);
	struct sk_buff *msg;
	void *hdr;

	if (!net)
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &pxk_family, 0, PAXOS_CMD_LOG_NTF);
	if (!hdr || nla_put_u32(msg, PAXOS_A_NODE_ID, n->id) ||
	    nla_put_u8(msg, PAXOS_A_LOG_EVENT, PAXOS_LOG_EV_STORAGE) ||
	    nla_put_u8(msg, PAXOS_A_STORAGE_STATE, state)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&pxk_family, net, msg, 0, 0, GFP_KERNEL);
}

int __init pxk_genl_init(void)
{
	return genl_register_family(&pxk_family);
}

void pxk_genl_exit(void)
{
	genl_unregister_family(&pxk_family);
}
