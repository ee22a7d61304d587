/* SPDX-License-Identifier: GPL-2.0 */
/*
 * base.bpf.h - what every tier of observe.bpf.c builds on: which thread
 * groups are followed, the threads map and its entries, the drop counters
 * and the ring buffer.  The kernel tier (observe.bpf.c) and the runtime
 * tiers (runtime.bpf.h) include it; it compiles on its own.
 *
 * Invariants:
 *  1. Only threads of followed thread groups enter the threads map; pid 0
 *     (the idle task) never does: callers check pid before thread_get().
 *  2. A failed insert is counted in drops, never ignored.
 *  3. followed() is the first test of every hot program: the target's
 *     tgid costs one compare, and no map is looked up for other processes
 *     until the set has a second member (nr_tgids): a forked child of a
 *     launched command, another -p PID, a member of --cgroup.
 *  4. With -a (follow_all) every thread group is followed but observe's
 *     own and the kernel's threads (followed_task()).
 *  5. A thread group leaves tgids when its leader is freed
 *     (obs_sched_process_free): a pid in tgids is a live member's, or a
 *     zombie's, never that of a process it was given to since.
 */
#ifndef OBS_BASE_BPF_H
#define OBS_BASE_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "observe.h"
#include "maps.bpf.h"

#define PF_KTHREAD	0x00200000	/* linux/sched.h: a kernel thread */

/* Settings, written by the loader before load. */
const volatile __u32 targ_tgid = 0;	/* the target; 0 with -a */
const volatile bool follow_children = false;	/* forks join the set */
const volatile bool follow_all = false;	/* -a: every user process */
const volatile __u32 self_tgid = 0;	/* observe: never followed */

/* Nonzero once tgids holds a group besides targ_tgid (the loader sets it
 * for a set of processes, the fork handler adds to it): 0 spares every
 * syscall and switch on the box a hash lookup. */
__u32 nr_tgids = 0;

/*
 * Set by the loader when the run ends: every program then ignores the
 * target, so nothing is counted while the programs are being detached
 * (which takes ~1 s of RCU grace periods for the uprobes and tracepoints).
 */
bool stopped = false;

/* Threads whose last switch was seen (their rows are OBS_THREAD_DEAD):
 * user space reaps the threads map when it grows. */
__u64 nr_dead = 0;

/* Zero value for inserts (too large for the 512-byte BPF stack). */
static const struct obs_thread zero_thread;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_TGIDS);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct obs_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, OBS_RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OBS_COUNTERS__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void drop(__u32 which)
{
	obs_percpu_inc(&drops, which);
}

static __always_inline bool followed(__u32 tgid)
{
	if (tgid == targ_tgid)
		return !stopped;
	if (stopped)
		return false;
	if (follow_all)
		return tgid != self_tgid;
	return nr_tgids && bpf_map_lookup_elem(&tgids, &tgid) != NULL;
}

/* followed() for a task that may be a kernel thread (switches, wakeups):
 * under -a those are not followed; elsewhere they never are a target. */
static __always_inline bool followed_task(const struct task_struct *p)
{
	if (!p->pid || !followed(p->tgid))
		return false;
	return !follow_all || !(p->flags & PF_KTHREAD);
}

/*
 * The entry of a followed thread, created on first sight.  task is the
 * thread (a BTF pointer), NULL for current.  Its name (and its process's)
 * is read here and on task_rename only, not on every switch.
 */
static __always_inline struct obs_thread *thread_get(__u32 tid, __u32 tgid,
						     struct task_struct *task)
{
	struct obs_thread *t;
	bool created;

	t = obs_lookup_or_init(&threads, &tid, &zero_thread, &created);
	if (!t) {
		drop(OBS_DROP_THREADS);
		return NULL;
	}
	if (created) {
		t->tid = tid;
		t->tgid = tgid;
		if (!task)
			task = bpf_get_current_task_btf();
		bpf_probe_read_kernel_str(t->comm, sizeof(t->comm), task->comm);
		bpf_probe_read_kernel_str(t->leader_comm, sizeof(t->leader_comm),
					  task->group_leader->comm);
	}
	return t;
}

#endif /* OBS_BASE_BPF_H */
