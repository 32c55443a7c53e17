// SPDX-License-Identifier: GPL-2.0
/*
 * pxsess: exactly-once writes through /dev/paxoslog's client sessions.
 *
 *   pxsess retry VALUE MS GOFILE    write VALUE, interrupted by a signal
 *                                   after MS ms (the node is cut off); once
 *                                   GOFILE exists, write it again on the
 *                                   same file; print "index I"
 *   pxsess reopen VALUE MS GOFILE   the same, but the retry goes through a
 *                                   new file given the old session
 *   pxsess other V1 V2 MS GOFILE    V1 interrupted, then V2 (other bytes):
 *                                   a new write; print "index I" of V2
 *   pxsess ioctls                   the session ioctls' checks; print "ok"
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/paxos.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int dev(void)
{
	int fd = open("/dev/" PAXOS_DEVICE_NAME, O_RDWR);

	if (fd < 0)
		die("open /dev/paxoslog");
	return fd;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Write @v, which must be interrupted: the node cannot commit now. */
static void interrupted(int fd, const char *v, unsigned int ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct paxos_session s;

	struct itimerval it = { .it_value = { ms / 1000, ms % 1000 * 1000 } };

	sigaction(SIGALRM, &sa, NULL);
	if (setitimer(ITIMER_REAL, &it, NULL))
		die("setitimer");
	if (write(fd, v, strlen(v)) >= 0 || errno != EINTR) {
		fprintf(stderr, "write %s: not interrupted (%s)\n", v, strerror(errno));
		exit(1);
	}
	if (ioctl(fd, PAXOS_IOC_SESSION_GET, &s))
		die("PAXOS_IOC_SESSION_GET");
	printf("interrupted seq %llu flags %u\n", (unsigned long long)s.seq, s.flags);
	if (!(s.flags & PAXOS_SESSION_UNDECIDED) || !s.seq) {
		fprintf(stderr, "the interrupted write is not undecided\n");
		exit(1);
	}
	fflush(stdout);
}

static void await(const char *path)
{
	struct timespec t = { 0, 50 * 1000 * 1000 };

	while (access(path, F_OK))
		nanosleep(&t, NULL);
}

static void write_ok(int fd, const char *v)
{
	uint64_t index;

	if (write(fd, v, strlen(v)) != (ssize_t)strlen(v))
		die("write");
	if (ioctl(fd, PAXOS_IOC_LAST_WRITE, &index))
		die("PAXOS_IOC_LAST_WRITE");
	printf("index %llu\n", (unsigned long long)index);
}

static int expect(int fd, unsigned long cmd, struct paxos_session *s, int err)
{
	int r = ioctl(fd, cmd, s);

	if (err ? r != -1 || errno != err : r != 0) {
		fprintf(stderr, "session ioctl: %d (%s), want %d\n", r,
			strerror(errno), err);
		return 1;
	}
	return 0;
}

static int ioctls(void)
{
	int fd = dev(), bad = 0;
	struct paxos_session s = { 0 }, g;

	bad |= expect(fd, PAXOS_IOC_SESSION_GET, &g, 0);
	if (!g.id || g.seq || g.flags)
		bad = 1;	/* a fresh file: a session, no write yet */
	s = (struct paxos_session){ .id = 0, .seq = 1 };
	bad |= expect(fd, PAXOS_IOC_SESSION_SET, &s, EINVAL);
	s = (struct paxos_session){ .id = 5, .seq = 0 };
	bad |= expect(fd, PAXOS_IOC_SESSION_SET, &s, EINVAL);
	s = (struct paxos_session){ .id = 5, .seq = 1, .flags = 1 };
	bad |= expect(fd, PAXOS_IOC_SESSION_SET, &s, EINVAL);
	s = (struct paxos_session){ .id = 5, .seq = 9 };
	bad |= expect(fd, PAXOS_IOC_SESSION_SET, &s, 0);
	bad |= expect(fd, PAXOS_IOC_SESSION_GET, &g, 0);
	if (g.id != 5 || g.seq != 8)
		bad = 1;	/* the next write is 9: the last one was 8 */
	puts(bad ? "bad" : "ok");
	return bad;
}

int main(int argc, char **argv)
{
	struct paxos_session s;
	int fd;

	if (argc == 2 && !strcmp(argv[1], "ioctls"))
		return ioctls();
	if (argc == 5 && !strcmp(argv[1], "retry")) {
		fd = dev();
		interrupted(fd, argv[2], atoi(argv[3]));
		await(argv[4]);
		write_ok(fd, argv[2]);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "reopen")) {
		fd = dev();
		interrupted(fd, argv[2], atoi(argv[3]));
		if (ioctl(fd, PAXOS_IOC_SESSION_GET, &s))
			die("PAXOS_IOC_SESSION_GET");
		close(fd);
		await(argv[4]);
		fd = dev();
		s.flags = 0;
		if (ioctl(fd, PAXOS_IOC_SESSION_SET, &s))
			die("PAXOS_IOC_SESSION_SET");
		write_ok(fd, argv[2]);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "other")) {
		fd = dev();
		interrupted(fd, argv[2], atoi(argv[4]));
		await(argv[5]);
		write_ok(fd, argv[3]);
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of pxsess.c\n");
	return 2;
}
