// SPDX-License-Identifier: GPL-2.0
/*
 * udpping: the network's floor for the benchmarks.
 *
 *   udpping server PORT                     echo every datagram back
 *   udpping client ADDR PORT [-n N] [-s S]  N ping-pongs of S bytes;
 *                                           prints RTT p50/p99 in us
 *   udpping flood ADDR PORT [-t SECONDS]    send as fast as one core can;
 *                                           prints datagrams per second
 *   udpping quorum M PORT ADDR... [-n N]    send to every ADDR, wait for M
 *                                           echoes: a leader's round to a
 *                                           majority; prints p50/p99 in us
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

/* A datagram to each of @k servers; the time until @m have echoed it. */
static int quorum(int argc, char **argv)
{
	struct sockaddr_in sa[16];
	struct timeval tv = { .tv_sec = 1 };
	int m = atoi(argv[2]), port = atoi(argv[3]), k = 0, n = 5000, got = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), i, j;
	char buf[64] = { 0 };
	double *rtt;

	for (i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = atoi(argv[++i]);
			continue;
		}
		if (k == 16)
			return 2;
		memset(&sa[k], 0, sizeof(sa[k]));
		sa[k].sin_family = AF_INET;
		sa[k].sin_port = htons(port);
		if (inet_pton(AF_INET, argv[i], &sa[k].sin_addr) != 1)
			return 2;
		k++;
	}
	rtt = calloc(n > 0 ? n : 1, sizeof(double));
	if (fd < 0 || m < 1 || m > k || n < 1 || !rtt)
		return 2;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < n + 100; i++) {
		double t = now_us();
		int seq = i, echoed = 0;

		memcpy(buf, &seq, sizeof(seq));
		for (j = 0; j < k; j++)
			sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sa[j],
			       sizeof(sa[j]));
		while (echoed < m) {
			char in[64];

			if (recv(fd, in, sizeof(in), 0) < 0)
				break;	/* lost: not counted */
			memcpy(&seq, in, sizeof(seq));
			echoed += seq == i;
		}
		if (echoed == m && i >= 100)	/* after a warm-up */
			rtt[got++] = now_us() - t;
	}
	if (!got)
		return 1;
	qsort(rtt, got, sizeof(double), cmp);
	printf("udpping: %d rounds to %d servers, %d echoes each: p50 %.1f us p99 %.1f us\n",
	       got, k, m, rtt[got / 2], rtt[got * 99 / 100]);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char buf[65536];
	int fd, n = 10000, size = 64, secs = 2, i;

	if (argc < 3)
		goto usage;
	if (!strcmp(argv[1], "quorum")) {
		i = argc < 5 ? 2 : quorum(argc, argv);
		if (i == 2)
			goto usage;
		return i;
	}
	for (i = 3; i < argc - 1; i++) {
		if (!strcmp(argv[i], "-n"))
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-s"))
			size = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-t"))
			secs = atoi(argv[++i]);
	}
	if (n < 1 || size < 1 || size > (int)sizeof(buf) || secs < 1)
		goto usage;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	if (!strcmp(argv[1], "server")) {
		sa.sin_port = htons(atoi(argv[2]));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			perror("bind");
			return 1;
		}
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r = recvfrom(fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);

			if (r > 0)
				sendto(fd, buf, r, 0, (struct sockaddr *)&from, fl);
		}
	}
	if (argc < 4 || inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		goto usage;
	sa.sin_port = htons(atoi(argv[3]));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		return 1;
	}
	memset(buf, 'p', size);
	if (!strcmp(argv[1], "client")) {
		double *rtt = calloc(n, sizeof(double));
		struct timeval tv = { .tv_sec = 1 };
		int got = 0;

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		for (i = 0; i < n + 100; i++) {
			double t = now_us();

			if (send(fd, buf, size, 0) != size)
				return 1;
			if (recv(fd, buf, sizeof(buf), 0) < 0)
				continue;	/* lost: not counted */
			if (i >= 100)	/* warm-up */
				rtt[got++] = now_us() - t;
		}
		if (!got)
			return 1;
		qsort(rtt, got, sizeof(double), cmp);
		printf("udpping: %d round trips of %d bytes: p50 %.1f us p99 %.1f us\n",
		       got, size, rtt[got / 2], rtt[got * 99 / 100]);
		return 0;
	}
	if (!strcmp(argv[1], "flood")) {
		double end = now_us() + secs * 1e6, t0 = now_us();
		long sent = 0;

		while (now_us() < end)
			for (i = 0; i < 64; i++)
				sent += send(fd, buf, size, 0) == size;
		printf("udpping: %.0f datagrams/s of %d bytes from one core\n",
		       sent / ((now_us() - t0) / 1e6), size);
		return 0;
	}
usage:
	fprintf(stderr, "usage: udpping server PORT | client ADDR PORT [-n N] [-s S] | flood ADDR PORT [-t S]\n"
		"       udpping quorum M PORT ADDR... [-n N]\n");
	return 2;
}
