/* SPDX-License-Identifier: MIT */
/*
 * run.h - one observed run as the pipeline passes it on: what the tiers
 * collected (the snapshot), and what the analysis made of it (the verdict,
 * computed once by analysis/diag_fill.h's obs_analyse_*).  Outputs only read
 * it.  An -i interval is the same for the time between two snapshots.
 *
 *	tiers (tiers/) -> struct obs_run -> analysis (analysis/) -> outputs (output/)
 */
#ifndef OBS_RUN_H
#define OBS_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "analysis/diagnose.h"
#include "tiers/kernel.h"
#include "tiers/runtime.h"
#include "stacks/ustacks.h"
#include "tiers/cost.h"
#include "tiers/spans.h"

struct obs_run {
	/* the target and the run */
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
	/* several processes (analysis/host.h): how they were chosen */
	const char *scope;		/* NULL: one target; "pids", "cgroup", "all" */
	const char *cgroup;		/* --cgroup: its directory */
	uint64_t not_followed;		/* the filter was full: processes missed */
	unsigned long top;		/* --top: how many are ranked */

	/* collected: the kernel tier, and a runtime tier if one attached */
	const struct obs_snapshot *snap;
	const struct obs_notables *notables;
	const struct obs_ustacks *ustacks;	/* NULL: no user stacks copied */
	const struct obs_rt_snapshot *rt;	/* NULL: no runtime tier */
	const struct obs_rt_longest *longest;
	const char *rt_binary;		/* where the probes were looked for */
	const char *rt_off;		/* rt NULL: why ("" --no-runtime) */
	const struct obs_cost_result *cost;	/* what observing cost */
	const struct obs_spans *spans;	/* the timeline's; NULL: none */

	/* analysed (obs_analyse_run): diag_err 0 and the diagnosis, or why
	 * there is none */
	int diag_err;
	unsigned int ncpus;		/* the CPU count the verdict used */
	struct diag_result diag;
};

/* One -i interval: what happened between two snapshots of a run. */
struct obs_interval {
	double t_s;			/* end, since the start of the run */
	double dt_s;			/* length */
	const struct obs_snapshot *prev, *cur;
	const struct obs_rt_snapshot *rt;	/* the delta; NULL: no runtime tier */
	const struct obs_rt_longest *longest;	/* its slow polls; may be NULL */

	/* analysed (obs_analyse_interval) */
	int diag_err;
	struct diag_result diag;
};

/* How many futex addresses and locks the report and the JSON list. */
#define OBS_TOP_FUTEX 20

#endif
