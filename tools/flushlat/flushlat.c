// SPDX-License-Identifier: GPL-2.0
/*
 * flushlat: what one durable 4 KiB write costs on a device or in a file.
 *
 *   flushlat dev PATH    pwrite, O_DIRECT|O_DSYNC (on a block device a
 *                        REQ_FUA bio, then an empty REQ_PREFLUSH one)
 *   flushlat flush PATH  pwrite O_DIRECT, then fdatasync
 *   flushlat fsync PATH  buffered pwrite, then fdatasync (a file in a
 *                        file system: its journal, then a flush)
 *   options: -n N writes timed (1000), -w N warm-up writes (10),
 *            -r BYTES region the writes rotate over (1M), -a append
 *
 * Prints one line of key=value pairs, path last; times in microseconds.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

#define BS 4096

enum mode { M_DEV, M_FLUSH, M_FSYNC };
static const char *const mode_names[] = { "dev", "flush", "fsync" };

static const char *prog = "flushlat";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s dev|flush|fsync PATH [-n N] [-w N] [-r BYTES] [-a]\n"
		"  dev    4 KiB pwrite with O_DIRECT|O_DSYNC\n"
		"  flush  4 KiB pwrite with O_DIRECT, then fdatasync\n"
		"  fsync  buffered 4 KiB pwrite, then fdatasync\n"
		"  -n N      writes timed (default 1000)\n"
		"  -w N      untimed warm-up writes first (default 10)\n"
		"  -r BYTES  region the writes rotate over, K/M/G suffix,\n"
		"            a multiple of 4096 (default 1M)\n"
		"  -a        append to a regular file, truncated first, instead\n"
		"  PATH is overwritten: a block device must not be in use\n",
		prog);
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "%s: bad %s: '%s'\n", prog, what, arg);
	usage(stderr);
	return 2;
}

static int fail(const char *path, const char *what)
{
	fprintf(stderr, "%s: %s: %s: %s\n", prog, path, what, strerror(errno));
	return 1;
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Write zeroes over [size, len) of a regular file and sync it. */
static int prefill(const char *path, off_t size, uint64_t len)
{
	static const char zero[BS];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	uint64_t off;

	if (fd < 0)
		return fail(path, "open to fill the region");
	for (off = (uint64_t)size & ~(uint64_t)(BS - 1); off < len; off += BS) {
		if (pwrite(fd, zero, BS, (off_t)off) != BS) {
			fail(path, "filling the region");
			close(fd);
			return 1;
		}
	}
	if (fsync(fd)) {
		fail(path, "fsync after filling the region");
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

/* One timed (or warm-up) durable write at @off; 0 or an exit status. */
static int one(enum mode m, int fd, const char *path, char *buf, uint64_t off)
{
	ssize_t r;

	r = pwrite(fd, buf, BS, (off_t)off);
	if (r < 0)
		return fail(path, errno == EINVAL && m != M_FSYNC ?
			    "O_DIRECT pwrite (alignment?)" : "pwrite");
	if (r != BS) {
		fprintf(stderr, "%s: %s: short write (%zd of %d bytes)\n",
			prog, path, r, BS);
		return 1;
	}
	if ((m == M_FLUSH || m == M_FSYNC) && fdatasync(fd))
		return fail(path, "fdatasync");
	return 0;
}

int main(int argc, char **argv)
{
	long n = 1000, warm = 10;
	uint64_t region = 1 << 20, nblk, off;
	const char *path = NULL;
	int append = 0, flags, fd, c, rc = 0, blk;
	enum mode m;
	struct stat st;
	struct lat_stats s;
	double *lat, t;
	char *buf;
	long i;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	for (m = M_DEV; m <= M_FSYNC; m++)
		if (!strcmp(argv[1], mode_names[m]))
			break;
	if (m > M_FSYNC)
		return bad("mode", argv[1]);

	/* Options and PATH in any order after the mode. */
	optind = 2;
	while (optind < argc) {
		c = getopt(argc, argv, "+n:w:r:a");
		if (c == -1) {
			if (path)
				return bad("argument", argv[optind]);
			path = argv[optind++];
			continue;
		}
		switch (c) {
		case 'n':
			if (parse_count(optarg, 1, 10000000, &n))
				return bad("count (-n 1..10000000)", optarg);
			break;
		case 'w':
			if (parse_count(optarg, 0, 1000000, &warm))
				return bad("warm-up count (-w 0..1000000)", optarg);
			break;
		case 'r':
			if (parse_size(optarg, BS, 1ULL << 40, &region))
				return bad("region (-r, a multiple of 4096)", optarg);
			break;
		case 'a':
			append = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || !*path) {
		fprintf(stderr, "%s: no PATH\n", prog);
		usage(stderr);
		return 2;
	}

	/* What PATH is decides how it is opened and how far it may be written. */
	if (stat(path, &st)) {
		if (errno != ENOENT)
			return fail(path, "stat");
		st.st_mode = S_IFREG;
		st.st_size = 0;
	} else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "%s: %s: neither a block device nor a regular file\n",
			prog, path);
		return 2;
	}
	blk = S_ISBLK(st.st_mode);
	if (blk && append) {
		fprintf(stderr, "%s: %s: -a needs a regular file\n", prog, path);
		return 2;
	}

	flags = O_WRONLY | O_CLOEXEC;
	if (m != M_FSYNC)
		flags |= O_DIRECT;
	if (m == M_DEV)
		flags |= O_DSYNC;
	/* A block device's O_EXCL fails with EBUSY while it is mounted or held. */
	flags |= blk ? O_EXCL : O_CREAT;
	fd = open(path, flags, 0644);
	if (fd < 0) {
		if (errno == EINVAL && (flags & O_DIRECT))
			return fail(path, "open O_DIRECT (not supported by this file system?)");
		if (errno == EBUSY && blk)
			return fail(path, "open O_EXCL (mounted or in use?)");
		return fail(path, "open");
	}

	if (blk) {
		uint64_t size;

		if (ioctl(fd, BLKGETSIZE64, &size)) {
			rc = fail(path, "BLKGETSIZE64");
			goto out;
		}
		if (size < region) {
			fprintf(stderr, "%s: %s: %llu bytes, smaller than the region (%llu)\n",
				prog, path, (unsigned long long)size,
				(unsigned long long)region);
			rc = 2;
			goto out;
		}
	} else if (append) {
		if (ftruncate(fd, 0) || fsync(fd)) {
			rc = fail(path, "truncating for -a");
			goto out;
		}
	} else if ((uint64_t)st.st_size < region) {
		/* Overwrites of allocated, written blocks: no metadata to commit. */
		rc = prefill(path, st.st_size, region);
		if (rc)
			goto out;
	}

	lat = calloc((size_t)n, sizeof(*lat));
	if (posix_memalign((void **)&buf, BS, BS) || !lat) {
		fprintf(stderr, "%s: out of memory\n", prog);
		free(lat);
		rc = 1;
		goto out;
	}
	nblk = region / BS;
	for (i = 0; i < warm + n; i++) {
		/* Every block written differs from the one it overwrites. */
		memset(buf, 'a' + (int)(i % 26), BS);
		memcpy(buf, &i, sizeof(i));
		off = append ? (uint64_t)i * BS : ((uint64_t)i % nblk) * BS;
		t = now_us();
		rc = one(m, fd, path, buf, off);
		if (rc)
			break;
		if (i >= warm)
			lat[i - warm] = now_us() - t;
	}
	if (!rc) {
		lat_summarise(lat, (size_t)n, &s);
		printf("mode=%s n=%ld bs=%d region=%llu append=%d p50_us=%.1f p99_us=%.1f mean_us=%.1f min_us=%.1f max_us=%.1f path=%s\n",
		       mode_names[m], n, BS, (unsigned long long)region, append,
		       s.p50, s.p99, s.mean, s.min, s.max, path);
	}
	free(buf);
	free(lat);
out:
	if (close(fd) && !rc)
		rc = fail(path, "close");
	return rc;
}
