// SPDX-License-Identifier: MIT
/*
 * sched.c - the multi-thread scheduler: workers, run queues, stealing,
 * parking.  Modelled on Tokio's runtime/scheduler/multi_thread/worker.rs and
 * idle.rs; see rt_internal.h for the invariants.
 *
 * Idle protocol (Tokio idle.rs): a worker that runs out of local work becomes
 * "searching" (at most half the unparked workers search at once), steals and
 * checks the injection queue, and parks if it found nothing.  A producer
 * wakes a sleeper only if nobody is searching and someone sleeps.  The last
 * searcher, and the last worker, to park re-check every queue, so a task
 * pushed meanwhile is never stranded (see transition_to_parked).
 *
 * Per tick a worker polls one task from, in order: the LIFO slot, its local
 * queue, the injection queue (first, every RT__GLOBAL_QUEUE_INTERVAL ticks),
 * half of a random victim's local queue; then, if tasks yielded on it, it
 * turns the driver with a zero timeout and wakes them (Tokio 1.24's defer
 * list), else it parks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "probes.h"
#include "rt_internal.h"

_Thread_local struct rt__worker *rt__cur_worker;
static _Atomic uint64_t rt__next_task_id = 1;

uint64_t rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int rt_workers(const rt_t *rt)
{
	return rt->nworkers;
}

/* ---- queues ------------------------------------------------------------------- */

static void inject_push_list(rt_t *rt, struct rt__task_list *l)
{
	if (!l->len)
		return;
	pthread_mutex_lock(&rt->inject_mu);
	atomic_fetch_add_explicit(&rt->inject_len, l->len, memory_order_relaxed);
	rt__list_append(&rt->inject, l);
	pthread_mutex_unlock(&rt->inject_mu);
}

static void inject_push(rt_t *rt, struct rt_task *t)
{
	struct rt__task_list l = { 0 };

	rt__list_push(&l, t);
	inject_push_list(rt, &l);
}

static bool inject_empty(rt_t *rt)
{
	return atomic_load_explicit(&rt->inject_len, memory_order_relaxed) == 0;
}

/* Pops one task to run and moves up to len / workers more into w's local
 * queue, capped at half its capacity and at its free room, so the pushes
 * below cannot overflow (Tokio's next_task: len / workers + 1 in all). */
static struct rt_task *inject_pop(struct rt__worker *w)
{
	rt_t *rt = w->rt;
	struct rt_task *first;
	size_t n;

	if (inject_empty(rt))
		return NULL;
	pthread_mutex_lock(&rt->inject_mu);
	first = rt__list_pop(&rt->inject);
	if (first) {
		uint32_t room = rt__lq_remaining(&w->lq);

		n = rt->inject.len / rt->nworkers;
		if (n > RT__LQ_CAP / 2)
			n = RT__LQ_CAP / 2;
		if (n > room)
			n = room;
		for (size_t i = 0; i < n; i++) {
			struct rt__task_list none = { 0 };

			rt__lq_push(&w->lq, rt__list_pop(&rt->inject), &none);
		}
		atomic_fetch_sub_explicit(&rt->inject_len, n + 1,
					  memory_order_relaxed);
	}
	pthread_mutex_unlock(&rt->inject_mu);
	return first;
}

static void local_push(struct rt__worker *w, struct rt_task *t)
{
	struct rt__task_list overflow = { 0 };

	rt__lq_push(&w->lq, t, &overflow);
	inject_push_list(w->rt, &overflow);
}

/* ---- idle coordination (Tokio idle.rs) ------------------------------------------- */

static void unpark(struct rt__worker *w)
{
	int prev = atomic_exchange(&w->park_state, RT__PARK_NOTIFIED);

	if (prev == RT__PARK_CONDVAR) {
		pthread_mutex_lock(&w->park_mu);
		pthread_mutex_unlock(&w->park_mu);
		pthread_cond_signal(&w->park_cv);
	} else if (prev == RT__PARK_DRIVER) {
		rt__unpark_driver(w->rt);
	}
}

#define IDLE_UNPARKED_ONE (1u << 16)
static inline uint32_t idle_searching(uint32_t st) { return st & 0xffff; }
static inline uint32_t idle_unparked(uint32_t st) { return st >> 16; }

void rt__notify_one(rt_t *rt)
{
	struct rt__worker *w = NULL;
	/* An RMW, not a load: it is ordered after our queue push in the
	 * modification order of idle_state, against the parker's RMW in
	 * transition_to_parked (see there). */
	uint32_t st = atomic_fetch_add(&rt->idle_state, 0);

	if (idle_searching(st) != 0 ||
	    idle_unparked(st) >= (uint32_t)rt->nworkers)
		return;
	pthread_mutex_lock(&rt->idle_mu);
	st = atomic_load(&rt->idle_state);
	if (idle_searching(st) == 0 && rt->nsleepers > 0) {
		w = rt->workers[rt->sleepers[--rt->nsleepers]];
		w->is_parked = false;
		/* The woken worker starts out searching (Tokio unpark_one). */
		atomic_fetch_add(&rt->idle_state, IDLE_UNPARKED_ONE | 1);
		w->searching = true;
	}
	pthread_mutex_unlock(&rt->idle_mu);
	if (w)
		unpark(w);
}

static bool transition_to_searching(struct rt__worker *w)
{
	rt_t *rt = w->rt;
	uint32_t st;

	if (w->searching)
		return true;
	/* At most half of the unparked workers search (Tokio idle.rs), so
	 * that a burst of wakes does not make every worker contend. */
	st = atomic_load(&rt->idle_state);
	if (2 * idle_searching(st) >= idle_unparked(st))
		return false;
	atomic_fetch_add(&rt->idle_state, 1);
	w->searching = true;
	return true;
}

static void transition_from_searching(struct rt__worker *w)
{
	w->searching = false;
	/* The last searcher found work: wake another to look for more. */
	if (idle_searching(atomic_fetch_sub(&w->rt->idle_state, 1)) == 1)
		rt__notify_one(w->rt);
}

/* Returns true if w must re-check every queue before sleeping: it was the
 * last searcher or the last unparked worker.  Why this is enough: a
 * producer pushes, then RMW-reads idle_state.  If its RMW comes after ours,
 * it sees a parked worker and no searcher and notifies; if before, it
 * synchronises with our RMW and our re-check sees its task.  The last
 * worker to park always re-checks, so a task is never stranded. */
static bool transition_to_parked(struct rt__worker *w)
{
	rt_t *rt = w->rt;
	uint32_t prev;
	bool recheck;

	pthread_mutex_lock(&rt->idle_mu);
	prev = atomic_fetch_sub(&rt->idle_state,
				IDLE_UNPARKED_ONE | (w->searching ? 1 : 0));
	recheck = (w->searching && idle_searching(prev) == 1) ||
		  idle_unparked(prev) == 1;
	w->searching = false;
	rt->sleepers[rt->nsleepers++] = w->idx;
	w->is_parked = true;
	pthread_mutex_unlock(&rt->idle_mu);
	return recheck;
}

static bool has_local_work(struct rt__worker *w)
{
	return w->lifo || rt__lq_len(&w->lq) > 0;
}

/* After a wake-up: true if w may run (it was notified, or it has local work
 * from the driver and takes itself off the sleepers stack). */
static bool transition_from_parked(struct rt__worker *w)
{
	rt_t *rt = w->rt;
	bool run = true;

	pthread_mutex_lock(&rt->idle_mu);
	if (w->is_parked) {
		if (has_local_work(w) || atomic_load(&rt->shutdown)) {
			for (int i = 0; i < rt->nsleepers; i++) {
				if (rt->sleepers[i] == w->idx) {
					rt->sleepers[i] =
						rt->sleepers[--rt->nsleepers];
					break;
				}
			}
			w->is_parked = false;
			atomic_fetch_add(&rt->idle_state, IDLE_UNPARKED_ONE);
		} else {
			run = false;
		}
	}
	pthread_mutex_unlock(&rt->idle_mu);
	return run;
}

static void notify_if_work_pending(rt_t *rt)
{
	for (int i = 0; i < rt->nworkers; i++) {
		if (rt__lq_len(&rt->workers[i]->lq) > 0) {
			rt__notify_one(rt);
			return;
		}
	}
	if (!inject_empty(rt))
		rt__notify_one(rt);
}

/* ---- scheduling -------------------------------------------------------------------- */

/* Enqueues a SCHEDULED task, consuming one reference.  From a worker of the
 * task's runtime: a wake from a running task or from a zero-timeout park
 * (driver and deferred wakes) goes to the LIFO slot (its previous occupant
 * to the local queue), anything else to the local queue; from elsewhere:
 * the injection queue. */
void rt__schedule(struct rt_task *t, bool is_yield)
{
	struct rt__worker *w = rt__cur_worker;
	rt_t *rt = t->rt;

	if (!w || w->rt != rt) {
		inject_push(rt, t);
		rt__notify_one(rt);
		return;
	}
	if (!is_yield && (w->in_poll || w->in_park_zero) &&
	    !rt->cfg.disable_lifo) {
		struct rt_task *prev = w->lifo;

		w->lifo = t;
		if (!prev)
			return; /* Tokio: a LIFO push alone notifies no one */
		t = prev;
	}
	local_push(w, t);
	/* Woken by the driver while parking: park() decides whom to notify. */
	if (!w->in_park)
		rt__notify_one(rt);
}

/* RT_NO_PUBLISH builds without the published state, only to measure its
 * cost (docs/probes.md); the ABI says it is always there. */
static void publish_poll(struct rt__worker *w, uint64_t task_id, uint64_t start)
{
#ifdef RT_NO_PUBLISH
	return;
#endif
	atomic_store_explicit((_Atomic uint64_t *)&w->pub.poll_start_ns, start,
			      memory_order_relaxed);
	atomic_store_explicit((_Atomic uint64_t *)&w->pub.task_id, task_id,
			      memory_order_relaxed);
}

/* The poll-time counters of the published record (rt_probe_abi.h). */
static void count_poll(struct rt__worker *w, uint64_t ns)
{
#ifndef RT_NO_PUBLISH
	rt__pub_add(&w->pub.polls, 1);
	rt__pub_add(&w->pub.poll_ns, ns);
	rt__pub_add(&w->pub.poll_hist[rt__hist_slot(ns)], 1);
#else
	(void)w;
	(void)ns;
#endif
}

/* Wake-to-poll delay of a task woken while rt:slow_schedule was enabled. */
static void count_sched_delay(struct rt__worker *w, struct rt_task *t,
			      uint64_t start)
{
	uint64_t woken = atomic_exchange_explicit(&t->woken_ns, 0,
						  memory_order_relaxed);
	uint64_t d = start > woken ? start - woken : 0;

	rt__pub_add(&w->pub.sched_count, 1);
	rt__pub_add(&w->pub.sched_ns, d);
	rt__pub_add(&w->pub.sched_hist[rt__hist_slot(d)], 1);
	if (d >= RT_SLOW_SCHEDULE_NS)
		RT_PROBE4(slow_schedule, t->id, w->idx, start - d, d);
}

uint64_t rt__cur_poll_ns(uint64_t now, uint64_t *poll_start)
{
	struct rt__worker *w = rt__cur_worker;
	struct rt_task *t = w ? w->cx->task : NULL;

	*poll_start = 0;
	if (!t || !w->in_poll)
		return 0;
	*poll_start = w->pub.poll_start_ns;
	return atomic_load_explicit(&t->poll_ns, memory_order_relaxed) +
	       (now > *poll_start ? now - *poll_start : 0);
}

/* Polls a SCHEDULED task; consumes the queue's reference. */
static void poll_task(struct rt__worker *w, struct rt_task *t)
{
	rt_cx_t *cx = w->cx;
	uint64_t start, end;
	uint32_t s;
	rt_poll_t r;

	atomic_store_explicit(&t->state, RT__T_RUNNING, memory_order_release);
	cx->task = t;
	cx->budget = w->rt->cfg.budget;
	w->in_poll = true;
	/* One clock read per poll: back to back, a poll starts where the
	 * previous one ended (the queue pop between them is a few ns, charged
	 * to this poll); after a park or a driver turn the clock is read. */
	start = w->last_poll_end ? w->last_poll_end : rt_now_ns();
	publish_poll(w, t->id, start);
	RT_PROBE2(poll_start, t->id, w->idx);
	if (atomic_load_explicit(&t->woken_ns, memory_order_relaxed))
		count_sched_delay(w, t, start);

	r = t->fn(cx, t->state_ptr);

	end = rt_now_ns();
	w->last_poll_end = end;
	publish_poll(w, 0, 0);
	atomic_store_explicit(&t->poll_ns, t->poll_ns + (end - start),
			      memory_order_relaxed);
	count_poll(w, end - start);
	RT_PROBE4(poll_end, t->id, w->idx, end - start, (int)r);
	if (end - start >= RT_SLOW_POLL_NS)
		RT_PROBE4(slow_poll, t->id, w->idx, start, end - start);

	if (r == RT_READY) {
		atomic_store_explicit(&t->state, RT__T_COMPLETE,
				      memory_order_release);
		/* Still "in" the task: its joiner is woken by it, into the
		 * LIFO slot, as Tokio does on completion. */
		if (t->join) {
			rt__join_complete(t->join, t->state_ptr);
		} else if (t->free_cb) {
			t->free_cb(t->state_ptr);
		}
		w->in_poll = false;
		cx->task = NULL;
		rt__task_unref(t);
		return;
	}
	w->in_poll = false;
	cx->task = NULL;
	s = RT__T_RUNNING;
	if (atomic_compare_exchange_strong_explicit(&t->state, &s, RT__T_IDLE,
						    memory_order_acq_rel,
						    memory_order_acquire)) {
		rt__task_unref(t);
		return;
	}
	/* Woken during its poll: re-queue once, at the back (a yield). */
	atomic_store_explicit(&t->state, RT__T_SCHEDULED, memory_order_release);
	rt__schedule(t, true);
}

static void run_task(struct rt__worker *w, struct rt_task *t)
{
	int lifo_polls = 0;

	if (w->searching)
		transition_from_searching(w);
	poll_task(w, t);
	/* The LIFO slot: run what this poll woke, at most
	 * RT__MAX_LIFO_POLLS_PER_TICK times, so that two tasks that keep
	 * waking each other cannot starve the local queue. */
	while ((t = w->lifo)) {
		w->lifo = NULL;
		if (lifo_polls >= RT__MAX_LIFO_POLLS_PER_TICK ||
		    atomic_load_explicit(&w->rt->shutdown, memory_order_relaxed)) {
			local_push(w, t);
			rt__notify_one(w->rt);
			break;
		}
		lifo_polls++;
		poll_task(w, t);
	}
}

static struct rt_task *next_local(struct rt__worker *w)
{
	struct rt_task *t = w->lifo;

	if (t) {
		w->lifo = NULL;
		return t;
	}
	return rt__lq_pop(&w->lq);
}

static struct rt_task *next_task(struct rt__worker *w)
{
	struct rt_task *t;

	if (w->tick % RT__GLOBAL_QUEUE_INTERVAL == 0) {
		t = inject_pop(w);
		return t ? t : next_local(w);
	}
	t = next_local(w);
	return t ? t : inject_pop(w);
}

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static struct rt_task *steal_work(struct rt__worker *w)
{
	rt_t *rt = w->rt;
	int n = rt->nworkers;
	int start;

	if (!transition_to_searching(w))
		return NULL;
	start = (int)(xorshift(&w->rand) % (uint32_t)n);
	for (int i = 0; i < n; i++) {
		int v = (start + i) % n;
		struct rt_task *t;

		if (v == w->idx)
			continue;
		t = rt__lq_steal_into(&rt->workers[v]->lq, &w->lq);
		if (t)
			return t;
	}
	return inject_pop(w);
}

/* ---- deferred wakers (Tokio runtime/defer.rs) ------------------------------------ */

bool rt__worker_defer(struct rt__worker *w, struct rt_task *t)
{
	if (w->ndeferred == w->deferred_cap) {
		size_t cap = w->deferred_cap ? 2 * w->deferred_cap : 16;
		rt_waker_t *d = realloc(w->deferred, cap * sizeof(*d));

		if (!d)
			return false;
		w->deferred = d;
		w->deferred_cap = cap;
	}
	rt__task_ref(t);
	w->deferred[w->ndeferred++].task = t;
	return true;
}

/* Wakes every deferred task (Tokio's wake_deferred_tasks).  A wake cannot
 * poll, so the list cannot grow while we walk it. */
static void wake_deferred(struct rt__worker *w)
{
	for (size_t i = 0; i < w->ndeferred; i++)
		rt_waker_wake(&w->deferred[i]);
	w->ndeferred = 0;
}

/* Tokio's park_timeout(core, Some(0)): a zero-timeout driver turn if nobody
 * else holds the driver, then the deferred wakes.  As in Tokio 1.24, where
 * the core stays in the worker's context meanwhile (schedule_local with
 * is_yield false), each task woken here goes to the LIFO slot and pushes
 * the previous occupant to the local queue, without a notification each
 * (core.park is None: "notifications often come in batches"); afterwards
 * one sibling is notified if there is stealable work and we are not
 * searching.  So the last deferred task (typically the yielder itself)
 * runs next, and a task the driver woke waits behind it: that is what
 * Tokio does (docs/demos.md, the async convoy). */
static void park_timeout_zero(struct rt__worker *w)
{
	rt_t *rt = w->rt;

	w->last_poll_end = 0;
	w->in_park = true;
	w->in_park_zero = true;
	if (pthread_mutex_trylock(&rt->driver_mu) == 0) {
		rt__driver_turn(rt, false);
		pthread_mutex_unlock(&rt->driver_mu);
	}
	wake_deferred(w);
	w->in_park_zero = false;
	w->in_park = false;
	if (!w->searching && rt__lq_len(&w->lq) > 0)
		rt__notify_one(rt);
}

/*
 * Fires rt:worker_start at the worker's start and whenever the number of
 * tracers on it grows, so that one attaching to a running process
 * (observe -p) learns the record's address.  The kernel raises the
 * semaphore when it creates the uprobe, before the tracer's program is
 * linked to it (14-18 ms later with libbpf), and a single announcement in
 * that window is lost: so the worker keeps announcing at every park and
 * maintenance tick for RT__ANNOUNCE_NS, and tracers drop the duplicates.
 * Unobserved, this is one load and a compare per park.
 */
static void announce(struct rt__worker *w)
{
	unsigned short users = RT__PROBE_USERS(worker_start);

	if (users != w->announced) {
		w->announce_until = users > w->announced ?
				    rt_now_ns() + RT__ANNOUNCE_NS : 0;
		w->announced = users;
	}
	if (!w->announce_until)
		return;
	if (rt_now_ns() > w->announce_until) {
		w->announce_until = 0;
		return;
	}
	RT_PROBE3(worker_start, w->idx, w->pub.tid, &w->pub);
}

/* Every RT__EVENT_INTERVAL ticks (Tokio's Context::maintenance). */
static void maintenance(struct rt__worker *w)
{
	announce(w);
	park_timeout_zero(w);
}

static void park_once(struct rt__worker *w)
{
	rt_t *rt = w->rt;
	int s = RT__PARK_NOTIFIED;

	if (atomic_compare_exchange_strong(&w->park_state, &s, RT__PARK_EMPTY))
		return;
	if (pthread_mutex_trylock(&rt->driver_mu) == 0) {
		s = RT__PARK_EMPTY;
		if (atomic_compare_exchange_strong(&w->park_state, &s,
						   RT__PARK_DRIVER)) {
			w->in_park = true;
			rt__driver_turn(rt, true);
			w->in_park = false;
		}
		atomic_store(&w->park_state, RT__PARK_EMPTY);
		pthread_mutex_unlock(&rt->driver_mu);
		return;
	}
	pthread_mutex_lock(&w->park_mu);
	s = RT__PARK_EMPTY;
	if (atomic_compare_exchange_strong(&w->park_state, &s,
					   RT__PARK_CONDVAR)) {
		for (;;) {
			pthread_cond_wait(&w->park_cv, &w->park_mu);
			s = RT__PARK_NOTIFIED;
			if (atomic_compare_exchange_strong(&w->park_state, &s,
							   RT__PARK_EMPTY))
				break;
		}
	} else {
		atomic_store(&w->park_state, RT__PARK_EMPTY);
	}
	pthread_mutex_unlock(&w->park_mu);
}

static void park(struct rt__worker *w)
{
	rt_t *rt = w->rt;
	uint64_t t0 = rt_now_ns();

	w->last_poll_end = 0;
	announce(w);
	/* Never sleep on deferred wakes: they would wait for an unrelated
	 * event.  Tokio parks with a zero timeout instead while
	 * did_defer_tasks(); the run loop already does, this keeps it so for
	 * any other caller. */
	if (w->ndeferred) {
		park_timeout_zero(w);
		return;
	}
	RT_PROBE1(worker_park, w->idx);
	if (transition_to_parked(w))
		notify_if_work_pending(rt);
	do {
		park_once(w);
	} while (!transition_from_parked(w));
	/* Woken by the driver with several tasks: let a sibling help
	 * (Tokio's should_notify_others after park). */
	if (rt__lq_len(&w->lq) > 1)
		rt__notify_one(rt);
	t0 = rt_now_ns() - t0;
	rt__pub_add(&w->pub.parked_ns, t0);
	rt__pub_add(&w->pub.parks, 1);
	RT_PROBE2(worker_unpark, w->idx, t0);
}

static void *worker_main(void *arg)
{
	struct rt__worker *w = arg;
	rt_t *rt = w->rt;
	rt_cx_t cx = { .rt = rt, .w = w };
	char name[16];

	snprintf(name, sizeof(name), "rt-worker-%d", w->idx);
	pthread_setname_np(pthread_self(), name);
	prctl(PR_SET_TIMERSLACK, RT__TIMERSLACK_NS, 0, 0, 0);
	w->cx = &cx;
	rt__cur_worker = w;
	atomic_store_explicit((_Atomic uint32_t *)&w->pub.tid,
			      (uint32_t)syscall(SYS_gettid), memory_order_relaxed);
	announce(w);

	while (!atomic_load_explicit(&rt->shutdown, memory_order_acquire)) {
		struct rt_task *t;

		w->tick++;
		if (w->tick % RT__EVENT_INTERVAL == 0)
			maintenance(w);
		t = next_task(w);
		if (!t)
			t = steal_work(w);
		if (t) {
			run_task(w, t);
			continue;
		}
		/* Nothing to run but yielded tasks: turn the driver first so
		 * that timers and I/O get their turn, then run them (Tokio's
		 * Context::run: park_timeout(core, Some(0)) if
		 * did_defer_tasks()). */
		if (w->ndeferred) {
			park_timeout_zero(w);
			continue;
		}
		park(w);
	}
	/* Hand deferred tasks to the local queue, where rt_free drops them
	 * with the rest (Tokio wakes them when the worker's run ends). */
	wake_deferred(w);
	/* Its last counters, for a tracer that cannot read them after exit. */
	RT_PROBE3(worker_stop, w->idx, w->pub.tid, &w->pub);
	rt__cur_worker = NULL;
	return NULL;
}

/* ---- spawning ------------------------------------------------------------------------ */

int rt_spawn(rt_t *rt, rt_task_fn fn, void *state, rt_free_cb free_cb,
	     rt_join_t **join)
{
	struct rt__worker *w = rt__cur_worker;
	struct rt_task *t;

	if (!rt || !fn)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (join) {
		t->join = rt__join_new();
		if (!t->join) {
			free(t);
			return -ENOMEM;
		}
		t->join->free_cb = free_cb;
		t->join->state = state;
		t->join->has_free = true;
		*join = t->join;
	}
	t->id = atomic_fetch_add_explicit(&rt__next_task_id, 1,
					  memory_order_relaxed);
	t->rt = rt;
	t->fn = fn;
	t->state_ptr = state;
	t->free_cb = join ? NULL : free_cb;
	atomic_init(&t->refs, 1); /* the queue's */
	atomic_init(&t->state, RT__T_SCHEDULED);
	if (RT__PROBE_ENABLED(slow_schedule))
		atomic_init(&t->woken_ns, rt_now_ns());
	RT_PROBE2(task_spawn, t->id,
		  w && w->cx && w->cx->task ? w->cx->task->id : 0);
	if (w && w->rt == rt) {
		local_push(w, t);
		rt__notify_one(rt);
	} else {
		inject_push(rt, t);
		rt__notify_one(rt);
	}
	return 0;
}

int rt_block_on(rt_t *rt, rt_task_fn fn, void *state)
{
	rt_join_t *j;
	int err;

	if (rt__cur_worker)
		return -EDEADLK; /* would block a worker on itself */
	err = rt_spawn(rt, fn, state, NULL, &j);
	if (err)
		return err;
	rt_join_wait(j, NULL);
	rt_join_free(j);
	return 0;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void worker_free(struct rt__worker *w)
{
	pthread_mutex_destroy(&w->park_mu);
	pthread_cond_destroy(&w->park_cv);
	free(w->deferred);
	free(w);
}

void rt_free(rt_t *rt)
{
	struct rt_task *t;

	if (!rt)
		return;
	atomic_store(&rt->shutdown, true);
	for (int i = 0; i < rt->nworkers; i++)
		if (rt->workers[i])
			unpark(rt->workers[i]);
	for (int i = 0; i < rt->nworkers; i++)
		if (rt->workers[i] && rt->workers[i]->thread)
			pthread_join(rt->workers[i]->thread, NULL);
	rt__blocking_shutdown(rt);
	/* Drop what is still queued (Tokio drops futures at shutdown). */
	for (int i = 0; i < rt->nworkers; i++) {
		struct rt__worker *w = rt->workers[i];

		if (!w)
			continue;
		while ((t = next_local(w)))
			rt__task_unref(t);
	}
	while ((t = rt__list_pop(&rt->inject)))
		rt__task_unref(t);
	for (int i = 0; i < rt->nworkers; i++)
		if (rt->workers[i])
			worker_free(rt->workers[i]);
	rt__driver_destroy(rt);
	pthread_mutex_destroy(&rt->inject_mu);
	pthread_mutex_destroy(&rt->idle_mu);
	pthread_mutex_destroy(&rt->driver_mu);
	free(rt->sleepers);
	free(rt->workers);
	free(rt);
}

int rt_new(const rt_config_t *cfg, rt_t **out)
{
	rt_t *rt;
	int err = 0;

	*out = NULL;
	/* Worker counts live in 16-bit halves of idle_state. */
	if (cfg && (cfg->workers < 0 || cfg->workers > 1024 ||
		    cfg->blocking_threads < 0 || cfg->budget < 0))
		return -EINVAL;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	rt->epfd = rt->evfd = -1;
	if (cfg)
		rt->cfg = *cfg;
	if (rt->cfg.workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		rt->cfg.workers = n > 0 ? (int)n : 1;
	}
	if (rt->cfg.blocking_threads == 0)
		rt->cfg.blocking_threads = RT__DEFAULT_BLOCKING_THREADS;
	if (rt->cfg.budget == 0)
		rt->cfg.budget = RT__DEFAULT_BUDGET;
	rt->nworkers = rt->cfg.workers;
	pthread_mutex_init(&rt->inject_mu, NULL);
	pthread_mutex_init(&rt->idle_mu, NULL);
	pthread_mutex_init(&rt->driver_mu, NULL);
	atomic_init(&rt->idle_state, (uint32_t)rt->nworkers << 16);
	rt->workers = calloc(rt->nworkers, sizeof(*rt->workers));
	rt->sleepers = calloc(rt->nworkers, sizeof(*rt->sleepers));
	if (!rt->workers || !rt->sleepers) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = rt__driver_init(rt);
	if (err)
		goto cleanup;
	err = rt__blocking_init(rt);
	if (err)
		goto cleanup;
	for (int i = 0; i < rt->nworkers; i++) {
		size_t sz = (sizeof(struct rt__worker) + RT_PROBE_WORKER_ALIGN - 1) &
			    ~(size_t)(RT_PROBE_WORKER_ALIGN - 1);
		struct rt__worker *w = aligned_alloc(RT_PROBE_WORKER_ALIGN, sz);

		if (!w) {
			err = -ENOMEM;
			goto cleanup;
		}
		memset(w, 0, sz);
		w->rt = rt;
		w->idx = i;
		w->pub.worker_idx = (uint32_t)i;
		w->rand = 0x9e3779b9u * (uint32_t)(i + 1);
		rt__lq_init(&w->lq);
		atomic_init(&w->park_state, RT__PARK_EMPTY);
		pthread_mutex_init(&w->park_mu, NULL);
		pthread_cond_init(&w->park_cv, NULL);
		rt->workers[i] = w;
	}
	for (int i = 0; i < rt->nworkers; i++) {
		err = -pthread_create(&rt->workers[i]->thread, NULL, worker_main,
				      rt->workers[i]);
		if (err)
			goto cleanup;
	}
	*out = rt;
	return 0;
cleanup:
	rt_free(rt);
	return err;
}
