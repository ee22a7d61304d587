/* SPDX-License-Identifier: MIT */
/*
 * observe.h - the one contract between observe.bpf.c and the observe loader:
 * map bounds, map keys and values, the ring-buffer event, enums.
 * Self-contained: __u32/__u64 only, usable from BPF (vmlinux.h) and user space.
 *
 * Units: every time is in nanoseconds (bpf_ktime_get_ns, CLOCK_MONOTONIC),
 * histogram slots are log2 of microseconds as runqlat prints them:
 * slot 0 holds [0, 2) us, slot k >= 1 holds [2^k, 2^(k+1)) us.
 */
#ifndef OBSERVE_H
#define OBSERVE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Map bounds (documented in docs/observe.md; a failed insert is a drop). */
#define OBS_MAX_THREADS		16384	/* threads map: one entry per tid */
#define OBS_MAX_TGIDS		1024	/* followed thread groups */
#define OBS_MAX_FUTEX		4096	/* futex addresses (tgid, uaddr) */
#define OBS_MAX_PAIRS		16384	/* waiter/waker (tgid, uaddr, tid) pairs */
#define OBS_MAX_STACKS		4096	/* user stacks of notable spans */
#define OBS_RINGBUF_BYTES	(256 * 1024)
#define OBS_STACK_DEPTH		32	/* frames kept per stack */

#define OBS_MAX_SLOTS		27	/* 2^26 us = 67 s; longer goes in the last */
#define OBS_CPU_RUN_LONG_NS	10000000ULL	/* a long CPU run: 10 ms */
/* Shorter CPU runs are counted (cpu_run.runs_short), not put in the
 * histogram: a syscall return that ends one then costs no map lookup. */
#define OBS_CPU_RUN_HIST_MIN_NS	1000000ULL
#define OBS_COMM_LEN		16
#define OBS_SYSCALL_NRS		512	/* syscall numbers classified by sys_class */

/* Off-CPU "in which syscall" classes.  Names in user/syscalls.c. */
enum obs_sys_class {
	OBS_SYS_NONE = 0,	/* off-CPU outside any syscall (page fault...) */
	OBS_SYS_OTHER,		/* a syscall not in the list below */
	OBS_SYS_FUTEX,
	OBS_SYS_FUTEX_WAITV,
	OBS_SYS_EPOLL_WAIT,
	OBS_SYS_EPOLL_PWAIT,
	OBS_SYS_EPOLL_PWAIT2,
	OBS_SYS_POLL,
	OBS_SYS_PPOLL,
	OBS_SYS_SELECT,
	OBS_SYS_PSELECT6,
	OBS_SYS_NANOSLEEP,
	OBS_SYS_CLOCK_NANOSLEEP,
	OBS_SYS_READ,
	OBS_SYS_PREAD64,
	OBS_SYS_READV,
	OBS_SYS_WRITE,
	OBS_SYS_PWRITE64,
	OBS_SYS_WRITEV,
	OBS_SYS_FSYNC,
	OBS_SYS_FDATASYNC,
	OBS_SYS_ACCEPT,
	OBS_SYS_ACCEPT4,
	OBS_SYS_CONNECT,
	OBS_SYS_RECVFROM,
	OBS_SYS_RECVMSG,
	OBS_SYS_SENDTO,
	OBS_SYS_SENDMSG,
	OBS_SYS__COUNT,
};

/* Per-CPU drop counters, reported as drops.* */
enum obs_drop {
	OBS_DROP_RINGBUF = 0,	/* ring buffer reserve failed */
	OBS_DROP_THREADS,	/* threads map full */
	OBS_DROP_FUTEX,		/* futex address or pair map full */
	OBS_DROP_OTHER,		/* tgid set full */
	OBS_DROP__COUNT,
	/*
	 * Not a drop: a blocked thread switched in with no wakeup seen (the
	 * kernel gave no sched_waking/sched_wakeup for it).  The whole span
	 * is then counted as off-CPU.  Reported as diagnostics.missed_wakeups.
	 */
	OBS_DIAG_MISSED_WAKEUP = OBS_DROP__COUNT,
	/* Not in drops.* either: a user stack copy the ustacks ring buffer
	 * had no room for (the span is kept, with its frame-pointer stack).
	 * Reported as diagnostics.ustack_copies_lost. */
	OBS_DIAG_USTACK_LOST,
	/* Not in drops.* either: a timeline span (struct obs_span) the spans
	 * ring buffer had no room for.  Reported as timeline.dropped.ringbuf. */
	OBS_DIAG_SPANS_LOST,
	OBS_COUNTERS__COUNT,
};

/* How a thread became runnable (the start of a run-queue delay). */
enum obs_runnable {
	OBS_RUNNABLE_NONE = 0,
	OBS_RUNNABLE_WAKEUP,	/* sched_wakeup / sched_wakeup_new */
	OBS_RUNNABLE_PREEMPT,	/* switched out still TASK_RUNNING */
};

/* futex commands, masked with ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME). */
#define OBS_FUTEX_CMD_MASK	(~(128 | 256))
#define OBS_FUTEX_WAIT		0
#define OBS_FUTEX_WAKE		1
#define OBS_FUTEX_REQUEUE	3
#define OBS_FUTEX_CMP_REQUEUE	4
#define OBS_FUTEX_WAKE_OP	5
#define OBS_FUTEX_LOCK_PI	6
#define OBS_FUTEX_UNLOCK_PI	7
#define OBS_FUTEX_WAIT_BITSET	9
#define OBS_FUTEX_WAKE_BITSET	10
#define OBS_FUTEX_WAIT_REQUEUE_PI 11
#define OBS_FUTEX_CMP_REQUEUE_PI 12
#define OBS_FUTEX_LOCK_PI2	13

/* Does futex op (the syscall's second argument) wait, or wake a waiter?
 * Both tiers of the contract use them: the BPF side and the attach-time
 * seeding of blocked threads (user/tiers/seed.c). */
static inline int obs_futex_cmd_waits(__u32 op)
{
	__u32 cmd = op & OBS_FUTEX_CMD_MASK;

	return cmd == OBS_FUTEX_WAIT || cmd == OBS_FUTEX_WAIT_BITSET ||
	       cmd == OBS_FUTEX_LOCK_PI || cmd == OBS_FUTEX_LOCK_PI2 ||
	       cmd == OBS_FUTEX_WAIT_REQUEUE_PI;
}

static inline int obs_futex_cmd_wakes(__u32 op)
{
	__u32 cmd = op & OBS_FUTEX_CMD_MASK;

	return cmd == OBS_FUTEX_WAKE || cmd == OBS_FUTEX_WAKE_BITSET ||
	       cmd == OBS_FUTEX_UNLOCK_PI || cmd == OBS_FUTEX_WAKE_OP ||
	       cmd == OBS_FUTEX_REQUEUE || cmd == OBS_FUTEX_CMP_REQUEUE ||
	       cmd == OBS_FUTEX_CMP_REQUEUE_PI;
}

/* A notable span held until its thread leaves the syscall (struct obs_thread). */
#define OBS_PENDING_MAX		2	/* a third one is sent at once, stackless */

/*
 * A thread's CPU run in progress (on-CPU time between two syscall returns).
 * It lives in the thread's obs_thread while the thread is off a CPU, and
 * in the CPU's obs_oncpu while it runs.
 */
struct obs_cpu_run {
	__u64 base;		/* on-CPU time at the last syscall return */
	__u64 copy;		/* a stack copy sampled in this run, 0 if none */
	__u64 runs_short;	/* runs under OBS_CPU_RUN_HIST_MIN_NS so far */
	__u32 ok;		/* base is valid */
	__u32 pad;
};

/*
 * The followed thread running on a CPU (a one-entry per-CPU array): what a
 * syscall return and the CPU-clock sample need, without a threads-map
 * lookup.  Filled at its switch-in, given back at its switch-out.
 */
struct obs_oncpu {
	__u32 tid;		/* 0: no followed thread on this CPU */
	__u32 npend;		/* its held notable spans (obs_thread.npend) */
	__u64 ts_in;		/* its switch-in time */
	__u64 on_cpu_in;	/* its on_cpu_ns then */
	struct obs_cpu_run run;
};

struct obs_pending {
	__u64 ns;
	__u64 end_ns;		/* when the span ended */
	__u64 uaddr;		/* futex address of an off-CPU futex wait */
	__u32 kind;		/* obs_event_kind */
	__u32 sys_class;	/* obs_sys_class */
};

/*
 * threads map value, key = tid.  Counters first, then the per-thread state
 * machine.  Only the BPF side writes it; user space reads it (a torn read of
 * a live thread is off by at most one span).
 */
enum obs_thread_state {
	OBS_THREAD_LIVE = 0,
	OBS_THREAD_EXITING = 1,	/* sched_process_exit: still runs a little */
	OBS_THREAD_DEAD = 2,	/* its last switch-out: the row is final */
};

struct obs_thread {
	__u32 tid;
	__u32 tgid;
	char comm[OBS_COMM_LEN];
	char leader_comm[OBS_COMM_LEN];	/* its process's main thread, when
					 * first seen: names the process */
	__u32 exited;		/* enum obs_thread_state */

	__u64 on_cpu_ns;
	__u64 rq_total_ns;
	__u64 rq_wakeup_ns;
	__u64 rq_preempt_ns;
	__u64 rq_count;
	__u64 rq_max_ns;
	__u64 rq_hist[OBS_MAX_SLOTS];		/* all run-queue waits */
	__u64 rq_hist_preempt[OBS_MAX_SLOTS];	/* those after a preemption */
	__u64 off_cpu_ns;
	__u64 off_by_sys[OBS_SYS__COUNT];
	__u64 futex_waits;
	__u64 futex_wait_ns;
	/*
	 * CPU runs: on-CPU time between two syscall returns (user code, and
	 * the kernel time of the syscall that ends the run).  A poll that
	 * computes without yielding is one long run; an event loop enters the
	 * kernel often (epoll, futex, socket I/O).
	 */
	__u64 cpu_run_hist[OBS_MAX_SLOTS];
	__u64 cpu_runs_long;		/* runs >= OBS_CPU_RUN_LONG_NS */
	__u64 cpu_run_long_ns;
	__u64 cpu_run_max_ns;

	/* state machine, written on this thread's switches and wakeups */
	__u64 ts_in;		/* switch-in time; 0 while off a CPU or unknown */
	__u64 exec_base;	/* se.sum_exec_runtime at the last switch-out
				 * (or first switch-in): CPU time counted so far */
	__u64 ts_off;		/* switch-out in a sleeping state, 0 if none */
	__u64 ts_runnable;	/* became runnable, 0 if not waiting on a rq */
	__u64 cur_uaddr;	/* futex address of the current wait syscall */
	__u64 off_uaddr;	/* futex address it blocked on (at switch-out) */
	__u64 wake_uaddr;	/* futex wait the current rq wait follows, 0 if none */
	__u32 sys_nr1;		/* current syscall nr + 1, 0 outside syscalls */
	__u32 off_class;	/* obs_sys_class at switch-out */
	__u32 runnable_kind;	/* obs_runnable */
	__u32 in_futex_wake;	/* current syscall is a futex wake op */
	__u32 exec_ok;		/* exec_base is valid */
	__u32 npend;		/* used entries of pend[] */
	struct obs_cpu_run run;	/* while off a CPU (obs_oncpu.run on one) */
	__u32 run_delay_ok;	/* run_delay_base is valid (kclock) */
	__u32 pad_rd;
	__u64 run_delay_base;	/* sched_info.run_delay as of its last
				 * switch-in, that switch-in's wait included */
	/*
	 * Runtime tier (rt workers only): the poll and the sync lock hold the
	 * thread's blocked and run-queue spans are charged to.
	 */
	__u64 rt_state;		/* its rt_probe_worker in user memory, 0 if
				 * not an rt worker (rt:worker_start) */
	__u64 poll_start;	/* start of that poll, 0 if none */
	__u64 poll_rq_ns;	/* of the poll so far: on a run queue */
	__u64 poll_off_ns;	/* ... blocked, and in which syscall: */
	__u64 poll_off_by_sys[OBS_SYS__COUNT];
	__u64 lock_addr;	/* rt_sync_mutex_t held (rt:sync_acquire), 0 if none */
	__u64 lock_rq_ns;	/* of that hold so far: on a run queue */
	__u64 lock_off_ns;	/* ... blocked */
	__u32 rt_idx;		/* worker_idx */
	__u32 in_poll;		/* the current blocked or run-queue span began
				 * inside the poll at poll_start */
	/*
	 * Tokio tier: the task (its Header) this worker is polling, since
	 * poll_start, until its next poll or park; and in which sampling
	 * window that poll began.
	 */
	__u64 tk_task;		/* 0: not polling a runtime task */
	__u32 tk_role;		/* obs_tk_role */
	__u32 tk_epoch;
	/*
	 * Notable spans that ended inside a syscall, waiting for this thread's
	 * sys_exit: the thread is current there and its user stack is the one
	 * it blocked with, so the stack is walked only for notable spans.
	 */
	struct obs_pending pend[OBS_PENDING_MAX];
};

/* futex address map: key = (tgid, uaddr) */
struct obs_futex_key {
	__u32 tgid;
	__u32 pad;
	__u64 uaddr;
};

struct obs_futex {
	__u64 waits;
	__u64 wait_ns;		/* blocked: switch-out to wakeup */
	__u64 max_ns;
	__u64 rq_ns;		/* run-queue wait right after those wakeups */
	__u64 hist[OBS_MAX_SLOTS];	/* of single blocked waits */
};

enum obs_pair_kind {
	OBS_PAIR_WAITER = 0,
	OBS_PAIR_WAKER = 1,
};

/* pairs map: who waited / who woke on which address */
struct obs_pair_key {
	__u32 tgid;
	__u32 tid;
	__u64 uaddr;
	__u32 kind;		/* obs_pair_kind */
	__u32 pad;
};

struct obs_pair {
	__u64 count;		/* waits (waiter) or wakes (waker) */
	__u64 ns;		/* waiter: blocked time */
	__u64 max_ns;		/* waiter: longest single wait */
	__u64 rq_ns;		/* waiter: run-queue wait after the wakeups */
};

enum obs_event_kind {
	OBS_EV_OFF_CPU = 1,
	OBS_EV_RQ_DELAY = 2,
	OBS_EV_SLOW_POLL = 3,	/* struct obs_poll_event */
	OBS_EV_CPU_RUN = 4,	/* on a CPU that long with no syscall return */
};

/* ring buffer record: one span over --threshold-ms */
struct obs_event {
	__u32 kind;		/* obs_event_kind */
	__u32 tid;
	__u32 tgid;
	__u32 sys_class;	/* obs_sys_class of the span */
	__u64 ns;
	__u64 uaddr;		/* futex address for futex off-CPU spans */
	__s64 ustack_id;	/* in the stacks map, <0 if none (span outside a
				 * syscall, or the thread never left the syscall
				 * during the run) */
	char comm[OBS_COMM_LEN];
	__u64 ustack_copy;	/* its struct obs_ustack's id, 0 if none */
	__u64 end_ns;		/* when the span ended (a CPU run: the syscall
				 * return that ended it) */
};

/* ---- user stack copies, unwound in user space (user/stacks/unwind.h) ------ */

#define OBS_USTACK_BYTES	16384	/* user stack copied per span, from sp up */
#define OBS_USTACK_RING_BYTES	(4 * 1024 * 1024)	/* ~250 copies */
#define OBS_UREGS		17	/* x86_64 DWARF registers 0..16 */

enum obs_ustack_kind {
	OBS_USTACK_SYSCALL = 1,	/* at the return of the syscall a span was in */
	OBS_USTACK_CPU_RUN = 2,	/* sampled while a CPU run was long */
};

/*
 * ustacks ring buffer record: a thread's user registers, in DWARF order
 * (0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8..15 r8..r15,
 * 16 rip), and len bytes of its user stack from rsp up.  Only for spans
 * already known to be notable: the switch path never copies.
 */
struct obs_ustack {
	__u64 id;		/* obs_event.ustack_copy of its spans, never 0 */
	__u32 tid;
	__u32 tgid;
	__u32 kind;		/* obs_ustack_kind */
	__u32 len;		/* bytes of stack[] copied: up to the first
				 * unreadable page, at most OBS_USTACK_BYTES */
	__u64 regs[OBS_UREGS];
	__u8 stack[OBS_USTACK_BYTES];
};

/* ---- runtime tier: the rt USDT probes (docs/probes.md) ------------------- */

#define OBS_MAX_LOCKS		4096	/* locks (tgid, address) */
#define OBS_MAX_RT_WORKERS	1024	/* final records of stopped workers */

/* ring buffer record: one rt:slow_poll (>= 1 ms) and what the kernel saw
 * on its worker during it.  Its first field is the kind, as obs_event's. */
struct obs_poll_event {
	__u32 kind;		/* OBS_EV_SLOW_POLL */
	__u32 tid;		/* the worker */
	__u32 tgid;
	__u32 off_class;	/* obs_sys_class with the most blocked time */
	__u64 task_id;
	__u64 start_ns;
	__u64 ns;		/* poll duration */
	__u64 on_cpu_ns;	/* ns - rq_ns - off_cpu_ns */
	__u64 rq_ns;		/* runnable, not running */
	__u64 off_cpu_ns;	/* blocked */
	__u64 off_class_ns;	/* of which in off_class */
};

/* rt_polls map, key = worker tid: its slow polls and their attribution */
struct obs_rt_polls {
	__u64 slow;		/* polls >= 1 ms (rt:slow_poll) */
	__u64 slow_ns;
	__u64 over_10ms;
	__u64 over_10ms_ns;
	__u64 on_cpu_ns;	/* of the slow polls: on a CPU */
	__u64 rq_ns;		/* on a run queue */
	__u64 off_cpu_ns;	/* blocked */
	__u64 off_by_sys[OBS_SYS__COUNT];
	__u64 slow_schedules;	/* rt:slow_schedule: woken -> polled >= 1 ms */
};

/* locks map: key = (tgid, address of the rt_mutex_t / rt_sync_mutex_t) */
struct obs_lock_key {
	__u32 tgid;
	__u32 pad;
	__u64 addr;
};

struct obs_lock {
	__u32 async;		/* 1: rt_mutex_t (held across awaits), 0: sync */
	__u32 pad;
	__u64 acquisitions;
	__u64 contended;	/* acquisitions that waited */
	__u64 wait_ns;
	__u64 wait_max_ns;
	__u64 hold_ns;		/* from the hand-off to the release */
	__u64 hold_max_ns;
	__u64 held_running_ns;	/* async: the holder was in a poll (the rest
				 * it was suspended); sync: the whole hold */
	__u64 hold_rq_ns;	/* sync: the holder on a run queue */
	__u64 hold_off_ns;	/* sync: the holder blocked */
	__u64 wait_hist[OBS_MAX_SLOTS];
	__u64 hold_hist[OBS_MAX_SLOTS];
};

/* ---- Tokio tier: uprobes on Tokio's own functions (docs/tokio-tier.md) --- */

/* A thread's role as the Tokio tier saw it: a worker polls tasks that a
 * runtime owns (or parks as a worker), a blocking-pool thread polls only
 * unowned ones (spawn_blocking). */
enum obs_tk_role {
	OBS_TK_UNKNOWN = 0,
	OBS_TK_WORKER,
	OBS_TK_BLOCKING,
};

/* Per-CPU counters of the tier's uprobe hits, for its cost (tk_hits). */
enum obs_tk_hit {
	OBS_TK_HIT_EVENT = 0,	/* the per-event probes: raw::poll, park marks */
	OBS_TK_HIT_LOCK,	/* the semaphore probes */
	OBS_TK_HIT__COUNT,
};

/* blocking map: key = tgid, the rt blocking pool's queueing delay */
struct obs_blocking {
	__u64 jobs;		/* rt:blocking_start */
	__u64 queue_ns;
	__u64 queue_max_ns;
	__u64 queue_hist[OBS_MAX_SLOTS];
};

/* ---- the timeline (--trace, --html): spans with their times ------------- */

/*
 * With see_spans (bpf/spans.bpf.h) every poll, lock hold and wait, timer
 * fire and late wake-up, and every off-CPU and run-queue span of at least
 * OBS_SPAN_MIN_NS, is one record on the spans ring buffer.  Without it
 * nothing here runs: the hot path pays nothing.
 */
#define OBS_SPANS_RING_BYTES	(4 * 1024 * 1024)	/* ~87000 records */
/* Shorter kernel spans are not sent: under a pixel of any timeline of a
 * run of a second or more, and most switches of a busy worker are. */
#define OBS_SPAN_MIN_NS		10000ULL

enum obs_span_kind {
	OBS_SPAN_POLL = 1,	/* rt:poll_end: id task, aux 1 if ready */
	OBS_SPAN_OFF_CPU,	/* blocked: sys_class, id futex address */
	OBS_SPAN_RQ,		/* runnable, not running */
	OBS_SPAN_LOCK_HOLD,	/* id lock address; aux async: in a poll */
	OBS_SPAN_LOCK_WAIT,	/* id lock address */
	OBS_SPAN_TIMER,		/* start deadline, ns lateness, id task */
	OBS_SPAN_LATE_WAKE,	/* rt:slow_schedule: start wake, ns to poll */
	OBS_SPAN__COUNT,
};

/* spans ring buffer record; times in the bpf clock (CLOCK_MONOTONIC) */
struct obs_span {
	__u32 kind;		/* obs_span_kind */
	__u32 tid;		/* the thread whose track it is on */
	__u64 start_ns;
	__u64 ns;
	__u64 id;
	__u64 aux;
	__u32 sys_class;	/* OBS_SPAN_OFF_CPU, OBS_SPAN_RQ */
	__u32 async;		/* locks: 1 rt_mutex_t, 0 rt_sync_mutex_t */
};

#endif /* OBSERVE_H */
