/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rt.bpf.h - the rt runtime's tier: USDT programs on its rare probes
 * (docs/probes.md, abi/rt_probe_abi.h), and the switch-out hook that reads
 * the poll in progress from the record each worker publishes.  Compiles on
 * its own.
 *
 * Cost model (docs/observe.md): nothing here runs per poll.  A worker's
 * current poll is read from the record it publishes (struct
 * rt_probe_worker), 16 bytes with bpf_probe_read_user at its switch-out,
 * where it is current; per-poll counts and histograms are the runtime's own
 * counters in that record, which user space reads.  Uprobes fire only for
 * rare events: worker start/stop, polls >= 1 ms, wakes that waited >= 1 ms,
 * lock acquire/release, blocking-pool starts.
 */
#ifndef OBS_RT_BPF_H
#define OBS_RT_BPF_H

#include "runtime.bpf.h"
#include "spans.bpf.h"
#include <bpf/usdt.bpf.h>
#include "rt_probe_abi.h"

static const struct rt_probe_worker zero_record;

/* rt:worker_start: the worker's record when observe learnt of it (its
 * counters start there: a process attached to has run for a while) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_RT_WORKERS);
	__type(key, __u32);
	__type(value, struct rt_probe_worker);
} rt_base SEC(".maps");

/* rt:worker_stop: the worker's last record, key = tid */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_RT_WORKERS);
	__type(key, __u32);
	__type(value, struct rt_probe_worker);
} rt_final SEC(".maps");

/*
 * At an rt worker's switch-out: which poll (if any) the span that starts
 * now belongs to.  A new poll resets the accumulators; the same poll seen
 * at a second switch-out keeps adding to them.
 */
static __always_inline void rt_switch_out(struct obs_thread *t, __u64 now)
{
	struct { __u64 task_id, start; } cur;

	if (!t->rt_state ||
	    bpf_probe_read_user(&cur, sizeof(cur), (void *)t->rt_state))
		return;
	/* racy by design (docs/probes.md): a half-published poll is none */
	if (!cur.task_id || !cur.start || cur.start > now)
		return;
	if (cur.start != t->poll_start)
		poll_reset(t, cur.start);
	t->in_poll = 1;
}

/* ---- USDT programs ---------------------------------------------------------- */

/* Copies the worker's record (current is the worker) into map[tid]. */
static __always_inline void copy_record(void *map, __u32 tid, __u64 state)
{
	struct rt_probe_worker *rec;
	bool created;

	rec = obs_lookup_or_init(map, &tid, &zero_record, &created);
	if (!rec) {
		drop(OBS_DROP_OTHER);
		return;
	}
	bpf_probe_read_user(rec, sizeof(*rec), (void *)state);
}

/* Also fired again for a tracer that attaches later (observe -p). */
SEC("usdt")
int BPF_USDT(rt_worker_start, int idx, __u64 tid, __u64 state)
{
	struct obs_thread *t = rt_current();

	if (!t || t->rt_state == state)
		return 0;
	t->rt_state = state;
	t->rt_idx = idx;
	copy_record(&rt_base, t->tid, state);
	return 0;
}

SEC("usdt")
int BPF_USDT(rt_worker_stop, int idx, __u64 tid, __u64 state)
{
	struct obs_thread *t = rt_current();

	if (t)
		copy_record(&rt_final, t->tid, state);
	return 0;
}

SEC("usdt")
int BPF_USDT(rt_slow_poll, __u64 task_id, int idx, __u64 start, __u64 ns)
{
	struct obs_thread *t = rt_current();

	if (t)
		slow_poll_done(t, task_id, start, ns);
	return 0;
}

/* Attached for its semaphore too: while it is on, the runtime timestamps
 * wakes and counts wake-to-poll delays in the record. */
SEC("usdt")
int BPF_USDT(rt_slow_schedule, __u64 task_id, int idx, __u64 woken,
	     __u64 delay)
{
	struct obs_thread *t = rt_current();
	struct obs_rt_polls *p;

	if (t && (p = rt_polls_of(t->tid)))
		p->slow_schedules++;
	if (t)
		span_emit(OBS_SPAN_LATE_WAKE, t->tid, woken, delay, task_id, 0,
			  OBS_SYS_NONE, 0);
	return 0;
}

/*
 * The timeline's probes, loaded only with see_spans (user/tiers/spans.c):
 * attaching rt:poll_end turns on a probe per poll in the runtime.
 */
SEC("usdt")
int BPF_USDT(rt_poll_end, __u64 task_id, int idx, __u64 ns, int ready)
{
	if (rt_current())
		span_ended(OBS_SPAN_POLL, ns, task_id, ready, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(rt_timer_fire, __u64 task_id, __u64 deadline, __u64 fired)
{
	if (rt_current())
		span_emit(OBS_SPAN_TIMER,
			  (__u32)bpf_get_current_pid_tgid(), deadline,
			  fired > deadline ? fired - deadline : 0, task_id, 0,
			  OBS_SYS_NONE, 0);
	return 0;
}

/* The async lock at addr in the current process, if it is followed. */
static __always_inline struct obs_lock *async_lock_of(__u64 addr)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return followed(tgid) ? lock_of(tgid, addr, 1) : NULL;
}

SEC("usdt")
int BPF_USDT(rt_mutex_acquire, __u64 addr, __u64 task_id, __u64 wait_ns)
{
	struct obs_lock *l = async_lock_of(addr);

	if (l)
		lock_acquired(l, wait_ns);
	if (l && wait_ns)
		span_ended(OBS_SPAN_LOCK_WAIT, wait_ns, addr, 0, 1);
	return 0;
}

SEC("usdt")
int BPF_USDT(rt_mutex_release, __u64 addr, __u64 task_id, __u64 hold_ns,
	     __u64 running_ns)
{
	struct obs_lock *l = async_lock_of(addr);

	if (l)
		lock_released(l, hold_ns, running_ns);
	if (l)
		span_ended(OBS_SPAN_LOCK_HOLD, hold_ns, addr, running_ns, 1);
	return 0;
}

SEC("usdt")
int BPF_USDT(rt_sync_acquire, __u64 addr, __u64 tid, __u64 wait_ns)
{
	struct obs_thread *t = rt_current();
	struct obs_lock *l;

	if (!t)
		return 0;
	l = lock_of(t->tgid, addr, 0);
	if (l)
		lock_acquired(l, wait_ns);
	if (wait_ns)
		span_ended(OBS_SPAN_LOCK_WAIT, wait_ns, addr, 0, 0);
	if (!t->lock_addr) {	/* nested: the outer lock keeps the charge */
		t->lock_addr = addr;
		t->lock_rq_ns = 0;
		t->lock_off_ns = 0;
	}
	return 0;
}

SEC("usdt")
int BPF_USDT(rt_sync_release, __u64 addr, __u64 tid, __u64 hold_ns)
{
	struct obs_thread *t = rt_current();
	struct obs_lock *l;

	if (!t)
		return 0;
	l = lock_of(t->tgid, addr, 0);
	if (!l)
		return 0;
	lock_released(l, hold_ns, hold_ns);
	span_ended(OBS_SPAN_LOCK_HOLD, hold_ns, addr, hold_ns, 0);
	if (t->lock_addr == addr) {
		__sync_fetch_and_add(&l->hold_rq_ns, t->lock_rq_ns);
		__sync_fetch_and_add(&l->hold_off_ns, t->lock_off_ns);
		t->lock_addr = 0;
	}
	return 0;
}

SEC("usdt")
int BPF_USDT(rt_blocking_start, __u64 job_id, __u64 queue_ns)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct obs_blocking *b;

	if (!followed(tgid) || !(b = blocking_of(tgid)))
		return 0;
	__sync_fetch_and_add(&b->jobs, 1);
	__sync_fetch_and_add(&b->queue_ns, queue_ns);
	__sync_fetch_and_add(&b->queue_hist[obs_slot(queue_ns)], 1);
	if (queue_ns > b->queue_max_ns)
		b->queue_max_ns = queue_ns;
	return 0;
}

#endif /* OBS_RT_BPF_H */
