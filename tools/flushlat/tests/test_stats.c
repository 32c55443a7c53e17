// SPDX-License-Identifier: GPL-2.0
/* flushlat's statistics and argument parsing; last line `N passed, M failed`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats.h"

static int passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("not ok %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void test_percentiles(void)
{
	double one[] = { 7 };
	double v[1000];
	struct lat_stats s;
	size_t i;

	lat_summarise(one, 1, &s);
	CHECK(near(s.p50, 7) && near(s.p99, 7) && near(s.mean, 7));
	CHECK(near(s.min, 7) && near(s.max, 7));

	/* 1000..1 reversed: the sort, then nearest rank 500 and 990. */
	for (i = 0; i < 1000; i++)
		v[i] = 1000 - (double)i;
	lat_summarise(v, 1000, &s);
	CHECK(near(s.p50, 500));
	CHECK(near(s.p99, 990));
	CHECK(near(s.mean, 500.5));
	CHECK(near(s.min, 1) && near(s.max, 1000));
	for (i = 1; i < 1000 && v[i - 1] <= v[i]; i++)
		;
	CHECK(i == 1000);

	/* Two samples: p50 is the lower, p99 the upper. */
	v[0] = 30;
	v[1] = 10;
	lat_summarise(v, 2, &s);
	CHECK(near(s.p50, 10) && near(s.p99, 30) && near(s.mean, 20));

	/* 100 samples: p99 is the 99th, not the largest. */
	for (i = 0; i < 100; i++)
		v[i] = (double)i + 1;
	CHECK(near(lat_percentile(v, 100, 99), 99));
	CHECK(near(lat_percentile(v, 100, 100), 100));
	CHECK(near(lat_percentile(v, 100, 50), 50));
	CHECK(near(lat_percentile(v, 100, 0.5), 1));
	/* 3 samples: ceil(1.5) = 2, ceil(2.97) = 3. */
	CHECK(near(lat_percentile(v, 3, 50), 2));
	CHECK(near(lat_percentile(v, 3, 99), 3));
}

static void test_count(void)
{
	long v = -1;

	CHECK(parse_count("1", 1, 10, &v) == 0 && v == 1);
	CHECK(parse_count("10", 1, 10, &v) == 0 && v == 10);
	CHECK(parse_count("0", 0, 10, &v) == 0 && v == 0);
	CHECK(parse_count("0", 1, 10, &v) == -1);
	CHECK(parse_count("11", 1, 10, &v) == -1);
	CHECK(parse_count("", 1, 10, &v) == -1);
	CHECK(parse_count("-1", 0, 10, &v) == -1);
	CHECK(parse_count("+1", 0, 10, &v) == -1);
	CHECK(parse_count(" 1", 0, 10, &v) == -1);
	CHECK(parse_count("1x", 0, 10, &v) == -1);
	CHECK(parse_count("99999999999999999999999", 0, 10000000, &v) == -1);
	CHECK(parse_count("10000000", 1, 10000000, &v) == 0 && v == 10000000);
}

static void test_size(void)
{
	uint64_t v = 0, max = 1ULL << 40;

	CHECK(parse_size("4096", 4096, max, &v) == 0 && v == 4096);
	CHECK(parse_size("4K", 4096, max, &v) == 0 && v == 4096);
	CHECK(parse_size("1M", 4096, max, &v) == 0 && v == 1 << 20);
	CHECK(parse_size("1m", 4096, max, &v) == 0 && v == 1 << 20);
	CHECK(parse_size("2G", 4096, max, &v) == 0 && v == 2ULL << 30);
	CHECK(parse_size("1024G", 4096, max, &v) == 0 && v == max);
	CHECK(parse_size("1025G", 4096, max, &v) == -1);
	CHECK(parse_size("4095", 4096, max, &v) == -1);
	CHECK(parse_size("1K", 4096, max, &v) == -1);
	CHECK(parse_size("0", 4096, max, &v) == -1);
	CHECK(parse_size("0K", 4096, max, &v) == -1);
	CHECK(parse_size("", 4096, max, &v) == -1);
	CHECK(parse_size("K", 4096, max, &v) == -1);
	CHECK(parse_size("4KB", 4096, max, &v) == -1);
	CHECK(parse_size("4T", 4096, max, &v) == -1);
	CHECK(parse_size("-4096", 4096, max, &v) == -1);
	CHECK(parse_size("18446744073709551616", 4096, max, &v) == -1);
	CHECK(parse_size("17179869184G", 4096, ~0ULL, &v) == -1);
}

int main(void)
{
	test_percentiles();
	test_count();
	test_size();
	printf("stats: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
