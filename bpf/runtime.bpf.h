/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runtime.bpf.h - what the runtime tiers share (rt.bpf.h: the rt runtime's
 * USDT probes; tokio.bpf.h: uprobes on Tokio's own functions): the maps a
 * runtime snapshot is read from (slow polls, locks, blocking pool), the
 * hooks through which the switch path charges what the kernel saw to the
 * poll or the sync lock hold in progress, and the accounting of a finished
 * slow poll and of a lock's acquire and release.  Compiles on its own.
 *
 * Invariant: t->in_poll and t->lock_addr describe the thread when its
 * current blocked or run-queue span began (its last switch-out): spans end
 * before the thread runs again, so nothing can change in between.
 */
#ifndef OBS_RUNTIME_BPF_H
#define OBS_RUNTIME_BPF_H

#include "base.bpf.h"

#define OBS_SLOW_POLL_NS	(1000 * 1000ULL)	/* rt:slow_poll's bound */
#define OBS_SLOW_POLL_10MS	(10 * 1000 * 1000ULL)

static const struct obs_rt_polls zero_rt_polls;
static const struct obs_lock zero_lock;
static const struct obs_blocking zero_blocking;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct obs_rt_polls);
} rt_polls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_LOCKS);
	__type(key, struct obs_lock_key);
	__type(value, struct obs_lock);
} locks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_TGIDS);
	__type(key, __u32);
	__type(value, struct obs_blocking);
} blocking SEC(".maps");

/* ---- hooks of the switch path --------------------------------------------- */

/* A new poll: its run-queue and blocked time start from zero. */
static __always_inline void poll_reset(struct obs_thread *t, __u64 start)
{
	__u32 i;

	t->poll_start = start;
	t->poll_rq_ns = 0;
	t->poll_off_ns = 0;
	for (i = 0; i < OBS_SYS__COUNT; i++)
		t->poll_off_by_sys[i] = 0;
}

static __always_inline void rt_charge_off(struct obs_thread *t, __u32 cls,
					  __u64 ns)
{
	if (t->in_poll) {
		t->poll_off_ns += ns;
		if (cls < OBS_SYS__COUNT)
			t->poll_off_by_sys[cls] += ns;
	}
	if (t->lock_addr)
		t->lock_off_ns += ns;
}

static __always_inline void rt_charge_rq(struct obs_thread *t, __u64 ns)
{
	if (t->in_poll)
		t->poll_rq_ns += ns;
	if (t->lock_addr)
		t->lock_rq_ns += ns;
}

/* ---- what the probes of every runtime tier account ------------------------- */

/* The followed thread that hit the probe, or NULL. */
static __always_inline struct obs_thread *rt_current(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!followed(pid_tgid >> 32))
		return NULL;
	return thread_get((__u32)pid_tgid, pid_tgid >> 32, NULL);
}

static __always_inline struct obs_rt_polls *rt_polls_of(__u32 tid)
{
	struct obs_rt_polls *p;
	bool created;

	p = obs_lookup_or_init(&rt_polls, &tid, &zero_rt_polls, &created);
	if (!p)
		drop(OBS_DROP_THREADS);
	return p;
}

/*
 * A poll of task_id that started at start and lasted ns >= 1 ms, on t (its
 * worker, current): the kernel's spans charged to it split it into on-CPU,
 * runnable and blocked; the worker's slow-poll counters, and one event.
 */
static __always_inline void slow_poll_done(struct obs_thread *t, __u64 task_id,
					   __u64 start, __u64 ns)
{
	__u64 rq = 0, off = 0, top_ns = 0;
	struct obs_poll_event *e;
	struct obs_rt_polls *p;
	__u32 i, top = OBS_SYS_NONE;

	p = rt_polls_of(t->tid);
	if (!p)
		return;
	/* charged spans only if they were this poll's (it left the CPU) */
	if (t->poll_start == start) {
		rq = t->poll_rq_ns;
		off = t->poll_off_ns;
		for (i = 0; i < OBS_SYS__COUNT; i++) {
			if (t->poll_off_by_sys[i] > top_ns) {
				top_ns = t->poll_off_by_sys[i];
				top = i;
			}
			p->off_by_sys[i] += t->poll_off_by_sys[i];
		}
		t->poll_start = 0;
	}
	if (rq + off > ns)	/* clock skew of a few ns at most */
		off = rq > ns ? 0 : ns - rq;
	if (rq > ns)
		rq = ns;
	p->slow++;
	p->slow_ns += ns;
	if (ns >= OBS_SLOW_POLL_10MS) {
		p->over_10ms++;
		p->over_10ms_ns += ns;
	}
	p->on_cpu_ns += ns - rq - off;
	p->rq_ns += rq;
	p->off_cpu_ns += off;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(OBS_DROP_RINGBUF);
		return;
	}
	e->kind = OBS_EV_SLOW_POLL;
	e->tid = t->tid;
	e->tgid = t->tgid;
	e->off_class = top;
	e->task_id = task_id;
	e->start_ns = start;
	e->ns = ns;
	e->on_cpu_ns = ns - rq - off;
	e->rq_ns = rq;
	e->off_cpu_ns = off;
	e->off_class_ns = top_ns;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline struct obs_lock *lock_of(__u32 tgid, __u64 addr,
						__u32 async)
{
	struct obs_lock_key k = { .tgid = tgid, .addr = addr };
	struct obs_lock *l;
	bool created;

	l = obs_lookup_or_init(&locks, &k, &zero_lock, &created);
	if (!l) {
		drop(OBS_DROP_FUTEX);
		return NULL;
	}
	if (created)
		l->async = async;
	return l;
}

static __always_inline void lock_acquired(struct obs_lock *l, __u64 wait_ns)
{
	__sync_fetch_and_add(&l->acquisitions, 1);
	if (!wait_ns)
		return;
	__sync_fetch_and_add(&l->contended, 1);
	__sync_fetch_and_add(&l->wait_ns, wait_ns);
	__sync_fetch_and_add(&l->wait_hist[obs_slot(wait_ns)], 1);
	if (wait_ns > l->wait_max_ns)	/* racy max, as futex max_ns */
		l->wait_max_ns = wait_ns;
}

static __always_inline void lock_released(struct obs_lock *l, __u64 hold_ns,
					  __u64 running_ns)
{
	__sync_fetch_and_add(&l->hold_ns, hold_ns);
	__sync_fetch_and_add(&l->held_running_ns, running_ns);
	__sync_fetch_and_add(&l->hold_hist[obs_slot(hold_ns)], 1);
	if (hold_ns > l->hold_max_ns)
		l->hold_max_ns = hold_ns;
}

/* The blocking-pool entry of tgid (its jobs and their queueing), or NULL. */
static __always_inline struct obs_blocking *blocking_of(__u32 tgid)
{
	struct obs_blocking *b;
	bool created;

	b = obs_lookup_or_init(&blocking, &tgid, &zero_blocking, &created);
	if (!b)
		drop(OBS_DROP_OTHER);
	return b;
}

#endif /* OBS_RUNTIME_BPF_H */
