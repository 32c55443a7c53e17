// SPDX-License-Identifier: GPL-2.0
/*
 * paxosbench: closed-loop commit latency and throughput.
 *
 *   paxosbench [--paxosd SOCK] [--depth 1,8,64,256] [--size 16,64,1024,8192]
 *              [--seconds S] [--warmup S] [--json FILE] [--label NAME]
 *              [--threads]
 *
 * Closed loop with DEPTH writes outstanding.  By default one thread keeps
 * them outstanding as an application would: non-blocking writes to
 * /dev/paxoslog, completions seen by reading the committed log; against
 * the user-space twin paxosd, requests pipelined on one connection.  With
 * --threads, each of DEPTH threads has one blocking write (or one twin
 * request) at a time.  Prints per-write commit latency p50/p99/p99.9 and
 * commits per second for every size (16..8192 bytes) and depth, as a table
 * and, with --json, as JSON.  Each run first writes for --warmup seconds
 * (default 0.5) without recording: the first writes of a process, and of
 * a fresh cluster, pay for cold caches and page faults.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/paxos.h>

/* Writes outstanding at most: one thread each with --threads. */
#define MAX_DEPTH	1024
#define STR(x)		#x
#define XSTR(x)		STR(x)

static const char *sock_path;
static int threads;		/* --threads: one blocking writer per outstanding write */
static volatile int stop;
static volatile int measuring;	/* the warm-up is over */

struct worker {
	pthread_t t;
	int size;
	int depth;		/* pipelined: writes kept outstanding */
	double *lat;
	size_t n, cap;
	int err;
};

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int connect_twin(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect paxosd");
		exit(1);
	}
	return fd;
}

static int full(int fd, void *buf, size_t len, int wr)
{
	char *p = buf;

	while (len) {
		ssize_t r = wr ? write(fd, p, len) : read(fd, p, len);

		if (r <= 0)
			return -1;
		p += r;
		len -= r;
	}
	return 0;
}

static void record(struct worker *w, double lat)
{
	if (!measuring)
		return;
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 4096;
		w->lat = realloc(w->lat, w->cap * sizeof(double));
		if (!w->lat) {
			perror("paxosbench");
			exit(1);
		}
	}
	w->lat[w->n++] = lat;
}

/* One thread, one blocking write (or twin request) at a time. */
static void *run(void *arg)
{
	struct worker *w = arg;
	char buf[8192 + 4];
	int fd = sock_path ? connect_twin() : open("/dev/paxoslog", O_RDWR);

	if (fd < 0) {
		w->err = errno;
		return NULL;
	}
	memset(buf + 4, 'b', w->size);
	while (!stop) {
		double t = now_us();

		/* A count, not rand(): that takes a lock all threads share. */
		snprintf(buf + 4, w->size, "%zx", w->n);
		if (sock_path) {
			uint32_t len = w->size;
			int64_t idx;

			memcpy(buf, &len, 4);
			if (full(fd, buf, 4 + w->size, 1) || full(fd, &idx, 8, 0) || idx <= 0) {
				w->err = EIO;
				break;
			}
		} else if (write(fd, buf + 4, w->size) != w->size) {
			w->err = errno;
			break;
		}
		record(w, now_us() - t);
	}
	close(fd);
	return NULL;
}

/*
 * One thread keeps w->depth writes outstanding.  On /dev/paxoslog: writes
 * with O_NONBLOCK (they return once proposed), and the committed log, read
 * in order from a second file, says when each committed: the value carries
 * a tag and its send time.  Against paxosd: requests pipelined on one
 * connection, answered in order.
 */
#define TAG 0x7061786f7362656eULL

static void *run_pipelined(void *arg)
{
	struct worker *w = arg;
	static char rbuf[1 << 16];
	char val[8192 + 4];
	double *sent = calloc(w->depth, sizeof(double));
	size_t out = 0, head = 0, have = 0;
	int wfd, rfd = -1;

	if (sock_path) {
		wfd = connect_twin();
	} else {
		wfd = open("/dev/paxoslog", O_RDWR | O_NONBLOCK);
		rfd = open("/dev/paxoslog", O_RDONLY);
		if (rfd >= 0 && lseek(rfd, 0, SEEK_END) < 0)
			rfd = -1;
	}
	if (wfd < 0 || (!sock_path && rfd < 0) || !sent) {
		w->err = errno ? errno : ENOMEM;
		return NULL;
	}
	memset(val, 'b', sizeof(val));
	while (!stop) {
		while (out < (size_t)w->depth) {
			uint64_t tag = TAG;
			double t = now_us();
			ssize_t r;

			memcpy(val + 4, &tag, 8);
			memcpy(val + 12, &t, 8);
			if (sock_path) {
				uint32_t len = w->size;

				memcpy(val, &len, 4);
				if (full(wfd, val, 4 + w->size, 1)) {
					w->err = EIO;
					goto done;
				}
				sent[(head + out) % w->depth] = t;
			} else {
				r = write(wfd, val + 4, w->size);
				if (r < 0 && errno == EAGAIN && out)
					break;	/* no room until something commits */
				if (r < 0 && errno == EAGAIN) {
					usleep(100);
					continue;
				}
				if (r != w->size) {
					w->err = errno;
					goto done;
				}
			}
			out++;
		}
		if (sock_path) {
			int64_t idx;

			if (full(wfd, &idx, 8, 0) || idx <= 0) {
				w->err = EIO;
				break;
			}
			record(w, now_us() - sent[head]);
			head = (head + 1) % w->depth;
			out--;
			continue;
		}
		/* Committed records, in log order; ours carry the tag. */
		{
			ssize_t r = read(rfd, rbuf + have, sizeof(rbuf) - have);
			size_t off = 0;

			if (r <= 0) {
				w->err = r < 0 ? errno : EIO;
				break;
			}
			have += r;
			while (have - off >= sizeof(struct paxos_record)) {
				struct paxos_record rec;
				uint64_t tag;
				double t;

				memcpy(&rec, rbuf + off, sizeof(rec));
				if (have - off < sizeof(rec) + rec.len)
					break;
				if (rec.type == PAXOS_REC_DATA && rec.len >= 16) {
					memcpy(&tag, rbuf + off + sizeof(rec), 8);
					memcpy(&t, rbuf + off + sizeof(rec) + 8, 8);
					if (tag == TAG && out) {
						record(w, now_us() - t);
						out--;
					}
				}
				off += sizeof(rec) + rec.len;
			}
			memmove(rbuf, rbuf + off, have - off);
			have -= off;
		}
	}
done:
	close(wfd);
	if (rfd >= 0)
		close(rfd);
	free(sent);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * A comma-separated list of at most @max integers in [@lo, @hi] into @out:
 * their count, or 0 if any is not such an integer.
 */
static int parse_list(const char *s, int *out, int max, long lo, long hi)
{
	int k = 0;

	for (;;) {
		char *end;
		long v;

		errno = 0;
		v = strtol(s, &end, 10);
		if (end == s || errno || v < lo || v > hi || k == max ||
		    (*end && *end != ','))
			return 0;
		out[k++] = (int)v;
		if (!*end)
			return k;
		s = end + 1;
	}
}

/* A number of seconds in [@lo, 3600]; -1 if @s is not one. */
static double parse_secs(const char *s, double lo)
{
	char *end;
	double v = strtod(s, &end);

	return end != s && !*end && v >= lo && v <= 3600 ? v : -1;
}

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "paxosbench: %s\n", why);
	fprintf(stderr, "usage: paxosbench [--paxosd SOCK] [--depth 1,8,64,256] [--size 16,64,1024,8192]\n"
		"                  [--seconds S] [--warmup S] [--json FILE] [--label NAME] [--threads]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int depths[8] = { 1, 8, 64, 256 }, sizes[8] = { 16, 64, 1024, 8192 };
	int nd = 4, ns = 4, i, d, s;
	double secs = 3, warmup = 0.5;
	const char *json = NULL, *label = "kernel";
	FILE *jf = NULL;
	int first = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(NULL);
			return 0;
		}
		if (!strcmp(argv[i], "--threads")) {
			threads = 1;
			continue;
		}
		if (i + 1 == argc)
			return usage(NULL);
		if (!strcmp(argv[i], "--paxosd"))
			sock_path = argv[++i];
		else if (!strcmp(argv[i], "--depth"))
			nd = parse_list(argv[++i], depths, 8, 1, MAX_DEPTH);
		else if (!strcmp(argv[i], "--size"))
			ns = parse_list(argv[++i], sizes, 8, 16, 8192);
		else if (!strcmp(argv[i], "--seconds"))
			secs = parse_secs(argv[++i], 0.001);
		else if (!strcmp(argv[i], "--warmup"))
			warmup = parse_secs(argv[++i], 0);
		else if (!strcmp(argv[i], "--json"))
			json = argv[++i];
		else if (!strcmp(argv[i], "--label"))
			label = argv[++i];
		else
			return usage(NULL);
	}
	if (!nd)
		return usage("--depth: up to 8 numbers from 1 to " XSTR(MAX_DEPTH) ", comma-separated");
	if (!ns)
		return usage("--size: up to 8 byte counts from 16 to 8192, comma-separated");
	if (secs < 0 || warmup < 0)
		return usage("--seconds and --warmup: seconds, up to 3600 (--seconds above 0)");
	if (json) {
		jf = fopen(json, "w");
		if (!jf) {
			fprintf(stderr, "paxosbench: %s: %s\n", json, strerror(errno));
			return 1;
		}
		fprintf(jf, "[");
	}
	printf("%-8s %6s %6s %9s %11s %9s %9s %9s\n", "target", "size", "depth",
	       "commits", "commits/s", "p50 us", "p99 us", "p99.9 us");
	for (s = 0; s < ns; s++) {
		for (d = 0; d < nd; d++) {
			int depth = depths[d], err = 0;
			int nw = threads ? depth : 1;
			struct worker *w = calloc(nw, sizeof(*w));
			double t0, t1, *all;
			size_t total = 0, k = 0;

			if (!w) {
				perror("paxosbench");
				return 1;
			}
			stop = 0;
			measuring = 0;
			for (i = 0; i < nw; i++) {
				w[i].size = sizes[s];
				w[i].depth = depth;
				err = pthread_create(&w[i].t, NULL,
						     threads ? run : run_pipelined, &w[i]);
				if (err) {
					fprintf(stderr, "paxosbench: thread: %s\n", strerror(err));
					return 1;
				}
			}
			if (warmup > 0)
				usleep(warmup * 1e6);
			t0 = now_us();
			measuring = 1;
			while (now_us() - t0 < secs * 1e6) {
				usleep(100000);
				if (secs > 3 && (int)((now_us() - t0) / 1e6) % 2 == 0)
					fprintf(stderr, "\r  %s size %d depth %d: %.0f s",
						label, sizes[s], depth, (now_us() - t0) / 1e6);
			}
			stop = 1;
			for (i = 0; i < nw; i++) {
				pthread_join(w[i].t, NULL);
				total += w[i].n;
				err |= w[i].err;
			}
			t1 = now_us();
			if (secs > 3)
				fprintf(stderr, "\r%40s\r", "");
			if (err && !total) {
				fprintf(stderr, "paxosbench: writes fail: %s\n", strerror(err));
				return 1;
			}
			all = malloc((total + 1) * sizeof(double));
			if (!all) {
				perror("paxosbench");
				return 1;
			}
			for (i = 0; i < nw; i++) {
				memcpy(all + k, w[i].lat, w[i].n * sizeof(double));
				k += w[i].n;
				free(w[i].lat);
			}
			qsort(all, total, sizeof(double), cmp);
			{
				double p50 = total ? all[total / 2] : 0;
				double p99 = total ? all[total * 99 / 100] : 0;
				double p999 = total ? all[total * 999 / 1000] : 0;
				double rate = total / ((t1 - t0) / 1e6);

				printf("%-8s %6d %6d %9zu %11.0f %9.0f %9.0f %9.0f\n", label,
				       sizes[s], depth, total, rate, p50, p99, p999);
				if (jf)
					fprintf(jf, "%s\n {\"target\":\"%s\",\"size\":%d,\"depth\":%d,\"commits\":%zu,\"commits_per_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f}",
						first ? "" : ",", label, sizes[s], depth,
						total, rate, p50, p99, p999);
				first = 0;
			}
			fflush(stdout);
			free(all);
			free(w);
		}
	}
	if (jf) {
		fprintf(jf, "\n]\n");
		fclose(jf);
	}
	return 0;
}
