/* SPDX-License-Identifier: MIT */
/*
 * report.h - the human report of a run, and the summary of an -i interval.
 */
#ifndef OBS_OUTPUT_REPORT_H
#define OBS_OUTPUT_REPORT_H

#include <stdio.h>
#include "run.h"

/* The verdict first, then the evidence tables. */
void obs_report_print(FILE *f, const struct obs_run *run);

/* "drops: ..." (INCOMPLETE when any) and "threads: N seen, M exited". */
void obs_report_counts(FILE *f, const struct obs_snapshot *s);

/* What observing cost, a line and the busiest programs; NULL: nothing. */
void obs_report_cost(FILE *f, const struct obs_cost_result *c);

/* Two lines for one interval: the per-role figures, then its verdict. */
void obs_report_interval(FILE *f, const struct obs_interval *ivl);

#endif
