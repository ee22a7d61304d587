'use strict';
/*
 * stats.js - percentiles of a list of samples.  A run records at most
 * secs * rate latencies (5 s at 200/s: 1000 numbers), so the samples are
 * kept and sorted: exact, where the C demos' log-linear histogram
 * (demos/lib/stats.c) would round.
 */

// Rounds to microseconds: the report is in ms, finer digits are noise.
const us = (ms) => Math.round(ms * 1000) / 1000;

// Nearest rank: the smallest sample with at least p% of them at or below it.
function percentile(sorted, p) {
	if (sorted.length === 0)
		return 0;
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

// {count, p50, p99, max} of samples in ms (all 0 when there are none).
function summary(samples) {
	const s = Float64Array.from(samples).sort();
	return {
		count: s.length,
		p50: us(percentile(s, 50)),
		p99: us(percentile(s, 99)),
		max: us(s.length ? s[s.length - 1] : 0),
	};
}

module.exports = { us, summary };
