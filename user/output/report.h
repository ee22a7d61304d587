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

/* Two lines for one interval: the per-role figures, then its verdict. */
void obs_report_interval(FILE *f, const struct obs_interval *ivl);

#endif
