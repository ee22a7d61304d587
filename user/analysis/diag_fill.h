/* SPDX-License-Identifier: MIT */
/*
 * diag_fill.h - observe's aggregated snapshot -> struct diag_input, and the
 * verdict of a run or of one interval (user/diagnose.h, docs/diagnosis.md).
 *
 * The filling follows the reference converter of observe's JSON in
 * tests/unit/test_diagnose.c field by field, from the in-memory snapshot
 * instead of the document, so that `observe` and a saved `--json` document
 * give the same verdict.  Where the snapshot holds more than the input's
 * bounds, the filler keeps (docs/observe.md, VERDICT):
 *  - threads: the DIAG_MAX_THREADS with most observed time (on-CPU +
 *    run-queue + blocked), sets `truncated` and nthreads_by_role;
 *  - futex addresses: the DIAG_MAX_FUTEX with most wait time (observe's JSON
 *    lists the same top 20), their waiters with most wait time and wakers
 *    with most wakes (DIAG_MAX_FUTEX_TIDS each);
 *  - spans: first the off-CPU spans of worker threads outside parks and
 *    futex waits (the only ones the starvation rule reads), then the others,
 *    longest first, up to DIAG_MAX_SPANS.
 */
#ifndef OBS_DIAG_FILL_H
#define OBS_DIAG_FILL_H

#include "tiers/kernel.h"
#include "analysis/diagnose.h"
#include "output/report.h"
#include "tiers/runtime.h"

/* An interval's runtime tier: the snapshot delta and its slow polls. */
struct diag_rt_view {
	const struct obs_rt_snapshot *rt;	/* NULL: no runtime tier */
	const struct obs_rt_longest *longest;	/* may be NULL */
};

/*
 * Fills `in` (zeroed here) from a finished run: run->snap, run->notables,
 * run->duration_s, run->threshold_ms; ncpus from sysconf.  0 or -EINVAL.
 */
int diag_fill_run(struct diag_input *in, const struct obs_run *run);

/*
 * Fills `in` (zeroed here) with what happened between two snapshots of one
 * run (prev taken dt_s before cur): counter differences per thread, futex
 * address and waiter/waker.  No spans: the notable spans carry no time, so
 * an interval is judged on its shares alone.  0 or -EINVAL.
 */
int diag_fill_interval(struct diag_input *in, const struct obs_snapshot *prev,
		       const struct obs_snapshot *cur, double dt_s,
		       const struct diag_rt_view *rtv);

/* The CPU count a filled input carries: online CPUs, 0 if unknown. */
unsigned int diag_fill_ncpus(void);

/* diag_fill_run + diag_run with a heap input; 0 or -errno. */
int diag_of_run(const struct obs_run *run, struct diag_result *res);

/* diag_fill_interval + diag_run with a heap input; 0 or -errno. */
int diag_of_interval(const struct obs_snapshot *prev,
		     const struct obs_snapshot *cur, double dt_s,
		     const struct diag_rt_view *rtv, struct diag_result *res);

/*
 * One line for the -i output: "[   2.00s] verdict: SHAPE LEVEL (CONF): the
 * first evidence line", or the error.  Never fails the run.
 */
void diag_print_interval(FILE *f, double t_s, double dt_s,
			 const struct obs_snapshot *prev,
			 const struct obs_snapshot *cur,
			 const struct diag_rt_view *rtv);

#endif
