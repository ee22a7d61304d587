/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tokio.bpf.h - the Tokio tier: uprobes on Tokio's own functions in an
 * unmodified binary (docs/tokio-tier.md), found by symbol in user space
 * (user/tiers/tokio.c).  Compiles on its own.  (BPF_KPROBE and
 * BPF_KRETPROBE read a uprobe's registers as well: libbpf 1.1 has no
 * BPF_UPROBE.)
 *
 *  - tokio::runtime::task::raw::poll (one instance per future type, called
 *    through the task vtable; rdi = the task's Header): entry only.  A poll
 *    of a task that a runtime owns (Header.owner_id != 0) runs on a worker;
 *    one of an unowned task (spawn_blocking) is a blocking-pool job.  A
 *    worker's poll lasts until its next poll or park begins: no return
 *    probe, because a worker's own loop runs inside one poll that returns
 *    only at shutdown, and a pending return probe makes every detach wait
 *    (~2 s measured).  Its duration goes into the worker's counters (the rt
 *    record's shape), its kernel spans are charged to it as for the rt
 *    tier, and a poll of >= 1 ms is a slow poll with that attribution.
 *  - worker::run and worker::Context::park*: a worker starts, or is about
 *    to park (also between polls, for maintenance): its poll ends, and the
 *    thread is a worker even when it polls nothing (an idle one seen in
 *    attach mode).
 *  - batch_semaphore (tokio::sync::Mutex, RwLock, Semaphore, bounded mpsc):
 *    Semaphore::acquire (the request: rsi = the semaphore), the return of
 *    <Acquire as Future>::poll (Ready: acquired; Pending: it waits), and
 *    Semaphore::release (rdi = the semaphore).  A hold is keyed by the
 *    holder task, so its time splits into running (inside the holder's
 *    polls) and suspended (between them).
 *
 * Invariants:
 *  1. t->tk_task is the poll in progress on a worker; it ends where the
 *     next one on the same thread begins, at a park, or never if the
 *     sampling window it began in has ended (tk_epoch): the probes were
 *     off, so its end is unknown and it is not counted.
 *  2. A thread that ever polls an owned task is a worker, for good
 *     (tk_role); before that, one that polls an unowned task is a
 *     blocking-pool thread.
 *  3. Every probe counts its hit in tk_hits, so the tier's cost is
 *     reported from what ran, not assumed.
 */
#ifndef OBS_TOKIO_BPF_H
#define OBS_TOKIO_BPF_H

#include "runtime.bpf.h"
#include "rt_probe_abi.h"

/* Header.owner_id (task/core.rs, repr(C): state, queue_next, vtable,
 * owner_id, the same first four words from 1.24 to 1.53; u64, then
 * Option<NonZeroU64> from 1.30: 0 is "no owner" in both). */
__u32 tk_owner_off = 24;
/* Holds in tk_holds: 0 spares every poll the lookup. */
__u32 tk_nholds = 0;
/*
 * The sampling window: the loader detaches the raw::poll probes when polls
 * come faster than its budget and attaches them again later, bumping this
 * at both (invariant 1).
 */
__u32 tk_epoch = 0;

static const struct rt_probe_worker zero_tk_worker;

/* A worker's counters in the rt record's shape, key = tid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_RT_WORKERS);
	__type(key, __u32);
	__type(value, struct rt_probe_worker);
} tk_workers SEC(".maps");

/* A task, in the maps below: its Header's address in its process (two
 * processes may hold the same address, -a and several -p). */
struct tk_task_key {
	__u64 task;
	__u32 tgid;
	__u32 pad;
};

static __always_inline struct tk_task_key tk_key(const struct obs_thread *t,
						 __u64 task)
{
	struct tk_task_key k = { .task = task, .tgid = t->tgid };

	return k;
}

/* A task's pending acquire: which semaphore, since when, waited yet. */
struct tk_request {
	__u64 sem;
	__u64 since;
	__u64 waited;		/* Acquire::poll returned Pending at least once */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_LOCKS);
	__type(key, struct tk_task_key);
	__type(value, struct tk_request);
} tk_requests SEC(".maps");

/* A task's hold of a semaphore (one per task: a nested one is counted in
 * its lock's acquisitions and waits, but its hold is not split). */
struct tk_hold {
	__u64 sem;
	__u64 since;
	__u64 running_ns;	/* inside the holder's polls so far */
	__u64 seg_start;	/* the holder's current poll, 0 if suspended */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_LOCKS);
	__type(key, struct tk_task_key);	/* the holder task */
	__type(value, struct tk_hold);
} tk_holds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OBS_TK_HIT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} tk_hits SEC(".maps");

/* The hit's thread, if followed; counts the hit either way. */
static __always_inline struct obs_thread *tk_current(__u32 which)
{
	obs_percpu_inc(&tk_hits, which);
	return rt_current();
}

/* At a switch-out: a Tokio task's poll in progress was set up by the
 * entry probe (poll_reset), so the span that starts now is its. */
static __always_inline void tk_switch_out(struct obs_thread *t)
{
	if (t->tk_task)
		t->in_poll = 1;
}

/* The holder task enters or leaves a poll: its hold's running segment. */
static __always_inline void tk_hold_segment(const struct obs_thread *t,
					    __u64 task, __u64 now, bool enter)
{
	struct tk_task_key k;
	struct tk_hold *h;

	if (!tk_nholds)
		return;
	k = tk_key(t, task);
	if (!(h = bpf_map_lookup_elem(&tk_holds, &k)))
		return;
	if (enter) {
		h->seg_start = now;
	} else if (h->seg_start) {
		h->running_ns += now - h->seg_start;
		h->seg_start = 0;
	}
}

/* The worker's record: one poll of ns more. */
static __always_inline void tk_count_poll(struct obs_thread *t, __u64 ns)
{
	struct rt_probe_worker *w;
	__u64 slot = obs_log2(ns / 1000);	/* 64-bit: no zero-extension
						 * that loses the bound */
	bool created;

	w = obs_lookup_or_init(&tk_workers, &t->tid, &zero_tk_worker, &created);
	if (!w) {
		drop(OBS_DROP_THREADS);
		return;
	}
	if (created)
		w->tid = t->tid;
	w->polls++;
	w->poll_ns += ns;
	if (slot >= RT_PROBE_HIST_SLOTS)
		slot = RT_PROBE_HIST_SLOTS - 1;
	w->poll_hist[slot]++;
}

/* The worker's poll in progress ends now (invariant 1). */
static __always_inline void tk_poll_end(struct obs_thread *t, __u64 now)
{
	__u64 task = t->tk_task, start = t->poll_start, ns;

	if (!task)
		return;
	t->tk_task = 0;
	if (t->tk_epoch != tk_epoch)
		return;		/* begun before the probes went off */
	ns = now > start ? now - start : 0;
	tk_count_poll(t, ns);
	tk_hold_segment(t, task, now, false);
	if (ns >= OBS_SLOW_POLL_NS)
		slow_poll_done(t, task, start, ns);
	t->poll_start = 0;
}

SEC("uprobe")
int BPF_KPROBE(tk_poll_enter, __u64 header)
{
	struct obs_thread *t = tk_current(OBS_TK_HIT_EVENT);
	__u64 owner = 0, now;

	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	tk_poll_end(t, now);
	bpf_probe_read_user(&owner, sizeof(owner),
			    (void *)(header + tk_owner_off));
	if (!owner) {
		/* spawn_blocking's job (on a worker: its launch) */
		if (t->tk_role != OBS_TK_WORKER) {
			struct obs_blocking *b = blocking_of(t->tgid);

			t->tk_role = OBS_TK_BLOCKING;
			if (b)
				__sync_fetch_and_add(&b->jobs, 1);
		}
		return 0;
	}
	t->tk_role = OBS_TK_WORKER;
	t->tk_task = header;
	t->tk_epoch = tk_epoch;
	poll_reset(t, now);
	tk_hold_segment(t, header, now, true);
	return 0;
}

/* worker::run (a worker starts), worker::Context::park* (a worker parks):
 * its poll ends, and the thread is a worker even if it polls nothing. */
SEC("uprobe")
int BPF_KPROBE(tk_worker_mark)
{
	struct obs_thread *t = tk_current(OBS_TK_HIT_EVENT);

	if (!t)
		return 0;
	tk_poll_end(t, bpf_ktime_get_ns());
	t->tk_role = OBS_TK_WORKER;
	return 0;
}

/* Semaphore::acquire(&self, n): the Acquire future is returned by value,
 * so rdi is its slot and rsi the semaphore. */
SEC("uprobe")
int BPF_KPROBE(tk_sem_acquire, void *slot, __u64 sem)
{
	struct obs_thread *t = tk_current(OBS_TK_HIT_LOCK);
	struct tk_request req = {};
	struct tk_task_key k;

	if (!t || !t->tk_task)
		return 0;	/* outside a task: block_on, nothing to split */
	k = tk_key(t, t->tk_task);
	req.sem = sem;
	req.since = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&tk_requests, &k, &req, BPF_ANY))
		drop(OBS_DROP_FUTEX);
	return 0;
}

/* The hold begins: one per task (a nested hold is not split). */
static __always_inline void tk_hold_begin(struct obs_thread *t, __u64 sem,
					  __u64 now)
{
	struct tk_hold h = { .sem = sem, .since = now, .seg_start = now };
	struct tk_task_key k = tk_key(t, t->tk_task);
	struct tk_hold *old = bpf_map_lookup_elem(&tk_holds, &k);

	if (old && old->sem != sem)
		return;
	if (bpf_map_update_elem(&tk_holds, &k, &h, BPF_ANY)) {
		drop(OBS_DROP_FUTEX);
		return;
	}
	if (!old)
		__sync_fetch_and_add(&tk_nholds, 1);
}

/* <Acquire as Future>::poll returns Poll<Result<(), AcquireError>>:
 * 0 Ready(Ok), 1 Ready(Err: closed), 2 Pending. */
SEC("uretprobe")
int BPF_KRETPROBE(tk_acquire_ret, __u64 ret)
{
	struct obs_thread *t = tk_current(OBS_TK_HIT_LOCK);
	struct tk_request *req;
	struct tk_task_key k;
	struct obs_lock *l;
	__u64 now;

	if (!t || !t->tk_task)
		return 0;
	k = tk_key(t, t->tk_task);
	if (!(req = bpf_map_lookup_elem(&tk_requests, &k)))
		return 0;
	if ((__u8)ret == 2) {
		req->waited = 1;
		return 0;
	}
	if ((__u8)ret == 0) {
		now = bpf_ktime_get_ns();
		l = lock_of(t->tgid, req->sem, 1);
		if (l)
			lock_acquired(l, req->waited ? now - req->since : 0);
		tk_hold_begin(t, req->sem, now);
	}
	bpf_map_delete_elem(&tk_requests, &k);
	return 0;
}

/* Semaphore::release(&self, n): the holder's guard drops (inside its poll). */
SEC("uprobe")
int BPF_KPROBE(tk_sem_release, __u64 sem)
{
	struct obs_thread *t = tk_current(OBS_TK_HIT_LOCK);
	struct tk_task_key k;
	struct tk_hold *h;
	struct obs_lock *l;
	__u64 now, running;

	if (!t || !t->tk_task || !tk_nholds)
		return 0;
	k = tk_key(t, t->tk_task);
	if (!(h = bpf_map_lookup_elem(&tk_holds, &k)) || h->sem != sem)
		return 0;	/* a permit returned by another task (mpsc) */
	now = bpf_ktime_get_ns();
	running = h->running_ns + (h->seg_start ? now - h->seg_start : 0);
	l = lock_of(t->tgid, sem, 1);
	if (l)
		lock_released(l, now - h->since, running);
	bpf_map_delete_elem(&tk_holds, &k);
	__sync_fetch_and_add(&tk_nholds, (__u32)-1);
	return 0;
}

#endif /* OBS_TOKIO_BPF_H */
