// SPDX-License-Identifier: MIT
/*
 * diagnose.c - the rules: from per-thread kernel figures (and, when the
 * target carries the rt probes, the runtime tier) to a ranked list of
 * failure shapes with evidence, remedy and honest notes.
 *
 * Every threshold is a named constant below with the reason for its value;
 * the calibration runs behind them are in docs/diagnosis.md.  Invariants:
 *  1. A shape is reported only when its own rule holds; `healthy` only when
 *     no other shape does, so nfindings >= 1 and findings[0] is the verdict.
 *  2. The kernel tier never claims a suspension convoy: it cannot see one.
 *     It says so in a note instead.
 *  3. Parking is idle time, not blocking: epoll_wait/epoll_pwait/epoll_pwait2
 *     are parks; futex waits are parks *unless* the convoy rule shows an
 *     address handed from worker to worker (see convoy_rule()).
 *  4. Shares are of the threads' own observed wall time (on-CPU + run-queue
 *     + blocked), so a thread that lived half the run is not diluted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/diagnose.h"
#include "common/hist.h"

/* ---- thresholds ---------------------------------------------------------- */

/*
 * Executor starvation, kernel tier: share of the workers' wall time spent
 * blocked in a syscall that is not a park (nanosleep, read, fsync, poll, ...).
 * Broken demos: 80% (sleep, io), 40% (one blocker of two), 4.8% (demo_server:
 * one 20 ms block every 200 requests, which still times out 150 requests);
 * every fixed run and every idle runtime: 0.0% (not even 1 ms).  2% keeps the
 * server case above it with 2.4x to spare and sits far above the fixed runs.
 */
#define STARV_BLOCK_SHARE	0.02
/* ... and at least this much in total, so that a short run with one stray
 * blocking call (a config file read at startup) is not a verdict. */
#define STARV_BLOCK_MIN_NS	(10 * NSEC_PER_MSEC)
/* A single blocking span this long on a worker stalls every task queued on
 * it for as long (Tokio's guidance is 10-100 us between awaits); observe's
 * default --threshold-ms is the same 10 ms. */
#define STARV_LONG_SPAN_NS	(10 * NSEC_PER_MSEC)
/* This many such spans make it a pattern: confidence at least STARV_SPAN_CONF
 * whatever the share (the server's 15 spans of 20 ms in 3 s). */
#define STARV_LONG_SPANS	3
#define STARV_SPAN_CONF		0.8
/*
 * Kernel tier, CPU-bound polls: the kernel cannot see poll boundaries, so a
 * worker on a CPU most of the time is either one long poll or a busy runtime.
 * Broken spin demo: 66-76%; fixed convoys 38-59%, but 91-95% when the box
 * is quieter (the lock work runs on the workers): no threshold separates
 * them.  So this is only a low-confidence finding, and none at all when
 * cpu_overload holds (the fixed convoys always had it).
 */
#define STARV_CPU_SHARE		0.65
#define STARV_CPU_CONF		0.35

/*
 * Executor starvation, runtime tier: polls over 10 ms (the runtime's own
 * histogram boundary; Tokio's docs call anything over 10-100 us between
 * awaits blocking).  On a loaded box preemption alone stretches polls past
 * 10 ms (bpftrace on the rt probes: the sync convoy 12 such polls, 3.2% of
 * worker time; the fixed async convoy 12, 2.3%), so raw counts are not
 * enough.  With attribution (the kernel's view during each long poll), a
 * poll counts when its own time (on-CPU + blocked, run-queue excluded) is
 * still >= 10 ms, and STARV_LONG_POLLS of them make a pattern.  Without
 * it, the time in polls over 10 ms must be >= STARV_POLL_SHARE of the
 * workers' time: broken demos 40-83%, preemption-stretched ones <= 6.9%.
 */
#define STARV_LONG_POLL_NS	(10 * NSEC_PER_MSEC)
#define STARV_LONG_POLLS	3
#define STARV_POLL_SHARE	0.10
/* Long polls mostly on a run queue: said in the evidence (CPU taken). */
#define STARV_POLL_RQ_SHARE	0.5
/* Timer lateness at the same 10 ms corroborates (the probe's symptom). */
#define STARV_TIMER_LATE_NS	(10 * NSEC_PER_MSEC)

/*
 * Mutex convoy, kernel tier: one futex address whose waits are handed from
 * peer to peer.  Measured: rt convoy 21%, tokio_convoy 14% of worker wall
 * time on one address; fixed runs 0.2%.  5% leaves ~3x either side.
 */
#define CONVOY_WAIT_SHARE	0.05
/* A lock needs at least two threads wanting it; a futex with one waiter is
 * that thread's own condvar (how rt and Tokio park a worker). */
#define CONVOY_MIN_WAITERS	2
/* Waits that a peer ended with FUTEX_WAKE, over all waits.  A lock's waiters
 * are woken by the releasing peer: 1.00 in both convoys measured.  A park
 * with a timeout is mostly ended by the kernel's timer (no waker): Tokio's
 * shared park address 0.03-0.27.  0.6 sits between with room on each side. */
#define CONVOY_PEER_WAKE_SHARE	0.6
/* Fewer contended waits than this is startup or shutdown, not a convoy. */
#define CONVOY_MIN_WAITS	20
/* Corroboration: the woken waiters then queued for a CPU (scheduler delay
 * feeding the lock): 0.58-0.59 in the convoys, ~0.01 for parks. */
#define CONVOY_RQ_AFTER_SHARE	0.2
/* Runtime tier, sync lock: hold p99 this many times the holder's mean
 * on-CPU work per acquisition (rt convoy: hold p99 4-8 ms for 201 us of
 * work, >= 20x; fixed: p99 4-8 us for ~2 us). */
#define CONVOY_HOLD_INFLATION	5.0

/*
 * A pool's idle queue (diag_idle_queue), measured on tokio_starvation
 * --fixed (sleep, spin, io; 3 s, 2 workers, 2 pool threads): the pool's
 * condvar had 238-239 waits ended by 239-254 wakes, 0-0.4% of them by the
 * idle threads.  Not queues: Tokio's shared timer park (its waits end by
 * timeout: 0.09 wakes per wait; 33-39% of wakes by its waiters) and
 * tokio_convoy's lock (50% of wakes by its waiters, as a lock is handed
 * on).  An address with 7 waits at startup passed the two shares, hence a
 * floor on the waits as the convoy rule has.
 */
#define QUEUE_MIN_WAITS		20
#define QUEUE_WOKEN_SHARE	0.6	/* wakes per wait, at least */
#define QUEUE_IDLER_WAKE_SHARE	0.1	/* wakes by the idle threads, at most */

/*
 * Suspension convoy, runtime tier only: hold time dominated by time the
 * holder spent suspended (in no poll).  demo_suspension: ~100% (20 ms
 * sleeps under the guard); its fix 0%.  Half is a wide middle.
 */
#define SUSP_SUSPENDED_SHARE	0.5
/* Someone must be waiting for it to be a convoy: on average at least 0.1
 * tasks queued on the lock (total wait / duration).  bpftrace on the rt
 * probes: demo_suspension 3.8, the async convoy 3.0; their fixes 0 and
 * 0.013 (39 ms of waits in 3 s).  A relative test (wait vs hold) fired on
 * that fixed run: both tiny, so the floor is absolute. */
#define SUSP_MIN_QUEUED		0.1

/*
 * CPU overload: run-queue delay after *preemption* over the threads'
 * runnable time (on-CPU + run-queue), all threads of the target.  CPU hog
 * (4 spinners, 2 CPUs): 0.62; convoys (pressure threads): 0.59-0.82; every
 * other demo <= 0.16.  0.3 is ~2x both ways.
 */
#define OVERLOAD_PREEMPT_SHARE	0.30
/* ... and the delay must matter: run-queue time >= 10% of the threads' wall
 * time (hog 50%, convoys 43-46%; an idle server with a few preempted
 * wakeups 1-4%). */
#define OVERLOAD_RQ_SHARE	0.10
/* The target itself wants more CPUs than there are ((on + rq) / duration
 * >= ncpus); if not, the run queue is full of other processes: reported
 * with confidence at most OVERLOAD_EXT_CONF. */
#define OVERLOAD_EXT_CONF	0.45
/* When a runtime shape holds, overload is context: the shape's remedy is
 * the one to apply first, so overload ranks below it. */
#define OVERLOAD_CONTEXT_PENALTY 0.25

/* Healthy: confident only as far as the tier sees. */
#define HEALTHY_CONF_RUNTIME	0.9
#define HEALTHY_CONF_KERNEL	0.7

/* Notes: futex time of workers worth explaining as parking. */
#define NOTE_FUTEX_SHARE	0.05
/* Blocking pool queueing worth a note: jobs wait for a thread. */
#define NOTE_BLOCKING_QUEUE_NS	(10 * NSEC_PER_MSEC)

static const char *const remedies[DIAG_SHAPE__COUNT] = {
	[DIAG_HEALTHY] = "nothing to fix",
	[DIAG_EXECUTOR_STARVATION] =
		"move blocking work to the blocking pool (spawn_blocking / "
		"rt_spawn_blocking) or make it async; split long CPU-bound "
		"polls so they yield",
	[DIAG_MUTEX_CONVOY] =
		"shorten the critical section (do the work outside the lock) or "
		"keep scheduler pressure off lock holders (fewer runnable "
		"threads than cores; batch work at lower priority)",
	[DIAG_SUSPENSION_CONVOY] =
		"drop the guard before awaiting: copy what is needed out of the "
		"lock, release it, then await",
	[DIAG_CPU_OVERLOAD] =
		"add cores or shed load: keep runnable threads below the CPU "
		"count (size thread pools to the cores, move batch work away)",
};

static const char *const shape_names[DIAG_SHAPE__COUNT] = {
	[DIAG_HEALTHY] = "healthy",
	[DIAG_EXECUTOR_STARVATION] = "executor_starvation",
	[DIAG_MUTEX_CONVOY] = "mutex_convoy",
	[DIAG_SUSPENSION_CONVOY] = "suspension_convoy",
	[DIAG_CPU_OVERLOAD] = "cpu_overload",
};

const char *diag_shape_name(enum diag_shape shape)
{
	return (unsigned int)shape < DIAG_SHAPE__COUNT ? shape_names[shape] : "?";
}

static const char *const verdict_words[DIAG_SHAPE__COUNT] = {
	[DIAG_HEALTHY] = "healthy: no failure shape found",
	[DIAG_EXECUTOR_STARVATION] =
		"executor starvation: workers are blocked or busy inside polls, "
		"so queued tasks wait",
	[DIAG_MUTEX_CONVOY] =
		"mutex convoy: a synchronous lock is handed between workers and "
		"scheduler delay becomes lock wait",
	[DIAG_SUSPENSION_CONVOY] =
		"suspension convoy: a lock is held across an await, its waiters "
		"wait for the suspended holder",
	[DIAG_CPU_OVERLOAD] =
		"CPU overload: more runnable threads than CPUs, threads wait to "
		"be scheduled",
};

const char *diag_shape_words(enum diag_shape shape)
{
	return (unsigned int)shape < DIAG_SHAPE__COUNT ? verdict_words[shape] : "?";
}

const char *diag_confidence_level(double c)
{
	return c < 0.5 ? "low" : c < 0.75 ? "medium" : "high";
}

/* ---- helpers ------------------------------------------------------------- */

/* What the rules know about the input, computed once. */
struct diag_ctx {
	const struct diag_input *in;
	struct diag_result *out;
	bool worker[DIAG_MAX_THREADS];	/* the analysed set */
	unsigned int nworkers;		/* in the analysed set */
	bool no_workers;		/* no worker found: analysed = all */
	unsigned int npool_guess;	/* worker-named, taken as blocking pool */
	uint64_t wall, on, rq, rq_pre, off, block, futex;	/* analysed */
};

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* 0.5 at the threshold, 0.75 at twice it, 0.875 at four times... */
static double strength(double value, double threshold)
{
	if (threshold <= 0 || value < threshold)
		return 0;
	return clamp01(1.0 - 0.5 * threshold / value);
}

static int cmp_rank_wall_desc(const void *a, const void *b)
{
	const struct diag_thread_rank *x = a, *y = b;

	if (x->wall != y->wall)
		return x->wall < y->wall ? 1 : -1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_rank_idx(const void *a, const void *b)
{
	const struct diag_thread_rank *x = a, *y = b;

	return (x->idx > y->idx) - (x->idx < y->idx);
}

size_t diag_keep_busiest(struct diag_thread_rank *rank, size_t n)
{
	if (n <= DIAG_MAX_THREADS)
		return n;
	qsort(rank, n, sizeof(*rank), cmp_rank_wall_desc);
	/* back to list order: (tgid, tid), as the JSON lists them */
	qsort(rank, DIAG_MAX_THREADS, sizeof(*rank), cmp_rank_idx);
	return DIAG_MAX_THREADS;
}

uint64_t diag_scaled(uint64_t count, double share)
{
	double v;

	if (!(share > 0 && share < 1))
		return count;
	/* saturated: a count near 2^64 or a tiny share (a hostile document)
	 * would scale past 2^64, where the cast is undefined */
	v = count / share + 0.5;
	return v < 0x1p64 ? (uint64_t)v : UINT64_MAX;
}

bool diag_sys_is_park(const char *name)
{
	return !strcmp(name, "epoll_wait") || !strcmp(name, "epoll_pwait") ||
	       !strcmp(name, "epoll_pwait2");
}

bool diag_sys_is_futex(const char *name)
{
	return !strcmp(name, "futex") || !strcmp(name, "futex_waitv");
}

unsigned int diag_idle_queue(const struct diag_futex_use *u, size_t n)
{
	uint64_t waits = 0, wakes = 0, idler_wakes = 0;
	unsigned int idlers = 0;

	for (size_t i = 0; i < n; i++) {
		waits += u[i].waits;
		wakes += u[i].wakes;
		if (diag_futex_use_idles(&u[i])) {
			idlers++;
			idler_wakes += u[i].wakes;
		}
	}
	if (idlers < 2 || waits < QUEUE_MIN_WAITS ||
	    ratio(wakes, waits) < QUEUE_WOKEN_SHARE ||
	    ratio(idler_wakes, wakes) > QUEUE_IDLER_WAKE_SHARE)
		return 0;
	return idlers;
}

static int cmp_span_desc(const void *a, const void *b)
{
	const struct diag_span *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/*
 * A run may have 1024 notable spans, most of them idle workers' parks and
 * other threads' waits: they would crowd the few spans the starvation rule
 * reads (a worker blocked outside parks and futex waits) out of
 * DIAG_MAX_SPANS.  So those go in first, in the order given, then the
 * others in the order given while there is room; others[] keeps the first
 * DIAG_MAX_SPANS others meanwhile, all that can be needed.
 */
void diag_pick_spans(struct diag_input *in, size_t n,
		     diag_span_at_fn *span_at, void *ctx)
{
	struct diag_span others[DIAG_MAX_SPANS], s;
	unsigned int nothers = 0;

	in->nspans = 0;
	for (size_t i = 0; i < n && in->nspans < DIAG_MAX_SPANS; i++) {
		bool on_worker;

		memset(&s, 0, sizeof(s));
		on_worker = span_at(ctx, i, &s);
		if (on_worker && (s.kind == DIAG_SPAN_CPU_RUN ||
				  (s.kind == DIAG_SPAN_OFF_CPU &&
				   !diag_sys_is_park(s.syscall) &&
				   !diag_sys_is_futex(s.syscall))))
			in->spans[in->nspans++] = s;
		else if (nothers < DIAG_MAX_SPANS)
			others[nothers++] = s;
	}
	for (unsigned int i = 0; i < nothers && in->nspans < DIAG_MAX_SPANS; i++)
		in->spans[in->nspans++] = others[i];
	qsort(in->spans, in->nspans, sizeof(in->spans[0]), cmp_span_desc);
}

static uint64_t thread_wall(const struct diag_thread *t)
{
	return t->on_cpu_ns + t->rq_wakeup_ns + t->rq_preempt_ns + t->off_cpu_ns;
}

/* Blocked in syscalls that are neither parks nor futex waits. */
static uint64_t thread_block_ns(const struct diag_thread *t)
{
	uint64_t ns = 0;

	for (unsigned int i = 0; i < t->noff && i < DIAG_MAX_SYSCALLS; i++)
		if (!diag_sys_is_park(t->off_by_sys[i].name) &&
		    !diag_sys_is_futex(t->off_by_sys[i].name))
			ns += t->off_by_sys[i].ns;
	return ns;
}

static uint64_t thread_sys_ns(const struct diag_thread *t, const char *name)
{
	for (unsigned int i = 0; i < t->noff && i < DIAG_MAX_SYSCALLS; i++)
		if (!strcmp(t->off_by_sys[i].name, name))
			return t->off_by_sys[i].ns;
	return 0;
}

static int thread_idx(const struct diag_input *in, uint32_t tid)
{
	for (unsigned int i = 0; i < in->nthreads; i++)
		if (in->threads[i].tid == tid)
			return (int)i;
	return -1;
}

/* A thread's name for evidence: its comm, with /tid when not unique. */
static const char *thread_label(const struct diag_input *in, uint32_t tid,
				char *buf, size_t len)
{
	int i = thread_idx(in, tid), same = 0;

	if (i < 0) {
		snprintf(buf, len, "tid %u", tid);
		return buf;
	}
	for (unsigned int j = 0; j < in->nthreads; j++)
		same += !strcmp(in->threads[j].comm, in->threads[i].comm);
	if (same > 1)
		snprintf(buf, len, "%s/%u", in->threads[i].comm, tid);
	else
		snprintf(buf, len, "%s", in->threads[i].comm);
	return buf;
}

static bool in_set(const struct diag_ctx *cx, uint32_t tid)
{
	int i = thread_idx(cx->in, tid);

	return i >= 0 && cx->worker[i];
}

static void vappendf(char *line, const char *fmt, va_list ap)
{
	size_t n = strlen(line);

	if (n < DIAG_LINE_LEN - 1)
		vsnprintf(line + n, DIAG_LINE_LEN - n, fmt, ap);
}

static void appendf(char *line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void appendf(char *line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappendf(line, fmt, ap);
	va_end(ap);
}

static void evidence(struct diag_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void evidence(struct diag_finding *f, const char *fmt, ...)
{
	va_list ap;

	if (f->nevidence >= DIAG_MAX_EVIDENCE)
		return;
	va_start(ap, fmt);
	vsnprintf(f->evidence[f->nevidence++], DIAG_LINE_LEN, fmt, ap);
	va_end(ap);
}

static void note(struct diag_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct diag_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes >= DIAG_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], DIAG_LINE_LEN, fmt, ap);
	va_end(ap);
}

/* The finding of a shape, created on first use. */
static struct diag_finding *finding(struct diag_result *r, enum diag_shape s)
{
	struct diag_finding *f;

	for (unsigned int i = 0; i < r->nfindings; i++)
		if (r->findings[i].shape == s)
			return &r->findings[i];
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->shape = s;
	f->remedy = remedies[s];
	return f;
}

static const struct diag_finding *find_const(const struct diag_result *r,
					     enum diag_shape s)
{
	for (unsigned int i = 0; i < r->nfindings; i++)
		if (r->findings[i].shape == s)
			return &r->findings[i];
	return NULL;
}

/*
 * Appends " (a 1.21 s, b 1.19 s, +2 more)" to line: the analysed threads
 * ranked by value(t), those with a non-zero value, at most 4 named.
 */
static void append_threads(const struct diag_ctx *cx, char *line,
			   uint64_t (*value)(const struct diag_thread *t,
					     const void *arg),
			   const void *arg)
{
	const struct diag_input *in = cx->in;
	bool used[DIAG_MAX_THREADS] = { false };
	char lbl[48], num[32];
	unsigned int shown = 0, more = 0;

	for (;;) {
		int best = -1;
		uint64_t bv = 0;

		for (unsigned int i = 0; i < in->nthreads; i++) {
			uint64_t v;

			if (!cx->worker[i] || used[i])
				continue;
			v = value(&in->threads[i], arg);
			if (v > bv) {
				bv = v;
				best = (int)i;
			}
		}
		if (best < 0)
			break;
		used[best] = true;
		if (shown == 4) {
			more++;
			continue;
		}
		appendf(line, "%s%s %s", shown ? ", " : " (",
			thread_label(in, in->threads[best].tid, lbl, sizeof(lbl)),
			obs_fmt_ns(num, sizeof(num), bv));
		shown++;
	}
	if (more)
		appendf(line, ", +%u more", more);
	if (shown)
		appendf(line, ")");
}

static uint64_t val_sys(const struct diag_thread *t, const void *arg)
{
	return thread_sys_ns(t, arg);
}

static uint64_t val_on(const struct diag_thread *t, const void *arg)
{
	(void)arg;
	return t->on_cpu_ns;
}

static uint64_t val_runs(const struct diag_thread *t, const void *arg)
{
	(void)arg;
	return t->cpu_run_long_ns;
}

static uint64_t val_preempt(const struct diag_thread *t, const void *arg)
{
	(void)arg;
	return t->rq_preempt_ns;
}

/* ---- the analysed set ---------------------------------------------------- */

/* Tokio names its blocking-pool threads like its workers (docs/tokio.md). */
static bool name_ambiguous(const char *comm)
{
	return !strncmp(comm, "tokio-runtime-w", 15);
}

/*
 * Workers, minus worker-named threads that are probably a blocking pool:
 * when there are more worker-named threads than workers (the runtime's
 * count, else the CPU count, Tokio's default), the surplus threads that
 * block the most, and block outside parking at least POOL_GUESS_BLOCK_SHARE
 * of their time, are taken as pool threads: blocking there is the remedy,
 * not the fault.  A pool of two or more threads is found from behaviour
 * first (analysis/roles.h); this guess is for a pool of one.  The floor
 * keeps workers that barely block (tokio_convoy, 4 workers on 2 CPUs) as
 * workers.  With no worker at all, every thread is analysed (for the convoy
 * rule; starvation is then not judged).
 */
#define POOL_GUESS_BLOCK_SHARE	0.2
static void pick_workers(struct diag_ctx *cx)
{
	const struct diag_input *in = cx->in;
	unsigned int named = 0, ambiguous = 0, expect, surplus;

	for (unsigned int i = 0; i < in->nthreads; i++) {
		cx->worker[i] = in->threads[i].role == DIAG_ROLE_WORKER;
		named += cx->worker[i];
		ambiguous += cx->worker[i] && name_ambiguous(in->threads[i].comm);
	}
	expect = in->nworkers ? in->nworkers : ambiguous ? in->ncpus : 0;
	surplus = expect && named > expect ? named - expect : 0;
	for (unsigned int k = 0; k < surplus; k++) {
		int best = -1;
		uint64_t bv = 0;

		for (unsigned int i = 0; i < in->nthreads; i++) {
			const struct diag_thread *t = &in->threads[i];
			uint64_t v = thread_block_ns(t);

			if (cx->worker[i] && name_ambiguous(t->comm) && v > bv &&
			    ratio(v, thread_wall(t)) >= POOL_GUESS_BLOCK_SHARE) {
				bv = v;
				best = (int)i;
			}
		}
		if (best < 0)
			break;
		cx->worker[best] = false;
		cx->npool_guess++;
	}
	if (cx->npool_guess)
		note(cx->out, "%u worker-named threads for %u %s: the %u that "
		     "block most are taken as blocking-pool threads (Tokio names "
		     "them like its workers); if they are workers, this is "
		     "starvation", named, expect,
		     in->nworkers ? "workers" : "CPUs (Tokio's default worker count)",
		     cx->npool_guess);

	for (unsigned int i = 0; i < in->nthreads; i++)
		cx->nworkers += cx->worker[i];
	if (!cx->nworkers) {
		cx->no_workers = true;
		for (unsigned int i = 0; i < in->nthreads; i++)
			cx->worker[i] = true;
		cx->nworkers = in->nthreads;
		note(cx->out, "no worker threads found (name them with --workers "
		     "GLOB): starvation is not judged, and the convoy rule looks "
		     "at all threads");
	}
	for (unsigned int i = 0; i < in->nthreads; i++) {
		const struct diag_thread *t = &in->threads[i];

		if (!cx->worker[i])
			continue;
		cx->wall += thread_wall(t);
		cx->on += t->on_cpu_ns;
		cx->rq += t->rq_wakeup_ns + t->rq_preempt_ns;
		cx->rq_pre += t->rq_preempt_ns;
		cx->off += t->off_cpu_ns;
		cx->block += thread_block_ns(t);
		cx->futex += thread_sys_ns(t, "futex") +
			     thread_sys_ns(t, "futex_waitv");
	}
}

/* ---- executor starvation ------------------------------------------------- */

/* Time of one syscall class summed over the analysed threads. */
static uint64_t set_sys_ns(const struct diag_ctx *cx, const char *name)
{
	uint64_t sum = 0;

	for (unsigned int k = 0; k < cx->in->nthreads; k++)
		if (cx->worker[k])
			sum += thread_sys_ns(&cx->in->threads[k], name);
	return sum;
}

/* Time the analysed threads waited in epoll (parked on an I/O driver). */
static uint64_t set_park_ns(const struct diag_ctx *cx)
{
	return set_sys_ns(cx, "epoll_wait") + set_sys_ns(cx, "epoll_pwait") +
	       set_sys_ns(cx, "epoll_pwait2");
}

/* The blocking syscall class with the most time on analysed threads, of
 * those with less than `below` ns (to walk them in order; classes with
 * exactly equal times are skipped: harmless in evidence lines). */
static const char *top_block_sys(const struct diag_ctx *cx, uint64_t below,
				 uint64_t *ns_out)
{
	const struct diag_input *in = cx->in;
	const char *best = NULL;
	uint64_t bv = 0;

	for (unsigned int i = 0; i < in->nthreads; i++) {
		const struct diag_thread *t = &in->threads[i];

		if (!cx->worker[i])
			continue;
		for (unsigned int j = 0; j < t->noff && j < DIAG_MAX_SYSCALLS; j++) {
			const char *name = t->off_by_sys[j].name;
			uint64_t sum;

			if (diag_sys_is_park(name) || diag_sys_is_futex(name))
				continue;
			sum = set_sys_ns(cx, name);
			if (sum < below && sum > bv) {
				bv = sum;
				best = name;
			}
		}
	}
	*ns_out = bv;
	return best;
}

/* A long span of kind on a worker that counts for starvation: blocking
 * outside parks and futex waits, or a CPU run. */
static bool starving_span(const struct diag_ctx *cx, const struct diag_span *s,
			  enum diag_span_kind kind)
{
	if (s->kind != kind || s->ns < STARV_LONG_SPAN_NS || !in_set(cx, s->tid))
		return false;
	return kind != DIAG_SPAN_OFF_CPU ||
	       (!diag_sys_is_park(s->syscall) && !diag_sys_is_futex(s->syscall));
}

/*
 * The call site with most time among the starving spans of kind, as an
 * evidence line: "64 blocking spans (1.28 s) on workers from SITE".  None
 * when no span has a site (no user stacks).
 */
static void top_site_evidence(const struct diag_ctx *cx, struct diag_finding *f,
			      enum diag_span_kind kind, const char *what)
{
	const struct diag_input *in = cx->in;
	const struct diag_span *best = NULL;
	uint64_t best_ns = 0;
	unsigned int best_n = 0;
	char a[32];

	for (unsigned int i = 0; i < in->nspans; i++) {
		const struct diag_span *s = &in->spans[i];
		uint64_t ns = 0;
		unsigned int n = 0;

		if (!s->site[0] || !starving_span(cx, s, kind))
			continue;
		for (unsigned int j = 0; j < in->nspans; j++)
			if (starving_span(cx, &in->spans[j], kind) &&
			    !strcmp(in->spans[j].site, s->site)) {
				ns += in->spans[j].ns;
				n++;
			}
		if (ns > best_ns) {
			best = s;
			best_ns = ns;
			best_n = n;
		}
	}
	/* in->spans holds at most DIAG_MAX_SPANS: a full array is a floor */
	if (best)
		evidence(f, "%s%u %s%s (%s) on workers from %s",
			 in->nspans == DIAG_MAX_SPANS ? "at least " : "", best_n, what,
			 best_n > 1 ? "s" : "", obs_fmt_ns(a, sizeof(a), best_ns),
			 best->site);
}

static void starvation_kernel(struct diag_ctx *cx)
{
	const struct diag_input *in = cx->in;
	struct diag_finding *f;
	double share = ratio(cx->block, cx->wall), conf = 0;
	unsigned int nlong = 0;
	const struct diag_span *longest = NULL;
	const char *top;
	uint64_t top_ns, prev;
	char line[DIAG_LINE_LEN], a[32], b[32], lbl[48];

	for (unsigned int i = 0; i < in->nspans; i++) {
		const struct diag_span *s = &in->spans[i];

		if (!starving_span(cx, s, DIAG_SPAN_OFF_CPU))
			continue;
		nlong++;
		if (!longest || s->ns > longest->ns)
			longest = s;
	}
	if (cx->block >= STARV_BLOCK_MIN_NS)
		conf = strength(share, STARV_BLOCK_SHARE);
	if (conf > 0 && nlong >= STARV_LONG_SPANS && conf < STARV_SPAN_CONF)
		conf = STARV_SPAN_CONF;
	if (conf <= 0)
		return;

	f = finding(cx->out, DIAG_EXECUTOR_STARVATION);
	f->confidence = conf;
	top = top_block_sys(cx, UINT64_MAX, &top_ns);
	snprintf(line, sizeof(line),
		 "workers spent %.1f%% of their wall time blocked outside parking "
		 "(%s of %s)", 100 * share, obs_fmt_ns(a, sizeof(a), cx->block),
		 obs_fmt_ns(b, sizeof(b), cx->wall));
	/* the next two classes, when they matter (1% of the time or more) */
	prev = top_ns;
	for (int k = 0; top && k < 2; k++) {
		uint64_t ns;
		const char *name = top_block_sys(cx, prev, &ns);

		if (!name || ratio(ns, cx->wall) < 0.01)
			break;
		appendf(line, "%s %s %s", k ? "," : "; also", name,
			obs_fmt_ns(a, sizeof(a), ns));
		prev = ns;
	}
	evidence(f, "%s", line);
	if (top) {
		snprintf(line, sizeof(line), "%.1f%% off-CPU in %s",
			 100 * ratio(top_ns, cx->wall), top);
		append_threads(cx, line, val_sys, top);
		evidence(f, "%s", line);
	}
	/* in->spans holds at most DIAG_MAX_SPANS: a full array is a floor. */
	if (nlong)
		evidence(f, "%s%u single blocking span%s >= %s on workers, the "
			 "longest %s in %s on %s: every task queued on that worker "
			 "waited as long",
			 in->nspans == DIAG_MAX_SPANS ? "at least " : "",
			 nlong, nlong > 1 ? "s" : "",
			 obs_fmt_ns(a, sizeof(a), STARV_LONG_SPAN_NS),
			 obs_fmt_ns(b, sizeof(b), longest->ns), longest->syscall,
			 thread_label(in, longest->tid, lbl, sizeof(lbl)));
	top_site_evidence(cx, f, DIAG_SPAN_OFF_CPU, "blocking span");
}

/*
 * Kernel tier: long CPU runs on workers, on a CPU with no syscall return
 * for 10 ms or more.  An event loop or a worker enters the kernel often
 * (epoll, futex, socket I/O), so such a run is a poll that computes without
 * yielding, and every task queued behind it waits as long.  Scored as
 * blocking is, share of worker time and the count of long ones.  But a
 * runtime with no I/O driver polls task after task with no syscall in
 * between (tokio_starvation --mode greedy: 20 ms runs of short polls that
 * yield to the coop budget); when no worker waited in epoll, a run may be
 * many polls, and the confidence stays at STARV_RUN_NO_DRIVER_CONF.
 */
#define STARV_RUN_NO_DRIVER_CONF	0.6
static void starvation_cpu_runs(struct diag_ctx *cx)
{
	const struct diag_input *in = cx->in;
	const struct diag_thread *top = NULL;
	uint64_t ns = 0, n = 0;
	double share, conf = 0;
	struct diag_finding *f;
	bool driver;
	char line[DIAG_LINE_LEN], a[32], b[32], lbl[48];

	for (unsigned int i = 0; i < in->nthreads; i++) {
		const struct diag_thread *t = &in->threads[i];

		if (!cx->worker[i])
			continue;
		ns += t->cpu_run_long_ns;
		n += t->cpu_runs_long;
		if (t->cpu_runs_long &&
		    (!top || t->cpu_run_max_ns > top->cpu_run_max_ns))
			top = t;
	}
	share = ratio(ns, cx->wall);
	if (ns >= STARV_BLOCK_MIN_NS)
		conf = strength(share, STARV_BLOCK_SHARE);
	if (conf > 0 && n >= STARV_LONG_SPANS && conf < STARV_SPAN_CONF)
		conf = STARV_SPAN_CONF;
	if (conf <= 0)
		return;
	driver = set_park_ns(cx) > 0;
	if (!driver && conf > STARV_RUN_NO_DRIVER_CONF)
		conf = STARV_RUN_NO_DRIVER_CONF;
	f = finding(cx->out, DIAG_EXECUTOR_STARVATION);
	if (conf > f->confidence)
		f->confidence = conf;
	snprintf(line, sizeof(line), "%llu CPU runs >= 10 ms on workers with "
		 "no syscall (%s, %.1f%% of their wall time): polls that "
		 "compute without yielding",
		 (unsigned long long)n, obs_fmt_ns(a, sizeof(a), ns),
		 100 * share);
	append_threads(cx, line, val_runs, NULL);
	evidence(f, "%s", line);
	if (top && top->cpu_run_max_ns)
		evidence(f, "the longest ran %s on %s%s",
			 obs_fmt_ns(b, sizeof(b), top->cpu_run_max_ns),
			 thread_label(in, top->tid, lbl, sizeof(lbl)),
			 driver ? ": every task queued on that worker waited as "
				  "long" : "");
	top_site_evidence(cx, f, DIAG_SPAN_CPU_RUN, "long CPU run");
	if (!driver)
		note(cx->out, "a CPU run may hold many short polls: no worker "
		     "waited in epoll (no I/O driver seen), and a runtime without "
		     "one polls task after task with no syscall between");
}

/* Kernel tier only, without CPU runs (documents from before them): workers
 * on a CPU most of the time, not preempted. */
static void starvation_cpu_hint(struct diag_ctx *cx)
{
	struct diag_finding *f;
	double share = ratio(cx->on, cx->wall);
	char line[DIAG_LINE_LEN];

	if (share < STARV_CPU_SHARE ||
	    ratio(cx->rq_pre, cx->on + cx->rq) >= OVERLOAD_PREEMPT_SHARE)
		return;
	f = finding(cx->out, DIAG_EXECUTOR_STARVATION);
	if (f->confidence < STARV_CPU_CONF)
		f->confidence = STARV_CPU_CONF;
	snprintf(line, sizeof(line), "workers were on a CPU %.1f%% of their "
		 "wall time with little preemption", 100 * share);
	append_threads(cx, line, val_on, NULL);
	evidence(f, "%s", line);
	evidence(f, "long CPU-bound polls would starve the other tasks, but "
		 "without runtime probes a busy runtime looks the same: low "
		 "confidence");
}

/*
 * A poll blocked mostly in futex waited for a lock (or a condvar): its
 * worker was blocked, but the cause is the lock's holder, which the convoy
 * rules judge.  Counted as starvation it made every sync convoy a
 * starvation too (demo_convoy: 0.79 next to mutex_convoy 0.97).
 */
static bool lock_wait_poll(const struct diag_poll *p)
{
	return (!strcmp(p->off_syscall, "futex") ||
		!strcmp(p->off_syscall, "futex_waitv")) &&
	       p->off_cpu_ns * 2 >= p->ns;
}

static void starvation_runtime(struct diag_ctx *cx)
{
	const struct diag_input *in = cx->in;
	const struct diag_runtime *rt = &in->rt;
	struct diag_finding *f;
	uint64_t tot = 0, rq = 0;
	unsigned int own = 0;
	bool attributed = false;
	double conf, share = ratio(rt->poll_ns_over_10ms, cx->wall);
	char a[32], b[32], c[32], lbl[48];

	if (!rt->polls_over_10ms)
		return;
	for (unsigned int i = 0; i < rt->nlongest && i < DIAG_MAX_POLLS; i++) {
		const struct diag_poll *p = &rt->longest[i];

		tot += p->ns;
		rq += p->rq_ns;
		if (p->on_cpu_ns || p->rq_ns || p->off_cpu_ns)
			attributed = true;
		if (p->ns - (p->rq_ns < p->ns ? p->rq_ns : p->ns) >=
		    STARV_LONG_POLL_NS && !lock_wait_poll(p))
			own++;
	}
	if (attributed)
		conf = strength(own, STARV_LONG_POLLS);
	else
		conf = strength(share, STARV_POLL_SHARE);
	if (!conf)
		return;
	if (rt->timer_fires && rt->timer_late_p99_ns >= STARV_TIMER_LATE_NS)
		conf = clamp01(conf + 0.1);

	f = finding(cx->out, DIAG_EXECUTOR_STARVATION);
	if (conf > f->confidence)
		f->confidence = conf;
	evidence(f, "%llu polls longer than 10 ms (%s in them, %.1f%% of worker "
		 "time), %llu over 1 ms, of %llu polls",
		 (unsigned long long)rt->polls_over_10ms,
		 obs_fmt_ns(a, sizeof(a), rt->poll_ns_over_10ms), 100 * share,
		 (unsigned long long)rt->polls_over_1ms,
		 (unsigned long long)rt->polls);
	if (attributed)
		evidence(f, "%u of the %u longest polls ran or blocked >= 10 ms "
			 "themselves (run-queue time excluded)", own, rt->nlongest);
	if (rt->nlongest) {
		const struct diag_poll *p = &rt->longest[0];
		char line[DIAG_LINE_LEN];

		snprintf(line, sizeof(line), "longest poll %s: task %llu on %s, "
			 "%s on CPU, %s on a run queue",
			 obs_fmt_ns(a, sizeof(a), p->ns), (unsigned long long)p->task_id,
			 thread_label(in, p->tid, lbl, sizeof(lbl)),
			 obs_fmt_ns(b, sizeof(b), p->on_cpu_ns),
			 obs_fmt_ns(c, sizeof(c), p->rq_ns));
		if (p->off_cpu_ns)
			appendf(line, ", %s blocked in %s",
				obs_fmt_ns(a, sizeof(a), p->off_cpu_ns),
				p->off_syscall[0] ? p->off_syscall : "?");
		evidence(f, "%s", line);
	}
	if (ratio(rq, tot) >= STARV_POLL_RQ_SHARE)
		evidence(f, "%.0f%% of the longest polls' time was spent on a run "
			 "queue: the CPU was taken from them (see cpu_overload)",
			 100 * ratio(rq, tot));
	if (rt->timer_fires && rt->timer_late_p99_ns >= STARV_TIMER_LATE_NS)
		evidence(f, "timers fired late: p50 %s, p99 %s, max %s",
			 obs_fmt_ns(a, sizeof(a), rt->timer_late_p50_ns),
			 obs_fmt_ns(b, sizeof(b), rt->timer_late_p99_ns),
			 obs_fmt_ns(c, sizeof(c), rt->timer_late_max_ns));
}

/* ---- mutex convoy -------------------------------------------------------- */

/*
 * A futex address is a lock handed between peers when (all on the analysed
 * threads): >= CONVOY_MIN_WAITERS waiters, >= CONVOY_MIN_WAITS waits, most
 * waits ended by a peer's wake (not by a timeout), >= 2 distinct peer
 * wakers, and its wait time is a real share of their wall time.
 * Parking looks different: rt and Tokio park each worker on its own condvar
 * (one waiter per address), and a shared park with a timeout is ended by
 * the kernel's timer (no waker).  Limits: a condvar that many workers wait
 * on and that peers signal each time (a hand-made work queue) looks like a
 * lock; the run-queue wait after the wake (CONVOY_RQ_AFTER_SHARE) and the
 * runtime tier's lock probes tell them apart, the kernel alone cannot.
 */
/* One futex address as a convoy candidate: its workers' waits and wakes. */
struct convoy_pick {
	const struct diag_futex *fx;
	double conf, share, peer;	/* confidence, wait share, peer wakes */
	uint64_t wait, waits;		/* the analysed workers' */
	unsigned int idlers;		/* an idle queue's idle threads, or 0 */
	double queue_conf;		/* an idle queue: the conf it would have */
};

/* The waiters and wakers of fx, one use per thread; returns how many. */
static size_t futex_uses(const struct diag_futex *fx,
			 struct diag_futex_use u[2 * DIAG_MAX_FUTEX_TIDS])
{
	size_t n = 0, j, k;

	for (j = 0; j < fx->nwaiters && j < DIAG_MAX_FUTEX_TIDS; j++)
		u[n++] = (struct diag_futex_use){
			.tid = fx->waiters[j].tid, .waits = fx->waiters[j].n,
		};
	for (j = 0; j < fx->nwakers && j < DIAG_MAX_FUTEX_TIDS; j++) {
		for (k = 0; k < n && u[k].tid != fx->wakers[j].tid; k++)
			;
		if (k == n)
			u[n++] = (struct diag_futex_use){ .tid = fx->wakers[j].tid };
		u[k].wakes += fx->wakers[j].n;
	}
	return n;
}

/* Scores fx into p; 0 when it is not a lock handed between workers. */
static double convoy_score(const struct diag_ctx *cx,
			   const struct diag_futex *fx, struct convoy_pick *p)
{
	struct diag_futex_use uses[2 * DIAG_MAX_FUTEX_TIDS];
	unsigned int waiters = 0, wakers = 0, j;
	uint64_t peer = 0;

	memset(p, 0, sizeof(*p));
	p->fx = fx;
	p->idlers = diag_idle_queue(uses, futex_uses(fx, uses));
	for (j = 0; j < fx->nwaiters && j < DIAG_MAX_FUTEX_TIDS; j++)
		if (in_set(cx, fx->waiters[j].tid)) {
			waiters++;
			p->waits += fx->waiters[j].n;
			p->wait += fx->waiters[j].wait_ns;
		}
	for (j = 0; j < fx->nwakers && j < DIAG_MAX_FUTEX_TIDS; j++)
		if (in_set(cx, fx->wakers[j].tid)) {
			wakers++;
			peer += fx->wakers[j].n;
		}
	p->share = ratio(p->wait, cx->wall);
	p->peer = ratio(peer, fx->waits);
	if (waiters < CONVOY_MIN_WAITERS || wakers < 2 ||
	    p->waits < CONVOY_MIN_WAITS || p->peer < CONVOY_PEER_WAKE_SHARE)
		return 0;
	p->conf = strength(p->share, CONVOY_WAIT_SHARE);
	if (p->idlers) {	/* parking; convoy_rule says so if it mattered */
		p->queue_conf = p->conf;
		p->conf = 0;
	}
	if (p->conf && ratio(fx->rq_after_wake_ns, fx->wait_ns) >=
		       CONVOY_RQ_AFTER_SHARE)
		p->conf = clamp01(p->conf + 0.1);
	return p->conf;
}

static void convoy_evidence(const struct diag_ctx *cx, struct diag_finding *f,
			    const struct convoy_pick *p)
{
	const struct diag_futex *best = p->fx;
	char line[DIAG_LINE_LEN], a[32], b[32], lbl[48];

	snprintf(line, sizeof(line), "futex 0x%llx: %llu contended waits, %s "
		 "blocked = %.1f%% of worker time;",
		 (unsigned long long)best->uaddr, (unsigned long long)p->waits,
		 obs_fmt_ns(a, sizeof(a), p->wait), 100 * p->share);
	for (unsigned int j = 0; j < best->nwaiters && j < 4; j++)
		appendf(line, "%s %s %llu/%s", j ? "," : " waiters",
			thread_label(cx->in, best->waiters[j].tid, lbl, sizeof(lbl)),
			(unsigned long long)best->waiters[j].n,
			obs_fmt_ns(a, sizeof(a), best->waiters[j].wait_ns));
	evidence(f, "%s", line);
	snprintf(line, sizeof(line), "%.0f%% of those waits were ended by a "
		 "peer's wake, not a timeout: a lock handed between threads, "
		 "not a park;", 100 * p->peer);
	for (unsigned int j = 0; j < best->nwakers && j < 4; j++)
		appendf(line, "%s %s %llu", j ? "," : " wakers",
			thread_label(cx->in, best->wakers[j].tid, lbl, sizeof(lbl)),
			(unsigned long long)best->wakers[j].n);
	evidence(f, "%s", line);
	if (best->waits)
		evidence(f, "mean wait %s per contended acquisition (max %s)",
			 obs_fmt_ns(a, sizeof(a), best->wait_ns / best->waits),
			 obs_fmt_ns(b, sizeof(b), best->max_ns));
	if (ratio(best->rq_after_wake_ns, best->wait_ns) >= CONVOY_RQ_AFTER_SHARE)
		evidence(f, "once woken, the waiters queued another %s for a CPU "
			 "(%.0f%% of the blocked time): scheduler delay is "
			 "feeding the lock",
			 obs_fmt_ns(a, sizeof(a), best->rq_after_wake_ns),
			 100 * ratio(best->rq_after_wake_ns, best->wait_ns));
	if (ratio(cx->rq_pre, cx->wall) >= CONVOY_WAIT_SHARE) {
		snprintf(line, sizeof(line), "workers were preempted for %s "
			 "(%.1f%% of their time): a preempted holder keeps the "
			 "lock", obs_fmt_ns(a, sizeof(a), cx->rq_pre),
			 100 * ratio(cx->rq_pre, cx->wall));
		append_threads(cx, line, val_preempt, NULL);
		evidence(f, "%s", line);
	}
}

static void convoy_rule(struct diag_ctx *cx)
{
	struct convoy_pick best = {}, cand;
	struct diag_finding *f;

	for (unsigned int i = 0; i < cx->in->nfutex && i < DIAG_MAX_FUTEX; i++) {
		if (convoy_score(cx, &cx->in->futex[i], &cand) > best.conf)
			best = cand;
		if (cand.queue_conf)
			note(cx->out, "futex 0x%llx is a pool's idle queue, not a "
			     "lock: %u threads idle on it and others wake them "
			     "(%.1f%% of worker time): parking",
			     (unsigned long long)cand.fx->uaddr, cand.idlers,
			     100 * cand.share);
	}
	if (!best.fx)
		return;
	f = finding(cx->out, DIAG_MUTEX_CONVOY);
	f->confidence = best.conf;
	convoy_evidence(cx, f, &best);
}

static void convoy_runtime(struct diag_ctx *cx)
{
	const struct diag_runtime *rt = &cx->in->rt;
	char a[32], b[32], c[32];

	for (unsigned int i = 0; i < rt->nlocks && i < DIAG_MAX_LOCKS; i++) {
		const struct diag_lock *l = &rt->locks[i];
		struct diag_finding *f;
		double share = ratio(l->wait_ns, cx->wall), infl = 0, conf;

		if (l->async)
			continue;
		/* p99 against the mean work: a convoy stretches the tail */
		if (l->hold_on_cpu_ns && l->acquisitions)
			infl = ratio(l->hold_p99_ns,
				     l->hold_on_cpu_ns / l->acquisitions);
		conf = strength(share, CONVOY_WAIT_SHARE);
		if (!conf || (infl < CONVOY_HOLD_INFLATION &&
			      ratio(l->hold_rq_ns, l->hold_ns) < CONVOY_RQ_AFTER_SHARE))
			continue;
		f = finding(cx->out, DIAG_MUTEX_CONVOY);
		if (conf > f->confidence)
			f->confidence = conf;
		evidence(f, "sync lock 0x%llx: %llu acquisitions, waiters waited "
			 "%s in total (p99 %s) = %.1f%% of worker time",
			 (unsigned long long)l->addr,
			 (unsigned long long)l->acquisitions,
			 obs_fmt_ns(a, sizeof(a), l->wait_ns),
			 obs_fmt_ns(b, sizeof(b), l->wait_p99_ns), 100 * share);
		if (l->hold_on_cpu_ns && l->acquisitions)
			evidence(f, "hold p99 %s for %s of CPU work per "
				 "acquisition (%.0fx): the holder was delayed, not "
				 "working", obs_fmt_ns(a, sizeof(a), l->hold_p99_ns),
				 obs_fmt_ns(b, sizeof(b),
					l->hold_on_cpu_ns / l->acquisitions), infl);
		if (l->hold_rq_ns)
			evidence(f, "%s of the hold time on a run queue (%.0f%%)",
				 obs_fmt_ns(c, sizeof(c), l->hold_rq_ns),
				 100 * ratio(l->hold_rq_ns, l->hold_ns));
	}
}

/* ---- suspension convoy (runtime tier only) ------------------------------- */

static void suspension_rule(struct diag_ctx *cx)
{
	const struct diag_runtime *rt = &cx->in->rt;
	char a[32], b[32], c[32];

	for (unsigned int i = 0; i < rt->nlocks && i < DIAG_MAX_LOCKS; i++) {
		const struct diag_lock *l = &rt->locks[i];
		struct diag_finding *f;
		double susp = ratio(l->held_suspended_ns, l->hold_ns), conf;
		double queued = ratio(l->wait_ns, cx->in->duration_ns);

		if (susp < SUSP_SUSPENDED_SHARE || queued < SUSP_MIN_QUEUED)
			continue;
		/* 0.5 at half suspended, 1.0 when always suspended; and as
		 * strong as the queue is long */
		conf = clamp01(susp) * (0.5 + 0.5 * strength(queued, SUSP_MIN_QUEUED));
		f = finding(cx->out, DIAG_SUSPENSION_CONVOY);
		if (conf > f->confidence)
			f->confidence = conf;
		evidence(f, "%s lock 0x%llx: held %s in %llu acquisitions, %.0f%% "
			 "of it while the holder was suspended (in no poll)",
			 l->async ? "async" : "sync", (unsigned long long)l->addr,
			 obs_fmt_ns(a, sizeof(a), l->hold_ns),
			 (unsigned long long)l->acquisitions, 100 * susp);
		evidence(f, "waiters waited %s in total (%.1f tasks queued on "
			 "average), wait p99 %s; hold p99 %s",
			 obs_fmt_ns(a, sizeof(a), l->wait_ns), queued,
			 obs_fmt_ns(b, sizeof(b), l->wait_p99_ns),
			 obs_fmt_ns(c, sizeof(c), l->hold_p99_ns));
	}
}

/* ---- CPU overload -------------------------------------------------------- */

static void overload_rule(struct diag_ctx *cx)
{
	const struct diag_input *in = cx->in;
	uint64_t on = 0, rq = 0, pre = 0, wall = 0;
	double pshare, rqshare, demand, conf;
	struct diag_finding *f;
	char line[DIAG_LINE_LEN], a[32];

	for (unsigned int i = 0; i < in->nthreads; i++) {
		const struct diag_thread *t = &in->threads[i];

		on += t->on_cpu_ns;
		rq += t->rq_wakeup_ns + t->rq_preempt_ns;
		pre += t->rq_preempt_ns;
		wall += thread_wall(t);
	}
	pshare = ratio(pre, on + rq);
	rqshare = ratio(rq, wall);
	if (pshare < OVERLOAD_PREEMPT_SHARE || rqshare < OVERLOAD_RQ_SHARE)
		return;
	demand = ratio(on + rq, in->duration_ns);
	conf = strength(pshare, OVERLOAD_PREEMPT_SHARE);
	if (!in->ncpus || demand < in->ncpus)
		conf = conf < OVERLOAD_EXT_CONF ? conf : OVERLOAD_EXT_CONF;

	f = finding(cx->out, DIAG_CPU_OVERLOAD);
	f->confidence = conf;
	evidence(f, "threads waited %s on run queues (%.0f%% of their wall "
		 "time), %.0f%% of it after a preemption",
		 obs_fmt_ns(a, sizeof(a), rq), 100 * rqshare, 100 * pshare);
	if (in->ncpus && demand >= in->ncpus)
		evidence(f, "the target alone wanted %.2f CPUs on average "
			 "(running or runnable) for %u online CPUs", demand,
			 in->ncpus);
	else if (in->ncpus)
		evidence(f, "the target alone wanted %.2f CPUs of %u: the rest "
			 "of the run-queue delay comes from other processes on "
			 "the machine", demand, in->ncpus);
	if (cx->nworkers && !cx->no_workers) {
		snprintf(line, sizeof(line), "workers preempted for %s",
			 obs_fmt_ns(a, sizeof(a), cx->rq_pre));
		append_threads(cx, line, val_preempt, NULL);
		evidence(f, "%s", line);
	}
}

/* ---- healthy, notes, ranking --------------------------------------------- */

static void healthy(struct diag_ctx *cx)
{
	struct diag_finding *f = finding(cx->out, DIAG_HEALTHY);
	char a[32];

	f->confidence = cx->in->has_runtime ? HEALTHY_CONF_RUNTIME
					    : HEALTHY_CONF_KERNEL;
	if (!cx->no_workers) {
		evidence(f, "workers: on a CPU %.1f%%, blocked outside parking "
			 "%.1f%% (%s), on run queues %.1f%% of their wall time",
			 100 * ratio(cx->on, cx->wall),
			 100 * ratio(cx->block, cx->wall),
			 obs_fmt_ns(a, sizeof(a), cx->block),
			 100 * ratio(cx->rq, cx->wall));
	}
	evidence(f, "no futex address is handed between threads; run-queue "
		 "delay is not dominated by preemption");
	if (cx->in->has_runtime)
		evidence(f, "no poll ran or blocked 10 ms itself; no lock held "
			 "across an await with tasks queued on it");
}

static void add_notes(struct diag_ctx *cx)
{
	const struct diag_input *in = cx->in;
	struct diag_result *r = cx->out;
	char a[32];

	if (!in->has_runtime) {
		note(r, "a suspension convoy is invisible to the kernel: no runtime "
		     "probes found, so it cannot be ruled out");
		if (!cx->no_workers && !in->has_cpu_runs &&
		    ratio(cx->on, cx->wall) >= 0.3)
			note(r, "poll lengths are unknown without runtime probes: "
			     "workers on a CPU %.0f%% of the time may run long "
			     "CPU-bound polls", 100 * ratio(cx->on, cx->wall));
	}
	if (!find_const(r, DIAG_MUTEX_CONVOY) && !cx->no_workers &&
	    ratio(cx->futex, cx->wall) >= NOTE_FUTEX_SHARE)
		note(r, "workers' futex waits (%s, %.0f%%) are read as parking: "
		     "no address is shared by waiters that wake each other",
		     obs_fmt_ns(a, sizeof(a), cx->futex),
		     100 * ratio(cx->futex, cx->wall));
	if (in->has_runtime && in->rt.blocking_jobs &&
	    in->rt.blocking_queue_p99_ns >= NOTE_BLOCKING_QUEUE_NS)
		note(r, "blocking pool saturated: jobs queued p99 %s before a "
		     "thread took them", obs_fmt_ns(a, sizeof(a),
						  in->rt.blocking_queue_p99_ns));
	if (in->has_runtime && in->rt.coverage > 0 && in->rt.coverage < 1)
		note(r, "polls were sampled (probes on %.0f%% of the run, to "
		     "bound their cost): poll counts are scaled estimates, and "
		     "a slow poll outside the windows is not seen",
		     100 * in->rt.coverage);
	if (!in->ncpus)
		note(r, "the CPU count is unknown: overload is judged from "
		     "preemption alone, at low confidence");
	if (in->drops || in->truncated)
		note(r, "the data is incomplete (%llu events dropped%s): figures "
		     "are lower bounds", (unsigned long long)in->drops,
		     in->truncated ? ", lists truncated" : "");
}

static int cmp_finding(const void *a, const void *b)
{
	const struct diag_finding *x = a, *y = b;

	if (x->confidence != y->confidence)
		return x->confidence < y->confidence ? 1 : -1;
	return (int)x->shape - (int)y->shape;
}

static int check_input(const struct diag_input *in)
{
	if (!in->duration_ns || in->nthreads > DIAG_MAX_THREADS ||
	    in->nfutex > DIAG_MAX_FUTEX || in->nspans > DIAG_MAX_SPANS)
		return -EINVAL;
	for (unsigned int i = 0; i < in->nthreads; i++)
		if (in->threads[i].noff > DIAG_MAX_SYSCALLS ||
		    (unsigned int)in->threads[i].role >= DIAG_ROLE__COUNT)
			return -EINVAL;
	for (unsigned int i = 0; i < in->nfutex; i++)
		if (in->futex[i].nwaiters > DIAG_MAX_FUTEX_TIDS ||
		    in->futex[i].nwakers > DIAG_MAX_FUTEX_TIDS)
			return -EINVAL;
	if (in->has_runtime && (in->rt.nlongest > DIAG_MAX_POLLS ||
				in->rt.nlocks > DIAG_MAX_LOCKS))
		return -EINVAL;
	return 0;
}

int diag_run(const struct diag_input *in, struct diag_result *out)
{
	struct diag_ctx *cx;
	struct diag_finding *over;
	bool root_cause = false;
	int err;

	if (!in || !out)
		return -EINVAL;
	err = check_input(in);
	if (err)
		return err;
	/* The context holds a 256-entry set: heap, not the caller's stack. */
	cx = calloc(1, sizeof(*cx));
	if (!cx)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	cx->in = in;
	cx->out = out;

	pick_workers(cx);
	if (!cx->no_workers) {
		starvation_kernel(cx);
		starvation_cpu_runs(cx);
		if (in->has_runtime)
			starvation_runtime(cx);
	}
	convoy_rule(cx);
	if (in->has_runtime) {
		convoy_runtime(cx);
		suspension_rule(cx);
	}
	overload_rule(cx);
	/* Busy workers on an overloaded box are explained by the load: the
	 * fixed convoys keep their workers 91-95% on a CPU once the pressure
	 * is demoted, and the kernel cannot tell that from long polls. */
	if (!cx->no_workers && !in->has_runtime && !in->has_cpu_runs &&
	    !find_const(out, DIAG_CPU_OVERLOAD))
		starvation_cpu_hint(cx);

	for (unsigned int i = 0; i < out->nfindings; i++)
		if (out->findings[i].shape != DIAG_CPU_OVERLOAD &&
		    out->findings[i].confidence >= 0.5)
			root_cause = true;
	over = (struct diag_finding *)find_const(out, DIAG_CPU_OVERLOAD);
	if (over && root_cause) {
		over->confidence = clamp01(over->confidence -
					   OVERLOAD_CONTEXT_PENALTY);
		evidence(over, "ranked below the runtime shape it feeds: fix that "
			 "first");
	}
	if (!out->nfindings)
		healthy(cx);
	qsort(out->findings, out->nfindings, sizeof(out->findings[0]),
	      cmp_finding);
	add_notes(cx);
	free(cx);
	return 0;
}
