/* SPDX-License-Identifier: MIT */
/*
 * trace.h - a run's timeline as Chrome Trace Event JSON (Perfetto,
 * chrome://tracing), drawn from its JSON document (docs/observe-json.md),
 * so that a saved document draws the same file (observe report).
 *
 * Tracks: per thread, its polls (and what else the thread itself does) on
 * the thread's own track, and its kernel states (off-CPU by syscall, run
 * queue) on a second track just below, "TID kernel": a poll's time comes
 * from the runtime's clock and the kernel's from the switch, so the two do
 * not nest exactly.  Lock holds and waits, timer lateness, late wake-ups
 * and CPU runs overlap what the thread does: async slices.  otherData says
 * what the timeline kept and dropped.
 */
#ifndef OBS_OUTPUT_TRACE_H
#define OBS_OUTPUT_TRACE_H

#include <stdio.h>

struct json_t;

/* 0 or -errno (-EINVAL: doc is not an observe document). */
int obs_trace_write(FILE *f, const struct json_t *doc);

#endif
