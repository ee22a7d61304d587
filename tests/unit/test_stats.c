// SPDX-License-Identifier: MIT
/*
 * test_stats.c - the demos' latency histogram (demos/lib/stats.c) against
 * exact nearest-rank percentiles of the same samples.
 */
#include <math.h>
#include <stdlib.h>

#include "stats.h"
#include "../tap.h"

/* Half a bucket: the documented precision of a percentile (stats.h). */
#define REL_TOL (1.0 / (2.0 * STATS_SUB_COUNT))

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank over sorted samples: the reference. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 11;
}

static struct stats *stats_new(void)
{
	struct stats *s = malloc(sizeof(*s));

	if (!s)
		abort();
	stats_init(s);
	return s;
}

TEST(empty_is_zero)
{
	struct stats *s = stats_new();

	ASSERT_UEQ(stats_percentile(s, 50), 0);
	ASSERT_UEQ(stats_percentile(s, 99), 0);
	ASSERT_DBL_LE(stats_mean(s), 0.0);
	ASSERT_UEQ(s->count, 0);
}

TEST(small_values_exact)
{
	struct stats *s = stats_new();

	/* Below 2^STATS_SUB_BITS every value has its own bucket. */
	for (uint64_t v = 1; v <= 100; v++)
		stats_record(s, v);
	ASSERT_UEQ(stats_percentile(s, 50), 50);
	ASSERT_UEQ(stats_percentile(s, 99), 99);
	ASSERT_UEQ(stats_percentile(s, 99.5), 100);
	ASSERT_UEQ(stats_percentile(s, 100), 100);
	ASSERT_UEQ(stats_percentile(s, 0), 1);
	ASSERT_UEQ(s->min, 1);
	ASSERT_UEQ(s->max, 100);
	ASSERT_DBL_GE(stats_mean(s), 50.5);
	ASSERT_DBL_LE(stats_mean(s), 50.5);
}

TEST(single_value_all_percentiles)
{
	struct stats *s = stats_new();

	stats_record(s, 20000000); /* 20 ms: clamped to the exact value */
	ASSERT_UEQ(stats_percentile(s, 1), 20000000);
	ASSERT_UEQ(stats_percentile(s, 50), 20000000);
	ASSERT_UEQ(stats_percentile(s, 99.9), 20000000);
}

TEST(bucket_contains_value_and_is_monotonic)
{
	uint64_t seed = 42, lo, hi, prev_v = 0;
	unsigned int b, prev_b = 0;

	for (int i = 0; i < 200000; i++) {
		/* Log-uniform: every exponent gets values. */
		uint64_t v = lcg(&seed) >> (lcg(&seed) % 53);

		b = stats__bucket(v);
		ASSERT_LT(b, STATS_NBUCKETS);
		stats__bucket_range(b, &lo, &hi);
		ASSERT_ULE(lo, v);
		ASSERT_UGE(hi, v);
		/* Width within the documented relative precision. */
		ASSERT_DBL_LE((double)(hi - lo), (double)lo / STATS_SUB_COUNT);
	}
	for (uint64_t v = 0; v < 1000000; v += 7) {
		b = stats__bucket(v);
		if (v > prev_v)
			ASSERT_LE(prev_b, b);
		prev_v = v;
		prev_b = b;
	}
	/* Edges: powers of two and the largest value. */
	for (int e = 0; e < 64; e++) {
		uint64_t v = 1ULL << e;

		stats__bucket_range(stats__bucket(v), &lo, &hi);
		ASSERT_ULE(lo, v);
		ASSERT_UGE(hi, v);
		stats__bucket_range(stats__bucket(v - 1), &lo, &hi);
		ASSERT_ULE(lo, v - 1);
		ASSERT_UGE(hi, v - 1);
	}
	ASSERT_EQ(stats__bucket(UINT64_MAX), STATS_NBUCKETS - 1);
	stats__bucket_range(STATS_NBUCKETS - 1, &lo, &hi);
	ASSERT_UEQ(hi, UINT64_MAX);
}

TEST(percentiles_match_sorted_samples)
{
	static const double ps[] = { 1, 10, 25, 50, 75, 90, 99, 99.9 };
	size_t n = 100000;
	uint64_t *v = malloc(n * sizeof(*v)), seed = 7;
	struct stats *s = stats_new();

	ASSERT(v != NULL); /* tap.h ASSERT_NOT_NULL does not compile (see report) */
	for (size_t i = 0; i < n; i++) {
		/* Latency-like: 10 us .. ~100 ms, heavy tail. */
		v[i] = 10000 + (lcg(&seed) % 1000) * (1ULL << (lcg(&seed) % 17));
		stats_record(s, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t want = exact_percentile(v, n, ps[i]);
		uint64_t got = stats_percentile(s, ps[i]);

		if (fabs((double)got - (double)want) > (double)want * REL_TOL + 1)
			TAP_FAIL("p%g: got %llu want %llu", ps[i],
				 (unsigned long long)got,
				 (unsigned long long)want);
	}
	ASSERT_UEQ(stats_percentile(s, 100), v[n - 1]);
	ASSERT_UEQ(s->min, v[0]);
	ASSERT_UEQ(s->count, n);
}

TEST(merge_equals_one_histogram)
{
	struct stats *a = stats_new(), *b = stats_new(), *all = stats_new();
	uint64_t seed = 3;

	for (int i = 0; i < 50000; i++) {
		uint64_t x = lcg(&seed) % 50000000;

		stats_record(i % 3 ? a : b, x);
		stats_record(all, x);
	}
	stats_merge(a, b);
	ASSERT_UEQ(a->count, all->count);
	ASSERT_UEQ(a->sum, all->sum);
	ASSERT_UEQ(a->min, all->min);
	ASSERT_UEQ(a->max, all->max);
	for (double p = 0; p <= 100; p += 0.5)
		ASSERT_UEQ(stats_percentile(a, p), stats_percentile(all, p));
	/* Merging an empty histogram changes nothing (min stays). */
	stats_init(b);
	stats_merge(a, b);
	ASSERT_UEQ(a->min, all->min);
}

int main(void)
{
	return tap_run();
}
