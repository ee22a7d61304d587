/* SPDX-License-Identifier: MIT */
/*
 * diagnose.h - the verdict: which failure shape of the taxonomy (DESIGN.md)
 * a run shows, with its evidence, its remedy, and what the data cannot see.
 *
 *	struct diag_input *in = calloc(1, sizeof(*in));   (~240 KB: heap)
 *	... fill in from the snapshot (and the runtime tier if any) ...
 *	struct diag_result res;
 *	if (!diag_run(in, &res))
 *		... res.findings[0] is the verdict (output/verdict.h prints it) ...
 *
 * Self-contained on purpose: plain structs with fixed bounds, no dependency
 * on the tiers, the BPF header or any output format, so the rules can be
 * unit-tested with synthetic inputs and with inputs built from saved
 * `observe --json` documents (analysis/diag_json.h).  Times are nanoseconds; a 0 means "not measured" where noted.
 * Every array has its bound next to it; a filler that has more items keeps
 * the largest ones (most time first) and says so in `truncated`.
 * The rules, their thresholds and why: user/diagnose.c and docs/diagnosis.md.
 */
#ifndef OBS_DIAGNOSE_H
#define OBS_DIAGNOSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define DIAG_NAME_LEN		16	/* thread and syscall names, NUL included */
#define DIAG_MAX_SYSCALLS	32	/* syscall classes per thread (observe: 28) */
#define DIAG_MAX_THREADS	256	/* threads; keep the ones with most time */
#define DIAG_MAX_FUTEX		20	/* futex addresses (observe's JSON: top 20) */
#define DIAG_MAX_FUTEX_TIDS	16	/* waiters / wakers kept per address */
#define DIAG_MAX_SPANS		64	/* notable single spans, longest first */
#define DIAG_MAX_POLLS		16	/* longest polls (runtime tier) */
#define DIAG_MAX_LOCKS		16	/* locks (runtime tier), most wait first */
#define DIAG_HIST_SLOTS		32	/* log2 us slots, as observe's rq_hist */
#define DIAG_SITE_LEN		192	/* a span's call site, NUL included */

#define DIAG_MAX_EVIDENCE	8
#define DIAG_MAX_NOTES		8
#define DIAG_LINE_LEN		256

enum diag_role {
	DIAG_ROLE_WORKER = 0,	/* polls tasks: rt-worker-*, tokio-runtime-w* */
	DIAG_ROLE_BLOCKING,	/* blocking pool: rt-blocking-* */
	DIAG_ROLE_OTHER,
	DIAG_ROLE__COUNT,
};

/* Time blocked in one syscall class: observe's names ("futex",
 * "clock_nanosleep", "epoll_pwait2", ..., "other", "none"). */
struct diag_sys_ns {
	char name[DIAG_NAME_LEN];
	uint64_t ns;
};

struct diag_thread {
	uint32_t tid;
	char comm[DIAG_NAME_LEN];
	enum diag_role role;
	uint64_t on_cpu_ns;
	uint64_t rq_wakeup_ns;		/* run-queue delay after a wakeup */
	uint64_t rq_preempt_ns;		/* run-queue delay after a preemption */
	uint64_t rq_p99_ns;		/* 0: unknown */
	uint64_t off_cpu_ns;		/* blocked, all syscalls */
	struct diag_sys_ns off_by_sys[DIAG_MAX_SYSCALLS];
	unsigned int noff;
	uint64_t futex_waits;
	uint64_t futex_wait_ns;
	/* CPU runs (on a CPU with no syscall return) of 10 ms or more */
	uint64_t cpu_runs_long;
	uint64_t cpu_run_long_ns;
	uint64_t cpu_run_max_ns;	/* the longest run; 0: unknown */
};

/* One waiter (n = waits) or waker (n = wakes, wait_ns unused) of a futex. */
struct diag_futex_tid {
	uint32_t tid;
	uint64_t n;
	uint64_t wait_ns;
};

/* One contended futex address: contended waits and who ended them. */
struct diag_futex {
	uint64_t uaddr;
	uint32_t pid;
	uint64_t waits;
	uint64_t wait_ns;
	uint64_t max_ns;
	uint64_t rq_after_wake_ns;	/* run-queue wait right after the wakes */
	struct diag_futex_tid waiters[DIAG_MAX_FUTEX_TIDS];
	unsigned int nwaiters;
	struct diag_futex_tid wakers[DIAG_MAX_FUTEX_TIDS];
	unsigned int nwakers;
};

enum diag_span_kind {
	DIAG_SPAN_OFF_CPU = 0,		/* blocked */
	DIAG_SPAN_RQ_DELAY,		/* runnable, waiting for a CPU */
	DIAG_SPAN_CPU_RUN,		/* on a CPU with no syscall return */
};

/* A single long span (observe's notable spans, >= its --threshold-ms). */
struct diag_span {
	uint32_t tid;
	enum diag_span_kind kind;
	char syscall[DIAG_NAME_LEN];	/* as diag_sys_ns.name */
	uint64_t ns;
	char site[DIAG_SITE_LEN];	/* call site (observe's notable[].site),
					 * "" if unknown */
};

/* Runtime tier: one long poll and what the kernel saw during it. */
struct diag_poll {
	uint64_t task_id;
	uint32_t tid;			/* worker thread */
	uint64_t ns;			/* poll duration */
	uint64_t on_cpu_ns;
	uint64_t rq_ns;			/* runnable, not running (preempted) */
	uint64_t off_cpu_ns;		/* blocked ... */
	char off_syscall[DIAG_NAME_LEN];/* ... mostly in this syscall */
};

/* Runtime tier: one lock (async rt_mutex or sync rt_sync_mutex). */
struct diag_lock {
	uint64_t addr;
	bool async;			/* async (held across awaits) or sync */
	uint64_t acquisitions;
	uint64_t contended;		/* acquisitions that had to wait */
	uint64_t hold_ns;		/* total hold = running + suspended */
	uint64_t held_running_ns;	/* holder inside a poll (or, sync, its thread) */
	uint64_t held_suspended_ns;	/* holder suspended: in no poll */
	uint64_t hold_on_cpu_ns;	/* of held_running, on a CPU; 0: unknown */
	uint64_t hold_rq_ns;		/* of held_running, on a run queue */
	uint64_t hold_p99_ns;
	uint64_t wait_ns;		/* total wait of all waiters */
	uint64_t wait_p99_ns;
};

struct diag_runtime {
	/* Share of the run the per-poll figures were measured over (a
	 * sampled Tokio tier); the counts below are already scaled to the
	 * whole run.  0 or 1: all of it. */
	double coverage;
	uint64_t polls;
	uint64_t polls_over_1ms;
	uint64_t polls_over_10ms;
	uint64_t poll_ns_over_10ms;	/* total time in polls over 10 ms */
	uint64_t poll_hist[DIAG_HIST_SLOTS];	/* optional, log2 us slots */
	struct diag_poll longest[DIAG_MAX_POLLS];	/* longest first */
	unsigned int nlongest;
	uint64_t timer_fires;		/* 0: no timer data */
	uint64_t timer_late_p50_ns;
	uint64_t timer_late_p99_ns;
	uint64_t timer_late_max_ns;
	struct diag_lock locks[DIAG_MAX_LOCKS];
	unsigned int nlocks;
	uint64_t blocking_jobs;
	uint64_t blocking_queue_p99_ns;
	uint64_t blocking_queue_max_ns;
};

struct diag_input {
	uint64_t duration_ns;		/* required, > 0 */
	unsigned int ncpus;		/* online CPUs; 0: unknown */
	/* Worker threads the runtime says it runs (rt: worker_start probes);
	 * 0: unknown, taken from names. */
	unsigned int nworkers;
	/* Threads per role in the target, if more than DIAG_MAX_THREADS were
	 * seen; 0 everywhere: count threads[]. */
	unsigned int nthreads_by_role[DIAG_ROLE__COUNT];
	struct diag_thread threads[DIAG_MAX_THREADS];
	unsigned int nthreads;
	struct diag_futex futex[DIAG_MAX_FUTEX];	/* most wait first */
	unsigned int nfutex;
	struct diag_span spans[DIAG_MAX_SPANS];		/* longest first */
	unsigned int nspans;
	uint64_t span_threshold_ns;	/* spans below it are not reported; 0: off */
	uint64_t drops;			/* events observe lost (all drops.*) */
	bool has_cpu_runs;		/* threads[].cpu_run_* were measured */
	bool truncated;			/* a filler dropped threads or futexes */
	bool has_runtime;		/* the runtime tier below is valid */
	struct diag_runtime rt;
};

enum diag_shape {
	DIAG_HEALTHY = 0,
	DIAG_EXECUTOR_STARVATION,
	DIAG_MUTEX_CONVOY,
	DIAG_SUSPENSION_CONVOY,
	DIAG_CPU_OVERLOAD,
	DIAG_SHAPE__COUNT,
};

struct diag_finding {
	enum diag_shape shape;
	double confidence;		/* 0..1 */
	char evidence[DIAG_MAX_EVIDENCE][DIAG_LINE_LEN];
	unsigned int nevidence;
	const char *remedy;		/* static string */
};

struct diag_result {
	/* Every shape that holds, most confident first; findings[0] is the
	 * verdict.  `healthy` only when nothing else holds: nfindings >= 1. */
	struct diag_finding findings[DIAG_SHAPE__COUNT];
	unsigned int nfindings;
	/* What this run's data cannot see or tell apart. */
	char notes[DIAG_MAX_NOTES][DIAG_LINE_LEN];
	unsigned int nnotes;
};

/* "executor_starvation", "mutex_convoy", ... */
const char *diag_shape_name(enum diag_shape shape);
/* "low" (< 0.5), "medium" (< 0.75) or "high". */
const char *diag_confidence_level(double confidence);

/* Applies the rules; 0, or -EINVAL on a NULL or inconsistent input
 * (no duration, a count above its bound). */
int diag_run(const struct diag_input *in, struct diag_result *out);

/* The shape in plain words: "executor starvation: workers are blocked or
 * busy inside polls, so queued tasks wait". */
const char *diag_shape_words(enum diag_shape shape);

/* One thread for diag_keep_busiest: its index in a filler's list, and its
 * observed time (on-CPU + run-queue + blocked). */
struct diag_thread_rank {
	size_t idx;
	uint64_t wall;
};

/* Of n ranked threads (rank[i].idx == i), the DIAG_MAX_THREADS with most
 * observed time (ties: the earlier) in list order at the front of rank;
 * returns how many are kept.  The one selection both fillers apply. */
size_t diag_keep_busiest(struct diag_thread_rank *rank, size_t n);

/* A count measured over a share of the run, scaled to all of it (share 0
 * or >= 1: as it is), at most UINT64_MAX.  The one scaling both fillers
 * apply. */
uint64_t diag_scaled(uint64_t count, double share);

/* Syscall classes (observe's names) that are a runtime's idle wait: the
 * epoll waits (parks) and the futex waits (parks, unless the convoy rule
 * shows an address handed from worker to worker).  The starvation rule
 * counts blocking in every other class. */
bool diag_sys_is_park(const char *name);
bool diag_sys_is_futex(const char *name);

/* One thread's use of one futex address: its contended waits there, and
 * the waits of others it ended (its wakes). */
struct diag_futex_use {
	uint32_t tid;
	uint64_t waits;
	uint64_t wakes;
};

/* A thread that idles on the address: it waits there more than it wakes. */
static inline bool diag_futex_use_idles(const struct diag_futex_use *u)
{
	return u->waits > u->wakes;
}

/*
 * A pool's idle queue, which is parking and not a lock: at least two threads
 * idle on the address, others wake them (the idlers end few of the wakes
 * themselves, where a lock's waiters hand it to each other), and wakes end
 * most waits (not a timeout).  n uses of one address, any order.  Returns
 * how many threads idle on it (diag_futex_use_idles), 0 if it is not one.
 * The roles (analysis/roles.h) and the convoy rule apply this one test.
 */
unsigned int diag_idle_queue(const struct diag_futex_use *u, size_t n);

/*
 * For the fillers (analysis/diag_fill.c, analysis/diag_json.c): sets
 * in->spans from a run's n notable spans, in the same way for both.  The
 * spans that starve a worker (off-CPU, neither a park nor a futex wait, or
 * a CPU run, on a thread the filler says is a worker: the only ones the
 * starvation rules read) go in first, then the others while there is room, each in the
 * order given (observe's: longest first), up to DIAG_MAX_SPANS; in->spans
 * ends up longest first.  span_at(ctx, i, s) fills span i into s (zeroed)
 * and returns whether its thread is a worker.
 */
typedef bool diag_span_at_fn(void *ctx, size_t i, struct diag_span *s);
void diag_pick_spans(struct diag_input *in, size_t n,
		     diag_span_at_fn *span_at, void *ctx);

#endif
