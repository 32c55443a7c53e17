// SPDX-License-Identifier: GPL-2.0
/*
 * paxosctl: configure and inspect the kpaxos node of the current network
 * namespace over the "paxos" generic netlink family, and read its log
 * from /dev/paxoslog.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "conf.h"
#include "format.h"
#include "parse.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define EXIT_USAGE 2

static int json_out;
static const char *cmd_name = "paxosctl";
static struct nl_sock *sk;
static int family;

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "paxosctl: %s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'paxosctl help'.\n");
	exit(EXIT_USAGE);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "paxosctl: %s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

/* ------------------------------------------------------------ netlink */

struct reply {
	int err;			/* -errno from the kernel's ACK */
	char extack[256];
	int (*parse)(struct nlattr **tb, void *arg);
	void *arg;
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct reply *r = arg;
	size_t off = sizeof(*e);

	(void)nla;
	r->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    NLMSG_HDRLEN + off < nlh->nlmsg_len) {
		struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

		if (!nla_parse(tb, NLMSGERR_ATTR_MAX,
			       (struct nlattr *)((char *)e + off),
			       nlh->nlmsg_len - NLMSG_HDRLEN - off, NULL) &&
		    tb[NLMSGERR_ATTR_MSG])
			snprintf(r->extack, sizeof(r->extack), "%s",
				 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	}
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct reply *)arg)->err = 0;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[PAXOS_A_MAX + 1];
	struct reply *r = arg;

	if (genlmsg_parse(nlh, 0, tb, PAXOS_A_MAX, NULL))
		return NL_SKIP;
	return r->parse ? r->parse(tb, r->arg) : NL_OK;
}

static void nl_setup(void)
{
	struct nl_cache *cache;
	struct genl_family *fam;
	int one = 1;

	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk))
		die("cannot open a generic netlink socket");
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	if (genl_ctrl_alloc_cache(sk, &cache))
		die("cannot list generic netlink families");
	fam = genl_ctrl_search_by_name(cache, PAXOS_FAMILY_NAME);
	if (!fam)
		die("paxos module not loaded (no \"%s\" generic netlink family)",
		    PAXOS_FAMILY_NAME);
	if (genl_family_get_version(fam) != PAXOS_FAMILY_VERSION)
		die("API mismatch: kernel family version %u, paxosctl speaks %u",
		    genl_family_get_version(fam), PAXOS_FAMILY_VERSION);
	family = genl_family_get_id(fam);
	genl_family_put(fam);
	nl_cache_free(cache);
}

static struct nl_msg *msg_new(uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc_size(PAXOS_MAX_VALUE + 4096);

	if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			       flags, cmd, PAXOS_FAMILY_VERSION))
		die("out of memory");
	return m;
}

/*
 * Send @m, hand every reply message to @valid, and return once the ACK
 * (or a dump's DONE) arrives; on an error, exit with the kernel's extack
 * message.
 */
static void run(struct nl_msg *m, nl_recvmsg_msg_cb_t valid, void *arg)
{
	struct reply r = { .err = 1 };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	if (!cb)
		die("out of memory");
	nlmsg_hdr(m)->nlmsg_flags |= NLM_F_ACK;
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_ack, &r);
	if (valid)
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid, arg);
	ret = nl_send_auto(sk, m);
	nlmsg_free(m);
	if (ret < 0)
		die("send: %s", nl_geterror(ret));
	while (r.err > 0) {
		ret = nl_recvmsgs(sk, cb);
		if (ret < 0 && r.err > 0)
			die("receive: %s", nl_geterror(ret));
	}
	nl_cb_put(cb);
	if (r.err < 0) {
		if (r.extack[0])
			die("%s (%s)", r.extack, strerror(-r.err));
		die("%s", strerror(-r.err));
	}
}

/* A request whose single reply's attributes go to @parse. */
static void transact(struct nl_msg *m, int (*parse)(struct nlattr **, void *),
		     void *arg)
{
	struct reply r = { .parse = parse, .arg = arg };

	run(m, parse ? on_valid : NULL, &r);
}

static void put_addr(struct nl_msg *m, int a4, int a6, const struct pctl_addr *a)
{
	if (a->family == AF_INET)
		nla_put(m, a4, sizeof(a->v4), &a->v4);
	else
		nla_put(m, a6, sizeof(a->v6), &a->v6);
}

static void addr_str(struct nlattr *v4, struct nlattr *v6, char *buf)
{
	buf[0] = 0;
	if (v4 && nla_len(v4) == 4)
		inet_ntop(AF_INET, nla_data(v4), buf, PCTL_ADDRSTRLEN);
	else if (v6 && nla_len(v6) == 16)
		inet_ntop(AF_INET6, nla_data(v6), buf, PCTL_ADDRSTRLEN);
}

/* Attribute getters that tolerate an attribute of the wrong size. */
static uint64_t get_u64(struct nlattr *a)
{
	return a && nla_len(a) == 8 ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a && nla_len(a) == 4 ? nla_get_u32(a) : 0;
}

static uint16_t get_u16(struct nlattr *a)
{
	return a && nla_len(a) == 2 ? nla_get_u16(a) : 0;
}

static uint8_t get_u8(struct nlattr *a)
{
	return a && nla_len(a) >= 1 ? nla_get_u8(a) : 0;
}

/* A string attribute into @buf (empty when absent). */
static void get_str(struct nlattr *a, char *buf, size_t size)
{
	size_t len = a ? (size_t)nla_len(a) : 0;

	if (len >= size)
		len = size - 1;
	if (len)
		memcpy(buf, nla_data(a), len);
	buf[len] = 0;
}

static void parse_member(struct nlattr *nest, struct pctl_member *m)
{
	struct nlattr *tb[PAXOS_MA_MAX + 1];

	memset(m, 0, sizeof(*m));
	if (nla_parse_nested(tb, PAXOS_MA_MAX, nest, NULL))
		return;
	m->id = get_u32(tb[PAXOS_MA_NODE_ID]);
	addr_str(tb[PAXOS_MA_ADDR4], tb[PAXOS_MA_ADDR6], m->addr);
	m->port = get_u16(tb[PAXOS_MA_PORT]);
	m->state = get_u8(tb[PAXOS_MA_STATE]);
	m->match_index = get_u64(tb[PAXOS_MA_MATCH_INDEX]);
	m->last_heard_ms = get_u64(tb[PAXOS_MA_LAST_HEARD_MS]);
}

/* A nest of u32 node ids (@a may be absent) into @ids: how many. */
static unsigned int get_ids(const struct nlattr *a, uint32_t *ids)
{
	unsigned int n = 0;
	struct nlattr *e;
	int rem;

	if (a)
		nla_for_each_nested(e, a, rem)
			if (n < PAXOS_MAX_MEMBERS)
				ids[n++] = get_u32(e);
	return n;
}

/* STATUS_GET, NODE_GET and LEASE_GET replies share the attribute space. */
static int parse_status(struct nlattr **tb, void *arg)
{
	struct pctl_status *st = arg;
	struct nlattr *a;
	int rem;

	st->state = get_u8(tb[PAXOS_A_STATE]);
	st->node_id = get_u32(tb[PAXOS_A_NODE_ID]);
	st->cluster_id = get_u32(tb[PAXOS_A_CLUSTER_ID]);
	st->leader_id = get_u32(tb[PAXOS_A_LEADER_ID]);
	st->ballot = get_u64(tb[PAXOS_A_BALLOT]);
	st->commit_index = get_u64(tb[PAXOS_A_COMMIT_INDEX]);
	st->first_index = get_u64(tb[PAXOS_A_FIRST_INDEX]);
	st->lease_valid = get_u8(tb[PAXOS_A_LEASE_VALID]);
	st->lease_remaining_us = get_u64(tb[PAXOS_A_LEASE_REMAINING_US]);
	st->incarnation = get_u64(tb[PAXOS_A_INCARNATION]);
	st->key_set = get_u8(tb[PAXOS_A_KEY_SET]);
	st->port = get_u16(tb[PAXOS_A_PORT]);
	addr_str(tb[PAXOS_A_ADDR4], tb[PAXOS_A_ADDR6], st->addr);
	st->have_log = !!tb[PAXOS_A_RETAIN_BYTES];
	st->retain_bytes = get_u64(tb[PAXOS_A_RETAIN_BYTES]);
	st->retained_bytes = get_u64(tb[PAXOS_A_RETAINED_BYTES]);
	st->log_full = get_u8(tb[PAXOS_A_LOG_FULL]);
	st->strict = get_u8(tb[PAXOS_A_STRICT_RETENTION]);
	get_str(tb[PAXOS_A_STORAGE], st->storage, sizeof(st->storage));
	st->storage_state = get_u8(tb[PAXOS_A_STORAGE_STATE]);
	st->join = get_u8(tb[PAXOS_A_JOIN]);
	if (tb[PAXOS_A_CONFIG_INDEX]) {
		st->have_config = 1;
		st->config_index = get_u64(tb[PAXOS_A_CONFIG_INDEX]);
		st->config_joint = get_u8(tb[PAXOS_A_CONFIG_JOINT]);
		st->config_pending = get_u8(tb[PAXOS_A_CONFIG_PENDING]);
		st->config_unknown = get_u8(tb[PAXOS_A_CONFIG_UNKNOWN]);
		st->nvoters = get_ids(tb[PAXOS_A_VOTERS], st->voters);
		st->nlearners = get_ids(tb[PAXOS_A_LEARNERS], st->learners);
		st->have_next = tb[PAXOS_A_NEXT_VOTERS] != NULL;
		st->next_nvoters = get_ids(tb[PAXOS_A_NEXT_VOTERS],
					   st->next_voters);
		st->next_nlearners = get_ids(tb[PAXOS_A_NEXT_LEARNERS],
					     st->next_learners);
	}
	if (tb[PAXOS_A_COUNTERS]) {
		st->have_counters = 1;
		nla_for_each_nested(a, tb[PAXOS_A_COUNTERS], rem)
			if (nla_type(a) <= PAXOS_CTR_MAX)
				st->counters[nla_type(a)] = get_u64(a);
	}
	return NL_OK;
}

/*
 * A reply carrying status attributes and repeated PAXOS_A_MEMBER nests
 * (a dump sends several such messages).
 */
static int on_valid_status(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct pctl_status *st = arg;
	struct nlattr *tb[PAXOS_A_MAX + 1];
	struct nlattr *a;
	int rem;

	if (genlmsg_parse(nlh, 0, tb, PAXOS_A_MAX, NULL))
		return NL_SKIP;
	parse_status(tb, st);
	nla_for_each_attr(a, genlmsg_attrdata(genlmsg_hdr(nlh), 0),
			  genlmsg_attrlen(genlmsg_hdr(nlh), 0), rem) {
		if (nla_type(a) == PAXOS_A_MEMBER &&
		    st->nmembers < PAXOS_MAX_MEMBERS)
			parse_member(a, &st->members[st->nmembers++]);
	}
	return NL_OK;
}

/* Run @m and collect status attributes and members from every reply. */
static void query(uint8_t cmd, int dump, struct pctl_status *st)
{
	memset(st, 0, sizeof(*st));
	run(msg_new(cmd, dump ? NLM_F_DUMP : 0), on_valid_status, st);
}

/* ------------------------------------------------------------ commands */

static void need(int argc, int n, const char *what)
{
	if (argc < n)
		die_usage("%s", what);
}

static uint32_t arg_u32(const char *s, uint32_t max, const char *what)
{
	uint32_t v;

	if (parse_u32(s, max, &v))
		die_usage("invalid %s \"%s\"", what, s ? s : "");
	return v;
}

static void cmd_status(void)
{
	struct pctl_status st;

	query(PAXOS_CMD_STATUS_GET, 0, &st);
	if (json_out) {
		struct json j;

		json_init(&j, stdout);
		status_json(&j, &st);
	} else {
		status_text(stdout, &st);
	}
}

static void cmd_node(int argc, char **argv)
{
	struct nl_msg *m;
	int i;

	need(argc, 1, "expected set or show");
	if (!strcmp(argv[0], "show")) {
		struct pctl_status st;

		query(PAXOS_CMD_NODE_GET, 0, &st);
		if (json_out) {
			struct json j;

			json_init(&j, stdout);
			json_open(&j, NULL, '{');
			json_u64(&j, "id", st.node_id);
			json_u64(&j, "cluster", st.cluster_id);
			json_str(&j, "addr", st.addr);
			json_u64(&j, "port", st.port);
			json_str(&j, "state", state_name(st.state));
			json_bool(&j, "join", st.join);
			json_close(&j, '}');
			json_end(&j);
		} else {
			printf("id %u cluster %u addr %s port %u state %s%s\n",
			       st.node_id, st.cluster_id,
			       st.addr[0] ? st.addr : "any", st.port,
			       state_name(st.state), st.join ? " join on" : "");
		}
		return;
	}
	if (strcmp(argv[0], "set"))
		die_usage("unknown node command \"%s\"", argv[0]);
	m = msg_new(PAXOS_CMD_NODE_SET, 0);
	for (i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		struct pctl_addr a;
		uint32_t ms;

		if (!v)
			die_usage("%s needs a value", k);
		if (!strcmp(k, "id")) {
			nla_put_u32(m, PAXOS_A_NODE_ID,
				    arg_u32(v, PAXOS_MAX_NODE_ID, "node id"));
		} else if (!strcmp(k, "cluster")) {
			nla_put_u32(m, PAXOS_A_CLUSTER_ID,
				    arg_u32(v, UINT32_MAX, "cluster id"));
		} else if (!strcmp(k, "addr")) {
			if (parse_addr(v, &a))
				die_usage("invalid address \"%s\"", v);
			put_addr(m, PAXOS_A_ADDR4, PAXOS_A_ADDR6, &a);
		} else if (!strcmp(k, "port")) {
			nla_put_u16(m, PAXOS_A_PORT,
				    (uint16_t)arg_u32(v, 65535, "port"));
		} else if (!strcmp(k, "heartbeat")) {
			if (parse_duration_ms(v, &ms))
				die_usage("invalid duration \"%s\"", v);
			nla_put_u32(m, PAXOS_A_HEARTBEAT_MS, ms);
		} else if (!strcmp(k, "election")) {
			if (parse_duration_ms(v, &ms))
				die_usage("invalid duration \"%s\"", v);
			nla_put_u32(m, PAXOS_A_ELECTION_MS, ms);
		} else if (!strcmp(k, "join")) {
			if (strcmp(v, "on") && strcmp(v, "off"))
				die_usage("join takes on or off");
			nla_put_u8(m, PAXOS_A_JOIN, !strcmp(v, "on"));
		} else {
			die_usage("unknown node setting \"%s\"", k);
		}
	}
	transact(m, NULL, NULL);
}

/*
 * After member add (@add) or del of @id on a running node: a follower
 * asked its leader with a datagram, which may be lost or refused (the
 * leader's configuration moved on).  Wait until this node's
 * configuration shows a change under way or made, 5 s at most.
 */
static void member_wait(uint32_t id, int add)
{
	struct pctl_status st;
	int i;

	for (i = 0; i < 250; i++) {
		query(PAXOS_CMD_STATUS_GET, 0, &st);
		if (st.state == PAXOS_STATE_DOWN ||
		    st.state == PAXOS_STATE_UNCONFIGURED || !st.nvoters)
			return;	/* the static table, edited at once */
		if (st.config_pending || config_names(&st, id) == add)
			return;
		usleep(20000);
	}
	die("member %s %u: the leader did not take the change within 5 s "
	    "(a datagram lost, or its configuration changed meanwhile): "
	    "see paxosctl status, and ask again", add ? "add" : "del", id);
}

static void cmd_member(int argc, char **argv)
{
	struct nl_msg *m;
	int i;

	need(argc, 1, "expected add, del or show");
	if (!strcmp(argv[0], "show")) {
		struct pctl_status st;
		unsigned int k;

		query(PAXOS_CMD_MEMBER_GET, 1, &st);
		if (json_out) {
			struct json j;

			json_init(&j, stdout);
			json_open(&j, NULL, '[');
			for (k = 0; k < st.nmembers; k++) {
				json_open(&j, NULL, '{');
				json_u64(&j, "id", st.members[k].id);
				json_str(&j, "addr", st.members[k].addr);
				json_u64(&j, "port", st.members[k].port);
				json_str(&j, "state",
					 member_state_name(st.members[k].state));
				json_close(&j, '}');
			}
			json_close(&j, ']');
			json_end(&j);
		} else {
			for (k = 0; k < st.nmembers; k++)
				printf("member %u %s:%u %s\n", st.members[k].id,
				       st.members[k].addr, st.members[k].port,
				       member_state_name(st.members[k].state));
		}
		return;
	}
	if (!strcmp(argv[0], "del")) {
		need(argc, 2, "member del needs a node id");
		m = msg_new(PAXOS_CMD_MEMBER_DEL, 0);
		nla_put_u32(m, PAXOS_A_NODE_ID,
			    arg_u32(argv[1], PAXOS_MAX_NODE_ID, "node id"));
		transact(m, NULL, NULL);
		member_wait(arg_u32(argv[1], PAXOS_MAX_NODE_ID, "node id"), 0);
		return;
	}
	if (strcmp(argv[0], "add"))
		die_usage("unknown member command \"%s\"", argv[0]);
	need(argc, 2, "member add needs a node id");
	m = msg_new(PAXOS_CMD_MEMBER_ADD, 0);
	nla_put_u32(m, PAXOS_A_NODE_ID,
		    arg_u32(argv[1], PAXOS_MAX_NODE_ID, "node id"));
	for (i = 2; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		struct pctl_addr a;

		if (!v)
			die_usage("%s needs a value", k);
		if (!strcmp(k, "addr")) {
			if (parse_addr(v, &a))
				die_usage("invalid address \"%s\"", v);
			put_addr(m, PAXOS_A_ADDR4, PAXOS_A_ADDR6, &a);
		} else if (!strcmp(k, "port")) {
			nla_put_u16(m, PAXOS_A_PORT,
				    (uint16_t)arg_u32(v, 65535, "port"));
		} else {
			die_usage("unknown member setting \"%s\"", k);
		}
	}
	transact(m, NULL, NULL);
	member_wait(arg_u32(argv[1], PAXOS_MAX_NODE_ID, "node id"), 1);
}

static int parse_lease(struct nlattr **tb, void *arg)
{
	uint32_t *v = arg;

	v[0] = get_u32(tb[PAXOS_A_LEASE_MS]);
	v[1] = get_u32(tb[PAXOS_A_DRIFT_PPM]);
	v[2] = get_u32(tb[PAXOS_A_PREFERRED_LEADER]);
	return NL_OK;
}

static void cmd_lease(int argc, char **argv)
{
	struct nl_msg *m;
	int i;

	need(argc, 1, "expected set or show");
	if (!strcmp(argv[0], "show")) {
		uint32_t v[3] = { 0 };

		transact(msg_new(PAXOS_CMD_LEASE_GET, 0), parse_lease, v);
		if (json_out)
			printf("{\"duration_ms\":%u,\"drift_ppm\":%u,\"preferred\":%u}\n",
			       v[0], v[1], v[2]);
		else
			printf("duration %ums drift %uppm preferred %u\n",
			       v[0], v[1], v[2]);
		return;
	}
	if (strcmp(argv[0], "set"))
		die_usage("unknown lease command \"%s\"", argv[0]);
	m = msg_new(PAXOS_CMD_LEASE_SET, 0);
	for (i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint32_t x;

		if (!v)
			die_usage("%s needs a value", k);
		if (!strcmp(k, "duration")) {
			if (parse_duration_ms(v, &x))
				die_usage("invalid duration \"%s\"", v);
			nla_put_u32(m, PAXOS_A_LEASE_MS, x);
		} else if (!strcmp(k, "drift")) {
			if (parse_ppm(v, &x))
				die_usage("invalid drift \"%s\"", v);
			nla_put_u32(m, PAXOS_A_DRIFT_PPM, x);
		} else if (!strcmp(k, "preferred")) {
			nla_put_u32(m, PAXOS_A_PREFERRED_LEADER,
				    arg_u32(v, PAXOS_MAX_NODE_ID, "node id"));
		} else {
			die_usage("unknown lease setting \"%s\"", k);
		}
	}
	transact(m, NULL, NULL);
}

static void cmd_key(int argc, char **argv)
{
	uint8_t key[PAXOS_KEY_LEN];
	struct nl_msg *m;

	need(argc, 1, "expected set HEX or clear");
	m = msg_new(PAXOS_CMD_KEY_SET, 0);
	if (!strcmp(argv[0], "clear")) {
		nla_put(m, PAXOS_A_KEY, 0, NULL);
	} else if (!strcmp(argv[0], "set")) {
		need(argc, 2, "key set needs 64 hex digits");
		if (parse_hex(argv[1], key, sizeof(key)))
			die_usage("a key is exactly %d hex digits", 2 * PAXOS_KEY_LEN);
		nla_put(m, PAXOS_A_KEY, sizeof(key), key);
		memset(key, 0, sizeof(key));
	} else {
		die_usage("unknown key command \"%s\"", argv[0]);
	}
	transact(m, NULL, NULL);
}

static int parse_index(struct nlattr **tb, void *arg)
{
	*(uint64_t *)arg = get_u64(tb[PAXOS_A_INDEX]);
	return NL_OK;
}

/* propose [--timeout DURATION] VALUE */
static void cmd_propose(int argc, char **argv)
{
	uint32_t timeout = 0;
	struct nl_msg *m;
	uint64_t index = 0;
	size_t len;

	if (argc >= 1 && !strcmp(argv[0], "--timeout")) {
		need(argc, 2, "--timeout needs a duration");
		if (parse_duration_ms(argv[1], &timeout) || !timeout ||
		    timeout > PAXOS_MAX_TIMEOUT_MS)
			die_usage("invalid timeout \"%s\" (1ms to 3600s)", argv[1]);
		argc -= 2;
		argv += 2;
	}
	need(argc, 1, "propose needs a value");
	len = strlen(argv[0]);
	if (!len || len > PAXOS_MAX_VALUE)
		die_usage("a value is 1 to %d bytes", PAXOS_MAX_VALUE);
	m = msg_new(PAXOS_CMD_PROPOSE, 0);
	nla_put(m, PAXOS_A_VALUE, (int)len, argv[0]);
	if (timeout)
		nla_put_u32(m, PAXOS_A_TIMEOUT_MS, timeout);
	transact(m, parse_index, &index);
	if (json_out)
		printf("{\"index\":%llu}\n", (unsigned long long)index);
	else
		printf("%llu\n", (unsigned long long)index);
}

static void cmd_trim(int argc, char **argv)
{
	struct nl_msg *m;
	uint64_t index;

	need(argc, 1, "trim needs an index");
	if (parse_u64(argv[0], UINT64_MAX, &index))
		die_usage("invalid index \"%s\"", argv[0]);
	m = msg_new(PAXOS_CMD_TRIM, 0);
	nla_put_u64(m, PAXOS_A_INDEX, index);
	transact(m, NULL, NULL);
}

/* `leader transfer ID`: checked before the kernel is asked. */
static uint32_t leader_target(int argc, char **argv)
{
	uint32_t id;

	if (argc != 2 || strcmp(argv[0], "transfer"))
		die_usage("usage: leader transfer ID");
	id = arg_u32(argv[1], PAXOS_MAX_NODE_ID, "node id");
	if (!id)
		die_usage("invalid node id \"%s\"", argv[1]);
	return id;
}

/* Run on the leader, it hands over to node @id. */
static void cmd_leader(uint32_t id)
{
	struct nl_msg *m = msg_new(PAXOS_CMD_LEADER_TRANSFER, 0);

	nla_put_u32(m, PAXOS_A_NODE_ID, id);
	transact(m, NULL, NULL);
}

static void cmd_simple(uint8_t cmd)
{
	transact(msg_new(cmd, 0), NULL, NULL);
}

/* `log set retain SIZE` and `log show`: the retained log's bound. */
static void cmd_log_conf(int argc, char **argv)
{
	struct pctl_status st;
	struct nl_msg *m;
	uint64_t bytes;
	struct json j;

	if (!strcmp(argv[0], "show")) {
		if (argc != 1)
			die_usage("log show takes no arguments");
		nl_setup();
		query(PAXOS_CMD_LOG_GET, 0, &st);
		json_init(&j, stdout);
		if (json_out)
			log_json(&j, &st);
		else
			log_text(stdout, &st);
		return;
	}
	if (argc != 3 || strcmp(argv[1], "retain"))
		die_usage("log set retain SIZE");
	if (parse_size(argv[2], &bytes) || bytes < PAXOS_MIN_RETAIN_BYTES ||
	    bytes > PAXOS_MAX_RETAIN_BYTES)
		die_usage("invalid size \"%s\" (64KiB to 16GiB)", argv[2]);
	nl_setup();
	m = msg_new(PAXOS_CMD_LOG_SET, 0);
	nla_put_u64(m, PAXOS_A_RETAIN_BYTES, bytes);
	transact(m, NULL, NULL);
}

/*
 * `storage set PATH | storage clear | storage show`, checked before the
 * kernel is asked: the path to set, "" to clear, NULL to show.
 */
static const char *storage_arg(int argc, char **argv)
{
	if (argc == 1 && !strcmp(argv[0], "show"))
		return NULL;
	if (argc == 1 && !strcmp(argv[0], "clear"))
		return "";
	if (argc != 2 || strcmp(argv[0], "set"))
		die_usage("usage: storage set PATH | storage clear | storage show");
	if (argv[1][0] != '/' || strlen(argv[1]) >= PAXOS_STORAGE_PATH_MAX)
		die_usage("a block device's absolute path, at most %d bytes",
			  PAXOS_STORAGE_PATH_MAX - 1);
	return argv[1];
}

/* The node's stable storage device: set @path, clear it (""), or show. */
static void cmd_storage(const char *path)
{
	struct pctl_status st;
	struct nl_msg *m;
	struct json j;

	if (path) {
		m = msg_new(PAXOS_CMD_NODE_SET, 0);
		nla_put_string(m, PAXOS_A_STORAGE, path);
		transact(m, NULL, NULL);
		return;
	}
	query(PAXOS_CMD_NODE_GET, 0, &st);
	if (json_out) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		storage_json_fields(&j, &st);
		json_close(&j, '}');
		json_end(&j);
	} else {
		storage_text(stdout, &st);
	}
}

/* Read the log from /dev/paxoslog (no netlink needed). */
static void cmd_log(int argc, char **argv)
{
	static char buf[2 * (PAXOS_MAX_VALUE + sizeof(struct paxos_record))];
	int follow = 0, i, fd;
	uint64_t from = 0;
	int have_from = 0;
	struct json j;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--follow") || !strcmp(argv[i], "-f")) {
			follow = 1;
		} else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			if (parse_u64(argv[++i], INT64_MAX, &from))
				die_usage("invalid index \"%s\"", argv[i]);
			have_from = 1;
		} else {
			die_usage("unknown log option \"%s\"", argv[i]);
		}
	}
	fd = open("/dev/" PAXOS_DEVICE_NAME, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		die("/dev/%s: %s", PAXOS_DEVICE_NAME, strerror(errno));
	if (have_from && lseek(fd, (off_t)from, SEEK_SET) < 0)
		die("seek to %llu: %s", (unsigned long long)from, strerror(errno));
	json_init(&j, stdout);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (!follow)
				break;
			fflush(stdout);
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				die("poll: %s", strerror(errno));
			continue;
		}
		if (n < 0 && errno == ENODATA)
			die("read: the node is behind: it lacks the entries from %llu on (paxosctl status)",
			    (unsigned long long)lseek(fd, 0, SEEK_CUR));
		if (n < 0)
			die("read: %s", strerror(errno));
		if (n == 0)
			break;
		while (off + sizeof(struct paxos_record) <= (size_t)n) {
			struct paxos_record r;

			memcpy(&r, buf + off, sizeof(r));
			if (r.len > PAXOS_MAX_VALUE ||
			    off + sizeof(r) + r.len > (size_t)n)
				die("malformed record at index %llu",
				    (unsigned long long)r.index);
			if (json_out)
				record_json(&j, &r, buf + off + sizeof(r));
			else
				record_text(stdout, &r, buf + off + sizeof(r));
			off += sizeof(r) + r.len;
		}
	}
	close(fd);
}

/* A LOG_NTF: "log node 1 full retained 65536 of 65536". */
static int log_event(struct nlattr **tb)
{
	unsigned int ev = get_u8(tb[PAXOS_A_LOG_EVENT]);
	int bytes = ev == PAXOS_LOG_EV_FULL || ev == PAXOS_LOG_EV_ROOM;
	struct json j;

	if (ev == PAXOS_LOG_EV_STORAGE) {
		/* "log node 3 storage corrupt" */
		const char *state = storage_state_name(get_u8(tb[PAXOS_A_STORAGE_STATE]));

		if (!json_out) {
			printf("log node %u storage %s\n",
			       get_u32(tb[PAXOS_A_NODE_ID]), state);
			fflush(stdout);
			return NL_OK;
		}
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_str(&j, "event", "log");
		json_u64(&j, "node", get_u32(tb[PAXOS_A_NODE_ID]));
		json_str(&j, "what", log_event_name(ev));
		json_str(&j, "storage", state);
		json_close(&j, '}');
		json_end(&j);
		fflush(stdout);
		return NL_OK;
	}
	if (json_out) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_str(&j, "event", "log");
		json_u64(&j, "node", get_u32(tb[PAXOS_A_NODE_ID]));
		json_str(&j, "what", log_event_name(ev));
		if (bytes) {
			json_u64(&j, "retained_bytes", get_u64(tb[PAXOS_A_RETAINED_BYTES]));
			json_u64(&j, "retain_bytes", get_u64(tb[PAXOS_A_RETAIN_BYTES]));
		} else {
			json_u64(&j, "index", get_u64(tb[PAXOS_A_INDEX]));
			json_u64(&j, "skipped", get_u64(tb[PAXOS_A_COUNT]));
		}
		json_close(&j, '}');
		json_end(&j);
	} else if (bytes) {
		printf("log node %u %s retained %llu of %llu\n",
		       get_u32(tb[PAXOS_A_NODE_ID]), log_event_name(ev),
		       (unsigned long long)get_u64(tb[PAXOS_A_RETAINED_BYTES]),
		       (unsigned long long)get_u64(tb[PAXOS_A_RETAIN_BYTES]));
	} else {
		printf("log node %u %s index %llu skipped %llu\n",
		       get_u32(tb[PAXOS_A_NODE_ID]), log_event_name(ev),
		       (unsigned long long)get_u64(tb[PAXOS_A_INDEX]),
		       (unsigned long long)get_u64(tb[PAXOS_A_COUNT]));
	}
	fflush(stdout);
	return NL_OK;
}

/* Print notifications of the "events" group until interrupted. */
static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *g = genlmsg_hdr(nlh);
	struct nlattr *tb[PAXOS_A_MAX + 1];
	struct pctl_member mb = { 0 };
	const char *what;
	struct json j;

	(void)arg;
	if (genlmsg_parse(nlh, 0, tb, PAXOS_A_MAX, NULL))
		return NL_SKIP;
	if (tb[PAXOS_A_MEMBER])
		parse_member(tb[PAXOS_A_MEMBER], &mb);
	switch (g->cmd) {
	case PAXOS_CMD_LEADER_NTF: what = "leader"; break;
	case PAXOS_CMD_LEASE_NTF: what = "lease"; break;
	case PAXOS_CMD_MEMBER_NTF: what = "member"; break;
	case PAXOS_CMD_LOG_NTF: what = "log"; break;
	default: return NL_SKIP;
	}
	if (g->cmd == PAXOS_CMD_LOG_NTF)
		return log_event(tb);
	if (json_out) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_str(&j, "event", what);
		json_u64(&j, "node", get_u32(tb[PAXOS_A_NODE_ID]));
		if (g->cmd == PAXOS_CMD_LEADER_NTF) {
			json_u64(&j, "leader", get_u32(tb[PAXOS_A_LEADER_ID]));
			json_u64(&j, "ballot", get_u64(tb[PAXOS_A_BALLOT]));
		} else if (g->cmd == PAXOS_CMD_LEASE_NTF) {
			json_bool(&j, "valid", get_u8(tb[PAXOS_A_LEASE_VALID]));
		} else {
			json_u64(&j, "member", mb.id);
			json_str(&j, "state", member_state_name(mb.state));
		}
		json_close(&j, '}');
		json_end(&j);
	} else if (g->cmd == PAXOS_CMD_LEADER_NTF) {
		printf("leader node %u leader %u ballot %llu\n",
		       get_u32(tb[PAXOS_A_NODE_ID]), get_u32(tb[PAXOS_A_LEADER_ID]),
		       (unsigned long long)get_u64(tb[PAXOS_A_BALLOT]));
	} else if (g->cmd == PAXOS_CMD_LEASE_NTF) {
		printf("lease node %u %s\n", get_u32(tb[PAXOS_A_NODE_ID]),
		       get_u8(tb[PAXOS_A_LEASE_VALID]) ? "acquired" : "lost");
	} else {
		printf("member node %u member %u %s\n",
		       get_u32(tb[PAXOS_A_NODE_ID]), mb.id,
		       member_state_name(mb.state));
	}
	fflush(stdout);
	return NL_OK;
}

static void cmd_monitor(void)
{
	int grp = genl_ctrl_resolve_grp(sk, PAXOS_FAMILY_NAME, PAXOS_MCGRP_EVENTS);

	if (grp < 0)
		die("no \"%s\" group: %s", PAXOS_MCGRP_EVENTS, nl_geterror(grp));
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, NULL);
	if (nl_socket_add_membership(sk, grp))
		die("cannot join the events group");
	for (;;) {
		int ret = nl_recvmsgs_default(sk);

		if (ret < 0 && ret != -NLE_INTR && ret != -NLE_AGAIN)
			die("receive: %s", nl_geterror(ret));
	}
}

/* ------------------------------------------------------------ setconf, showconf */

/* The node's configuration and state, as NODE_GET and friends give it. */
struct running {
	struct pctl_conf c;
	uint8_t state;
};

static void attr_addr(struct nlattr *v4, struct nlattr *v6, struct pctl_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	if (v4 && nla_len(v4) == 4) {
		memcpy(&a->v4, nla_data(v4), 4);
	} else if (v6 && nla_len(v6) == 16) {
		a->family = AF_INET6;
		memcpy(&a->v6, nla_data(v6), 16);
	}
}

static int parse_node_conf(struct nlattr **tb, void *arg)
{
	struct running *r = arg;

	r->state = get_u8(tb[PAXOS_A_STATE]);
	r->c.id = get_u32(tb[PAXOS_A_NODE_ID]);
	r->c.cluster = get_u32(tb[PAXOS_A_CLUSTER_ID]);
	attr_addr(tb[PAXOS_A_ADDR4], tb[PAXOS_A_ADDR6], &r->c.addr);
	r->c.port = get_u16(tb[PAXOS_A_PORT]);
	r->c.heartbeat_ms = get_u32(tb[PAXOS_A_HEARTBEAT_MS]);
	r->c.election_ms = get_u32(tb[PAXOS_A_ELECTION_MS]);
	get_str(tb[PAXOS_A_STORAGE], r->c.storage, sizeof(r->c.storage));
	return NL_OK;
}

static int parse_lease_conf(struct nlattr **tb, void *arg)
{
	struct running *r = arg;

	r->c.lease_ms = get_u32(tb[PAXOS_A_LEASE_MS]);
	r->c.drift_ppm = get_u32(tb[PAXOS_A_DRIFT_PPM]);
	r->c.preferred = get_u32(tb[PAXOS_A_PREFERRED_LEADER]);
	return NL_OK;
}

/*
 * Everything setconf can set, read back.  The kernel never returns the
 * key, only whether one is set.
 */
static void read_running(struct running *r)
{
	static struct pctl_status st;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	transact(msg_new(PAXOS_CMD_NODE_GET, 0), parse_node_conf, r);
	transact(msg_new(PAXOS_CMD_LEASE_GET, 0), parse_lease_conf, r);
	query(PAXOS_CMD_STATUS_GET, 0, &st);
	r->c.key = st.key_set ? CONF_KEY_KEEP : CONF_KEY_NONE;
	r->c.key_hidden = st.key_set;
	query(PAXOS_CMD_MEMBER_GET, 1, &st);
	for (i = 0; i < st.nmembers && i < CONF_MAX_MEMBERS; i++) {
		struct conf_member *m = &r->c.members[r->c.nmembers];

		m->id = st.members[i].id;
		m->port = st.members[i].port;
		if (parse_addr(st.members[i].addr, &m->addr))
			die("member %u: unreadable address from the kernel", m->id);
		r->c.nmembers++;
	}
	r->c.have = (1u << CF_KEY) - 1;		/* every setting but the key */
	r->c.have |= 1u << CF_MEMBERS;
	if (!r->c.storage[0])
		r->c.have &= ~(1u << CF_STORAGE);	/* none: no line */
}

static void cmd_showconf(void)
{
	struct running r;

	read_running(&r);
	if (!r.c.id)
		die("the node has no id yet: nothing to show (paxosctl node set id N, or setconf)");
	conf_print(stdout, &r.c);
}

/* A file error: FILE:LINE: message, exit 2, nothing applied. */
static void die_file(const char *name, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "paxosctl: setconf: %s:%u: ", name, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static void warn_readable(int fd, const char *what)
{
	struct stat sb;

	if (!fstat(fd, &sb) && S_ISREG(sb.st_mode) && (sb.st_mode & 077))
		fprintf(stderr,
			"paxosctl: setconf: warning: %s holds a key and can be read by group or others (chmod 600)\n",
			what);
}

/* Read the key file named on line @line of @name into @c->key_bytes. */
static void load_key_file(const char *name, struct pctl_conf *c)
{
	unsigned int line = c->line[CF_KEY];
	char buf[4096];
	const char *why;
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(c->key_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_file(name, line, "key-file %s: %s", c->key_file, strerror(errno));
	warn_readable(fd, c->key_file);
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0) {
		len += (size_t)n;
		if (len == sizeof(buf))
			break;
	}
	close(fd);
	if (n < 0)
		die_file(name, line, "key-file %s: %s", c->key_file, strerror(errno));
	if (len == sizeof(buf))
		die_file(name, line, "key-file %s: too long for a key", c->key_file);
	if (conf_key_text(buf, len, c->key_bytes, &why)) {
		memset(buf, 0, sizeof(buf));
		die_file(name, line, "key-file %s: %s", c->key_file, why);
	}
	memset(buf, 0, sizeof(buf));
}

/*
 * Parse and check the whole file (and its key file) before any change.
 * "-" and "/dev/stdin" read standard input (the latter also where /dev
 * has no stdin link, as in a minimal initramfs).
 */
static void load_conf(const char *path, struct pctl_conf *c)
{
	int in = !strcmp(path, "-") || !strcmp(path, "/dev/stdin");
	const char *name = strcmp(path, "-") ? path : "(stdin)";
	FILE *f = in ? stdin : fopen(path, "re");
	struct conf_error e;

	if (!f)
		die_usage("cannot read %s: %s", path, strerror(errno));
	if (conf_parse(f, c, &e))
		die_file(name, e.line, "%s", e.msg);
	if (c->key == CONF_KEY_HEX)
		warn_readable(fileno(f), name);
	if (f != stdin)
		fclose(f);
	if (c->key == CONF_KEY_FILE)
		load_key_file(name, c);
}

static void apply_key(const struct pctl_conf *c)
{
	struct nl_msg *m;

	if (c->key == CONF_KEY_KEEP)
		return;
	cmd_name = "setconf: key";
	m = msg_new(PAXOS_CMD_KEY_SET, 0);
	if (c->key == CONF_KEY_NONE)
		nla_put(m, PAXOS_A_KEY, 0, NULL);
	else
		nla_put(m, PAXOS_A_KEY, PAXOS_KEY_LEN, c->key_bytes);
	transact(m, NULL, NULL);
}

static void apply_conf(const char *path, struct pctl_conf *c)
{
	static char step[64];
	struct running r;
	unsigned int i, d;
	struct nl_msg *m;

	read_running(&r);
	if (r.state != PAXOS_STATE_UNCONFIGURED && r.state != PAXOS_STATE_DOWN) {
		char list[128] = "";

		d = conf_diff(c, &r.c);
		for (i = 0; i < CF_NFIELDS; i++)
			if (d & (1u << i) & ~(1u << CF_PREFERRED))
				snprintf(list + strlen(list), sizeof(list) - strlen(list),
					 "%s%s", list[0] ? ", " : "",
					 conf_field_name((enum conf_field)i));
		if (d & ~(1u << CF_PREFERRED))
			die("the node is up and %s changes %s: only the key and the preferred leader change while it is up; run 'paxosctl down' first",
			    strcmp(path, "-") ? path : "(stdin)", list);
		if (d & (1u << CF_PREFERRED)) {
			cmd_name = "setconf: lease set preferred";
			m = msg_new(PAXOS_CMD_LEASE_SET, 0);
			nla_put_u32(m, PAXOS_A_PREFERRED_LEADER, c->preferred);
			transact(m, NULL, NULL);
		}
		apply_key(c);
		return;
	}
	/* Down: members that go or change first, so no id clashes. */
	for (i = 0; i < r.c.nmembers; i++) {
		if (conf_has_member(c, &r.c.members[i]))
			continue;
		snprintf(step, sizeof(step), "setconf: member del %u", r.c.members[i].id);
		cmd_name = step;
		m = msg_new(PAXOS_CMD_MEMBER_DEL, 0);
		nla_put_u32(m, PAXOS_A_NODE_ID, r.c.members[i].id);
		transact(m, NULL, NULL);
	}
	cmd_name = "setconf: node set";
	m = msg_new(PAXOS_CMD_NODE_SET, 0);
	nla_put_u32(m, PAXOS_A_NODE_ID, c->id);
	if (c->have & (1u << CF_CLUSTER))
		nla_put_u32(m, PAXOS_A_CLUSTER_ID, c->cluster);
	if (c->have & (1u << CF_ADDR))
		put_addr(m, PAXOS_A_ADDR4, PAXOS_A_ADDR6, &c->addr);
	if (c->have & (1u << CF_PORT))
		nla_put_u16(m, PAXOS_A_PORT, c->port);
	if (c->have & (1u << CF_HEARTBEAT))
		nla_put_u32(m, PAXOS_A_HEARTBEAT_MS, c->heartbeat_ms);
	if (c->have & (1u << CF_ELECTION))
		nla_put_u32(m, PAXOS_A_ELECTION_MS, c->election_ms);
	if (c->have & (1u << CF_STORAGE))
		nla_put_string(m, PAXOS_A_STORAGE, c->storage);
	transact(m, NULL, NULL);
	if (c->have & (1u << CF_LEASE | 1u << CF_DRIFT | 1u << CF_PREFERRED)) {
		cmd_name = "setconf: lease set";
		m = msg_new(PAXOS_CMD_LEASE_SET, 0);
		if (c->have & (1u << CF_LEASE))
			nla_put_u32(m, PAXOS_A_LEASE_MS, c->lease_ms);
		if (c->have & (1u << CF_DRIFT))
			nla_put_u32(m, PAXOS_A_DRIFT_PPM, c->drift_ppm);
		if (c->have & (1u << CF_PREFERRED))
			nla_put_u32(m, PAXOS_A_PREFERRED_LEADER, c->preferred);
		transact(m, NULL, NULL);
	}
	for (i = 0; i < c->nmembers; i++) {
		const struct conf_member *mb = &c->members[i];

		if (conf_has_member(&r.c, mb))
			continue;
		snprintf(step, sizeof(step), "setconf: member add %u", mb->id);
		cmd_name = step;
		m = msg_new(PAXOS_CMD_MEMBER_ADD, 0);
		nla_put_u32(m, PAXOS_A_NODE_ID, mb->id);
		put_addr(m, PAXOS_A_ADDR4, PAXOS_A_ADDR6, &mb->addr);
		nla_put_u16(m, PAXOS_A_PORT, mb->port);
		transact(m, NULL, NULL);
	}
	apply_key(c);
}

static void usage(FILE *f)
{
	fputs("usage: paxosctl [-j] COMMAND\n"
	      "  node set id N [cluster C] [addr A] [port P] [heartbeat MS] [election MS]\n"
	      "           [join on|off]\n"
	      "  node show\n"
	      "  member add ID addr A [port P] | member del ID | member show\n"
	      "  lease set [duration 500ms] [drift 1000ppm] [preferred ID] | lease show\n"
	      "  key set HEX64 | key clear\n"
	      "  setconf FILE | showconf\n"
	      "  up | down\n"
	      "  status\n"
	      "  propose [--timeout DURATION] VALUE\n"
	      "  trim INDEX\n"
	      "  leader transfer ID\n"
	      "  log [--follow] [--from INDEX]\n"
	      "  log set retain SIZE | log show\n"
	      "  storage set PATH | storage clear | storage show\n"
	      "  monitor\n"
	      "  help\n"
	      "Durations take ms, s or us suffixes (bare numbers are ms).\n"
	      "-j prints JSON.  See paxosctl(8).\n", f);
}

int main(int argc, char **argv)
{
	const char *cmd, *storage = NULL;
	uint32_t target = 0;

	signal(SIGPIPE, SIG_IGN);
	argc--;
	argv++;
	while (argc && argv[0][0] == '-' && argv[0][1]) {
		if (!strcmp(argv[0], "-j") || !strcmp(argv[0], "--json")) {
			json_out = 1;
		} else if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
			usage(stdout);
			return 0;
		} else {
			die_usage("unknown option \"%s\"", argv[0]);
		}
		argc--;
		argv++;
	}
	if (!argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = cmd_name = argv[0];
	argc--;
	argv++;
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "log") && argc &&
	    (!strcmp(argv[0], "set") || !strcmp(argv[0], "show"))) {
		cmd_log_conf(argc, argv);
		nl_socket_free(sk);
		return 0;
	}
	if (!strcmp(cmd, "log")) {
		cmd_log(argc, argv);
		return 0;
	}
	if (!strcmp(cmd, "setconf")) {
		static struct pctl_conf conf;

		if (argc != 1)
			die_usage("setconf takes one FILE (- for standard input)");
		load_conf(argv[0], &conf);
		nl_setup();
		apply_conf(argv[0], &conf);
		memset(conf.key_bytes, 0, sizeof(conf.key_bytes));
		nl_socket_free(sk);
		return 0;
	}
	if (!strcmp(cmd, "showconf") && argc)
		die_usage("showconf takes no arguments");
	if (strcmp(cmd, "status") && strcmp(cmd, "node") && strcmp(cmd, "member") &&
	    strcmp(cmd, "lease") && strcmp(cmd, "key") && strcmp(cmd, "up") &&
	    strcmp(cmd, "down") && strcmp(cmd, "propose") && strcmp(cmd, "trim") &&
	    strcmp(cmd, "monitor") && strcmp(cmd, "showconf") &&
	    strcmp(cmd, "leader") && strcmp(cmd, "storage"))
		die_usage("unknown command");
	if (!strcmp(cmd, "leader"))
		target = leader_target(argc, argv);
	if (!strcmp(cmd, "storage"))
		storage = storage_arg(argc, argv);
	nl_setup();
	if (!strcmp(cmd, "status"))
		cmd_status();
	else if (!strcmp(cmd, "node"))
		cmd_node(argc, argv);
	else if (!strcmp(cmd, "member"))
		cmd_member(argc, argv);
	else if (!strcmp(cmd, "lease"))
		cmd_lease(argc, argv);
	else if (!strcmp(cmd, "key"))
		cmd_key(argc, argv);
	else if (!strcmp(cmd, "up"))
		cmd_simple(PAXOS_CMD_UP);
	else if (!strcmp(cmd, "down"))
		cmd_simple(PAXOS_CMD_DOWN);
	else if (!strcmp(cmd, "propose"))
		cmd_propose(argc, argv);
	else if (!strcmp(cmd, "trim"))
		cmd_trim(argc, argv);
	else if (!strcmp(cmd, "leader"))
		cmd_leader(target);
	else if (!strcmp(cmd, "showconf"))
		cmd_showconf();
	else if (!strcmp(cmd, "storage"))
		cmd_storage(storage);
	else
		cmd_monitor();
	nl_socket_free(sk);
	return 0;
}
