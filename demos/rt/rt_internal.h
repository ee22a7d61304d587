/* SPDX-License-Identifier: MIT */
/*
 * rt_internal.h - the runtime's private structures, shared by its files.
 *
 * Invariants (numbered so that code can cite them):
 *  1. A task is in at most one run queue (local, LIFO slot or injection) and
 *     only while its state is SCHEDULED; the state word (task.c) decides who
 *     enqueues it, so a wake during a poll reschedules it exactly once.
 *  2. References: each queue entry, each waker, each join handle and the
 *     running poll hold one reference on the task; it is freed at zero.
 *  3. Lock order: idle_mu, inject_mu, timer_mu, io_mu, and leaf locks (mutex,
 *     channel, io->mu, join) are never held while taking another of these,
 *     except io_mu -> io->mu in the driver.  No lock is held across a poll
 *     function or a waker call that may take a lock of the same kind.
 *  4. The timer and I/O driver has no thread of its own: the worker that
 *     parks first holds driver_mu and waits in epoll_pwait2; the others wait on
 *     their condvar.  Workers also poll it with a zero timeout every
 *     RT__EVENT_INTERVAL ticks, and before resuming tasks that yielded when
 *     nothing else is runnable.  If every worker is stuck in a poll, timers
 *     are late: that is the starvation this project demonstrates.
 *  5. A worker never sleeps while its deferred (yielded) list is non-empty;
 *     the list is owner-only and each entry holds a task reference.
 */
#ifndef RT_INTERNAL_H
#define RT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue.h"
#include "rt.h"
#include "rt_probe_abi.h"

/* ---- scheduler constants (Tokio runtime/scheduler/multi_thread) ------------ */
/* Sources: Tokio 1.24.2 as Debian ships it (librust-tokio-dev, under
 * /usr/share/cargo/registry), unless a later version is named. */

/* Check the injection queue first every 61 ticks: Tokio's default
 * global_queue_interval (runtime/builder.rs new_multi_thread: "61 is fairly
 * arbitrary ... copied from golang"). */
#define RT__GLOBAL_QUEUE_INTERVAL 61
/* Poll the driver with a zero timeout every 61 ticks: Tokio's default
 * event_interval (same place). */
#define RT__EVENT_INTERVAL 61
/* How long a worker keeps firing rt:worker_start after a tracer enables it
 * (sched.c announce).  libbpf links its program 14-18 ms after the kernel
 * raises the semaphore on a quiet box, but five observers attaching at once
 * on 2 CPUs missed a 100 ms window (most of their workers unlisted); with
 * 1 s all five listed every worker. */
#define RT__ANNOUNCE_NS 1000000000ULL
/* At most 3 polls in a row from the LIFO slot per tick, then its task goes to
 * the back of the local queue: MAX_LIFO_POLLS_PER_TICK in worker.rs since
 * Tokio 1.30 (1.24 bounds the LIFO chain only by the coop budget). */
#define RT__MAX_LIFO_POLLS_PER_TICK 3
/* Cooperative budget per task poll: Tokio's Budget::initial() = 128
 * (runtime/coop.rs). */
#define RT__DEFAULT_BUDGET 128
/* Blocking pool ceiling: Tokio's default max_blocking_threads is 512
 * (builder.rs); this project's rt.h documents 64 (a demo-sized machine). */
#define RT__DEFAULT_BLOCKING_THREADS 64
/* Idle blocking threads exit after 10 s: Tokio's KEEP_ALIVE
 * (runtime/blocking/pool.rs), the thread_keep_alive default. */
#define RT__BLOCKING_KEEP_ALIVE_NS (10ULL * 1000000000ULL)
/* Timers woken per batch: Tokio's time driver collects wakers 32 at a time
 * (runtime/time/mod.rs process_at_time, `waker_list: [_; 32]`). */
#define RT__TIMER_WAKE_BATCH 32
/* epoll events per driver turn: Tokio's builder default nevents is 1024;
 * 256 keeps the array on a worker's stack (4 KiB) and bounds one turn. */
#define RT__IO_EVENTS 256
/* Worker timer slack: 1 us (the default 50 us would dominate 1 ms sleeps). */
#define RT__TIMERSLACK_NS 1000

/* ---- tasks ------------------------------------------------------------------ */

/* Task state word (invariant 1). */
enum {
	RT__T_IDLE = 0,       /* not queued, not running: a wake schedules it */
	RT__T_SCHEDULED = 1,  /* in exactly one queue */
	RT__T_RUNNING = 2,    /* being polled */
	RT__T_NOTIFIED = 4,   /* flag on RUNNING: woken during its poll */
	RT__T_COMPLETE = 8,   /* returned READY; final */
};

struct rt_join;

struct rt_task {
	struct rt_task *next;    /* link in the injection queue or a batch */
	_Atomic uint32_t state;  /* RT__T_* */
	_Atomic uint32_t refs;   /* invariant 2 */
	uint64_t id;             /* unique, from 1 */
	rt_t *rt;
	rt_task_fn fn;
	void *state_ptr;
	rt_free_cb free_cb;
	struct rt_join *join;    /* NULL when detached at spawn */
	_Atomic uint64_t woken_ns; /* wake or spawn not yet followed by a poll,
				  * 0 if none; set only while rt:slow_schedule
				  * is enabled */
	_Atomic uint64_t poll_ns; /* time in its completed polls */
};

/* Join handle, shared by a task (or blocking job) and its holder. */
struct rt_join {
	_Atomic uint32_t refs;   /* producer + handle */
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* rt_block_on waits on it */
	bool done;
	bool has_free;           /* free_cb/state to run at last unref */
	void *out;
	rt_waker_t waker;
	rt_free_cb free_cb;
	void *state;
};

/* ---- workers ------------------------------------------------------------------ */

enum { RT__PARK_EMPTY, RT__PARK_CONDVAR, RT__PARK_DRIVER, RT__PARK_NOTIFIED };

struct rt__worker {
	/* Published for BPF (rt_probe_abi.h); first, so it is 64-byte aligned. */
	struct rt_probe_worker pub;
	rt_t *rt;
	int idx;
	pthread_t thread;
	struct rt__local_queue lq;
	struct rt_task *lifo;    /* owner-only, never stolen (Tokio) */
	uint32_t tick;
	bool searching;          /* counted in rt.num_searching */
	bool in_poll;            /* a task poll is on the stack */
	bool in_park;            /* running the driver (parked or zero-timeout):
				  * its wakes notify no one one by one */
	bool in_park_zero;       /* in park_timeout_zero: wakes use the LIFO slot */
	unsigned short announced; /* rt:worker_start users last seen */
	uint64_t announce_until;  /* keep firing worker_start until then, 0:
				   * done (sched.c announce) */
	uint64_t last_poll_end;  /* end of the poll just run, 0 after a park
				  * or a driver turn: the next poll's start */
	bool is_parked;          /* on the sleepers stack; under idle_mu */
	uint32_t rand;           /* xorshift state for the steal start */
	struct rt_cx *cx;
	/* Deferred wakers (Tokio's context::defer, runtime/defer.rs): tasks
	 * that yielded on this worker.  Owner-only.  Each entry holds the
	 * waker's task reference.  They are woken only after a zero-timeout
	 * driver turn (sched.c park_timeout_zero), so a yielding task lets the
	 * timers and I/O run first, as Tokio 1.24's yield_now does. */
	rt_waker_t *deferred;
	size_t ndeferred, deferred_cap;
	/* Parker (Tokio's park.rs): a token so that an unpark is never lost. */
	_Atomic int park_state;
	pthread_mutex_t park_mu;
	pthread_cond_t park_cv;
};

/* The ABI layout that BPF readers compile against (docs/probes.md). */
_Static_assert(sizeof(struct rt_probe_worker) % 64 == 0, "rt_probe_worker size");
_Static_assert(offsetof(struct rt_probe_worker, poll_ns) == 32, "abi");
_Static_assert(offsetof(struct rt_probe_worker, poll_hist) == 96, "abi");
_Static_assert(offsetof(struct rt_probe_worker, poll_start_ns) == 8, "abi");
_Static_assert(offsetof(struct rt_probe_worker, polls) == 16, "abi");
_Static_assert(offsetof(struct rt_probe_worker, tid) == 24, "abi");
_Static_assert(offsetof(struct rt_probe_worker, worker_idx) == 28, "abi");
_Static_assert(offsetof(struct rt__worker, pub) == 0, "pub is cache-aligned");

/* Counter of the published record: written by its worker only, read by
 * anyone, so a relaxed store of the new value is enough (no torn reads). */
static inline void rt__pub_add(__u64 *counter, uint64_t v)
{
	atomic_store_explicit((_Atomic __u64 *)counter, *counter + v,
			      memory_order_relaxed);
}

/* The log2-us histogram slot of a duration (rt_probe_abi.h). */
static inline unsigned int rt__hist_slot(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned int slot = us < 2 ? 0 : 63 - (unsigned int)__builtin_clzll(us);

	return slot < RT_PROBE_HIST_SLOTS ? slot : RT_PROBE_HIST_SLOTS - 1;
}

/* The task polling on this thread: its time in polls up to now (finished
 * polls and the current one), and when the current poll started; 0 and 0
 * outside a poll (sched.c). */
uint64_t rt__cur_poll_ns(uint64_t now, uint64_t *poll_start);
/* The id of the task polling on this thread, 0 if none (task.c). */
uint64_t rt__cur_task_id(void);

struct rt_cx {
	rt_t *rt;
	struct rt__worker *w;
	struct rt_task *task;
	int budget;
};

/* ---- timers ---------------------------------------------------------------------- */

enum { RT__SLEEP_INIT = 0, RT__SLEEP_ARMED = 1, RT__SLEEP_FIRED = 2 };

struct rt__timers {
	pthread_mutex_t mu;
	rt_sleep_t **heap;
	size_t len, cap;
	uint64_t seq;            /* insertion order: the tiebreak */
};

/* ---- blocking pool --------------------------------------------------------------- */

struct rt__bjob {
	struct rt__bjob *next;
	rt_blocking_fn fn;
	void *arg;
	struct rt_join *join;
	uint64_t id;
	uint64_t queued_ns;
};

struct rt__blocking {
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* idle threads wait here */
	pthread_cond_t done_cv;  /* rt_free waits for threads == 0 */
	struct rt__bjob *head, *tail;
	int threads, idle, ceiling;
	uint64_t keep_alive_ns;
	int next_name;
	uint64_t next_job;
	bool shutdown;
};

/* ---- the runtime ------------------------------------------------------------------- */

struct rt {
	rt_config_t cfg;
	int nworkers;
	struct rt__worker **workers;

	pthread_mutex_t inject_mu;
	struct rt__task_list inject;
	_Atomic size_t inject_len;

	/* Idle coordination (Tokio's idle.rs). */
	pthread_mutex_t idle_mu;
	int *sleepers;
	int nsleepers;
	/* searching | unparked << 16, one word so that a single seq_cst RMW
	 * reads a consistent pair (Tokio idle.rs State). */
	_Atomic uint32_t idle_state;

	_Atomic bool shutdown;

	/* Driver (invariant 4). */
	pthread_mutex_t driver_mu;
	int epfd;
	int evfd;
	/* Deadline the parked driver sleeps until (UINT64_MAX: no timeout);
	 * 0 while nobody waits in the driver.  Under timers.mu. */
	uint64_t driver_wake_at;
	struct rt__timers timers;
	pthread_mutex_t io_mu;
	pthread_cond_t io_cv;
	bool io_polling;
	uint64_t io_cycle;

	struct rt__blocking blocking;
};

extern _Thread_local struct rt__worker *rt__cur_worker;

/* task.c / sched.c */
void rt__task_ref(struct rt_task *t);
void rt__task_unref(struct rt_task *t);
/* Wake consuming one reference (a waker's). */
void rt__task_wake(struct rt_task *t);
/* Queues a task whose state just became SCHEDULED; consumes one reference. */
void rt__schedule(struct rt_task *t, bool is_yield);
void rt__notify_one(rt_t *rt);
/* Defers a wake of the current task until w's next driver turn; false if
 * it could not (no memory): the caller then wakes it directly. */
bool rt__worker_defer(struct rt__worker *w, struct rt_task *t);
void rt__unpark_driver(rt_t *rt);
struct rt_join *rt__join_new(void);
void rt__join_complete(struct rt_join *j, void *out);
void rt__join_unref(struct rt_join *j);

/* timer.c */
int rt__timers_init(struct rt__timers *tm);
void rt__timers_destroy(struct rt__timers *tm);
/* Fires every timer due at `now`; returns how many. */
int rt__timers_process(rt_t *rt, uint64_t now);
/* Next deadline, UINT64_MAX if none; sets driver_wake_at if `park`. */
uint64_t rt__timers_next(rt_t *rt, bool park);

/* io.c: the driver */
int rt__driver_init(rt_t *rt);
void rt__driver_destroy(rt_t *rt);
/* Waits for I/O or the next timer (timeout_ns: 0 = poll, UINT64_MAX = until
 * an event); then dispatches I/O and fires timers.  Holder of driver_mu. */
void rt__driver_turn(rt_t *rt, bool block);

/* blocking.c */
int rt__blocking_init(rt_t *rt);
void rt__blocking_shutdown(rt_t *rt);

#endif /* RT_INTERNAL_H */
