/* SPDX-License-Identifier: MIT */
/*
 * stats.h - latency statistics: an HDR-like log-linear histogram of
 * nanosecond values with exact count, sum, min and max.
 *
 * Values below 2^STATS_SUB_BITS ns are counted exactly; above, each power of
 * two is split in 2^STATS_SUB_BITS linear buckets, so a percentile is within
 * 1/2^(STATS_SUB_BITS+1) (0.4%) of a recorded value.  Memory is fixed (no
 * allocation on the recording path) and two histograms merge by addition, so
 * every task records into its own and the demo merges them at exit.
 *
 * Not thread safe: one writer at a time (a task, or a plain thread).
 */
#ifndef DEMO_STATS_H
#define DEMO_STATS_H

#include <stdint.h>

#define STATS_SUB_BITS 7
#define STATS_SUB_COUNT (1u << STATS_SUB_BITS)
/* Linear range [0, 2^S) plus one row of 2^S buckets per exponent S..63. */
#define STATS_NBUCKETS ((64 - STATS_SUB_BITS + 1) * STATS_SUB_COUNT)

struct stats {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t buckets[STATS_NBUCKETS];
};

void stats_init(struct stats *s);
void stats_record(struct stats *s, uint64_t v);
/* dst += src */
void stats_merge(struct stats *dst, const struct stats *src);
/* Nearest-rank percentile, p in [0, 100]: the smallest recorded value with at
 * least p% of the values at or below it (to the histogram's precision,
 * clamped to [min, max]).  0 on an empty histogram. */
uint64_t stats_percentile(const struct stats *s, double p);
/* Mean, 0 on an empty histogram. */
double stats_mean(const struct stats *s);

/* Exposed for the unit test: bucket of a value and the bucket's range. */
unsigned int stats__bucket(uint64_t v);
void stats__bucket_range(unsigned int b, uint64_t *lo, uint64_t *hi);

#endif /* DEMO_STATS_H */
