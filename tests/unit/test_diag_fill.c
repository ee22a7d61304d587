// SPDX-License-Identifier: MIT
/*
 * test_diag_fill - the analysis stage, observe's snapshot -> diag_input
 * (user/analysis/diag_fill.c), on synthetic snapshots: every field as the
 * JSON converter fills it (user/analysis/diag_json.c), the bounds and what
 * is kept beyond them, the difference of two snapshots for -i, and the
 * verdict that follows, stored with the run.
 * The real runs are in tests/integ/observe_verdict.t.
 */
#include <errno.h>
#include "../tap.h"
#include "analysis/diag_fill.h"
#include "common/hist.h"
#include "analysis/diag_json.h"
#include "output/json.h"
#include "output/verdict.h"

#define MS 1000000ULL

/* ---- building snapshots --------------------------------------------------- */

static void snap_init(struct obs_snapshot *s, size_t nthreads, size_t nfutexes,
		      size_t npairs)
{
	memset(s, 0, sizeof(*s));
	s->threads = calloc(nthreads ? nthreads : 1, sizeof(*s->threads));
	s->futexes = calloc(nfutexes ? nfutexes : 1, sizeof(*s->futexes));
	s->pairs = calloc(npairs ? npairs : 1, sizeof(*s->pairs));
	ASSERT(s->threads && s->futexes && s->pairs);
}

/* Appends a thread; threads must be added in (tgid, tid) order. */
static struct obs_thread *add_thread(struct obs_snapshot *s, uint32_t tgid,
				     uint32_t tid, const char *comm,
				     enum obs_role role)
{
	struct obs_thread_view *tv = &s->threads[s->nthreads++];

	tv->k.tgid = tgid;
	tv->k.tid = tid;
	snprintf(tv->k.comm, sizeof(tv->k.comm), "%s", comm);
	tv->role = role;
	return &tv->k;
}

static void blocked(struct obs_thread *k, enum obs_sys_class cls, uint64_t ns)
{
	k->off_by_sys[cls] += ns;
	k->off_cpu_ns += ns;
}

static struct obs_futex *add_futex(struct obs_snapshot *s, uint32_t tgid,
				   uint64_t uaddr)
{
	struct obs_futex_view *fx = &s->futexes[s->nfutexes++];

	fx->key.tgid = tgid;
	fx->key.uaddr = uaddr;
	return &fx->v;
}

static void add_pair(struct obs_snapshot *s, uint32_t tgid, uint64_t uaddr,
		     uint32_t tid, enum obs_pair_kind kind, uint64_t count,
		     uint64_t ns)
{
	struct obs_pair_view *p = &s->pairs[s->npairs++];

	p->key.tgid = tgid;
	p->key.uaddr = uaddr;
	p->key.tid = tid;
	p->key.kind = kind;
	p->v.count = count;
	p->v.ns = ns;
}

static void add_span(struct obs_notables *nb, uint32_t tgid, uint32_t tid,
		     enum obs_event_kind kind, enum obs_sys_class cls,
		     uint64_t ns)
{
	struct obs_event *ev = &nb->items[nb->n++].ev;

	ev->tgid = tgid;
	ev->tid = tid;
	ev->kind = kind;
	ev->sys_class = cls;
	ev->ns = ns;
	nb->seen++;
}

static struct obs_run run_of(const struct obs_snapshot *s,
			     const struct obs_notables *nb, double secs)
{
	return (struct obs_run){ .snap = s, .notables = nb,
				 .duration_s = secs, .threshold_ms = 10 };
}

/* The analysis stage on a run; its verdict into r. */
static int analyse_run(struct obs_run *run, struct diag_result *r)
{
	int err = obs_analyse_run(run);

	*r = run->diag;
	return err;
}

static struct obs_interval interval_of(const struct obs_snapshot *prev,
				       const struct obs_snapshot *cur,
				       double dt_s)
{
	return (struct obs_interval){ .t_s = 2.0, .dt_s = dt_s,
				      .prev = prev, .cur = cur };
}

static int fill_interval(struct diag_input *in, const struct obs_snapshot *prev,
			 const struct obs_snapshot *cur, double dt_s)
{
	struct obs_interval ivl = interval_of(prev, cur, dt_s);

	return diag_fill_interval(in, &ivl);
}

static int analyse_interval(const struct obs_snapshot *prev,
			    const struct obs_snapshot *cur, double dt_s,
			    struct diag_result *r)
{
	struct obs_interval ivl = interval_of(prev, cur, dt_s);
	int err = obs_analyse_interval(&ivl);

	*r = ivl.diag;
	return err;
}

static struct diag_input *fill(const struct obs_run *run)
{
	struct diag_input *in = malloc(sizeof(*in));

	ASSERT_NOT_NULL(in);
	memset(in, 0xa5, sizeof(*in));	/* the filler must zero it */
	ASSERT_EQ(diag_fill_run(in, run), 0);
	return in;
}

static const struct diag_thread *thread_in(const struct diag_input *in,
					   uint32_t tid)
{
	for (unsigned int i = 0; i < in->nthreads; i++)
		if (in->threads[i].tid == tid)
			return &in->threads[i];
	return NULL;
}

static uint64_t sys_ns(const struct diag_thread *t, const char *name)
{
	for (unsigned int i = 0; i < t->noff; i++)
		if (!strcmp(t->off_by_sys[i].name, name))
			return t->off_by_sys[i].ns;
	return 0;
}

static bool any_evidence(const struct diag_finding *f, const char *needle)
{
	for (unsigned int i = 0; i < f->nevidence; i++)
		if (strstr(f->evidence[i], needle))
			return true;
	return false;
}

/*
 * demo_starvation over 3 s, as observe measures it: two rt workers blocked
 * 2.4 s each in clock_nanosleep, a main thread joining them.
 */
static void starvation_snapshot(struct obs_snapshot *s)
{
	struct obs_thread *k;

	snap_init(s, 3, 1, 2);
	k = add_thread(s, 100, 100, "demo_starvation", OBS_ROLE_OTHER);
	k->on_cpu_ns = 2 * MS;
	blocked(k, OBS_SYS_FUTEX, 3000 * MS);
	k->futex_waits = 1;
	k->futex_wait_ns = 3000 * MS;
	for (uint32_t i = 0; i < 2; i++) {
		k = add_thread(s, 100, 101 + i, i ? "rt-worker-1" : "rt-worker-0",
			       OBS_ROLE_WORKER);
		k->on_cpu_ns = 12 * MS;
		k->rq_wakeup_ns = 11 * MS;
		k->rq_total_ns = 11 * MS;
		k->rq_count = 500;
		k->rq_hist[3] = 490;	/* 8-16 us */
		k->rq_hist[9] = 10;	/* 512-1024 us: the p99 */
		blocked(k, OBS_SYS_CLOCK_NANOSLEEP, 2400 * MS);
		blocked(k, OBS_SYS_FUTEX, 290 * MS);
		k->futex_waits = 15;
		k->futex_wait_ns = 290 * MS;
	}
	obs_snapshot_sum_roles(s);
}

/* ---- a whole run ------------------------------------------------------------ */

TEST(run_fields_as_the_json_converter)
{
	struct obs_snapshot s;
	struct obs_run run;
	struct diag_input *in;
	const struct diag_thread *t;

	starvation_snapshot(&s);
	s.drops[OBS_DROP_RINGBUF] = 2;
	s.drops[OBS_DROP_FUTEX] = 3;
	run = run_of(&s, NULL, 3.101);
	in = fill(&run);
	ASSERT_UEQ(in->duration_ns, 3101 * MS);
	ASSERT_EQ(in->ncpus, sysconf(_SC_NPROCESSORS_ONLN));
	ASSERT_EQ(in->nworkers, 0);		/* kernel tier: from names */
	ASSERT_UEQ(in->drops, 5);
	ASSERT(!in->truncated);
	ASSERT(!in->has_runtime);
	ASSERT_EQ(in->nspans, 0);
	ASSERT_UEQ(in->span_threshold_ns, 10 * MS);
	ASSERT_EQ(in->nthreads, 3);
	for (int r = 0; r < DIAG_ROLE__COUNT; r++)
		ASSERT_EQ(in->nthreads_by_role[r], 0);

	t = thread_in(in, 101);
	ASSERT_NOT_NULL(t);
	ASSERT_STR_EQ(t->comm, "rt-worker-0");
	ASSERT_EQ(t->role, DIAG_ROLE_WORKER);
	ASSERT_UEQ(t->on_cpu_ns, 12 * MS);
	ASSERT_UEQ(t->rq_wakeup_ns, 11 * MS);
	ASSERT_UEQ(t->rq_preempt_ns, 0);
	/* as the JSON's p99: the upper bound of the slot that holds it */
	ASSERT_UEQ(t->rq_p99_ns, obs_hist_hi_ns(9));
	ASSERT_UEQ(t->off_cpu_ns, 2690 * MS);
	/* only the non-zero classes, by observe's names */
	ASSERT_EQ(t->noff, 2);
	ASSERT_UEQ(sys_ns(t, "clock_nanosleep"), 2400 * MS);
	ASSERT_UEQ(sys_ns(t, "futex"), 290 * MS);
	ASSERT_UEQ(t->futex_waits, 15);
	ASSERT_UEQ(t->futex_wait_ns, 290 * MS);
	ASSERT_EQ(thread_in(in, 100)->role, DIAG_ROLE_OTHER);
	free(in);
	obs_snapshot_free(&s);
}

TEST(run_verdict_starvation)
{
	struct obs_snapshot s;
	struct obs_run run;
	struct diag_result r;

	starvation_snapshot(&s);
	run = run_of(&s, NULL, 3.0);
	ASSERT_EQ(analyse_run(&run, &r), 0);
	ASSERT_STR_EQ(diag_shape_name(r.findings[0].shape), "executor_starvation");
	ASSERT(any_evidence(&r.findings[0], "clock_nanosleep"));
	ASSERT(any_evidence(&r.findings[0], "rt-worker-1"));
	obs_snapshot_free(&s);
}

TEST(run_a_target_that_exited_at_once)
{
	struct obs_snapshot s;
	struct obs_run run;
	struct diag_result r;
	struct diag_input *in;

	/* no thread seen, no time: still a verdict (diag_run wants > 0 ns) */
	snap_init(&s, 0, 0, 0);
	run = run_of(&s, NULL, 0.0);
	in = fill(&run);
	ASSERT_UEQ(in->duration_ns, 1);
	free(in);
	ASSERT_EQ(analyse_run(&run, &r), 0);
	ASSERT_STR_EQ(diag_shape_name(r.findings[0].shape), "healthy");
	obs_snapshot_free(&s);
}

TEST(bad_arguments)
{
	struct diag_input *in = malloc(sizeof(*in));
	struct obs_run run = { .duration_s = 1 };
	struct obs_snapshot s = {};

	ASSERT_NOT_NULL(in);
	ASSERT_EQ(diag_fill_run(NULL, &run), -EINVAL);
	ASSERT_EQ(diag_fill_run(in, NULL), -EINVAL);
	ASSERT_EQ(diag_fill_run(in, &run), -EINVAL);	/* no snapshot */
	ASSERT_EQ(fill_interval(in, NULL, &s, 1.0), -EINVAL);
	ASSERT_EQ(fill_interval(in, &s, NULL, 1.0), -EINVAL);
	ASSERT_EQ(diag_fill_interval(in, NULL), -EINVAL);
	free(in);
}

/* ---- bounds: what is kept ---------------------------------------------------- */

/* n threads of pid 1, tids 1000..: every 10th a worker; time grows with
 * the tid, but the first thread is the busiest of all. */
static void many_threads_snapshot(struct obs_snapshot *s, unsigned int n)
{
	snap_init(s, n, 0, 0);
	for (unsigned int i = 0; i < n; i++) {
		char comm[16];
		struct obs_thread *k;

		snprintf(comm, sizeof(comm), i % 10 ? "conn-%u" : "rt-worker-%u", i);
		k = add_thread(s, 1, 1000 + i, comm,
			       i % 10 ? OBS_ROLE_OTHER : OBS_ROLE_WORKER);
		k->on_cpu_ns = i ? (uint64_t)i * MS : 10000 * MS;
	}
}

TEST(threads_beyond_the_bound_keep_the_busiest)
{
	const unsigned int n = DIAG_MAX_THREADS + 44;
	struct obs_snapshot s;
	struct obs_run run;
	struct diag_input *in;
	unsigned int sum = 0;

	many_threads_snapshot(&s, n);
	run = run_of(&s, NULL, 3.0);
	in = fill(&run);
	ASSERT_EQ(in->nthreads, DIAG_MAX_THREADS);
	ASSERT(in->truncated);
	for (int r = 0; r < DIAG_ROLE__COUNT; r++)
		sum += in->nthreads_by_role[r];
	ASSERT_EQ(sum, n);
	ASSERT_EQ(in->nthreads_by_role[DIAG_ROLE_WORKER], (n + 9) / 10);
	/* the 44 least busy (tids 1001..1044) are the ones left out */
	ASSERT_NOT_NULL(thread_in(in, 1000));
	ASSERT_NULL(thread_in(in, 1044));
	ASSERT_NOT_NULL(thread_in(in, 1045));
	ASSERT_NOT_NULL(thread_in(in, 1000 + n - 1));
	/* kept in (tgid, tid) order, as the JSON lists them */
	for (unsigned int i = 1; i < in->nthreads; i++)
		ASSERT_LT(in->threads[i - 1].tid, in->threads[i].tid);
	free(in);
	obs_snapshot_free(&s);
}

TEST(interval_threads_beyond_the_bound_keep_the_busiest_now)
{
	const unsigned int n = DIAG_MAX_THREADS + 10;
	struct obs_snapshot prev, cur;
	struct diag_input *in = malloc(sizeof(*in));

	ASSERT_NOT_NULL(in);
	snap_init(&prev, n, 0, 0);
	snap_init(&cur, n, 0, 0);
	for (unsigned int i = 0; i < n; i++) {
		struct obs_thread *p = add_thread(&prev, 1, 1000 + i, "t", OBS_ROLE_OTHER);
		struct obs_thread *k = add_thread(&cur, 1, 1000 + i, "t", OBS_ROLE_OTHER);

		/* the first 10 were the busiest before, and idle since */
		p->on_cpu_ns = i < 10 ? 5000 * MS : 0;
		k->on_cpu_ns = p->on_cpu_ns + (i < 10 ? 0 : 1 * MS);
	}
	ASSERT_EQ(fill_interval(in, &prev, &cur, 1.0), 0);
	ASSERT_EQ(in->nthreads, DIAG_MAX_THREADS);
	ASSERT(in->truncated);
	ASSERT_NULL(thread_in(in, 1000));
	ASSERT_NULL(thread_in(in, 1009));
	ASSERT_NOT_NULL(thread_in(in, 1010));
	ASSERT_UEQ(thread_in(in, 1010)->on_cpu_ns, 1 * MS);
	free(in);
	obs_snapshot_free(&prev);
	obs_snapshot_free(&cur);
}

TEST(futexes_top_by_wait_with_their_top_waiters)
{
	const unsigned int nfx = DIAG_MAX_FUTEX + 5, nw = DIAG_MAX_FUTEX_TIDS + 4;
	struct obs_snapshot s;
	struct obs_run run;
	struct diag_input *in;
	const struct diag_futex *f;

	snap_init(&s, 1, nfx, nw + 2);
	add_thread(&s, 7, 7, "main", OBS_ROLE_OTHER);
	/* aggregate.c sorts futexes most wait first */
	for (unsigned int i = 0; i < nfx; i++) {
		struct obs_futex *v = add_futex(&s, 7, 0x1000 + 8 * i);

		v->waits = 100 - i;
		v->wait_ns = (uint64_t)(nfx - i) * MS;
		v->max_ns = 2 * MS;
		v->rq_ns = 3 * MS;
	}
	/* the busiest address: waiters with growing time, two wakers */
	for (unsigned int j = 0; j < nw; j++)
		add_pair(&s, 7, 0x1000, 200 + j, OBS_PAIR_WAITER, 5, (j + 1) * MS);
	add_pair(&s, 7, 0x1000, 300, OBS_PAIR_WAKER, 4, 0);
	add_pair(&s, 7, 0x1000, 301, OBS_PAIR_WAKER, 9, 0);
	run = run_of(&s, NULL, 3.0);
	in = fill(&run);
	ASSERT_EQ(in->nfutex, DIAG_MAX_FUTEX);
	/* no note for this: the smallest addresses cannot change a verdict */
	ASSERT(!in->truncated);
	for (unsigned int i = 0; i < in->nfutex; i++)
		ASSERT_UEQ(in->futex[i].uaddr, 0x1000 + 8 * i);
	f = &in->futex[0];
	ASSERT_EQ(f->pid, 7);
	ASSERT_UEQ(f->waits, 100);
	ASSERT_UEQ(f->wait_ns, (uint64_t)nfx * MS);
	ASSERT_UEQ(f->max_ns, 2 * MS);
	ASSERT_UEQ(f->rq_after_wake_ns, 3 * MS);
	ASSERT_EQ(f->nwaiters, DIAG_MAX_FUTEX_TIDS);
	/* most wait first: 219 (20 ms) down to 204; 200-203 left out */
	ASSERT_EQ(f->waiters[0].tid, 200 + nw - 1);
	ASSERT_UEQ(f->waiters[0].wait_ns, (uint64_t)nw * MS);
	ASSERT_UEQ(f->waiters[0].n, 5);
	ASSERT_EQ(f->waiters[DIAG_MAX_FUTEX_TIDS - 1].tid, 204);
	/* wakers most wakes first, no wait time */
	ASSERT_EQ(f->nwakers, 2);
	ASSERT_EQ(f->wakers[0].tid, 301);
	ASSERT_UEQ(f->wakers[0].n, 9);
	ASSERT_UEQ(f->wakers[0].wait_ns, 0);
	ASSERT_EQ(in->futex[1].nwaiters, 0);
	free(in);
	obs_snapshot_free(&s);
}

TEST(convoy_from_the_futex_pairs)
{
	struct obs_snapshot s;
	struct obs_run run;
	struct diag_result r;
	struct obs_futex *v;
	char addr[32];

	/* demo_convoy's lock: both workers wait on it and wake each other */
	snap_init(&s, 2, 1, 4);
	for (uint32_t i = 0; i < 2; i++) {
		struct obs_thread *k = add_thread(&s, 50, 51 + i,
						  i ? "rt-worker-1" : "rt-worker-0",
						  OBS_ROLE_WORKER);

		k->on_cpu_ns = 800 * MS;
		k->rq_wakeup_ns = 700 * MS;
		k->rq_preempt_ns = 700 * MS;
		k->rq_total_ns = 1400 * MS;
		blocked(k, OBS_SYS_FUTEX, 700 * MS);
		k->futex_waits = 700;
		k->futex_wait_ns = 700 * MS;
	}
	v = add_futex(&s, 50, 0x5600aa38);
	v->waits = 1400;
	v->wait_ns = 1400 * MS;
	v->max_ns = 20 * MS;
	v->rq_ns = 700 * MS;
	add_pair(&s, 50, 0x5600aa38, 51, OBS_PAIR_WAITER, 700, 700 * MS);
	add_pair(&s, 50, 0x5600aa38, 52, OBS_PAIR_WAITER, 700, 700 * MS);
	add_pair(&s, 50, 0x5600aa38, 51, OBS_PAIR_WAKER, 700, 0);
	add_pair(&s, 50, 0x5600aa38, 52, OBS_PAIR_WAKER, 700, 0);
	run = run_of(&s, NULL, 3.0);
	ASSERT_EQ(analyse_run(&run, &r), 0);
	ASSERT_STR_EQ(diag_shape_name(r.findings[0].shape), "mutex_convoy");
	snprintf(addr, sizeof(addr), "futex 0x%llx", 0x5600aa38ULL);
	ASSERT(any_evidence(&r.findings[0], addr));

	/* the same waits with no waker recorded: a park, not a convoy */
	s.npairs = 2;
	ASSERT_EQ(analyse_run(&run, &r), 0);
	for (unsigned int i = 0; i < r.nfindings; i++)
		ASSERT_NE(r.findings[i].shape, DIAG_MUTEX_CONVOY);
	obs_snapshot_free(&s);
}

TEST(spans_the_starvation_rule_reads_go_first)
{
	static struct obs_notables nb;
	struct obs_snapshot s;
	struct obs_run run;
	struct diag_input *in;
	unsigned int nblock = 0;

	starvation_snapshot(&s);
	/* longest first, as obs_notables_sort leaves them: idle workers'
	 * parks, the main thread's join and run-queue waits, all longer
	 * than the workers' five 20 ms sleeps */
	add_span(&nb, 100, 100, OBS_EV_OFF_CPU, OBS_SYS_FUTEX, 3000 * MS);
	for (unsigned int i = 0; i < 100; i++)
		add_span(&nb, 100, 101 + i % 2, OBS_EV_OFF_CPU,
			 i % 2 ? OBS_SYS_EPOLL_PWAIT2 : OBS_SYS_FUTEX,
			 (200 - i) * MS);
	for (unsigned int i = 0; i < 20; i++)
		add_span(&nb, 100, 101, OBS_EV_RQ_DELAY, OBS_SYS_NONE, 50 * MS);
	for (unsigned int i = 0; i < 5; i++)
		add_span(&nb, 100, 102, OBS_EV_OFF_CPU, OBS_SYS_CLOCK_NANOSLEEP,
			 20 * MS + i);
	/* a non-worker's sleep is not one of them */
	add_span(&nb, 100, 100, OBS_EV_OFF_CPU, OBS_SYS_NANOSLEEP, 19 * MS);
	run = run_of(&s, &nb, 3.0);
	in = fill(&run);
	ASSERT_EQ(in->nspans, DIAG_MAX_SPANS);
	for (unsigned int i = 0; i < in->nspans; i++) {
		const struct diag_span *sp = &in->spans[i];

		if (sp->kind == DIAG_SPAN_OFF_CPU &&
		    !strcmp(sp->syscall, "clock_nanosleep")) {
			ASSERT_EQ(sp->tid, 102);
			nblock++;
		}
		if (i)
			ASSERT_ULE(sp->ns, in->spans[i - 1].ns);
	}
	ASSERT_EQ(nblock, 5);
	/* the rest, longest first: the join, then the longest parks */
	ASSERT_UEQ(in->spans[0].ns, 3000 * MS);
	ASSERT_STR_EQ(in->spans[0].syscall, "futex");
	free(in);

	/* --threshold-ms 0: notable spans are off, none are read */
	run.threshold_ms = 0;
	in = fill(&run);
	ASSERT_EQ(in->nspans, 0);
	ASSERT_UEQ(in->span_threshold_ns, 0);
	free(in);
	obs_snapshot_free(&s);
}

/* ---- intervals: the difference of two snapshots --------------------------------- */

/* The starvation snapshot scaled: the same run `f` of the way through,
 * with room for `extra` threads more. */
static void scaled(struct obs_snapshot *dst, const struct obs_snapshot *src,
		   double f, size_t extra)
{
	snap_init(dst, src->nthreads + extra, 0, 0);
	for (size_t i = 0; i < src->nthreads; i++) {
		struct obs_thread *k = &dst->threads[i].k;

		dst->threads[i] = src->threads[i];
		k->on_cpu_ns = (uint64_t)(k->on_cpu_ns * f);
		k->rq_wakeup_ns = (uint64_t)(k->rq_wakeup_ns * f);
		k->rq_total_ns = (uint64_t)(k->rq_total_ns * f);
		k->off_cpu_ns = (uint64_t)(k->off_cpu_ns * f);
		for (int j = 0; j < OBS_SYS__COUNT; j++)
			k->off_by_sys[j] = (uint64_t)(k->off_by_sys[j] * f);
		k->futex_wait_ns = (uint64_t)(k->futex_wait_ns * f);
	}
	dst->nthreads = src->nthreads;
}

TEST(interval_is_the_difference)
{
	struct obs_snapshot full, prev, cur;
	struct diag_input *in = malloc(sizeof(*in));
	const struct diag_thread *t;
	struct obs_thread *k;
	struct diag_result r;

	ASSERT_NOT_NULL(in);
	starvation_snapshot(&full);
	scaled(&prev, &full, 1.0 / 3, 0);
	/* cur: two thirds through, plus a thread born in between */
	scaled(&cur, &full, 2.0 / 3, 1);
	k = add_thread(&cur, 100, 103, "late", OBS_ROLE_OTHER);
	k->on_cpu_ns = 5 * MS;

	ASSERT_EQ(fill_interval(in, &prev, &cur, 1.0), 0);
	ASSERT_UEQ(in->duration_ns, 1000 * MS);
	ASSERT_EQ(in->nspans, 0);
	ASSERT_EQ(in->nthreads, 4);
	t = thread_in(in, 101);
	ASSERT_NOT_NULL(t);
	/* a third of 2.4 s of sleep, 12 ms of CPU: within rounding */
	ASSERT_UGE(sys_ns(t, "clock_nanosleep"), 800 * MS - 1);
	ASSERT_ULE(sys_ns(t, "clock_nanosleep"), 800 * MS + 1);
	ASSERT_UGE(t->on_cpu_ns, 4 * MS - 1);
	ASSERT_ULE(t->on_cpu_ns, 4 * MS + 1);
	/* born in the interval: all of it */
	ASSERT_UEQ(thread_in(in, 103)->on_cpu_ns, 5 * MS);
	ASSERT_EQ(analyse_interval(&prev, &cur, 1.0, &r), 0);
	ASSERT_STR_EQ(diag_shape_name(r.findings[0].shape), "executor_starvation");

	/* nothing happened between two identical snapshots: no blocking */
	ASSERT_EQ(analyse_interval(&cur, &cur, 1.0, &r), 0);
	ASSERT_STR_EQ(diag_shape_name(r.findings[0].shape), "healthy");
	free(in);
	obs_snapshot_free(&full);
	obs_snapshot_free(&prev);
	obs_snapshot_free(&cur);
}

TEST(interval_futex_and_pair_differences)
{
	struct obs_snapshot prev, cur;
	struct diag_input *in = malloc(sizeof(*in));
	struct obs_futex *v;

	ASSERT_NOT_NULL(in);
	snap_init(&prev, 1, 3, 3);
	snap_init(&cur, 1, 4, 5);
	add_thread(&prev, 9, 9, "main", OBS_ROLE_OTHER);
	add_thread(&cur, 9, 9, "main", OBS_ROLE_OTHER);
	/* prev: A busy before; B quiet */
	v = add_futex(&prev, 9, 0xa0);
	v->waits = 1000, v->wait_ns = 900 * MS, v->rq_ns = 90 * MS;
	v = add_futex(&prev, 9, 0xb0);
	v->waits = 10, v->wait_ns = 10 * MS;
	v = add_futex(&prev, 9, 0xd0);
	v->waits = 7, v->wait_ns = 8 * MS;
	add_pair(&prev, 9, 0xb0, 21, OBS_PAIR_WAITER, 10, 10 * MS);
	add_pair(&prev, 9, 0xa0, 20, OBS_PAIR_WAITER, 1000, 900 * MS);
	add_pair(&prev, 9, 0xa0, 22, OBS_PAIR_WAKER, 1000, 0);
	/* cur (most total wait first): A got 5 more waits, B 300, C is new,
	 * D (0xd0) has nothing new and is left out */
	v = add_futex(&cur, 9, 0xa0);
	v->waits = 1005, v->wait_ns = 905 * MS, v->rq_ns = 91 * MS;
	v = add_futex(&cur, 9, 0xb0);
	v->waits = 310, v->wait_ns = 310 * MS, v->max_ns = 4 * MS;
	v = add_futex(&cur, 9, 0xc0);
	v->waits = 50, v->wait_ns = 60 * MS;
	v = add_futex(&cur, 9, 0xd0);
	v->waits = 7, v->wait_ns = 8 * MS;
	add_pair(&cur, 9, 0xa0, 20, OBS_PAIR_WAITER, 1005, 905 * MS);
	add_pair(&cur, 9, 0xb0, 21, OBS_PAIR_WAITER, 310, 310 * MS);
	add_pair(&cur, 9, 0xa0, 22, OBS_PAIR_WAKER, 1005, 0);
	add_pair(&cur, 9, 0xb0, 23, OBS_PAIR_WAITER, 0, 0);	/* nothing */
	add_pair(&cur, 9, 0xc0, 24, OBS_PAIR_WAITER, 50, 60 * MS);

	ASSERT_EQ(fill_interval(in, &prev, &cur, 1.0), 0);
	ASSERT_EQ(in->nfutex, 3);
	/* most wait in the interval first: B, C, A */
	ASSERT_UEQ(in->futex[0].uaddr, 0xb0);
	ASSERT_UEQ(in->futex[0].waits, 300);
	ASSERT_UEQ(in->futex[0].wait_ns, 300 * MS);
	ASSERT_UEQ(in->futex[0].max_ns, 4 * MS);	/* the run's so far */
	ASSERT_EQ(in->futex[0].nwaiters, 1);		/* 23: no wait */
	ASSERT_EQ(in->futex[0].waiters[0].tid, 21);
	ASSERT_UEQ(in->futex[0].waiters[0].n, 300);
	ASSERT_UEQ(in->futex[1].uaddr, 0xc0);
	ASSERT_UEQ(in->futex[1].waiters[0].wait_ns, 60 * MS);
	ASSERT_UEQ(in->futex[2].uaddr, 0xa0);
	ASSERT_UEQ(in->futex[2].wait_ns, 5 * MS);
	ASSERT_UEQ(in->futex[2].rq_after_wake_ns, 1 * MS);
	ASSERT_EQ(in->futex[2].nwakers, 1);
	ASSERT_UEQ(in->futex[2].wakers[0].n, 5);

	/* drops in the interval only */
	prev.drops[OBS_DROP_THREADS] = 4;
	cur.drops[OBS_DROP_THREADS] = 6;
	ASSERT_EQ(fill_interval(in, &prev, &cur, 1.0), 0);
	ASSERT_UEQ(in->drops, 2);
	free(in);
	obs_snapshot_free(&prev);
	obs_snapshot_free(&cur);
}

TEST(interval_line)
{
	struct obs_snapshot full, prev;
	struct diag_result r;
	char buf[4096] = "";
	FILE *f;

	starvation_snapshot(&full);
	scaled(&prev, &full, 0.5, 0);
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(analyse_interval(&prev, &full, 1.5, &r), 0);
	obs_verdict_print_line(f, 2.0, &r);
	fclose(f);
	ASSERT(!strncmp(buf, "[    2.00s] verdict: executor_starvation high (", 47));
	ASSERT(strstr(buf, "blocked outside parking"));
	/* one line */
	ASSERT(strchr(buf, '\n') == buf + strlen(buf) - 1);
	obs_snapshot_free(&full);
	obs_snapshot_free(&prev);
}

/*
 * The live path and the JSON path give the same input: the run analysed,
 * written as its --json document, read back by analysis/diag_json.c.
 */
static void same_input_from_json(struct obs_run *run)
{
	struct diag_input *live = fill(run), *back = calloc(1, sizeof(*back));
	char *doc = NULL;
	size_t len = 0;
	json_t *root;
	FILE *f;

	ASSERT_NOT_NULL(back);
	ASSERT_EQ(obs_analyse_run(run), 0);
	f = open_memstream(&doc, &len);
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(obs_json_print(f, run, false), 0);
	fclose(f);
	root = json_loads(doc, 0, NULL);
	ASSERT_NOT_NULL(root);
	ASSERT_EQ(diag_json_fill(back, root, true), 0);
	ASSERT_EQ(back->nthreads, live->nthreads);
	ASSERT_EQ(back->nspans, live->nspans);
	ASSERT_EQ(back->nfutex, live->nfutex);
	ASSERT(!memcmp(back, live, sizeof(*live)));
	json_decref(root);
	free(doc);
	free(live);
	free(back);
}

TEST(the_json_path_gives_the_live_input)
{
	const unsigned int n = DIAG_MAX_THREADS + 44;
	struct obs_notables *nb = calloc(1, sizeof(*nb));
	struct obs_snapshot s;
	struct obs_run run;

	ASSERT_NOT_NULL(nb);
	starvation_snapshot(&s);
	add_span(nb, 1, 101, OBS_EV_OFF_CPU, OBS_SYS_CLOCK_NANOSLEEP, 20 * MS);
	add_span(nb, 1, 100, OBS_EV_OFF_CPU, OBS_SYS_FUTEX, 900 * MS);
	run = run_of(&s, nb, 3.0);
	same_input_from_json(&run);
	obs_snapshot_free(&s);

	/* past the thread bound: the busiest kept, both ways */
	many_threads_snapshot(&s, n);
	run = run_of(&s, NULL, 3.0);
	same_input_from_json(&run);
	obs_snapshot_free(&s);
	free(nb);
}

int main(void)
{
	return tap_run();
}
