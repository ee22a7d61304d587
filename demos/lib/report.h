/* SPDX-License-Identifier: MIT */
/*
 * report.h - a demo's result, printed once at exit either as one JSON object
 * on stdout (--json) or as a few aligned human lines with the same numbers.
 *
 * Every report carries "scenario", "fixed", "workers", "secs" and "probe"
 * ({count, p50_us, p99_us, max_us}); demos add their own fields in the order
 * the human lines should appear (probe first).  Durations are microseconds
 * with 0.1 us resolution in both forms.
 */
#ifndef DEMO_REPORT_H
#define DEMO_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "stats.h"

struct report {
	json_t *root;
	json_t *lines; /* human lines, in order */
};

/* Records scenario and the common options from cli_env.  -ENOMEM on failure. */
int report_init(struct report *r, const char *scenario);
void report_free(struct report *r);

/* {"count", "p50_us", "p99_us", ["p999_us",] "max_us"}; NULL on ENOMEM. */
json_t *report_stats_json(const struct stats *s, bool p999);

/* The probe's lateness under "probe" and as the first human line. */
void report_probe(struct report *r, const struct stats *late);
/* A latency histogram under `key`, with `label` on its human line. */
void report_stats(struct report *r, const char *key, const char *label,
		  const struct stats *s, bool p999);
void report_int(struct report *r, const char *key, const char *label,
		int64_t v, const char *unit);
void report_real(struct report *r, const char *key, const char *label,
		 double v, const char *unit);
/* Adds `v` (reference stolen) under `key` without a human line. */
void report_set(struct report *r, const char *key, json_t *v);
/* A human-only line. */
void report_line(struct report *r, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints (JSON if cli_env.json), frees, and returns 0 or -EIO. */
int report_print(struct report *r);

/* ns -> us rounded to 0.1 us, the unit of every report field *_us. */
double report_us(uint64_t ns);

#endif /* DEMO_REPORT_H */
