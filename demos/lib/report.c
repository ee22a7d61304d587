// SPDX-License-Identifier: MIT
/* report.c - JSON and human output of a demo, see report.h. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "report.h"

/* Width of the label column of the human output. */
#define REPORT_LABEL_W 24

double report_us(uint64_t ns)
{
	return round((double)ns / 100.0) / 10.0;
}

int report_init(struct report *r, const char *scenario)
{
	r->root = json_object();
	r->lines = json_array();
	if (!r->root || !r->lines) {
		report_free(r);
		return -ENOMEM;
	}
	json_object_set_new(r->root, "scenario", json_string(scenario));
	/* Which runtime ran it: the Tokio peers (demos/tokio) say "tokio". */
	json_object_set_new(r->root, "runtime", json_string("rt"));
	json_object_set_new(r->root, "fixed", json_boolean(cli_env.fixed));
	json_object_set_new(r->root, "workers", json_integer(cli_env.workers));
	json_object_set_new(r->root, "secs", json_real(cli_env.secs));
	report_line(r, "scenario", "%s%s, %d workers, %.1f s", scenario,
		    cli_env.fixed ? " (fixed)" : "", cli_env.workers,
		    cli_env.secs);
	return 0;
}

void report_free(struct report *r)
{
	json_decref(r->root);
	json_decref(r->lines);
	r->root = r->lines = NULL;
}

void report_line(struct report *r, const char *label, const char *fmt, ...)
{
	char *body = NULL, *line = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (asprintf(&line, "%-*s %s", REPORT_LABEL_W, label, body) >= 0)
		json_array_append_new(r->lines, json_string(line));
	free(line);
	free(body);
}

json_t *report_stats_json(const struct stats *s, bool p999)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "count", json_integer((json_int_t)s->count));
	json_object_set_new(o, "p50_us",
			    json_real(report_us(stats_percentile(s, 50))));
	json_object_set_new(o, "p99_us",
			    json_real(report_us(stats_percentile(s, 99))));
	if (p999)
		json_object_set_new(o, "p999_us",
				    json_real(report_us(stats_percentile(s, 99.9))));
	json_object_set_new(o, "max_us",
			    json_real(report_us(s->count ? s->max : 0)));
	return o;
}

void report_stats(struct report *r, const char *key, const char *label,
		  const struct stats *s, bool p999)
{
	char extra[48] = "";

	json_object_set_new(r->root, key, report_stats_json(s, p999));
	if (p999)
		snprintf(extra, sizeof(extra), "  p999 %9.1f",
			 report_us(stats_percentile(s, 99.9)));
	report_line(r, label, "p50 %9.1f  p99 %9.1f%s  max %9.1f us  (n=%llu)",
		    report_us(stats_percentile(s, 50)),
		    report_us(stats_percentile(s, 99)), extra,
		    report_us(s->count ? s->max : 0),
		    (unsigned long long)s->count);
}

void report_probe(struct report *r, const struct stats *late)
{
	report_stats(r, "probe", "probe lateness", late, false);
}

void report_int(struct report *r, const char *key, const char *label,
		int64_t v, const char *unit)
{
	json_object_set_new(r->root, key, json_integer(v));
	report_line(r, label, "%lld%s%s", (long long)v, unit ? " " : "",
		    unit ? unit : "");
}

void report_real(struct report *r, const char *key, const char *label,
		 double v, const char *unit)
{
	json_object_set_new(r->root, key, json_real(round(v * 10.0) / 10.0));
	report_line(r, label, "%.1f%s%s", v, unit ? " " : "", unit ? unit : "");
}

void report_set(struct report *r, const char *key, json_t *v)
{
	json_object_set_new(r->root, key, v);
}

int report_print(struct report *r)
{
	size_t i;
	json_t *line;
	int err = 0;

	if (cli_env.json) {
		if (json_dumpf(r->root, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10)) < 0)
			err = -EIO;
		putchar('\n');
	} else {
		json_array_foreach(r->lines, i, line)
			printf("%s\n", json_string_value(line));
	}
	if (fflush(stdout) == EOF)
		err = -EIO;
	report_free(r);
	return err;
}
