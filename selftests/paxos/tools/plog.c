// SPDX-License-Identifier: GPL-2.0
/*
 * plog: drive /dev/paxoslog from the cluster tests.
 *
 *   plog write VALUE...        write each value, print its index
 *   plog fill PREFIX COUNT     write PREFIX-1..PREFIX-COUNT, print latency
 *                              and commits per second
 *   plog burst PREFIX COUNT [any]
 *                              the same with non-blocking writes, as many
 *                              outstanding as the node takes; fail unless
 *                              the log holds each exactly once, in order
 *                              (in any order with "any")
 *   plog dump [FROM]           print every retained record from FROM as
 *                              "index type hex-of-value"
 *   plog barrier               print the read barrier's index
 *   plog commit                print the commit index
 *   plog wait INDEX MS         wait until the commit index reaches INDEX
 *   plog errno OP              run OP (zero, big, write, seek0, read,
 *                              smallread) and print the errno it failed with
 *   plog hold NETNS            open the device inside NETNS, return to our
 *                              own namespace, then read (and write) until
 *                              an error; print it
 */
#define _GNU_SOURCE
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/paxos.h>

static int dev(int flags)
{
	int fd = open("/dev/" PAXOS_DEVICE_NAME, flags);

	if (fd < 0) {
		perror("open /dev/paxoslog");
		exit(1);
	}
	return fd;
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *ename(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case EMSGSIZE: return "EMSGSIZE";
	case ENOTCONN: return "ENOTCONN";
	case ENODEV: return "ENODEV";
	case ERANGE: return "ERANGE";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case 0: return "OK";
	}
	return strerror(e);
}

/*
 * Non-blocking writes of PREFIX-1..PREFIX-COUNT, kept outstanding until the
 * node says -EAGAIN; the committed log, read from the commit point on, must
 * hold each of them once, and in the order written unless @any.
 */
static int burst(const char *prefix, long count, int any)
{
	static char buf[1 << 16];
	int w = dev(O_RDWR | O_NONBLOCK), r = dev(O_RDONLY);
	long sent = 0, seen = 0, full = 0, most = 0, k;
	size_t plen = strlen(prefix);
	char *got = count > 0 ? calloc(count + 1, 1) : NULL;
	char v[256];

	if (!got)
		return 2;
	if (lseek(r, 0, SEEK_END) < 0) {
		printf("seek: %s\n", ename(errno));
		return 1;
	}
	while (seen < count) {
		ssize_t n;
		size_t off = 0;

		while (sent < count) {
			int len = snprintf(v, sizeof(v), "%s-%ld", prefix, sent + 1);

			if (write(w, v, len) == len) {
				sent++;
				continue;
			}
			if (errno != EAGAIN || sent == seen) {
				printf("write %ld: %s\n", sent + 1, ename(errno));
				return 1;
			}
			full++;
			break;
		}
		if (sent - seen > most)
			most = sent - seen;
		n = read(r, buf, sizeof(buf));
		if (n <= 0) {
			printf("read: %s\n", ename(errno));
			return 1;
		}
		while (off + sizeof(struct paxos_record) <= (size_t)n) {
			struct paxos_record rec;
			const char *val = buf + off + sizeof(rec);

			memcpy(&rec, buf + off, sizeof(rec));
			off += sizeof(rec) + rec.len;
			if (rec.type != PAXOS_REC_DATA || rec.len <= plen ||
			    rec.len >= sizeof(v) || memcmp(val, prefix, plen) ||
			    val[plen] != '-')
				continue;
			memcpy(v, val, rec.len);
			v[rec.len] = 0;
			k = atol(v + plen + 1);
			if (k < 1 || k > sent || got[k] || (!any && k != seen + 1)) {
				printf("index %llu holds %s, expected %s-%ld%s\n",
				       (unsigned long long)rec.index, v, prefix,
				       seen + 1, k >= 1 && k <= sent && got[k] ?
				       " (a duplicate)" : "");
				return 1;
			}
			got[k] = 1;
			seen++;
		}
	}
	printf("burst: %ld values committed once each%s; up to %ld written ahead of the reader; %ld writes found no room\n",
	       count, any ? "" : ", in order", most, full);
	free(got);
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	__u64 v = 0;
	int fd, i;

	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "write")) {
		fd = dev(O_RDWR);
		for (i = 2; i < argc; i++) {
			if (write(fd, argv[i], strlen(argv[i])) < 0) {
				printf("write: %s\n", ename(errno));
				return 1;
			}
			ioctl(fd, PAXOS_IOC_LAST_WRITE, &v);
			printf("%llu\n", (unsigned long long)v);
		}
		return 0;
	}
	if (!strcmp(argv[1], "fill") && argc == 4) {
		int n = atoi(argv[3]);
		double *lat = calloc(n, sizeof(double)), t0 = now_us();

		fd = dev(O_RDWR);
		for (i = 0; i < n; i++) {
			int len = snprintf(buf, sizeof(buf), "%s-%d", argv[2], i + 1);
			double t = now_us();

			if (write(fd, buf, len) != len) {
				printf("write %d: %s\n", i + 1, ename(errno));
				return 1;
			}
			lat[i] = now_us() - t;
		}
		t0 = now_us() - t0;
		qsort(lat, n, sizeof(double), cmp);
		printf("fill: %d commits, p50 %.0f us, p99 %.0f us, %.0f commits/s\n",
		       n, lat[n / 2], lat[n * 99 / 100], n / (t0 / 1e6));
		return 0;
	}
	if (!strcmp(argv[1], "burst") && (argc == 4 || argc == 5))
		return burst(argv[2], atol(argv[3]),
			     argc == 5 && !strcmp(argv[4], "any"));
	if (!strcmp(argv[1], "dump")) {
		fd = dev(O_RDONLY | O_NONBLOCK);
		if (argc > 2 && lseek(fd, atoll(argv[2]), SEEK_SET) < 0) {
			printf("seek: %s\n", ename(errno));
			return 1;
		}
		for (;;) {
			ssize_t n = read(fd, buf, sizeof(buf));
			size_t off = 0;

			if (n < 0 && errno == EAGAIN)
				return 0;
			if (n <= 0) {
				printf("read: %s\n", ename(errno));
				return 1;
			}
			while (off + sizeof(struct paxos_record) <= (size_t)n) {
				struct paxos_record r;
				__u32 k;

				memcpy(&r, buf + off, sizeof(r));
				printf("%llu %u ", (unsigned long long)r.index, r.type);
				for (k = 0; k < r.len; k++)
					printf("%02x", (unsigned char)buf[off + sizeof(r) + k]);
				printf("\n");
				off += sizeof(r) + r.len;
			}
		}
	}
	if (!strcmp(argv[1], "barrier") || !strcmp(argv[1], "commit")) {
		fd = dev(O_RDONLY);
		if (ioctl(fd, argv[1][0] == 'b' ? PAXOS_IOC_BARRIER :
			  PAXOS_IOC_COMMIT_INDEX, &v)) {
			printf("%s: %s\n", argv[1], ename(errno));
			return 1;
		}
		printf("%llu\n", (unsigned long long)v);
		return 0;
	}
	if (!strcmp(argv[1], "wait") && argc == 4) {
		double end = now_us() + atof(argv[3]) * 1e3;

		fd = dev(O_RDONLY);
		while (now_us() < end) {
			if (!ioctl(fd, PAXOS_IOC_COMMIT_INDEX, &v) &&
			    v >= strtoull(argv[2], NULL, 10))
				return 0;
			usleep(10000);
		}
		printf("wait: commit index %llu < %s\n", (unsigned long long)v, argv[2]);
		return 1;
	}
	if (!strcmp(argv[1], "hold") && argc == 3) {
		char path[256];
		int self = open("/proc/self/ns/net", O_RDONLY), ns;

		snprintf(path, sizeof(path), "/run/netns/%s", argv[2]);
		ns = open(path, O_RDONLY);
		if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET)) {
			perror("setns");
			return 1;
		}
		fd = dev(O_RDWR);
		if (setns(self, CLONE_NEWNET)) {
			perror("setns back");
			return 1;
		}
		close(ns);
		printf("holding\n");
		fflush(stdout);
		for (;;) {
			if (read(fd, buf, sizeof(buf)) < 0) {
				/* Fell behind the trim point: skip ahead. */
				if (errno == ERANGE && lseek(fd, 0, SEEK_END) > 0)
					continue;
				if (errno != EAGAIN)
					break;
			}
			if (write(fd, "held", 4) < 0)
				break;
		}
		printf("%s\n", ename(errno));
		return 0;
	}
	if (!strcmp(argv[1], "errno") && argc == 3) {
		int r = 0;

		fd = dev(O_RDWR);
		errno = 0;
		if (!strcmp(argv[2], "zero"))
			r = write(fd, buf, 0);
		else if (!strcmp(argv[2], "big"))
			r = write(fd, buf, PAXOS_MAX_VALUE + 1);
		else if (!strcmp(argv[2], "write"))
			r = write(fd, "x", 1);
		else if (!strcmp(argv[2], "seek0"))
			r = lseek(fd, 0, SEEK_SET);
		else if (!strcmp(argv[2], "read"))
			r = read(fd, buf, sizeof(buf));
		else if (!strcmp(argv[2], "smallread"))
			r = read(fd, buf, 4);
		printf("%s\n", r < 0 ? ename(errno) : "OK");
		return 0;
	}
	return 2;
}
