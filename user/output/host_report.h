/* SPDX-License-Identifier: MIT */
/*
 * host_report.h - the human report of a run over several processes
 * (analysis/host.h): the ranking, one line per process, then the whole
 * report of the worst few; and an -i interval's ranking on one line.
 */
#ifndef OBS_OUTPUT_HOST_REPORT_H
#define OBS_OUTPUT_HOST_REPORT_H

#include <stdio.h>
#include "run.h"
#include "analysis/host.h"

void obs_host_report_print(FILE *f, const struct obs_run *run,
			   const struct obs_host *h);

/* "[   2.00s] 42 processes: 1. PID COMM SHAPE CONF | 2. ..." (the worst
 * OBS_HOST_LINE_TOP, or top if fewer). */
#define OBS_HOST_LINE_TOP 3
void obs_host_report_interval(FILE *f, const struct obs_host *h, double t_s,
			      unsigned long top);

#endif
