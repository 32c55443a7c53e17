// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/paxoslog on a node that is not running: the device node, and the
 * documented errors for bad writes and unknown ioctls.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/paxos.h>

#include "kselftest_harness.h"

#define DEV "/dev/" PAXOS_DEVICE_NAME

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	if (access("/sys/module/paxos", F_OK))
		ASSERT_EQ(0, system("modprobe paxos"));
	self->fd = open(DEV, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", DEV, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* A misc character device anyone may open: access control is per node. */
TEST_F(dev, node_and_mode)
{
	struct stat st;

	ASSERT_EQ(0, stat(DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 07777);
	EXPECT_EQ(10, major(st.st_rdev));	/* MISC_MAJOR */
}

TEST_F(dev, write_zero_bytes)
{
	char c = 0;

	EXPECT_EQ(-1, write(self->fd, &c, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, write_oversized)
{
	static char big[PAXOS_MAX_VALUE + 1];

	EXPECT_EQ(-1, write(self->fd, big, sizeof(big)));
	EXPECT_EQ(EMSGSIZE, errno);
}

/* A valid value on a node that is not up cannot be proposed. */
TEST_F(dev, write_node_down)
{
	EXPECT_EQ(-1, write(self->fd, "value", 5));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(dev, unknown_ioctl)
{
	unsigned long v = 0;

	EXPECT_EQ(-1, ioctl(self->fd, _IOR(PAXOS_IOC_MAGIC, 99, __u64), &v));
	EXPECT_EQ(ENOTTY, errno);
}

/* ioctls that copy out must fault cleanly on a bad pointer. */
TEST_F(dev, ioctl_bad_pointer)
{
	EXPECT_EQ(-1, ioctl(self->fd, PAXOS_IOC_COMMIT_INDEX, (void *)8));
	EXPECT_TRUE(errno == EFAULT || errno == ENOTCONN);
}

/* Several openers at once, each independent. */
TEST_F(dev, many_openers)
{
	int fds[16], i;

	for (i = 0; i < 16; i++) {
		fds[i] = open(DEV, O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0, close(fds[i]));
}

TEST_HARNESS_MAIN
