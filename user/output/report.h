/* SPDX-License-Identifier: MIT */
/*
 * report.h - one observed run, and its outputs: the human report, the
 * per-interval summary line, and the JSON document (json.c).
 */
#ifndef OBS_REPORT_H
#define OBS_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "tiers/kernel.h"
#include "tiers/runtime.h"

struct obs_run {
	pid_t pid;			/* target tgid */
	bool launched;			/* mode: launch or attach */
	char comm[OBS_COMM_LEN];	/* target's main thread */
	char **argv;			/* launch mode: the command */
	int argc;
	char kernel[128];		/* uname -r */
	double duration_s;		/* attach (or release) to the end */
	bool has_exit;			/* launch mode and the child was reaped */
	int exit_status;		/* as observe exits: code, or 128+signal */
	unsigned long threshold_ms;
	const struct obs_snapshot *snap;
	const struct obs_notables *notables;
	/* runtime tier: NULL rt when the target has no rt probes */
	const struct obs_rt_snapshot *rt;
	const struct obs_rt_longest *longest;
	const char *rt_binary;		/* where the probes were looked for */
};

/* How many futex addresses the report and the JSON list. */
#define OBS_TOP_FUTEX 20

void obs_report_print(FILE *f, const struct obs_run *run);

/* One compact line for the interval that ends at t_s and lasted dt_s. */
void obs_report_interval(FILE *f, double t_s, double dt_s,
			 const struct obs_snapshot *prev,
			 const struct obs_snapshot *cur);

/* The JSON document (docs/observe-json.md); 0 or -errno. */
int obs_json_print(FILE *f, const struct obs_run *run);

/* "poll of task 17 took 48.0ms: 2.0ms on-CPU, 46.0ms off-CPU (46.0ms in
 * clock_nanosleep)", and the run-queue part if any. */
void obs_rt_poll_sentence(char *buf, size_t len, const struct obs_poll_event *e);

/* Index of the largest and second largest off_by_sys entries (-1 if zero). */
void obs_top2_sys(const __u64 *by_sys, int *first, int *second);

#endif
