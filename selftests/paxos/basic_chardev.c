// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/paxoslog on a node that is not running: the device node, and the
 * documented errors for bad writes and unknown ioctls.  Then, on a node
 * of its own in a new network namespace, who may write: only an opener
 * with CAP_NET_ADMIN over that namespace; snapshots likewise, while
 * anyone may read one.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
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

/* A misc character device anyone may open; writing is checked per node. */
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

/* Snapshots need a running node; their arguments are checked first. */
TEST_F(dev, snapshot_node_down)
{
	struct paxos_snap_io io = {
		.index = 1, .size = 4, .data = (unsigned long)"snap", .len = 4,
	};

	EXPECT_EQ(-1, ioctl(self->fd, PAXOS_IOC_SNAP_WRITE, &io));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PAXOS_IOC_SNAP_READ, &io));
	EXPECT_EQ(ENOTCONN, errno);
	io.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, PAXOS_IOC_SNAP_WRITE, &io));
	EXPECT_EQ(EINVAL, errno);
	io.flags = 0;
	io.size = (64 << 20) + 1;	/* beyond the default snapshot_max */
	EXPECT_EQ(-1, ioctl(self->fd, PAXOS_IOC_SNAP_WRITE, &io));
	EXPECT_EQ(EFBIG, errno);
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

/*
 * In a new network namespace, a node alone that has elected itself: 0, or
 * -1 if it did not within 30 s.
 */
static int node_alone(void)
{
	struct timespec t = { 0, 100000000 };
	int i;

	if (unshare(CLONE_NEWNET) ||
	    system("ip link set lo up && paxosctl node set id 1 addr 127.0.0.1 port 7400 >/dev/null && paxosctl up >/dev/null"))
		return -1;
	for (i = 0; i < 300; i++) {
		if (!system("paxosctl status | grep -q '^state: leader'"))
			return 0;
		nanosleep(&t, NULL);
	}
	return -1;
}

/*
 * As uid and gid 65534 with no groups, on @rootfd (opened by root) and on
 * a file of its own: 0, or the number of the check that failed.
 */
static int unprivileged(int rootfd, __u64 snap)
{
	struct paxos_snap_io io = { .index = snap, .size = 4, .len = 4 };
	struct paxos_record rec = { 0 };
	gid_t nogroup = 65534;
	char buf[4096];
	ssize_t got, off;
	__u64 v;
	int fd;

	if (setgroups(0, NULL) || setresgid(nogroup, nogroup, nogroup) ||
	    setresuid(65534, 65534, 65534))
		return 1;
	fd = open(DEV, O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return 2;
	if (write(fd, "nobody", 6) != -1 || errno != EPERM)
		return 3;
	if (ioctl(fd, PAXOS_IOC_BARRIER, &v) != -1 || errno != EPERM)
		return 4;
	/* Reading and the index ioctls stay open: root's value is there. */
	got = read(fd, buf, sizeof(buf));
	if (got < (ssize_t)sizeof(rec))
		return 5;
	for (off = 0; off + (ssize_t)sizeof(rec) <= got; off += sizeof(rec) + rec.len) {
		memcpy(&rec, buf + off, sizeof(rec));
		if (rec.len == 4 && !memcmp(buf + off + sizeof(rec), "root", 4))
			break;
	}
	if (off + (ssize_t)sizeof(rec) > got)
		return 6;
	if (ioctl(fd, PAXOS_IOC_COMMIT_INDEX, &v) || v < rec.index)
		return 7;
	if (ioctl(fd, PAXOS_IOC_LAST_WRITE, &v) || v)
		return 8;
	/* Snapshots: handing one in is proposing, reading one is reading. */
	io.data = (unsigned long)"nobo";
	if (ioctl(fd, PAXOS_IOC_SNAP_WRITE, &io) != -1 || errno != EPERM)
		return 10;
	io.data = (unsigned long)buf;
	io.len = sizeof(buf);
	if (ioctl(fd, PAXOS_IOC_SNAP_READ, &io) || io.size != 4 || io.len != 4 ||
	    memcmp(buf, "snap", 4))
		return 11;
	/* Root's file keeps root's right: credentials are the opener's. */
	if (write(rootfd, "passed", 6) != 6)
		return 9;
	return 0;
}

/* write() and the barrier need CAP_NET_ADMIN; reading does not. */
TEST(unprivileged_opener)
{
	struct paxos_snap_io io = {
		.size = 4, .data = (unsigned long)"snap", .len = 4,
	};
	int fd, status;
	pid_t pid;

	if (access("/sys/module/paxos", F_OK))
		ASSERT_EQ(0, system("modprobe paxos"));
	ASSERT_EQ(0, node_alone()) TH_LOG("a node alone did not elect itself");
	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "root", 4)) TH_LOG("write as root: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(fd, PAXOS_IOC_LAST_WRITE, &io.index));
	ASSERT_EQ(0, ioctl(fd, PAXOS_IOC_SNAP_WRITE, &io))
		TH_LOG("snapshot as root: %s", strerror(errno));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged(fd, io.index));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("check %d failed as nobody",
						  WEXITSTATUS(status));
	close(fd);
}

TEST_HARNESS_MAIN
