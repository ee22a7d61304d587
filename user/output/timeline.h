/* SPDX-License-Identifier: MIT */
/*
 * timeline.h - the JSON document's "timeline" (docs/observe-json.md): the
 * run's spans with their times, as a bounded list, so that a saved
 * document is enough to draw the run again (observe report).
 */
#ifndef OBS_OUTPUT_TIMELINE_H
#define OBS_OUTPUT_TIMELINE_H

#include <stdint.h>
#include "run.h"

/*
 * {collected, start_ns, keep_ns, kept_max, recent_max, seen, dropped{},
 *  spans[]}: the collected spans (tiers/spans.h), the notable spans (with
 * their call sites: one that is also a collected span adds its site to
 * it), and, when no poll was collected, the longest slow polls.  Times
 * are ns from the run's start.  A new reference, NULL on failure.
 */
struct json_t;
struct json_t *obs_timeline_json(const struct obs_run *run);

/* A time of the bpf clock as ns since the run's start (may be < 0: a span
 * that began before observe attached). */
int64_t obs_timeline_t(const struct obs_run *run, uint64_t ns);

#endif
