/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runtime.bpf.h - the runtime tier of observe.bpf.c: USDT programs on the
 * rt runtime's rare probes (docs/probes.md) and the hooks through which the
 * switch path charges what the kernel saw to the poll or the sync lock hold
 * in progress.  Included by observe.bpf.c; compiles on its own.
 *
 * Cost model (docs/observe.md): nothing here runs per poll.  A worker's
 * current poll is read from the record it publishes (struct
 * rt_probe_worker), 16 bytes with bpf_probe_read_user at its switch-out,
 * where it is current; per-poll counts and histograms are the runtime's own
 * counters in that record, which user space reads.  Uprobes fire only for
 * rare events: worker start/stop, polls >= 1 ms, wakes that waited >= 1 ms,
 * lock acquire/release, blocking-pool starts.
 *
 * Invariant: t->in_poll and t->lock_addr describe the thread when its
 * current blocked or run-queue span began (its last switch-out): spans end
 * before the thread runs again, so nothing can change in between.
 */
#ifndef OBS_RUNTIME_BPF_H
#define OBS_RUNTIME_BPF_H

#include "base.bpf.h"
#include <bpf/usdt.bpf.h>
#include "rt_probe_abi.h"

static const struct obs_rt_polls zero_rt_polls;
static const struct obs_lock zero_lock;
static const struct obs_blocking zero_blocking;
static const struct rt_probe_worker zero_record;

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

/* ---- hooks of the switch path --------------------------------------------- */

/*
 * At a worker's switch-out: which poll (if any) the span that starts now
 * belongs to.  A new poll resets the accumulators; the same poll seen at a
 * second switch-out keeps adding to them.
 */
static __always_inline void rt_switch_out(struct obs_thread *t, __u64 now)
{
	struct { __u64 task_id, start; } cur;
	__u32 i;

	t->in_poll = 0;
	if (!t->rt_state ||
	    bpf_probe_read_user(&cur, sizeof(cur), (void *)t->rt_state))
		return;
	/* racy by design (docs/probes.md): a half-published poll is none */
	if (!cur.task_id || !cur.start || cur.start > now)
		return;
	if (cur.start != t->poll_start) {
		t->poll_start = cur.start;
		t->poll_rq_ns = 0;
		t->poll_off_ns = 0;
		for (i = 0; i < OBS_SYS__COUNT; i++)
			t->poll_off_by_sys[i] = 0;
	}
	t->in_poll = 1;
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

/* ---- USDT programs ---------------------------------------------------------- */

/* The followed thread that hit the probe, or NULL. */
static __always_inline struct obs_thread *rt_current(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!followed(pid_tgid >> 32))
		return NULL;
	return thread_get((__u32)pid_tgid, pid_tgid >> 32, NULL);
}

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

static __always_inline struct obs_rt_polls *rt_polls_of(__u32 tid)
{
	struct obs_rt_polls *p;
	bool created;

	p = obs_lookup_or_init(&rt_polls, &tid, &zero_rt_polls, &created);
	if (!p)
		drop(OBS_DROP_THREADS);
	return p;
}

SEC("usdt")
int BPF_USDT(rt_slow_poll, __u64 task_id, int idx, __u64 start, __u64 ns)
{
	struct obs_thread *t = rt_current();
	__u64 rq = 0, off = 0, top_ns = 0;
	struct obs_poll_event *e;
	struct obs_rt_polls *p;
	__u32 i, top = OBS_SYS_NONE;

	if (!t || !(p = rt_polls_of(t->tid)))
		return 0;
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
	if (ns >= 10 * 1000 * 1000ULL) {
		p->over_10ms++;
		p->over_10ms_ns += ns;
	}
	p->on_cpu_ns += ns - rq - off;
	p->rq_ns += rq;
	p->off_cpu_ns += off;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(OBS_DROP_RINGBUF);
		return 0;
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
	return 0;
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
	return 0;
}

SEC("usdt")
int BPF_USDT(rt_mutex_release, __u64 addr, __u64 task_id, __u64 hold_ns,
	     __u64 running_ns)
{
	struct obs_lock *l = async_lock_of(addr);

	if (l)
		lock_released(l, hold_ns, running_ns);
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
	bool created;

	if (!followed(tgid))
		return 0;
	b = obs_lookup_or_init(&blocking, &tgid, &zero_blocking, &created);
	if (!b) {
		drop(OBS_DROP_OTHER);
		return 0;
	}
	__sync_fetch_and_add(&b->jobs, 1);
	__sync_fetch_and_add(&b->queue_ns, queue_ns);
	__sync_fetch_and_add(&b->queue_hist[obs_slot(queue_ns)], 1);
	if (queue_ns > b->queue_max_ns)
		b->queue_max_ns = queue_ns;
	return 0;
}

#endif /* OBS_RUNTIME_BPF_H */
