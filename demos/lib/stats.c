// SPDX-License-Identifier: MIT
/* stats.c - log-linear histogram, see stats.h. */
#include <math.h>
#include <string.h>

#include "stats.h"

void stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
	s->min = UINT64_MAX;
}

unsigned int stats__bucket(uint64_t v)
{
	unsigned int e, sub;

	if (v < STATS_SUB_COUNT)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v); /* e >= STATS_SUB_BITS */
	/* The top STATS_SUB_BITS bits below the leading one pick the bucket. */
	sub = (unsigned int)(v >> (e - STATS_SUB_BITS)) - STATS_SUB_COUNT;
	return (e - STATS_SUB_BITS + 1) * STATS_SUB_COUNT + sub;
}

void stats__bucket_range(unsigned int b, uint64_t *lo, uint64_t *hi)
{
	unsigned int row = b / STATS_SUB_COUNT, sub = b % STATS_SUB_COUNT;
	unsigned int shift;

	if (row == 0) {
		*lo = *hi = b;
		return;
	}
	shift = row - 1;
	*lo = (uint64_t)(STATS_SUB_COUNT + sub) << shift;
	/* The last bucket ends at UINT64_MAX; the shift cannot overflow before. */
	*hi = *lo + (((uint64_t)1 << shift) - 1);
}

void stats_record(struct stats *s, uint64_t v)
{
	s->buckets[stats__bucket(v)]++;
	s->count++;
	s->sum += v;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
}

void stats_merge(struct stats *dst, const struct stats *src)
{
	if (!src->count)
		return;
	for (unsigned int i = 0; i < STATS_NBUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t stats_percentile(const struct stats *s, double p)
{
	uint64_t rank, seen = 0, lo, hi, v;

	if (!s->count)
		return 0;
	if (p <= 0)
		return s->min;
	if (p >= 100)
		return s->max;
	rank = (uint64_t)ceil(p / 100.0 * (double)s->count);
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < STATS_NBUCKETS; i++) {
		seen += s->buckets[i];
		if (seen < rank)
			continue;
		stats__bucket_range(i, &lo, &hi);
		/* The bucket's midpoint: within half a bucket of the value. */
		v = lo + (hi - lo) / 2;
		if (v < s->min)
			v = s->min;
		if (v > s->max)
			v = s->max;
		return v;
	}
	return s->max; /* not reached: the buckets sum to count */
}

double stats_mean(const struct stats *s)
{
	return s->count ? (double)s->sum / (double)s->count : 0.0;
}
