// SPDX-License-Identifier: GPL-2.0
/*
 * plog: drive /dev/paxoslog from the cluster tests.
 *
 *   plog write VALUE...        write each value, print its index
 *   plog fill PREFIX COUNT     write PREFIX-1..PREFIX-COUNT, print latency
 *                              and commits per second
 *   plog stream PREFIX [COUNT] write PREFIX-1, PREFIX-2, ... (COUNT, or until
 *                              an error), one at a time; print "A INDEX
 *                              VALUE" as each is acknowledged, flushed at
 *                              once (the power-loss test's record); a
 *                              write refused for a full log is retried
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
 *   plog state INDEX [MS]      build the state as of INDEX as an application
 *                              would, from a new reader: a hash chained over
 *                              every record, or loaded from a snapshot
 *                              record's bytes; fail on a gap, a damaged
 *                              snapshot or no progress for MS (10000) ms;
 *                              print "INDEX HASH via log|SNAP,SNAP..."
 *                              INDEX "until:VALUE": up to the entry holding
 *                              VALUE; "waiting at N" once it first waits
 *   plog snapwrite INDEX SIZE [PIECE]
 *                              hand the node a SIZE-byte snapshot of the
 *                              state as of INDEX (its hash, then a pattern
 *                              derived from it), in PIECE-byte pieces
 *   plog snaploop SIZE MS STOP as snapwrite, at the commit index, every MS
 *                              ms while it moved, until the file STOP exists
 *                              (an application's snapshots in a benchmark)
 *   plog snaperr CASE [INDEX]  a bad snapshot ioctl; print its errno
 *   plog snapcat INDEX         the bytes of the node's snapshot INDEX, raw,
 *                              to stdout (for a checksum)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
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
	case EFBIG: return "EFBIG";
	case ESTALE: return "ESTALE";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
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

/*
 * The test application's state: FNV-1a over every record applied, or the
 * hash a snapshot carries.  A snapshot's bytes are this header, then a
 * pattern derived from the hash, so that damage anywhere shows.
 */
#define FNV_INIT	0xcbf29ce484222325ULL
#define SNAP_MAGIC	"PLOGSNAP"

struct snaphdr {
	char magic[8];
	__u64 index;
	__u64 hash;
	__u64 size;
};

static __u64 fnv(__u64 h, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static unsigned char pattern(__u64 hash, __u64 k)
{
	return (hash >> ((k & 7) * 8)) ^ (k * 131) ^ (k >> 12);
}

/* The bytes of a snapshot of state @hash at @index. */
static unsigned char *snap_bytes(__u64 index, __u64 hash, __u64 size)
{
	struct snaphdr h = { .index = index, .hash = hash, .size = size };
	unsigned char *b = malloc(size);
	__u64 k;

	if (!b)
		exit(2);
	memcpy(h.magic, SNAP_MAGIC, 8);
	memcpy(b, &h, sizeof(h));
	for (k = sizeof(h); k < size; k++)
		b[k] = pattern(hash, k);
	return b;
}

/*
 * Load snapshot @index through PAXOS_IOC_SNAP_READ in odd-sized pieces:
 * 0 and its state in *hash, -ESTALE if a newer one replaced it, or 1
 * after saying what is wrong.
 */
static int load_snapshot(int fd, __u64 index, __u64 *hash)
{
	struct paxos_snap_io io = { .index = index };
	unsigned char *b = NULL, *want;
	struct snaphdr h;
	__u64 off = 0, size = 0;

	do {
		unsigned char piece[5000];

		io.offset = off;
		io.len = sizeof(piece);
		io.data = (uintptr_t)piece;
		if (ioctl(fd, PAXOS_IOC_SNAP_READ, &io)) {
			free(b);
			if (errno == ESTALE)
				return -ESTALE;
			printf("snap read %llu at %llu: %s\n", (unsigned long long)index,
			       (unsigned long long)off, ename(errno));
			return 1;
		}
		if (!b) {
			size = io.size;
			b = malloc(size ? size : 1);
			if (!b)
				exit(2);
		}
		if (io.size != size || (!io.len && off < size) ||
		    io.len > size - off) {
			printf("snap read %llu: size %llu then %llu, %u bytes at %llu\n",
			       (unsigned long long)index, (unsigned long long)size,
			       (unsigned long long)io.size, io.len,
			       (unsigned long long)off);
			free(b);
			return 1;
		}
		memcpy(b + off, piece, io.len);
		off += io.len;
	} while (off < size);
	memcpy(&h, b, size < sizeof(h) ? 0 : sizeof(h));
	if (size < sizeof(h) || memcmp(h.magic, SNAP_MAGIC, 8) ||
	    h.index != index || h.size != size) {
		printf("snapshot %llu: bad header\n", (unsigned long long)index);
		free(b);
		return 1;
	}
	want = snap_bytes(index, h.hash, size);
	if (memcmp(want, b, size)) {
		printf("snapshot %llu: damaged bytes\n", (unsigned long long)index);
		free(b);
		free(want);
		return 1;
	}
	free(want);
	free(b);
	*hash = h.hash;
	return 0;
}

/*
 * Build the state as of @upto from a new reader, as an application does:
 * records in order without a gap, a snapshot record replacing the state
 * (it is never older than the state it replaces).  0 and the state's
 * hash, or 1 after saying what went wrong.
 */
static int build_state(__u64 *upto, const char *until, int ms, __u64 *hash,
		       char *via, size_t vlen)
{
	static char buf[1 << 16];
	int fd = dev(O_RDONLY | O_NONBLOCK), waited = 0;
	__u64 h = FNV_INIT, next = 0;	/* 0: nothing read yet */
	size_t vused = 0;

	via[0] = 0;
	while (next <= *upto) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		size_t off = 0;

		if (until && !waited && !poll(&p, 1, 0)) {
			printf("waiting at %llu\n", (unsigned long long)next);
			fflush(stdout);
			waited = 1;
		}
		if (poll(&p, 1, ms) <= 0) {
			printf("state: nothing to read at %llu for %d ms\n",
			       (unsigned long long)next, ms);
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0) {
			printf("state: read at %llu: %s\n", (unsigned long long)next,
			       ename(errno));
			return 1;
		}
		while (off + sizeof(struct paxos_record) <= (size_t)n && next <= *upto) {
			struct paxos_record r;
			int err;

			memcpy(&r, buf + off, sizeof(r));
			if (r.type != PAXOS_REC_SNAPSHOT) {
				if (r.index != (next ? next : 1)) {
					printf("state: gap, record %llu where %llu was due\n",
					       (unsigned long long)r.index,
					       (unsigned long long)(next ? next : 1));
					return 1;
				}
				h = fnv(h, &r.index, sizeof(r.index));
				h = fnv(h, &r.type, sizeof(r.type));
				h = fnv(h, buf + off + sizeof(r), r.len);
				if (until && r.len == strlen(until) &&
				    !memcmp(buf + off + sizeof(r), until, r.len))
					*upto = r.index;
				next = r.index + 1;
				off += sizeof(r) + r.len;
				continue;
			}
			if (r.len || r.index + 1 < next || r.index > *upto) {
				printf("state: snapshot record %llu (len %u) at %llu, up to %llu\n",
				       (unsigned long long)r.index, r.len,
				       (unsigned long long)next,
				       (unsigned long long)*upto);
				return 1;
			}
			err = load_snapshot(fd, r.index, &h);
			if (err == -ESTALE) {
				/* Replaced: read on from our own state's end. */
				if (lseek(fd, next ? next : 1, SEEK_SET) < 0)
					return 1;
				break;
			}
			if (err)
				return 1;
			vused += snprintf(via + vused, vlen - vused, "%s%llu",
					  vused ? "," : "", (unsigned long long)r.index);
			if (vused >= vlen)
				return 1;
			next = r.index + 1;
			off += sizeof(r);
		}
	}
	close(fd);
	*hash = h;
	return 0;
}

static int snap_io(int fd, unsigned long req, __u64 index, __u64 size,
		   __u64 off, const void *data, __u32 len, __u32 flags)
{
	struct paxos_snap_io io = {
		.index = index, .size = size, .offset = off,
		.data = (uintptr_t)data, .len = len, .flags = flags,
	};

	return ioctl(fd, req, &io) ? errno : 0;
}

/* Copy snapshot @index to stdout in 64 KiB pieces: 0, or 1 and why. */
static int snap_cat(__u64 index)
{
	static unsigned char piece[1 << 16];
	struct paxos_snap_io io = { .index = index };
	int fd = dev(O_RDONLY);
	__u64 off = 0;

	do {
		io.offset = off;
		io.len = sizeof(piece);
		io.data = (uintptr_t)piece;
		if (ioctl(fd, PAXOS_IOC_SNAP_READ, &io)) {
			fprintf(stderr, "snap read %llu at %llu: %s\n",
				(unsigned long long)index,
				(unsigned long long)off, ename(errno));
			return 1;
		}
		if (!io.len && off < io.size)
			return 1;
		if (fwrite(piece, 1, io.len, stdout) != io.len)
			return 1;
		off += io.len;
	} while (off < io.size);
	close(fd);
	return fflush(stdout) ? 1 : 0;
}

/* One bad use of the snapshot ioctls: its errno. */
static int snap_err(const char *what, __u64 index)
{
	int fd = dev(O_RDWR);
	static char b[4096];
	__u64 c = 0;

	ioctl(fd, PAXOS_IOC_COMMIT_INDEX, &c);
	if (!strcmp(what, "flags"))
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, 64, 0, b, 64, 1);
	if (!strcmp(what, "nosize"))
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, 0, 0, b, 64, 0);
	if (!strcmp(what, "nolen"))
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, 64, 0, b, 0, 0);
	if (!strcmp(what, "overrun"))
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, 64, 0, b, 65, 0);
	if (!strcmp(what, "big"))	/* the default maximum, 64 MiB, + 1 */
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, (64 << 20) + 1, 0, b, 64, 0);
	if (!strcmp(what, "future"))
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c + 1000, 64, 0, b, 64, 0);
	if (!strcmp(what, "zero"))
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, 0, 64, 0, b, 64, 0);
	if (!strcmp(what, "old"))	/* INDEX: below the first retained - 1 */
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, index, 64, 0, b, 64, 0);
	if (!strcmp(what, "unstarted"))
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, 64, 32, b, 32, 0);
	if (!strcmp(what, "skip") || !strcmp(what, "resize") ||
	    !strcmp(what, "reindex")) {
		int e = snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, 64, 0, b, 16, 0);

		if (e)
			return e;
		if (what[0] == 's')
			return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, 64, 32, b, 16, 0);
		if (what[2] == 's')
			return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, 128, 16, b, 16, 0);
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c - 1, 64, 16, b, 16, 0);
	}
	if (!strcmp(what, "fault"))
		return snap_io(fd, PAXOS_IOC_SNAP_WRITE, c, 64, 0, (void *)8, 64, 0);
	if (!strcmp(what, "stale"))	/* INDEX: not the newest snapshot */
		return snap_io(fd, PAXOS_IOC_SNAP_READ, index, 0, 0, b, 64, 0);
	if (!strcmp(what, "readflags"))	/* INDEX: the newest */
		return snap_io(fd, PAXOS_IOC_SNAP_READ, index, 0, 0, b, 64, 1);
	if (!strcmp(what, "readoff"))	/* INDEX: the newest, smaller than 1 GiB */
		return snap_io(fd, PAXOS_IOC_SNAP_READ, index, 0, 1 << 30, b, 64, 0);
	return -1;
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
	if (!strcmp(argv[1], "stream") && (argc == 3 || argc == 4)) {
		long n = argc == 4 ? atol(argv[3]) : 0, k;

		fd = dev(O_RDWR);
		for (k = 1; !n || k <= n; k++) {
			int len = snprintf(buf, sizeof(buf), "%s-%ld", argv[2], k);

			if (write(fd, buf, len) != len) {
				/* A full log has room again after a snapshot. */
				if (errno == ENOSPC) {
					usleep(10000);
					k--;
					continue;
				}
				printf("E %s %s\n", buf, ename(errno));
				fflush(stdout);
				return 1;
			}
			if (ioctl(fd, PAXOS_IOC_LAST_WRITE, &v)) {
				printf("E %s last-write %s\n", buf, ename(errno));
				fflush(stdout);
				return 1;
			}
			printf("A %llu %s\n", (unsigned long long)v, buf);
			fflush(stdout);
		}
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
	if (!strcmp(argv[1], "state") && (argc == 3 || argc == 4)) {
		const char *until = NULL;
		__u64 upto = strtoull(argv[2], NULL, 10), h;
		char via[4096];

		if (!strncmp(argv[2], "until:", 6)) {
			until = argv[2] + 6;
			upto = ~0ULL;
		}
		if (build_state(&upto, until, argc == 4 ? atoi(argv[3]) : 10000,
				&h, via, sizeof(via)))
			return 1;
		printf("%llu %016llx via %s\n", (unsigned long long)upto,
		       (unsigned long long)h, via[0] ? via : "log");
		return 0;
	}
	if (!strcmp(argv[1], "snapwrite") && (argc == 4 || argc == 5)) {
		__u64 index = strtoull(argv[2], NULL, 10), h, off, size;
		__u32 piece = argc == 5 ? strtoul(argv[4], NULL, 10) : 65536;
		unsigned char *b;
		char via[4096];
		int e;

		size = strtoull(argv[3], NULL, 10);
		if (size < sizeof(struct snaphdr) || !piece)
			return 2;
		if (build_state(&index, NULL, 10000, &h, via, sizeof(via)))
			return 1;
		b = snap_bytes(index, h, size);
		fd = dev(O_RDWR);
		for (off = 0; off < size; off += piece) {
			__u32 len = size - off < piece ? size - off : piece;

			e = snap_io(fd, PAXOS_IOC_SNAP_WRITE, index, size, off,
				    b + off, len, 0);
			if (e) {
				printf("snap write %llu at %llu: %s\n",
				       (unsigned long long)index,
				       (unsigned long long)off, ename(e));
				return 1;
			}
		}
		printf("snapshot %llu %llu %016llx\n", (unsigned long long)index,
		       (unsigned long long)size, (unsigned long long)h);
		return 0;
	}
	if (!strcmp(argv[1], "snaploop") && argc == 5) {
		__u64 size = strtoull(argv[2], NULL, 10), last = 0, h;
		int ms = atoi(argv[3]);
		unsigned char *b;
		char via[4096];

		if (size < sizeof(struct snaphdr) || size > 65536 || ms <= 0)
			return 2;
		fd = dev(O_RDWR);
		while (access(argv[4], F_OK)) {
			usleep(ms * 1000);
			if (ioctl(fd, PAXOS_IOC_COMMIT_INDEX, &v) || v == last ||
			    build_state(&v, NULL, 10000, &h, via, sizeof(via)))
				continue;
			b = snap_bytes(v, h, size);
			if (!snap_io(fd, PAXOS_IOC_SNAP_WRITE, v, size, 0, b,
				     size, 0))
				last = v;
			free(b);
		}
		return 0;
	}
	if (!strcmp(argv[1], "snapcat") && argc == 3)
		return snap_cat(strtoull(argv[2], NULL, 10));
	if (!strcmp(argv[1], "snaperr") && (argc == 3 || argc == 4)) {
		int e = snap_err(argv[2], argc == 4 ? strtoull(argv[3], NULL, 10) : 0);

		if (e < 0)
			return 2;
		printf("%s\n", ename(e));
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
