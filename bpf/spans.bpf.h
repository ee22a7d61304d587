/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spans.bpf.h - the timeline's records (--trace, --html): one struct
 * obs_span per span on their own ring buffer, so that the events ring
 * buffer of notable spans never competes with them.  Compiles on its own.
 *
 * Invariants:
 *  1. Without see_spans (a read-only setting) span_emit is dead code the
 *     verifier prunes: the default hot path pays nothing, and the programs
 *     that exist only for the timeline (rt:poll_end, rt:timer_fire) are not
 *     even loaded (user/tiers/spans.c).
 *  2. A record the ring buffer has no room for is counted
 *     (OBS_DIAG_SPANS_LOST), never lost in silence.
 */
#ifndef OBS_SPANS_BPF_H
#define OBS_SPANS_BPF_H

#include "base.bpf.h"

const volatile bool see_spans = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, OBS_SPANS_RING_BYTES);
} spans SEC(".maps");

static __always_inline void span_emit(__u32 kind, __u32 tid, __u64 start,
				      __u64 ns, __u64 id, __u64 aux,
				      __u32 cls, __u32 async)
{
	struct obs_span *e;

	if (!see_spans)
		return;
	e = bpf_ringbuf_reserve(&spans, sizeof(*e), 0);
	if (!e) {
		drop(OBS_DIAG_SPANS_LOST);
		return;
	}
	e->kind = kind;
	e->tid = tid;
	e->start_ns = start;
	e->ns = ns;
	e->id = id;
	e->aux = aux;
	e->sys_class = cls;
	e->async = async;
	bpf_ringbuf_submit(e, 0);
}

/* A kernel span (blocked or runnable) of thread tid that ended at end. */
static __always_inline void span_kernel(__u32 kind, __u32 tid, __u64 end,
					__u64 ns, __u32 cls, __u64 uaddr)
{
	if (see_spans && ns >= OBS_SPAN_MIN_NS)
		span_emit(kind, tid, end - ns, ns, uaddr, 0, cls, 0);
}

/* A span of the current thread that lasted ns and ends now. */
static __always_inline void span_ended(__u32 kind, __u64 ns, __u64 id,
				       __u64 aux, __u32 async)
{
	__u64 now;

	if (!see_spans)
		return;
	now = bpf_ktime_get_ns();
	span_emit(kind, (__u32)bpf_get_current_pid_tgid(),
		  now > ns ? now - ns : 0, ns, id, aux, OBS_SYS_NONE, async);
}

#endif /* OBS_SPANS_BPF_H */
