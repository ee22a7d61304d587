// SPDX-License-Identifier: GPL-2.0
/*
 * observe.bpf.c - the kernel tier of `observe`: per-thread on-CPU time,
 * run-queue delay (after a wakeup / after a preemption), off-CPU time split
 * by the syscall the thread blocked in, and futex waits per address with who
 * woke whom, for one thread group (and its descendants in launch mode).
 *
 * Everything is aggregated here; the ring buffer carries only spans longer
 * than threshold_ns and slow polls.  What every tier shares (followed
 * thread groups, the threads map, drops) is base.bpf.h; the runtime tiers
 * (the charge of spans to polls and lock holds, runtime.bpf.h) are the rt
 * runtime's USDT probes (rt.bpf.h) and uprobes on Tokio (tokio.bpf.h).
 * Invariants (and base.bpf.h's):
 *  1. Per thread, a span is in exactly one state: on CPU (ts_in), blocked
 *     (ts_off, off-CPU time) or waiting on a run queue (rq delay).  The
 *     wakeup ends the blocked span and starts the rq wait, so run-queue
 *     delay is never counted as off-CPU time.  Where the kernel keeps
 *     sched_info (kclock, CONFIG_SCHED_INFO), the wakeup is its own enqueue
 *     time, read at switch-in: no wakeup program runs, and rq delay is
 *     exactly schedstat's run_delay.  Elsewhere sched_wakeup records it
 *     (ts_runnable).  On-CPU time itself is the kernel's
 *     se.sum_exec_runtime growth between switch-outs.
 *  2. sched_wakeup/waking are filtered on the woken task (the argument);
 *     `current` there is the waker, or anything at all for a remote wakeup.
 *  3. The hot programs (sched_switch, sys_enter/exit, sched_wakeup/waking)
 *     run for every event on the box: the tgid filter comes first, before
 *     any clock read or map lookup, and a followed thread costs one lookup.
 *     No user stack is walked on the switch path: a notable span that ends
 *     inside a syscall is held in its thread (pend[]) until that thread's
 *     sys_exit, where it is current and still has the user stack it blocked
 *     with; the stack is taken there, once, and the record sent.
 *  4. Which syscall a thread blocked in comes, on x86_64 with
 *     bpf_task_pt_regs (5.15+), from its saved user registers at switch-out
 *     (regs_sys): no sys_enter program at all.  Elsewhere sys_enter records
 *     it per thread (the fallback).  sys_exit always runs for a followed
 *     thread: it ends the thread's CPU run (cpu_run_end), and sends its
 *     held spans.
 */
#include "base.bpf.h"
#include "core_fixes.bpf.h"
#include "rt.bpf.h"
#include "spans.bpf.h"
#include "tokio.bpf.h"
#include "ustack.bpf.h"

#define TASK_RUNNING 0
#define TASK_DEAD 0x80
#ifndef ENOSYS
#define ENOSYS 38
#endif

/* Settings of the kernel tier, written by the loader before load. */
const volatile __u64 threshold_ns = 10 * 1000 * 1000ULL;	/* 0: no events */
const volatile __s32 futex_nr = -1;		/* futex(2) */
const volatile __s32 futex_waitv_nr = -1;	/* futex_waitv(2), 5.16+ */
const volatile __s32 futex2_wait_nr = -1;	/* futex_wait(2), 6.7+ */
const volatile __s32 futex2_wake_nr = -1;	/* futex_wake(2), 6.7+ */
const volatile __u8 sys_class[OBS_SYSCALL_NRS] = {};	/* nr -> obs_sys_class */
/* Syscall state from saved user registers, not sys_enter (x86_64, 5.15+). */
const volatile bool regs_sys = false;
/* Wakeups from the kernel's sched_info and rq clock, no wakeup program. */
const volatile bool kclock = false;
/* Set by observe over its --budget: no more notable spans (no records, no
 * stack copies); no more CPU runs (sys_exit is detached). */
bool shed_notable = false;
bool shed_cpu_runs = false;

static const struct obs_futex zero_futex;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_FUTEX);
	__type(key, struct obs_futex_key);
	__type(value, struct obs_futex);
} futexes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBS_MAX_PAIRS);
	__type(key, struct obs_pair_key);
	__type(value, struct obs_pair);
} pairs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct obs_oncpu);
} oncpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, OBS_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, OBS_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

static __always_inline __u32 classify(__u32 sys_nr1)
{
	__u32 nr, cls;

	if (!sys_nr1)
		return OBS_SYS_NONE;
	nr = sys_nr1 - 1;
	if (nr >= OBS_SYSCALL_NRS)
		return OBS_SYS_OTHER;
	cls = sys_class[nr];
	return cls < OBS_SYS__COUNT ? cls : OBS_SYS_OTHER;
}

/* This CPU's obs_oncpu if thread tid is the one running on it, else NULL. */
static __always_inline struct obs_oncpu *oncpu_of(__u32 tid)
{
	__u32 zero = 0;
	struct obs_oncpu *c = bpf_map_lookup_elem(&oncpu, &zero);

	return c && c->tid == tid ? c : NULL;
}

static __always_inline void emit(struct obs_thread *t, __u32 kind, __u64 ns,
				 __u32 cls, __u64 uaddr, long stack_id,
				 __u64 copy, __u64 end)
{
	struct obs_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(OBS_DROP_RINGBUF);
		return;
	}
	e->kind = kind;
	e->tid = t->tid;
	e->tgid = t->tgid;
	e->sys_class = cls;
	e->ns = ns;
	e->uaddr = uaddr;
	e->ustack_id = stack_id;
	e->ustack_copy = copy;
	e->end_ns = end;
	__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/*
 * A span over threshold_ns.  Inside a syscall it waits for the thread's
 * sys_exit (flush_pending), which adds the user stack; outside one (a page
 * fault, a preemption in user mode, a syscall entered before attach) it is
 * sent now, without a stack: walking it on every switch-out just in case
 * cost ~700 ns per switch.
 */
static __always_inline void notable(struct obs_thread *t, __u32 kind, __u64 ns,
				    __u32 cls, __u64 uaddr, __u64 end)
{
	__u32 n = t->npend;

	if (shed_notable)
		return;
	if (t->sys_nr1 && n < OBS_PENDING_MAX) {
		t->pend[n].ns = ns;
		t->pend[n].end_ns = end;
		t->pend[n].uaddr = uaddr;
		t->pend[n].kind = kind;
		t->pend[n].sys_class = cls;
		t->npend = n + 1;
		return;
	}
	emit(t, kind, ns, cls, uaddr, -1, 0, end);
}

/* Sends the held spans; stack_id and copy from the thread's own context,
 * or -1 and 0. */
static __always_inline void flush_pending(struct obs_thread *t, long stack_id,
					  __u64 copy)
{
	__u32 i, n = t->npend;

	if (!n)
		return;
	for (i = 0; i < OBS_PENDING_MAX; i++) {
		if (i >= n)
			break;
		emit(t, t->pend[i].kind, t->pend[i].ns, t->pend[i].sys_class,
		     t->pend[i].uaddr, stack_id, copy, t->pend[i].end_ns);
	}
	t->npend = 0;
}

/*
 * The futex address a waiting syscall waits on, 0 if nr/arg0/arg1 is not a
 * futex wait.  futex_waitv is keyed by its first word, waiters[0].uaddr,
 * read from user memory: only valid where the thread is current.
 */
static __always_inline __u64 futex_wait_uaddr(long nr, __u64 arg0, __u64 arg1)
{
	__u64 uaddr = 0;

	if (nr == futex_nr)
		return obs_futex_cmd_waits((__u32)arg1) ?
		       arg0 : 0;
	if (nr == futex2_wait_nr)
		return arg0;
	if (nr == futex_waitv_nr) {
		if (bpf_probe_read_user(&uaddr, sizeof(uaddr),
					(void *)(arg0 + 8)) || !uaddr)
			uaddr = arg0;
		return uaddr;
	}
	return 0;
}

static __always_inline bool futex_wakes(long nr, __u64 arg1)
{
	if (nr == futex_nr)
		return obs_futex_cmd_wakes((__u32)arg1);
	return nr == futex2_wake_nr;
}

#if defined(__TARGET_ARCH_x86)
/*
 * The syscall task is inside, from the user registers the entry code saved
 * at the top of its kernel stack: nr + 1, 0 when not in one.  The syscall
 * entry stores the number in orig_ax and -ENOSYS in ax, and ax keeps it
 * until do_syscall_64 writes the return value; interrupts and exceptions
 * from user mode have orig_ax = -1 or an error code with ax = the user's
 * rax.  A fault taken inside a syscall (copy_from_user) leaves these
 * registers alone, so it counts as the syscall, as with sys_enter.
 */
static __always_inline __u32 regs_nr1(struct pt_regs *regs, __u64 *arg0,
				      __u64 *arg1)
{
	long nr = regs->orig_ax;

	if (nr < 0 || (long)regs->ax != -ENOSYS)
		return 0;
	*arg0 = regs->di;
	*arg1 = regs->si;
	return nr + 1;
}

static __always_inline __u32 task_nr1(struct task_struct *task, __u64 *arg0,
				      __u64 *arg1)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	return regs ? regs_nr1(regs, arg0, arg1) : 0;
}
#else
/* not reached: the loader sets regs_sys on x86_64 only */
static __always_inline __u32 task_nr1(struct task_struct *task, __u64 *arg0,
				      __u64 *arg1)
{
	return 0;
}
#endif

static __always_inline void switch_out(struct task_struct *prev, bool preempt,
				       __u64 now)
{
	__s64 state = obs_task_state(prev);
	__u64 arg0 = 0, arg1 = 0;
	struct obs_oncpu *c;
	struct obs_thread *t;
	__u64 exec;

	t = thread_get(prev->pid, prev->tgid, prev);
	if (!t)
		return;
	c = oncpu_of(t->tid);
	if (c) {	/* its CPU run goes back to the thread */
		t->run = c->run;
		c->tid = 0;
	}
	/*
	 * On-CPU time is what the kernel charged the thread since it last
	 * left a CPU (se.sum_exec_runtime, schedstat's first field): exact,
	 * and still right when the kernel did not report a switch to us.
	 * The bpf clock is the fallback for the first slice seen in attach
	 * mode (no base yet).
	 */
	exec = prev->se.sum_exec_runtime;
	if (t->exec_ok && exec >= t->exec_base)
		t->on_cpu_ns += exec - t->exec_base;
	else if (!t->exec_ok && t->ts_in && now > t->ts_in)
		t->on_cpu_ns += now - t->ts_in;
	t->exec_base = exec;	/* a smaller value: a reused tid, start over */
	t->exec_ok = 1;
	t->ts_in = 0;
	/* the runtime tiers: is the span that starts now inside a poll? */
	t->in_poll = 0;
	rt_switch_out(t, now);	/* prev is current: its record is readable */
	tk_switch_out(t);

	/*
	 * Its last switch (do_task_dead): nothing touches the row again, so
	 * user space may move it out of the map (user/tiers/exited.c).
	 */
	if (state & TASK_DEAD) {
		t->exited = OBS_THREAD_DEAD;
		t->ts_runnable = 0;
		__sync_fetch_and_add(&nr_dead, 1);
		return;
	}
	/* Preempted (or still TASK_RUNNING): stays on the run queue. */
	if (preempt || state == TASK_RUNNING) {
		if (!t->ts_runnable) {
			t->ts_runnable = now;
			t->runnable_kind = OBS_RUNNABLE_PREEMPT;
		}
		t->ts_off = 0;
		return;
	}
	t->ts_off = now;
	t->ts_runnable = 0;
	if (regs_sys) {
		/* prev is current here: its user memory is readable */
		t->sys_nr1 = task_nr1(prev, &arg0, &arg1);
		t->cur_uaddr = t->sys_nr1 ?
			futex_wait_uaddr((long)t->sys_nr1 - 1, arg0, arg1) : 0;
	}
	t->off_class = classify(t->sys_nr1);
	t->off_uaddr = t->cur_uaddr;
}

static __always_inline void futex_wait_done(struct obs_thread *t, __u64 ns)
{
	struct obs_futex_key fk = { .tgid = t->tgid, .uaddr = t->off_uaddr };
	struct obs_pair_key pk = {
		.tgid = t->tgid, .tid = t->tid, .uaddr = t->off_uaddr,
		.kind = OBS_PAIR_WAITER,
	};
	struct obs_pair zero_pair = {};
	struct obs_futex *f;
	struct obs_pair *p;
	bool created;

	t->futex_waits++;
	t->futex_wait_ns += ns;

	f = obs_lookup_or_init(&futexes, &fk, &zero_futex, &created);
	if (!f) {
		drop(OBS_DROP_FUTEX);
		return;
	}
	__sync_fetch_and_add(&f->waits, 1);
	__sync_fetch_and_add(&f->wait_ns, ns);
	__sync_fetch_and_add(&f->hist[obs_slot(ns)], 1);
	if (ns > f->max_ns)	/* racy max: two CPUs may both write, fine */
		f->max_ns = ns;

	p = obs_lookup_or_init(&pairs, &pk, &zero_pair, &created);
	if (!p) {
		drop(OBS_DROP_FUTEX);
		return;
	}
	__sync_fetch_and_add(&p->count, 1);
	__sync_fetch_and_add(&p->ns, ns);
	if (ns > p->max_ns)	/* only this thread writes its waiter pair */
		p->max_ns = ns;
}

/* The run-queue wait that followed the wakeup of a futex wait. */
static __always_inline void futex_rq_done(struct obs_thread *t, __u64 ns)
{
	struct obs_futex_key fk = { .tgid = t->tgid, .uaddr = t->wake_uaddr };
	struct obs_pair_key pk = {
		.tgid = t->tgid, .tid = t->tid, .uaddr = t->wake_uaddr,
		.kind = OBS_PAIR_WAITER,
	};
	struct obs_futex *f;
	struct obs_pair *p;

	/* both entries were made when the wait ended; none: already a drop */
	f = bpf_map_lookup_elem(&futexes, &fk);
	if (f)
		__sync_fetch_and_add(&f->rq_ns, ns);
	p = bpf_map_lookup_elem(&pairs, &pk);
	if (p)
		__sync_fetch_and_add(&p->rq_ns, ns);
}

/* Closes a blocked span at now: off-CPU time, by syscall, futex waits. */
static __always_inline void close_off_span(struct obs_thread *t, __u64 now)
{
	__u64 d;
	__u32 cls;

	if (t->ts_off && now > t->ts_off) {
		d = now - t->ts_off;
		cls = t->off_class < OBS_SYS__COUNT ? t->off_class : OBS_SYS_OTHER;
		t->off_cpu_ns += d;
		t->off_by_sys[cls] += d;
		rt_charge_off(t, cls, d);
		if (t->off_uaddr)
			futex_wait_done(t, d);
		if (threshold_ns && d >= threshold_ns)
			notable(t, OBS_EV_OFF_CPU, d, cls, t->off_uaddr, now);
		span_kernel(OBS_SPAN_OFF_CPU, t->tid, now, d, cls, t->off_uaddr);
	}
	t->wake_uaddr = t->off_uaddr;
	t->ts_off = 0;
	t->off_uaddr = 0;
}

/*
 * When next became runnable, in the bpf clock, 0 if unknown.  With kclock
 * it is what schedstat counts: the run_delay it gained while queued but
 * not running since its last switch-in (a wait on another CPU before a
 * migration), plus the wait since its enqueue (sched_info.last_queued, in
 * the run queue's clock, which __schedule has just updated) that
 * sched_info_arrive is about to add; that sum moved back from now.  The
 * run queue is this CPU's, reached through next's cfs_rq (set for every
 * class; the per-CPU runqueues symbol needs CONFIG_KALLSYMS_ALL).  A thread
 * preempted in a sleep state has no last_queued (schedstat does not count
 * that wait); it, and every wait without kclock, has ts_runnable.
 */
static __always_inline __u64 runnable_since(struct task_struct *next,
					    struct obs_thread *t, __u64 now)
{
	__u64 queued, clock, delay, wait;

	if (kclock) {
		queued = next->sched_info.last_queued;
		clock = next->se.cfs_rq->rq->clock;
		delay = next->sched_info.run_delay;
		if (queued && clock >= queued) {
			wait = clock - queued;
			if (t->run_delay_ok && delay >= t->run_delay_base)
				wait += delay - t->run_delay_base;
			t->run_delay_base = delay + clock - queued;
			t->run_delay_ok = 1;
			if (wait < now)
				return now - wait;
		}
	}
	return t->ts_runnable;
}

static __always_inline void switch_in(struct task_struct *next, __u64 now)
{
	__u64 arg0, arg1, since;
	struct obs_oncpu *c;
	struct obs_thread *t;
	__u32 zero = 0;
	__u64 d;

	t = thread_get(next->pid, next->tgid, next);
	if (!t)
		return;
	since = runnable_since(next, t, now);
	if (t->ts_off) {
		/*
		 * Blocked, and switched in with no wakeup known: rare, but the
		 * kernel does it (seen on 6.18 for hrtimer sleeps).  The span
		 * ends here, its run-queue part counted as off-CPU, and the
		 * miss counted.
		 */
		if (!since) {
			drop(OBS_DIAG_MISSED_WAKEUP);
			since = now;
		}
		close_off_span(t, since > t->ts_off ? since : t->ts_off);
		t->runnable_kind = OBS_RUNNABLE_WAKEUP;
	}
	if (since && now >= since) {	/* 0: the rq clock was not updated */
		d = now - since;
		t->rq_total_ns += d;
		if (t->runnable_kind == OBS_RUNNABLE_PREEMPT) {
			t->rq_preempt_ns += d;
			t->rq_hist_preempt[obs_slot(d)]++;
		} else {
			t->rq_wakeup_ns += d;
			if (t->wake_uaddr)
				futex_rq_done(t, d);
		}
		rt_charge_rq(t, d);
		t->rq_count++;
		if (d > t->rq_max_ns)
			t->rq_max_ns = d;
		t->rq_hist[obs_slot(d)]++;
		if (threshold_ns && d >= threshold_ns) {
			/* still in the kernel: the registers it will return with */
			if (regs_sys)
				t->sys_nr1 = task_nr1(next, &arg0, &arg1);
			notable(t, OBS_EV_RQ_DELAY, d, classify(t->sys_nr1), 0,
				now);
		}
		span_kernel(OBS_SPAN_RQ, t->tid, now, d, OBS_SYS_NONE, 0);
	}
	t->ts_runnable = 0;
	t->runnable_kind = OBS_RUNNABLE_NONE;
	t->wake_uaddr = 0;
	if (regs_sys)	/* the wait is over (sys_exit clears it otherwise) */
		t->cur_uaddr = 0;
	t->ts_in = now;
	if (shed_cpu_runs) {	/* no syscall return ends a run any more */
		t->run.ok = 0;
	} else if (!t->run.ok) {	/* one that never returns from a syscall */
		t->run.base = t->on_cpu_ns;
		t->run.ok = 1;
	}
	if (!t->exec_ok) {
		t->exec_base = next->se.sum_exec_runtime;
		t->exec_ok = 1;
	}
	/* the CPU run moves to this CPU until the switch-out */
	c = bpf_map_lookup_elem(&oncpu, &zero);
	if (c) {
		c->tid = t->tid;
		c->npend = t->npend;
		c->ts_in = now;
		c->on_cpu_in = t->on_cpu_ns;
		c->run = t->run;
	}
}

SEC("tp_btf/sched_switch")
int BPF_PROG(obs_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	bool out = followed_task(prev);
	bool in = followed_task(next);
	__u64 now;

	if (!out && !in)
		return 0;	/* every other switch on the box: no clock read */
	now = bpf_ktime_get_ns();
	if (out)
		switch_out(prev, preempt, now);
	if (in)
		switch_in(next, now);
	return 0;
}

/*
 * The end of a blocked span and the start of a run-queue wait, where the
 * kernel keeps no sched_info (!kclock: the loader loads these programs only
 * then).
 */
static __always_inline void on_wakeup(struct task_struct *p)
{
	struct obs_thread *t;
	__u64 now;

	if (!followed_task(p))
		return;
	t = thread_get(p->pid, p->tgid, p);
	if (!t)
		return;
	/* a wakeup of a task that never left the CPU (ttwu_runnable) */
	if (t->ts_in)
		return;
	now = bpf_ktime_get_ns();
	close_off_span(t, now);
	if (!t->ts_runnable) {
		t->ts_runnable = now;
		t->runnable_kind = OBS_RUNNABLE_WAKEUP;
	}
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(obs_sched_wakeup, struct task_struct *p)
{
	on_wakeup(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(obs_sched_wakeup_new, struct task_struct *p)
{
	on_wakeup(p);
	return 0;
}

/*
 * Who woke whom.  sched_waking runs in the waker's context on every kernel;
 * sched_wakeup may run later on the woken task's CPU (the ttwu wakelist IPI)
 * where `current` is unrelated, so the waker is taken here.
 */
SEC("tp_btf/sched_waking")
int BPF_PROG(obs_sched_waking, struct task_struct *p)
{
	struct obs_pair_key pk = { .kind = OBS_PAIR_WAKER };
	struct obs_pair zero_pair = {};
	__u64 pid_tgid, arg0 = 0, arg1 = 0;
	struct obs_thread *t, *w;
	struct obs_pair *pr;
	__u32 tid, cur, nr1;
	bool created;

	tid = p->pid;
	if (!followed_task(p))
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t || !t->cur_uaddr)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	cur = (__u32)pid_tgid;
	if (regs_sys) {
		/* the waker is current: in a futex wake op right now? */
		if (!followed(pid_tgid >> 32))
			return 0;
		nr1 = task_nr1(bpf_get_current_task_btf(), &arg0, &arg1);
		if (!nr1 || !futex_wakes((long)nr1 - 1, arg1))
			return 0;
	} else {
		w = bpf_map_lookup_elem(&threads, &cur);
		if (!w || !w->in_futex_wake)
			return 0;
	}
	pk.tgid = t->tgid;
	pk.tid = cur;
	pk.uaddr = t->cur_uaddr;
	pr = obs_lookup_or_init(&pairs, &pk, &zero_pair, &created);
	if (!pr) {
		drop(OBS_DROP_FUTEX);
		return 0;
	}
	__sync_fetch_and_add(&pr->count, 1);
	return 0;
}

/* New processes of a followed group are followed (launch mode, --cgroup). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(obs_sched_process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (!follow_children || ptgid == ctgid || !followed(ptgid))
		return 0;
	if (bpf_map_update_elem(&tgids, &ctgid, &one, BPF_ANY)) {
		drop(OBS_DROP_OTHER);
		return 0;
	}
	__sync_fetch_and_add(&nr_tgids, 1);
	return 0;
}

/*
 * A followed process that is gone leaves the set: its pid may be given to
 * one that is no member.  Without this, a child of a --cgroup member that
 * exited between two rescans stayed in tgids (it never was one of the
 * scope's members, whom the rescan lets go): the next process given its
 * pid was followed, outside the cgroup, and each such child held a slot of
 * the 1024 for good.  The task is freed after its last switch (an RCU
 * callback after release_task), so nothing of the group is lost; its
 * leader is freed last, once the group is empty.  The leader replaced by
 * a non-leader's exec has that thread's tid by then (exchange_tids), and
 * signal->live tells a group that lives on.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(obs_sched_process_free, struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (!nr_tgids || p->pid != tgid || p->signal->live.counter)
		return 0;
	bpf_map_delete_elem(&tgids, &tgid);	/* absent: not a member */
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(obs_sched_process_exit, struct task_struct *p)
{
	struct obs_thread *t;

	if (!followed_task(p))
		return 0;
	t = thread_get(p->pid, p->tgid, p);
	if (!t)
		return 0;
	t->exited = OBS_THREAD_EXITING;
	bpf_probe_read_kernel_str(t->comm, sizeof(t->comm), p->comm);
	/* spans held for a sys_exit that will not come (exit(2) never returns) */
	if (t->npend)
		flush_pending(t, -1, 0);
	return 0;
}

/*
 * Threads name themselves after they start (prctl PR_SET_NAME,
 * pthread_setname_np) and exec renames: keep the latest name.  The
 * tracepoint runs before the copy, so the new name is the argument.
 */
SEC("tp_btf/task_rename")
int BPF_PROG(obs_task_rename, struct task_struct *task, const char *comm)
{
	__u32 tid = task->pid;
	struct obs_thread *t;

	if (!followed_task(task))
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t)	/* absent: its name is read when it is first seen */
		bpf_probe_read_kernel_str(t->comm, sizeof(t->comm), comm);
	return 0;
}

/* ---- syscalls: which one each followed thread is in ---------------------- */

/*
 * A syscall return ends a CPU run: its on-CPU time is what the kernel
 * charged up to the last switch-out plus the current slice.  Short runs
 * are only counted; a longer one goes in the thread's histogram (and is
 * notable past threshold_ns).  The run's state r is the CPU's obs_oncpu
 * while the thread runs.  t may be NULL when the run is known to be short.
 */
static __always_inline void cpu_run_end(struct obs_thread *t,
					struct obs_cpu_run *r, __u64 cpu,
					__u64 now)
{
	__u64 d = r->ok && cpu > r->base ? cpu - r->base : 0;

	if (d >= OBS_CPU_RUN_HIST_MIN_NS) {
		if (t) {
			t->cpu_run_hist[obs_slot(d)]++;
			if (d >= OBS_CPU_RUN_LONG_NS) {
				t->cpu_runs_long++;
				t->cpu_run_long_ns += d;
			}
			if (d > t->cpu_run_max_ns)
				t->cpu_run_max_ns = d;
			/* the syscall that ended it is not where it ran:
			 * only the stack sampled while it ran */
			if (threshold_ns && d >= threshold_ns && !shed_notable)
				emit(t, OBS_EV_CPU_RUN, d, OBS_SYS_NONE, 0, -1,
				     r->copy, now);
		}
	} else if (d) {
		r->runs_short++;
	}
	r->base = cpu;
	r->ok = 1;
	r->copy = 0;
}

/* The fallback (no regs_sys): these programs are not loaded otherwise. */
static __always_inline void on_sys_enter(struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), arg0, arg1;
	struct obs_thread *t;

	if (!followed(pid_tgid >> 32))
		return;
	t = thread_get((__u32)pid_tgid, pid_tgid >> 32, NULL);
	if (!t)
		return;
	t->sys_nr1 = id >= 0 ? id + 1 : 0;
	t->cur_uaddr = 0;
	t->in_futex_wake = 0;
	/* id -1 (no syscall) would match an absent futex2 nr (-1) */
	if (id < 0 || (id != futex_nr && id != futex_waitv_nr &&
		       id != futex2_wait_nr && id != futex2_wake_nr))
		return;
	arg0 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	arg1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
	t->cur_uaddr = futex_wait_uaddr(id, arg0, arg1);
	t->in_futex_wake = futex_wakes(id, arg1);
}

/*
 * The common case costs no threads-map lookup: the thread is this CPU's
 * (obs_oncpu), holds no span, and its run was short.  With sys_enter
 * (no regs_sys) the thread's syscall state is reset here, so every return
 * takes the lookup.
 */
static __always_inline void on_sys_exit(void *ctx)
{
	__u64 pid_tgid, copy, now = 0, cpu = 0;
	struct obs_oncpu *c;
	struct obs_thread *t;
	__u32 tid;
	long id;

	pid_tgid = bpf_get_current_pid_tgid();
	tid = (__u32)pid_tgid;
	if (!followed(pid_tgid >> 32))
		return;
	c = oncpu_of(tid);
	if (c) {
		now = bpf_ktime_get_ns();
		cpu = c->on_cpu_in + (now > c->ts_in ? now - c->ts_in : 0);
		if (regs_sys && !c->npend &&
		    (!c->run.ok || cpu < c->run.base + OBS_CPU_RUN_HIST_MIN_NS)) {
			cpu_run_end(NULL, &c->run, cpu, now);
			return;
		}
	}
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return;
	/* not seen switching in on this CPU: no slice start, no run */
	if (c)
		cpu_run_end(t, &c->run, cpu, now);
	else
		t->run.ok = 0;
	if (t->npend) {
		/* current is the thread: the user stack it blocked with */
		id = bpf_get_stackid(ctx, &stacks,
				     BPF_F_USER_STACK | BPF_F_REUSE_STACKID);
		copy = ustack_copy(tid, pid_tgid >> 32, OBS_USTACK_SYSCALL);
		flush_pending(t, id >= 0 ? id : -1, copy);
		if (c)
			c->npend = 0;
	}
	t->sys_nr1 = 0;
	t->cur_uaddr = 0;
	t->in_futex_wake = 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(obs_sys_enter, struct pt_regs *regs, long id)
{
	on_sys_enter(regs, id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(obs_sys_exit, struct pt_regs *regs, long ret)
{
	on_sys_exit(ctx);
	return 0;
}

/* raw_tp twins, loaded instead when the kernel has no BTF for raw_syscalls */
SEC("raw_tp/sys_enter")
int BPF_PROG(obs_sys_enter_raw, struct pt_regs *regs, long id)
{
	on_sys_enter(regs, id);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(obs_sys_exit_raw, struct pt_regs *regs, long ret)
{
	on_sys_exit(ctx);
	return 0;
}

/*
 * A CPU-clock sample on every CPU (user/tiers/kernel.c opens them only
 * when stacks are copied): a followed thread whose current CPU run has
 * passed threshold_ns gets its user stack copied once, so that a poll that
 * computes without a syscall still names a call site.  Everything else
 * returns after the tgid test.
 */
SEC("perf_event")
int obs_cpu_sample(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = task->pid;
	struct obs_oncpu *c;
	__u64 now, cpu;

	if (!followed_task(task))
		return 0;
	c = oncpu_of(tid);
	if (!c || !c->run.ok || c->run.copy || !threshold_ns)
		return 0;
	now = bpf_ktime_get_ns();
	cpu = c->on_cpu_in + (now > c->ts_in ? now - c->ts_in : 0);
	if (cpu < c->run.base + threshold_ns)
		return 0;
	c->run.copy = ustack_copy(tid, task->tgid, OBS_USTACK_CPU_RUN);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
