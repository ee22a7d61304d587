// SPDX-License-Identifier: MIT
/*
 * diag_fill.c - the analysis stage (diag_fill.h): snapshot -> struct
 * diag_input, per tier, and the diagnosis of a run or of one -i interval.
 *
 * Invariants:
 *  1. Every field is filled as analysis/diag_json.c fills it from observe's
 *     JSON: a run's verdict here is the verdict of its --json document
 *     there (test_diag_json checks it on recorded runs).
 *  2. Every array stays within its DIAG_MAX_* bound; what does not fit is
 *     the smallest (diag_fill.h says what is kept).
 *  3. An interval is cur - prev, counter by counter.  Counters only grow
 *     during a run (a dead thread's row keeps its tid once reaped, or is
 *     summed into its name's folded row, which only grows: tiers/exited.h),
 *     so a difference below zero is a torn read of a live thread: clamped
 *     to 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analysis/diag_fill.h"
#include "common/hist.h"
#include "common/syscalls.h"
#include "stacks/callsite.h"

/* The size relations the filling relies on: every class, name and slot of
 * a snapshot fits its diag_input field, and the JSON lists what the live
 * path keeps (so that both paths give the same input). */
_Static_assert(OBS_SYS__COUNT <= DIAG_MAX_SYSCALLS, "syscall classes");
_Static_assert(OBS_COMM_LEN <= DIAG_NAME_LEN, "thread names");
_Static_assert(OBS_MAX_SLOTS <= DIAG_HIST_SLOTS, "run-queue slots");
_Static_assert(RT_PROBE_HIST_SLOTS == DIAG_HIST_SLOTS, "poll_hist slots");
_Static_assert(OBS_TOP_FUTEX == DIAG_MAX_FUTEX, "futex addresses listed");
_Static_assert(OBS_RT_LONGEST <= DIAG_MAX_POLLS, "longest polls");
_Static_assert(OBS_CALLSITE_LEN <= DIAG_SITE_LEN, "call sites");

static uint64_t sub(uint64_t cur, uint64_t prev)
{
	return cur > prev ? cur - prev : 0;
}

static enum diag_role diag_role_of(enum obs_role role)
{
	switch (role) {
	case OBS_ROLE_WORKER:
		return DIAG_ROLE_WORKER;
	case OBS_ROLE_BLOCKING:
		return DIAG_ROLE_BLOCKING;
	default:
		return DIAG_ROLE_OTHER;
	}
}

/* The CPU count a filled input carries: online CPUs, 0 if unknown. */
static unsigned int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 0;	/* 0: unknown, diag says so */
}

static uint64_t duration_ns(double secs)
{
	/* diag_run wants > 0; a target that exits at once still gets one */
	return secs > 0 && secs * (double)NSEC_PER_SEC >= 1 ?
	       (uint64_t)(secs * (double)NSEC_PER_SEC) : 1;
}

/* ---- threads ------------------------------------------------------------- */

static int cmp_tgid_tid(uint32_t tgid_a, uint32_t tid_a, uint32_t tgid_b,
			uint32_t tid_b)
{
	if (tgid_a != tgid_b)
		return tgid_a < tgid_b ? -1 : 1;
	return (tid_a > tid_b) - (tid_a < tid_b);
}

static int cmp_thread_key(const void *key, const void *elem)
{
	const struct obs_thread *k = key;
	const struct obs_thread_view *t = elem;

	return cmp_tgid_tid(k->tgid, k->tid, t->k.tgid, t->k.tid);
}

/* The thread (tgid, tid) of s, or NULL: s->threads is sorted by that key. */
static const struct obs_thread_view *find_thread(const struct obs_snapshot *s,
						 uint32_t tgid, uint32_t tid)
{
	struct obs_thread key = { .tid = tid, .tgid = tgid };

	if (!s || !s->nthreads)
		return NULL;
	return bsearch(&key, s->threads, s->nthreads, sizeof(*s->threads),
		       cmp_thread_key);
}

/* The thread's figures over the window: all of them, or since prev. */
static void thread_delta(struct diag_thread *t, const struct obs_thread *k,
			 const struct obs_thread *p)
{
	static const struct obs_thread zero;
	__u64 hist[OBS_MAX_SLOTS];
	int i;

	if (!p)
		p = &zero;
	t->tid = k->tid;
	memcpy(t->comm, k->comm, OBS_COMM_LEN);
	t->comm[DIAG_NAME_LEN - 1] = '\0';
	t->on_cpu_ns = sub(k->on_cpu_ns, p->on_cpu_ns);
	t->rq_wakeup_ns = sub(k->rq_wakeup_ns, p->rq_wakeup_ns);
	t->rq_preempt_ns = sub(k->rq_preempt_ns, p->rq_preempt_ns);
	for (i = 0; i < OBS_MAX_SLOTS; i++)
		hist[i] = sub(k->rq_hist[i], p->rq_hist[i]);
	/* as the JSON's rq_delay_ns.p99: the slot's upper bound */
	t->rq_p99_ns = obs_hist_percentile(hist, OBS_MAX_SLOTS, 99);
	t->off_cpu_ns = sub(k->off_cpu_ns, p->off_cpu_ns);
	t->noff = 0;
	/* as by_syscall: only non-zero classes (all fit: asserted above) */
	for (i = 0; i < OBS_SYS__COUNT && t->noff < DIAG_MAX_SYSCALLS; i++) {
		uint64_t ns = sub(k->off_by_sys[i], p->off_by_sys[i]);

		if (!ns)
			continue;
		snprintf(t->off_by_sys[t->noff].name, DIAG_NAME_LEN, "%s",
			 obs_sys_class_name(i));
		t->off_by_sys[t->noff++].ns = ns;
	}
	t->futex_waits = sub(k->futex_waits, p->futex_waits);
	t->futex_wait_ns = sub(k->futex_wait_ns, p->futex_wait_ns);
	t->cpu_runs_long = sub(k->cpu_runs_long, p->cpu_runs_long);
	t->cpu_run_long_ns = sub(k->cpu_run_long_ns, p->cpu_run_long_ns);
	/* an interval's longest run: the top slot of its own runs, capped by
	 * the run's longest; a run still going is in no slot yet, so then
	 * the run's longest is the bound */
	t->cpu_run_max_ns = k->cpu_run_max_ns;
	if (p != &zero) {
		for (i = 0; i < OBS_MAX_SLOTS; i++)
			hist[i] = sub(k->cpu_run_hist[i], p->cpu_run_hist[i]);
		t->cpu_run_max_ns = obs_hist_percentile_max(hist, OBS_MAX_SLOTS,
							    100, k->cpu_run_max_ns);
		if (t->cpu_run_long_ns && t->cpu_run_max_ns < OBS_CPU_RUN_LONG_NS)
			t->cpu_run_max_ns = k->cpu_run_max_ns;
	}
}

static int fill_threads(struct diag_input *in, const struct obs_snapshot *cur,
			const struct obs_snapshot *prev)
{
	struct diag_thread_rank *rank;
	size_t i, n = cur->nthreads, keep;

	rank = calloc(n ? n : 1, sizeof(*rank));
	if (!rank)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct obs_thread *k = &cur->threads[i].k;
		const struct obs_thread_view *p = find_thread(prev, k->tgid, k->tid);

		rank[i].idx = i;
		rank[i].wall = sub(k->on_cpu_ns + k->rq_total_ns + k->off_cpu_ns,
				   p ? p->k.on_cpu_ns + p->k.rq_total_ns +
				       p->k.off_cpu_ns : 0);
	}
	keep = diag_keep_busiest(rank, n);
	if (keep < n) {
		/* the role counts say how many there were */
		for (i = 0; i < n; i++)
			in->nthreads_by_role[diag_role_of(cur->threads[i].role)]++;
		in->truncated = true;
	}
	for (i = 0; i < keep; i++) {
		const struct obs_thread_view *tv = &cur->threads[rank[i].idx];
		const struct obs_thread_view *p = find_thread(prev, tv->k.tgid,
							      tv->k.tid);
		struct diag_thread *t = &in->threads[in->nthreads++];

		thread_delta(t, &tv->k, p ? &p->k : NULL);
		t->role = diag_role_of(tv->role);
	}
	free(rank);
	return 0;
}

/* ---- futex addresses, waiters and wakers --------------------------------- */

static int cmp_pair_ptr(const void *a, const void *b)
{
	const struct obs_pair_view *const *x = a, *const *y = b;

	return obs_pair_key_cmp(&(*x)->key, &(*y)->key);
}

static int cmp_pair_bsearch(const void *key, const void *elem)
{
	const struct obs_pair_view *const *y = elem;

	return obs_pair_key_cmp(key, &(*y)->key);
}

static int cmp_futex_key(const struct obs_futex_key *x,
			 const struct obs_futex_key *y)
{
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return (x->uaddr > y->uaddr) - (x->uaddr < y->uaddr);
}

static int cmp_futex_ptr(const void *a, const void *b)
{
	const struct obs_futex_view *const *x = a, *const *y = b;

	return cmp_futex_key(&(*x)->key, &(*y)->key);
}

static int cmp_futex_bsearch(const void *key, const void *elem)
{
	const struct obs_futex_view *const *y = elem;

	return cmp_futex_key(key, &(*y)->key);
}

/*
 * prev's futexes and pairs sorted by key, to subtract them; the pairs of
 * cur sorted by key too, so that an address's waiters and wakers are one
 * contiguous run.  All arrays of pointers into the snapshots.
 */
struct futex_index {
	const struct obs_futex_view **prev_fx;
	size_t nprev_fx;
	const struct obs_pair_view **prev_pairs;
	size_t nprev_pairs;
	const struct obs_pair_view **pairs;
	size_t npairs;
};

static void futex_index_free(struct futex_index *ix)
{
	free(ix->prev_fx);
	free(ix->prev_pairs);
	free(ix->pairs);
}

static int futex_index_init(struct futex_index *ix,
			    const struct obs_snapshot *cur,
			    const struct obs_snapshot *prev)
{
	size_t i;

	memset(ix, 0, sizeof(*ix));
	ix->pairs = calloc(cur->npairs ? cur->npairs : 1, sizeof(*ix->pairs));
	if (!ix->pairs)
		return -ENOMEM;
	for (i = 0; i < cur->npairs; i++)
		ix->pairs[i] = &cur->pairs[i];
	ix->npairs = cur->npairs;
	qsort(ix->pairs, ix->npairs, sizeof(*ix->pairs), cmp_pair_ptr);
	if (!prev)
		return 0;

	ix->prev_fx = calloc(prev->nfutexes ? prev->nfutexes : 1,
			     sizeof(*ix->prev_fx));
	ix->prev_pairs = calloc(prev->npairs ? prev->npairs : 1,
				sizeof(*ix->prev_pairs));
	if (!ix->prev_fx || !ix->prev_pairs) {
		futex_index_free(ix);
		return -ENOMEM;
	}
	for (i = 0; i < prev->nfutexes; i++)
		ix->prev_fx[i] = &prev->futexes[i];
	ix->nprev_fx = prev->nfutexes;
	qsort(ix->prev_fx, ix->nprev_fx, sizeof(*ix->prev_fx), cmp_futex_ptr);
	for (i = 0; i < prev->npairs; i++)
		ix->prev_pairs[i] = &prev->pairs[i];
	ix->nprev_pairs = prev->npairs;
	qsort(ix->prev_pairs, ix->nprev_pairs, sizeof(*ix->prev_pairs),
	      cmp_pair_ptr);
	return 0;
}

static const struct obs_futex *prev_futex(const struct futex_index *ix,
					  const struct obs_futex_key *key)
{
	const struct obs_futex_view *const *p;

	if (!ix->nprev_fx)
		return NULL;
	p = bsearch(key, ix->prev_fx, ix->nprev_fx, sizeof(*ix->prev_fx),
		    cmp_futex_bsearch);
	return p ? &(*p)->v : NULL;
}

static const struct obs_pair *prev_pair(const struct futex_index *ix,
					const struct obs_pair_key *key)
{
	const struct obs_pair_view *const *p;

	if (!ix->nprev_pairs)
		return NULL;
	p = bsearch(key, ix->prev_pairs, ix->nprev_pairs,
		    sizeof(*ix->prev_pairs), cmp_pair_bsearch);
	return p ? &(*p)->v : NULL;
}

/* One futex address over the window, before selection. */
struct futex_delta {
	const struct obs_futex_view *fx;
	uint64_t waits, wait_ns, rq_ns;
};

static int cmp_delta_wait_desc(const void *a, const void *b)
{
	const struct futex_delta *x = a, *y = b;

	if (x->wait_ns != y->wait_ns)
		return x->wait_ns < y->wait_ns ? 1 : -1;
	return cmp_futex_key(&x->fx->key, &y->fx->key);
}

static int cmp_tid_wait_desc(const void *a, const void *b)
{
	const struct diag_futex_tid *x = a, *y = b;

	if (x->wait_ns != y->wait_ns)
		return x->wait_ns < y->wait_ns ? 1 : -1;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_tid_n_desc(const void *a, const void *b)
{
	const struct diag_futex_tid *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/*
 * The waiters (or wakers) of one address: every pair of that kind with
 * something in the window, the DIAG_MAX_FUTEX_TIDS largest kept, as the
 * JSON lists them (waiters: most wait time; wakers: most wakes).
 */
static unsigned int fill_tids(struct diag_futex_tid *out,
			      const struct futex_index *ix,
			      const struct obs_futex_key *fkey, __u32 kind,
			      struct diag_futex_tid *scratch)
{
	struct obs_pair_key lo = { .tgid = fkey->tgid, .uaddr = fkey->uaddr,
				   .kind = kind, .tid = 0 };
	size_t a = 0, b = ix->npairs, n = 0;

	/* first pair >= (tgid, uaddr, kind, 0) */
	while (a < b) {
		size_t m = a + (b - a) / 2;

		if (obs_pair_key_cmp(&ix->pairs[m]->key, &lo) < 0)
			a = m + 1;
		else
			b = m;
	}
	for (; a < ix->npairs; a++) {
		const struct obs_pair_view *pv = ix->pairs[a];
		const struct obs_pair *p;
		uint64_t cnt;

		if (pv->key.tgid != fkey->tgid || pv->key.uaddr != fkey->uaddr ||
		    pv->key.kind != kind)
			break;
		p = prev_pair(ix, &pv->key);
		cnt = sub(pv->v.count, p ? p->count : 0);
		if (!cnt)
			continue;
		scratch[n].tid = pv->key.tid;
		scratch[n].n = cnt;
		scratch[n++].wait_ns = kind == OBS_PAIR_WAITER ?
				       sub(pv->v.ns, p ? p->ns : 0) : 0;
	}
	qsort(scratch, n, sizeof(*scratch),
	      kind == OBS_PAIR_WAITER ? cmp_tid_wait_desc : cmp_tid_n_desc);
	if (n > DIAG_MAX_FUTEX_TIDS)
		n = DIAG_MAX_FUTEX_TIDS;
	memcpy(out, scratch, n * sizeof(*out));
	return (unsigned int)n;
}

static int fill_futexes(struct diag_input *in, const struct obs_snapshot *cur,
			const struct obs_snapshot *prev)
{
	struct futex_delta *d = NULL;
	struct diag_futex_tid *scratch = NULL;
	struct futex_index ix;
	size_t i, n = 0;
	int err;

	err = futex_index_init(&ix, cur, prev);
	if (err)
		return err;
	d = calloc(cur->nfutexes ? cur->nfutexes : 1, sizeof(*d));
	scratch = calloc(cur->npairs ? cur->npairs : 1, sizeof(*scratch));
	if (!d || !scratch) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < cur->nfutexes; i++) {
		const struct obs_futex_view *fx = &cur->futexes[i];
		const struct obs_futex *p = prev_futex(&ix, &fx->key);

		d[n].fx = fx;
		d[n].waits = sub(fx->v.waits, p ? p->waits : 0);
		d[n].wait_ns = sub(fx->v.wait_ns, p ? p->wait_ns : 0);
		d[n].rq_ns = sub(fx->v.rq_ns, p ? p->rq_ns : 0);
		/* a whole run keeps every address, as the JSON does */
		if (!prev || d[n].waits)
			n++;
	}
	/* cur->futexes is already most wait first; a difference is not */
	if (prev)
		qsort(d, n, sizeof(*d), cmp_delta_wait_desc);
	for (i = 0; i < n && in->nfutex < DIAG_MAX_FUTEX; i++) {
		struct diag_futex *f = &in->futex[in->nfutex++];
		const struct obs_futex_key *key = &d[i].fx->key;

		f->uaddr = key->uaddr;
		f->pid = key->tgid;
		f->waits = d[i].waits;
		f->wait_ns = d[i].wait_ns;
		/* a maximum has no difference: the run's so far */
		f->max_ns = d[i].fx->v.max_ns;
		f->rq_after_wake_ns = d[i].rq_ns;
		f->nwaiters = fill_tids(f->waiters, &ix, key, OBS_PAIR_WAITER,
					scratch);
		f->nwakers = fill_tids(f->wakers, &ix, key, OBS_PAIR_WAKER,
				       scratch);
	}
	err = 0;
cleanup:
	free(d);
	free(scratch);
	futex_index_free(&ix);
	return err;
}

/* ---- notable spans ------------------------------------------------------- */

/* What notable_span reads: the run's spans, their stacks and the threads'
 * roles. */
struct span_src {
	const struct obs_notables *nb;
	const struct obs_ustacks *us;	/* NULL: none */
	const struct obs_snapshot *snap;
};

/* Notable span i as the rules read it; whether its thread is a worker. */
static bool notable_span(void *ctx, size_t i, struct diag_span *sp)
{
	const struct span_src *src = ctx;
	const struct obs_event *ev = &src->nb->items[i].ev;
	const struct obs_ustack_frames *uf =
		src->us ? obs_ustacks_find(src->us, ev->ustack_copy) : NULL;
	const struct obs_thread_view *t;

	sp->tid = ev->tid;
	sp->kind = ev->kind == OBS_EV_RQ_DELAY ? DIAG_SPAN_RQ_DELAY :
		   ev->kind == OBS_EV_CPU_RUN ? DIAG_SPAN_CPU_RUN :
						DIAG_SPAN_OFF_CPU;
	snprintf(sp->syscall, DIAG_NAME_LEN, "%s",
		 obs_sys_class_name(ev->sys_class));
	sp->ns = ev->ns;
	if (uf)		/* as the JSON's notable[].site */
		snprintf(sp->site, sizeof(sp->site), "%s", uf->site);
	t = find_thread(src->snap, ev->tgid, ev->tid);
	return t && t->role == OBS_ROLE_WORKER;
}

/* The notable spans (longest first, up to 1024): which ones are kept is
 * diag_pick_spans's, shared with the JSON converter. */
static void fill_spans(struct diag_input *in, const struct obs_notables *nb,
		       const struct obs_ustacks *us, const struct obs_snapshot *s)
{
	struct span_src src = { .nb = nb, .us = us, .snap = s };

	diag_pick_spans(in, nb->n, notable_span, &src);
}

/* ---- entry points -------------------------------------------------------- */

static int fill_common(struct diag_input *in, const struct obs_snapshot *cur,
		       const struct obs_snapshot *prev, double secs)
{
	int err, i;

	memset(in, 0, sizeof(*in));
	in->duration_ns = duration_ns(secs);
	in->ncpus = online_cpus();
	/* kernel tier: the worker count comes from names (diagnose.h) */
	in->nworkers = 0;
	for (i = 0; i < OBS_DROP__COUNT; i++)
		in->drops += sub(cur->drops[i], prev ? prev->drops[i] : 0);
	in->has_cpu_runs = true;
	err = fill_threads(in, cur, prev);
	if (!err)
		err = fill_futexes(in, cur, prev);
	return err;
}

/* ---- runtime tier ----------------------------------------------------- */


static void fill_poll(struct diag_poll *p, const struct obs_poll_event *e)
{
	p->task_id = e->task_id;
	p->tid = e->tid;
	p->ns = e->ns;
	p->on_cpu_ns = e->on_cpu_ns;
	p->rq_ns = e->rq_ns;
	p->off_cpu_ns = e->off_cpu_ns;
	if (e->off_cpu_ns)
		snprintf(p->off_syscall, sizeof(p->off_syscall), "%s",
			 obs_sys_class_name(e->off_class));
}


static void fill_lock(struct diag_lock *d, const struct obs_lock_view *l)
{
	const struct obs_lock *v = &l->v;

	d->addr = l->key.addr;
	d->async = v->async;
	d->acquisitions = v->acquisitions;
	d->contended = v->contended;
	d->hold_ns = v->hold_ns;
	d->held_running_ns = v->held_running_ns < v->hold_ns ?
			     v->held_running_ns : v->hold_ns;
	d->held_suspended_ns = v->hold_ns - d->held_running_ns;
	/* the kernel's view of a sync holder; unknown (0) for async holds */
	if (!v->async) {
		d->hold_rq_ns = v->hold_rq_ns;
		d->hold_on_cpu_ns = sub(v->hold_ns, v->hold_rq_ns + v->hold_off_ns);
	}
	/* capped by the max, as the report and the JSON print them */
	d->hold_p99_ns = obs_hist_percentile_max(v->hold_hist, OBS_MAX_SLOTS,
						 99, v->hold_max_ns);
	d->wait_ns = v->wait_ns;
	d->wait_p99_ns = obs_hist_percentile_max(v->wait_hist, OBS_MAX_SLOTS,
						 99, v->wait_max_ns);
}

/* The runtime tier's figures (rs: a run's snapshot or an interval's delta;
 * longest: the slow polls of the same span of time). */
static void fill_runtime(struct diag_input *in, const struct obs_rt_snapshot *rs,
			 const struct obs_rt_longest *longest)
{
	struct diag_runtime *r = &in->rt;
	struct obs_rt_sum sum;
	size_t i;

	obs_rt_sum(rs, &sum);
	in->has_runtime = true;
	in->nworkers = sum.workers;
	r->coverage = rs->tier.coverage;
	r->polls = diag_scaled(sum.polls, rs->tier.coverage);
	r->polls_over_1ms = diag_scaled(sum.slow.slow, rs->tier.coverage);
	r->polls_over_10ms = diag_scaled(sum.slow.over_10ms, rs->tier.coverage);
	r->poll_ns_over_10ms = diag_scaled(sum.slow.over_10ms_ns, rs->tier.coverage);
	memcpy(r->poll_hist, sum.poll_hist, sizeof(r->poll_hist));
	for (i = 0; longest && i < longest->n && i < DIAG_MAX_POLLS; i++)
		fill_poll(&r->longest[r->nlongest++], &longest->items[i]);
	r->timer_fires = sum.timer_fires;
	r->timer_late_p50_ns = obs_hist_percentile(sum.timer_late_hist,
						   RT_PROBE_HIST_SLOTS, 50);
	r->timer_late_p99_ns = obs_hist_percentile(sum.timer_late_hist,
						   RT_PROBE_HIST_SLOTS, 99);
	r->timer_late_max_ns = sum.timer_late_max_ns;
	/* the slot bound can pass the largest value seen */
	if (r->timer_late_p50_ns > r->timer_late_max_ns)
		r->timer_late_p50_ns = r->timer_late_max_ns;
	if (r->timer_late_p99_ns > r->timer_late_max_ns)
		r->timer_late_p99_ns = r->timer_late_max_ns;
	for (i = 0; i < rs->nlocks; i++) {
		if (!rs->locks[i].v.acquisitions && !rs->locks[i].v.hold_ns)
			continue;	/* idle in an interval */
		if (r->nlocks == DIAG_MAX_LOCKS) {
			in->truncated = true;
			break;
		}
		fill_lock(&r->locks[r->nlocks++], &rs->locks[i]);
	}
	r->blocking_jobs = rs->blocking.jobs;
	r->blocking_queue_p99_ns = obs_hist_percentile_max(
		rs->blocking.queue_hist, OBS_MAX_SLOTS, 99,
		rs->blocking.queue_max_ns);
	r->blocking_queue_max_ns = rs->blocking.queue_max_ns;
}

int diag_fill_run(struct diag_input *in, const struct obs_run *run)
{
	int err;

	if (!in || !run || !run->snap)
		return -EINVAL;
	err = fill_common(in, run->snap, NULL, run->duration_s);
	if (err)
		return err;
	in->span_threshold_ns = run->threshold_ms * NSEC_PER_MSEC;
	if (run->notables && run->threshold_ms)
		fill_spans(in, run->notables, run->ustacks, run->snap);
	if (run->rt)
		fill_runtime(in, run->rt, run->longest);
	return 0;
}

int diag_fill_interval(struct diag_input *in, const struct obs_interval *ivl)
{
	int err;

	if (!in || !ivl || !ivl->prev || !ivl->cur)
		return -EINVAL;
	err = fill_common(in, ivl->cur, ivl->prev, ivl->dt_s);
	if (!err && ivl->rt)
		fill_runtime(in, ivl->rt, ivl->longest);
	return err;
}

int obs_analyse_run(struct obs_run *run)
{
	struct diag_input *in = calloc(1, sizeof(*in));	/* ~240 KB */
	int err = in ? diag_fill_run(in, run) : -ENOMEM;

	if (!err) {
		run->ncpus = in->ncpus;
		err = diag_run(in, &run->diag);
	}
	free(in);
	run->diag_err = err;
	return err;
}

int obs_analyse_interval(struct obs_interval *ivl)
{
	struct diag_input *in = calloc(1, sizeof(*in));
	int err = in ? diag_fill_interval(in, ivl) : -ENOMEM;

	if (!err)
		err = diag_run(in, &ivl->diag);
	free(in);
	ivl->diag_err = err;
	return err;
}
