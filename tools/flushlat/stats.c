// SPDX-License-Identifier: GPL-2.0
/* flushlat: latency statistics and argument parsing (see stats.h). */
#include <stdlib.h>

#include "stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double lat_percentile(const double *v, size_t n, double p)
{
	/* rank = ceil(p / 100 * n), 1-based; computed in integers of 0.01% */
	unsigned long long hundredths = (unsigned long long)(p * 100.0 + 0.5);
	unsigned long long rank = (hundredths * n + 9999) / 10000;

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void lat_summarise(double *v, size_t n, struct lat_stats *s)
{
	double sum = 0;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	s->p50 = lat_percentile(v, n, 50);
	s->p99 = lat_percentile(v, n, 99);
	s->mean = sum / n;
	s->min = v[0];
	s->max = v[n - 1];
}

/* Decimal digits only, no sign, no overflow past @max. */
static int parse_digits(const char *s, const char **end, uint64_t max,
			uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*end = s;
	*out = v;
	return 0;
}

int parse_count(const char *s, long min, long max, long *out)
{
	const char *end;
	uint64_t v;

	if (min < 0 || max < min || parse_digits(s, &end, (uint64_t)max, &v) ||
	    *end || v < (uint64_t)min)
		return -1;
	*out = (long)v;
	return 0;
}

int parse_size(const char *s, uint64_t align, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v, mul = 1;

	if (parse_digits(s, &end, max, &v))
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'K': case 'k':
		mul = 1ULL << 10;
		end++;
		break;
	case 'M': case 'm':
		mul = 1ULL << 20;
		end++;
		break;
	case 'G': case 'g':
		mul = 1ULL << 30;
		end++;
		break;
	default:
		return -1;
	}
	if (*end || v == 0 || v > max / mul)
		return -1;
	v *= mul;
	if (align && v % align)
		return -1;
	*out = v;
	return 0;
}
