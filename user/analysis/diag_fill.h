/* SPDX-License-Identifier: MIT */
/*
 * diag_fill.h - the analysis stage: a run's (or an interval's) snapshot ->
 * struct diag_input -> the rules (analysis/diagnose.h) -> the diagnosis,
 * stored with the run for the outputs (docs/diagnosis.md).
 *
 * Each tier has its filler here: the kernel tier's threads, futexes and
 * spans; a runtime tier's figures (struct obs_rt_snapshot, whichever tier
 * read them).  The filling follows analysis/diag_json.c, the converter of a
 * saved --json document, field by field, so that `observe` and
 * `observe --diagnose` on its document give the same verdict.  Where the
 * snapshot holds more than the input's bounds, the filler keeps
 * (docs/observe.md, VERDICT):
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

#include "analysis/diagnose.h"
#include "run.h"

/*
 * Fills `in` (zeroed here) from a finished run: run->snap, run->notables,
 * run->rt and run->longest, run->duration_s, run->threshold_ms; ncpus from
 * sysconf.  0 or -EINVAL.
 */
int diag_fill_run(struct diag_input *in, const struct obs_run *run);

/*
 * Fills `in` (zeroed here) with what happened between two snapshots of one
 * run (ivl->prev taken ivl->dt_s before ivl->cur), and the runtime tier's
 * delta if any: counter differences per thread, futex address and
 * waiter/waker.  No spans: the notable spans carry no time, so an interval
 * is judged on its shares alone.  0 or -EINVAL.
 */
int diag_fill_interval(struct diag_input *in, const struct obs_interval *ivl);

/* Analyses a finished run: run->diag (or run->diag_err) and run->ncpus.
 * 0 or -errno, also in run->diag_err. */
int obs_analyse_run(struct obs_run *run);

/* The same for one interval: ivl->diag or ivl->diag_err. */
int obs_analyse_interval(struct obs_interval *ivl);

#endif
