/* SPDX-License-Identifier: MIT */
/*
 * json.h - the JSON document of a run (docs/observe-json.md), and with -i
 * the JSON Lines before it: one object per interval, then the run's
 * document, each on one line.
 */
#ifndef OBS_OUTPUT_JSON_H
#define OBS_OUTPUT_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include "run.h"

struct obs_host;

/* How many of the worst processes get their whole document (detail[]). */
#define OBS_HOST_DETAIL 3

/* The whole document, verdict included (one_line: as the last line of
 * JSON Lines); 0 or -errno. */
int obs_json_print(FILE *f, const struct obs_run *run, bool one_line);

/* One target's interval, one line: its roles' sums, the futex with most
 * wait, its verdict. */
int obs_json_interval_line(FILE *f, const struct obs_interval *ivl);

/* Several processes (analysis/host.h): the document, ranked, with the
 * whole document of the worst OBS_HOST_DETAIL; an interval, one line. */
int obs_json_host_print(FILE *f, const struct obs_run *run,
			const struct obs_host *h, bool one_line);
int obs_json_host_interval_line(FILE *f, const struct obs_host *h, double t_s,
				double dt_s, unsigned long top);

#endif
