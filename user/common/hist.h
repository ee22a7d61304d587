/* SPDX-License-Identifier: MIT */
/*
 * hist.h - log2 histograms of microseconds (the slots the BPF side fills):
 * bounds in ns, percentiles, runqlat-style printing; time units and the
 * one time format.
 */
#ifndef OBS_HIST_H
#define OBS_HIST_H

#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL

/* Slot bounds in ns: slot 0 is [0, 2000), slot k >= 1 is [2^k us, 2^(k+1) us). */
uint64_t obs_hist_lo_ns(unsigned int slot);
uint64_t obs_hist_hi_ns(unsigned int slot);

/* Index of the highest non-empty slot, -1 if the histogram is empty. */
int obs_hist_top(const __u64 *hist, unsigned int nslots);

/* The upper bound (ns) of the slot holding the pct-th percentile, 0 if empty. */
uint64_t obs_hist_percentile(const __u64 *hist, unsigned int nslots,
			     double pct);

/* The same, capped by max, the largest value seen (a slot's upper bound can
 * exceed it); max 0 (unknown): uncapped. */
uint64_t obs_hist_percentile_max(const __u64 *hist, unsigned int nslots,
				 double pct, uint64_t max);

/* runqlat's format: "usecs : count | distribution", up to the top slot. */
void obs_hist_print(FILE *f, const __u64 *hist, unsigned int nslots,
		    const char *unit);

/* "812 ns", "12.3 us", "4.56 ms", "1.234 s" into buf; returns buf.  The
 * one time format of every output: tables, evidence and notes. */
char *obs_fmt_ns(char *buf, size_t len, uint64_t ns);

#endif
