/* SPDX-License-Identifier: MIT */
/*
 * folded.h - the notable spans' user stacks as folded stacks, the input of
 * flamegraph.pl, speedscope and Pyroscope: one line per span,
 *
 *	worker/tokio-runtime-w;[off-cpu];main;...;std::thread::sleep;clock_nanosleep 20104
 *
 * the root frame the thread's role and name, then the span's kind
 * ([off-cpu]: blocked, by where it blocked; [cpu-run]: a long CPU run, by
 * where a sample found it), then the frames outermost first; the weight is
 * the span's time in microseconds.  Spans without an unwound stack and
 * run-queue waits (not caused where the thread was) are left out.
 */
#ifndef OBS_OUTPUT_FOLDED_H
#define OBS_OUTPUT_FOLDED_H

#include <stdio.h>
#include "run.h"

/* 0, or -EIO when f has an error. */
int obs_folded_print(FILE *f, const struct obs_run *run);

#endif
