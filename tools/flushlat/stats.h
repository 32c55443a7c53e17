/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flushlat's pure parts, unit-tested on their own: latency statistics and
 * the parsing of its numeric arguments.
 */
#ifndef FLUSHLAT_STATS_H
#define FLUSHLAT_STATS_H

#include <stddef.h>
#include <stdint.h>

struct lat_stats {
	double p50, p99, mean, min, max;	/* microseconds */
};

/*
 * Sort @v (@n > 0 samples, microseconds) in place and summarise it.
 * Percentiles are nearest-rank: the smallest sample with at least p% of
 * the samples at or below it.
 */
void lat_summarise(double *v, size_t n, struct lat_stats *s);

/* The nearest-rank @p-th percentile (0 < p <= 100) of sorted @v. */
double lat_percentile(const double *v, size_t n, double p);

/*
 * A count: decimal digits only, @min..@max (0 <= @min <= @max).  Returns 0
 * and sets *@out, or -1.
 */
int parse_count(const char *s, long min, long max, long *out);

/*
 * A size in bytes: decimal digits with an optional K, M or G suffix
 * (powers of 1024), a positive multiple of @align, at most @max.
 * Returns 0 and sets *@out, or -1.
 */
int parse_size(const char *s, uint64_t align, uint64_t max, uint64_t *out);

#endif
