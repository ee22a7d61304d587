// SPDX-License-Identifier: MIT
/*
 * hist.c - log2 histogram helpers shared by the report and the JSON export.
 */
#include <string.h>
#include "common/hist.h"

uint64_t obs_hist_lo_ns(unsigned int slot)
{
	return slot ? (1ULL << slot) * 1000 : 0;
}

uint64_t obs_hist_hi_ns(unsigned int slot)
{
	return (1ULL << (slot + 1)) * 1000;
}

int obs_hist_top(const __u64 *hist, unsigned int nslots)
{
	int i;

	for (i = (int)nslots - 1; i >= 0; i--)
		if (hist[i])
			return i;
	return -1;
}

uint64_t obs_hist_percentile(const __u64 *hist, unsigned int nslots,
			     double pct)
{
	uint64_t total = 0, cum = 0;
	double want;
	unsigned int i;

	for (i = 0; i < nslots; i++)
		total += hist[i];
	if (!total)
		return 0;
	want = total * pct / 100.0;
	for (i = 0; i < nslots; i++) {
		cum += hist[i];
		if ((double)cum >= want && cum)
			return obs_hist_hi_ns(i);
	}
	return obs_hist_hi_ns(nslots - 1);
}

#define STARS_MAX 40

static void print_stars(FILE *f, uint64_t val, uint64_t max)
{
	int n, i;

	n = max ? (int)(val * STARS_MAX / max) : 0;
	for (i = 0; i < STARS_MAX; i++)
		fputc(i < n ? '*' : ' ', f);
	if (val > max)
		fputc('+', f);
}

uint64_t obs_hist_percentile_max(const __u64 *hist, unsigned int nslots,
				 double pct, uint64_t max)
{
	uint64_t v = obs_hist_percentile(hist, nslots, pct);

	return max && v > max ? max : v;
}

void obs_hist_print(FILE *f, const __u64 *hist, unsigned int nslots,
		    const char *unit)
{
	uint64_t max = 0, lo, hi;
	int top, i;

	top = obs_hist_top(hist, nslots);
	if (top < 0) {
		fprintf(f, "     (no samples)\n");
		return;
	}
	for (i = 0; i <= top; i++)
		if (hist[i] > max)
			max = hist[i];
	fprintf(f, "%*s%-*s : count    distribution\n", 10, "", 14, unit);
	for (i = 0; i <= top; i++) {
		/* runqlat labels: slot k covers [2^k, 2^(k+1) - 1] units */
		lo = i ? 1ULL << i : 0;
		hi = (1ULL << (i + 1)) - 1;
		fprintf(f, "%12llu -> %-12llu : %-8llu |",
			(unsigned long long)lo, (unsigned long long)hi,
			(unsigned long long)hist[i]);
		print_stars(f, hist[i], max);
		fprintf(f, "|\n");
	}
}

char *obs_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3f s", ns / 1e9);
	return buf;
}
