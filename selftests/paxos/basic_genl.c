// SPDX-License-Identifier: GPL-2.0
/*
 * The "paxos" generic netlink family on a node that is not configured:
 * status, family version and groups, capability checks, and strict
 * validation of malformed requests with extack messages.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "genl_raw.h"
#include "kselftest_harness.h"

FIXTURE(genl) {
	int fd;
	int family;
};

FIXTURE_SETUP(genl)
{
	uint32_t version = 0;

	if (access("/sys/module/paxos", F_OK))
		ASSERT_EQ(0, system("modprobe paxos"));
	self->fd = genl_open();
	ASSERT_LE(0, self->fd);
	self->family = genl_family(self->fd, PAXOS_FAMILY_NAME, &version,
				   NULL, NULL);
	ASSERT_LT(0, self->family) TH_LOG("family not found: %d", self->family);
}

FIXTURE_TEARDOWN(genl)
{
	close(self->fd);
}

TEST_F(genl, family_version_and_group)
{
	uint32_t version = 0;
	int has = 0;

	ASSERT_EQ(self->family, genl_family(self->fd, PAXOS_FAMILY_NAME, &version,
					    PAXOS_MCGRP_EVENTS, &has));
	EXPECT_EQ(PAXOS_FAMILY_VERSION, version);
	EXPECT_EQ(1, has);
}

TEST_F(genl, status_unconfigured)
{
	struct genl_req r;
	struct genl_result res;
	const struct nlattr *a;

	genl_start(&r, self->family, PAXOS_CMD_STATUS_GET, PAXOS_FAMILY_VERSION, 0);
	ASSERT_EQ(0, genl_call(self->fd, &r, &res));
	a = genl_find(res.reply, res.reply_len, PAXOS_A_STATE);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(PAXOS_STATE_UNCONFIGURED, *(const uint8_t *)nla_payload(a));
}

/* Wrong type: NODE_ID must be a u32; a u8 is rejected with a message. */
TEST_F(genl, wrong_type_attribute)
{
	struct genl_req r;
	struct genl_result res;
	uint8_t id = 1;

	genl_start(&r, self->family, PAXOS_CMD_NODE_SET, PAXOS_FAMILY_VERSION, 0);
	genl_put(&r, PAXOS_A_NODE_ID, &id, sizeof(id));
	EXPECT_EQ(-EINVAL, genl_call(self->fd, &r, &res));
	EXPECT_NE(0, res.extack[0]) TH_LOG("no extack message");
}

/* Out of range: node id 0 is not a node. */
TEST_F(genl, out_of_range_attribute)
{
	struct genl_req r;
	struct genl_result res;

	genl_start(&r, self->family, PAXOS_CMD_NODE_SET, PAXOS_FAMILY_VERSION, 0);
	genl_put_u32(&r, PAXOS_A_NODE_ID, 0);
	EXPECT_GT(0, genl_call(self->fd, &r, &res));
	EXPECT_NE(0, res.extack[0]) TH_LOG("no extack message");
	genl_start(&r, self->family, PAXOS_CMD_NODE_SET, PAXOS_FAMILY_VERSION, 0);
	genl_put_u32(&r, PAXOS_A_NODE_ID, PAXOS_MAX_NODE_ID + 1);
	EXPECT_GT(0, genl_call(self->fd, &r, &res));
	EXPECT_NE(0, res.extack[0]) TH_LOG("no extack message");
}

/* Strict validation: an attribute type the family does not know. */
TEST_F(genl, unknown_attribute)
{
	struct genl_req r;
	struct genl_result res;

	genl_start(&r, self->family, PAXOS_CMD_NODE_SET, PAXOS_FAMILY_VERSION, 0);
	genl_put_u32(&r, PAXOS_A_MAX + 1, 1);
	EXPECT_EQ(-EINVAL, genl_call(self->fd, &r, &res));
	EXPECT_NE(0, res.extack[0]) TH_LOG("no extack message");
}

/* Oversized: a value longer than PAXOS_MAX_VALUE. */
TEST_F(genl, oversized_attribute)
{
	static char big[PAXOS_MAX_VALUE + 1];
	struct genl_req r;
	struct genl_result res;

	genl_start(&r, self->family, PAXOS_CMD_PROPOSE, PAXOS_FAMILY_VERSION, 0);
	genl_put(&r, PAXOS_A_VALUE, big, sizeof(big));
	EXPECT_GT(0, genl_call(self->fd, &r, &res));
	EXPECT_NE(0, res.extack[0]) TH_LOG("no extack message");
}

/* Missing: member add without a node id names what is missing. */
TEST_F(genl, missing_attribute)
{
	struct genl_req r;
	struct genl_result res;

	genl_start(&r, self->family, PAXOS_CMD_MEMBER_ADD, PAXOS_FAMILY_VERSION, 0);
	genl_put_u32(&r, PAXOS_A_PORT, 7400);
	EXPECT_EQ(-EINVAL, genl_call(self->fd, &r, &res));
	EXPECT_TRUE(res.extack[0] || res.miss_type == PAXOS_A_NODE_ID)
		TH_LOG("neither an extack message nor the missing attribute");
}

/* A truncated attribute header inside the message. */
TEST_F(genl, truncated_attribute)
{
	struct genl_req r;
	struct genl_result res;
	struct nlattr *a;

	genl_start(&r, self->family, PAXOS_CMD_NODE_SET, PAXOS_FAMILY_VERSION, 0);
	genl_put_u32(&r, PAXOS_A_NODE_ID, 1);
	a = (struct nlattr *)(r.buf + NLMSG_HDRLEN + GENL_HDRLEN);
	a->nla_len = 200;	/* runs past the end of the message */
	EXPECT_GT(0, genl_call(self->fd, &r, &res));
}

/*
 * Without CAP_NET_ADMIN: reading status is allowed, every change is
 * refused with EPERM.  The child drops to nobody, losing all capabilities.
 */
TEST_F(genl, unprivileged_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct genl_req r;
		struct genl_result res;
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = genl_open();
		if (fd < 0)
			_exit(11);
		genl_start(&r, self->family, PAXOS_CMD_STATUS_GET,
			   PAXOS_FAMILY_VERSION, 0);
		if (genl_call(fd, &r, &res) != 0)
			_exit(12);
		genl_start(&r, self->family, PAXOS_CMD_NODE_SET,
			   PAXOS_FAMILY_VERSION, 0);
		genl_put_u32(&r, PAXOS_A_NODE_ID, 1);
		if (genl_call(fd, &r, &res) != -EPERM)
			_exit(13);
		genl_start(&r, self->family, PAXOS_CMD_UP, PAXOS_FAMILY_VERSION, 0);
		if (genl_call(fd, &r, &res) != -EPERM)
			_exit(14);
		genl_start(&r, self->family, PAXOS_CMD_KEY_SET,
			   PAXOS_FAMILY_VERSION, 0);
		genl_put(&r, PAXOS_A_KEY, "0123456789abcdef0123456789abcdef",
			 PAXOS_KEY_LEN);
		if (genl_call(fd, &r, &res) != -EPERM)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child step %d failed", WEXITSTATUS(status));
}

/* An unknown command number. */
TEST_F(genl, unknown_command)
{
	struct genl_req r;
	struct genl_result res;

	genl_start(&r, self->family, PAXOS_CMD_MAX + 10, PAXOS_FAMILY_VERSION, 0);
	EXPECT_EQ(-EOPNOTSUPP, genl_call(self->fd, &r, &res));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Configure node 1 on loopback with members 2 and 3 that never answer. */
static int lonely_node(int fd, int family)
{
	struct genl_req r;
	struct genl_result res;
	struct in_addr a;
	uint32_t id;

	inet_pton(AF_INET, "127.0.0.1", &a);
	genl_start(&r, family, PAXOS_CMD_NODE_SET, PAXOS_FAMILY_VERSION, 0);
	genl_put_u32(&r, PAXOS_A_NODE_ID, 1);
	genl_put(&r, PAXOS_A_ADDR4, &a, sizeof(a));
	if (genl_call(fd, &r, &res))
		return 1;
	for (id = 2; id <= 3; id++) {
		a.s_addr = htonl(0x7f000000 + id);
		genl_start(&r, family, PAXOS_CMD_MEMBER_ADD, PAXOS_FAMILY_VERSION, 0);
		genl_put_u32(&r, PAXOS_A_NODE_ID, id);
		genl_put(&r, PAXOS_A_ADDR4, &a, sizeof(a));
		if (genl_call(fd, &r, &res))
			return 2;
	}
	genl_start(&r, family, PAXOS_CMD_UP, PAXOS_FAMILY_VERSION, 0);
	return genl_call(fd, &r, &res) ? 3 : 0;
}

/*
 * PROPOSE waits for its commit at most PAXOS_A_TIMEOUT_MS: with no
 * majority it fails with ETIMEDOUT and says why, instead of hanging.  In a
 * network namespace of its own, so the node goes with the child.
 */
TEST_F(genl, propose_timeout)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct genl_req r;
		struct genl_result res;
		long long t0, ms;
		int fd, err;

		if (unshare(CLONE_NEWNET) || system("ip link set lo up"))
			_exit(10);
		fd = genl_open();
		if (fd < 0 || lonely_node(fd, self->family))
			_exit(11);
		/* Out of range: a timeout of 0 is refused with a message. */
		genl_start(&r, self->family, PAXOS_CMD_PROPOSE, PAXOS_FAMILY_VERSION, 0);
		genl_put(&r, PAXOS_A_VALUE, "x", 1);
		genl_put_u32(&r, PAXOS_A_TIMEOUT_MS, 0);
		if (genl_call(fd, &r, &res) >= 0 || !res.extack[0])
			_exit(12);
		genl_start(&r, self->family, PAXOS_CMD_PROPOSE, PAXOS_FAMILY_VERSION, 0);
		genl_put(&r, PAXOS_A_VALUE, "x", 1);
		genl_put_u32(&r, PAXOS_A_TIMEOUT_MS, 300);
		t0 = now_ms();
		err = genl_call(fd, &r, &res);
		ms = now_ms() - t0;
		printf("# propose without a majority: %s after %lld ms: %s\n",
		       strerror(-err), ms, res.extack);
		fflush(stdout);
		if (err != -ETIMEDOUT)
			_exit(13);
		if (!strstr(res.extack, "timeout"))
			_exit(14);
		if (ms < 300)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child step %d failed", WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
