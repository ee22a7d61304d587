/* SPDX-License-Identifier: MIT */
/*
 * spans.h - the timeline's spans (--trace, --html): every poll, lock hold
 * and wait, timer fire, late wake-up, and the kernel's off-CPU and
 * run-queue spans of at least OBS_SPAN_MIN_NS, from the spans ring buffer
 * (bpf/spans.bpf.h), kept in a bounded store:
 *
 *  1. every span of at least keep_ns (the notable threshold) is kept, up to
 *     OBS_SPANS_KEPT_MAX; past that, counted in kept_full;
 *  2. shorter ones go to a window of the OBS_SPANS_RECENT_MAX most recent;
 *     one pushed out of it is counted in evicted;
 *  3. a record the ring buffer had no room for is counted in lost (BPF).
 * seen = kept + in the window + evicted + kept_full: nothing is hidden.
 *
 *	obs_spans_configure(skel, on);		before load
 *	obs_spans_attach(&sp, skel, rb, keep_ns);	after the kernel tier
 *	... ring_buffer__poll(rb) ...
 *	obs_spans_finish(&sp, drops_fd);	after the last consume
 *	obs_spans_free(&sp);
 */
#ifndef OBS_TIERS_SPANS_H
#define OBS_TIERS_SPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "observe.h"

#define OBS_SPANS_KEPT_MAX	10000	/* spans of keep_ns or more */
#define OBS_SPANS_RECENT_MAX	40000	/* the window of shorter ones */

struct observe_bpf;
struct ring_buffer;

struct obs_spans {
	bool on;			/* collected (--trace or --html) */
	uint64_t start_ns;		/* the run's start, bpf clock */
	uint64_t keep_ns;
	struct obs_span *kept;		/* in arrival order */
	size_t nkept;
	struct obs_span *recent;	/* a ring: the oldest at head */
	size_t nrecent, head;
	uint64_t seen, kept_full, evicted, lost;
};

/* Before load: the BPF switch and the timeline's programs, on or off. */
void obs_spans_configure(struct observe_bpf *skel, bool on);

/* The run starts now; when on, the spans ring buffer joins rb.  0 or
 * -errno (printed). */
int obs_spans_attach(struct obs_spans *sp, struct observe_bpf *skel,
		     struct ring_buffer *rb, uint64_t keep_ns);

/* The count of records BPF could not send, from the drops map. */
void obs_spans_finish(struct obs_spans *sp, int drops_fd);

/* Calls fn on every span kept, kept ones first, then the window oldest
 * first. */
void obs_spans_each(const struct obs_spans *sp,
		    void (*fn)(const struct obs_span *, void *), void *ctx);

/* Safe on a zeroed store. */
void obs_spans_free(struct obs_spans *sp);

#endif
