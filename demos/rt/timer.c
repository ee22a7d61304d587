// SPDX-License-Identifier: MIT
/*
 * timer.c - the timer driver: a binary min-heap of rt_sleep_t ordered by
 * (deadline, seq), like libuv's timer heap.  Invariants:
 *  1. A sleep is in the heap iff state == ARMED; heap_index is its slot.
 *  2. Expired timers are collected under timers.mu (state FIRED, waker
 *     taken) before any waker runs, and only those armed before the turn
 *     began (seq below the snapshot): a timer re-armed by the task it woke
 *     cannot fire twice in one turn.
 *  3. fired_ns is written under timers.mu when the driver fires the timer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probes.h"
#include "rt_internal.h"

int rt__timers_init(struct rt__timers *tm)
{
	memset(tm, 0, sizeof(*tm));
	pthread_mutex_init(&tm->mu, NULL);
	return 0;
}

void rt__timers_destroy(struct rt__timers *tm)
{
	/* Leftover sleeps belong to tasks dropped at shutdown: release their
	 * wakers (which may free the state holding the sleep: last touch). */
	while (tm->len) {
		rt_sleep_t *s = tm->heap[--tm->len];
		rt_waker_t w = s->waker;

		s->waker.task = NULL;
		s->state = RT__SLEEP_INIT;
		rt_waker_drop(&w);
	}
	free(tm->heap);
	tm->heap = NULL;
	pthread_mutex_destroy(&tm->mu);
}

static bool before(const rt_sleep_t *a, const rt_sleep_t *b)
{
	if (a->deadline_ns != b->deadline_ns)
		return a->deadline_ns < b->deadline_ns;
	return a->seq < b->seq;
}

static void set(struct rt__timers *tm, size_t i, rt_sleep_t *s)
{
	tm->heap[i] = s;
	s->heap_index = i;
}

static void sift_up(struct rt__timers *tm, size_t i)
{
	rt_sleep_t *s = tm->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!before(s, tm->heap[p]))
			break;
		set(tm, i, tm->heap[p]);
		i = p;
	}
	set(tm, i, s);
}

static void sift_down(struct rt__timers *tm, size_t i)
{
	rt_sleep_t *s = tm->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= tm->len)
			break;
		if (c + 1 < tm->len && before(tm->heap[c + 1], tm->heap[c]))
			c++;
		if (!before(tm->heap[c], s))
			break;
		set(tm, i, tm->heap[c]);
		i = c;
	}
	set(tm, i, s);
}

static int heap_insert(struct rt__timers *tm, rt_sleep_t *s)
{
	if (tm->len == tm->cap) {
		size_t cap = tm->cap ? tm->cap * 2 : 64;
		rt_sleep_t **h = realloc(tm->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		tm->heap = h;
		tm->cap = cap;
	}
	s->seq = tm->seq++;
	set(tm, tm->len++, s);
	sift_up(tm, tm->len - 1);
	return 0;
}

static void heap_remove(struct rt__timers *tm, rt_sleep_t *s)
{
	size_t i = s->heap_index;
	rt_sleep_t *last = tm->heap[--tm->len];

	if (i == tm->len)
		return;
	set(tm, i, last);
	if (i > 0 && before(last, tm->heap[(i - 1) / 2]))
		sift_up(tm, i);
	else
		sift_down(tm, i);
}

void rt_sleep_until(rt_sleep_t *s, uint64_t deadline_ns)
{
	memset(s, 0, sizeof(*s));
	s->deadline_ns = deadline_ns;
}

void rt_sleep_init(rt_sleep_t *s, uint64_t duration_ns)
{
	uint64_t now = rt_now_ns();

	/* Clamp instead of wrapping: a huge duration means "never". */
	rt_sleep_until(s, duration_ns > UINT64_MAX - now ? UINT64_MAX
							 : now + duration_ns);
}

rt_poll_t rt_sleep_poll(rt_sleep_t *s, rt_cx_t *cx)
{
	struct rt__timers *tm = &cx->rt->timers;
	rt_waker_t old = { 0 };
	bool wake_driver = false;
	rt_poll_t r = RT_PENDING;
	uint64_t now;

	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	pthread_mutex_lock(&tm->mu);
	s->rt = cx->rt;
	if (s->state == RT__SLEEP_FIRED) {
		r = RT_READY;
		goto out;
	}
	now = rt_now_ns();
	if (s->deadline_ns <= now) {
		/* Due before the driver saw it: complete here. */
		if (s->state == RT__SLEEP_ARMED)
			heap_remove(tm, s);
		old = s->waker;
		s->waker.task = NULL;
		s->state = RT__SLEEP_FIRED;
		s->fired_ns = now;
		r = RT_READY;
		goto out;
	}
	if (s->waker.task != cx->task) {
		old = s->waker;
		s->waker.task = NULL;
		rt_waker_register(&s->waker, cx);
	}
	if (s->state == RT__SLEEP_INIT) {
		if (heap_insert(tm, s) < 0) {
			/* Out of memory: degrade to a busy retry. */
			rt_waker_drop(&s->waker);
			rt_waker_register(&s->waker, cx);
			rt_waker_wake(&s->waker);
			goto out;
		}
		s->state = RT__SLEEP_ARMED;
		/* The parked driver sleeps past this deadline: wake it so it
		 * re-arms its timeout (Tokio's time driver does the same). */
		wake_driver = s->deadline_ns < cx->rt->driver_wake_at;
	}
out:
	pthread_mutex_unlock(&tm->mu);
	rt_waker_drop(&old);
	if (wake_driver)
		rt__unpark_driver(cx->rt);
	return r;
}

void rt_sleep_cancel(rt_sleep_t *s)
{
	rt_waker_t old = { 0 };

	if (!s->rt)
		return; /* never polled: not registered */
	pthread_mutex_lock(&s->rt->timers.mu);
	if (s->state == RT__SLEEP_ARMED) {
		heap_remove(&s->rt->timers, s);
		s->state = RT__SLEEP_INIT;
	}
	old = s->waker;
	s->waker.task = NULL;
	pthread_mutex_unlock(&s->rt->timers.mu);
	rt_waker_drop(&old);
}

uint64_t rt__timers_next(rt_t *rt, bool park)
{
	struct rt__timers *tm = &rt->timers;
	uint64_t next;

	pthread_mutex_lock(&tm->mu);
	next = tm->len ? tm->heap[0]->deadline_ns : UINT64_MAX;
	if (park)
		rt->driver_wake_at = next ? next : 1; /* 0 means "not parked" */
	pthread_mutex_unlock(&tm->mu);
	return next;
}

/* Lateness of a fired timer, in the record of the worker whose driver turn
 * fired it (the driver runs on workers only). */
static void count_timer_fire(uint64_t late)
{
	struct rt__worker *w = rt__cur_worker;

	if (!w)
		return;
	rt__pub_add(&w->pub.timer_fires, 1);
	rt__pub_add(&w->pub.timer_late_ns, late);
	rt__pub_add(&w->pub.timer_late_hist[rt__hist_slot(late)], 1);
	if (late > w->pub.timer_late_max_ns)
		atomic_store_explicit((_Atomic __u64 *)&w->pub.timer_late_max_ns,
				      late, memory_order_relaxed);
}

int rt__timers_process(rt_t *rt, uint64_t now)
{
	struct rt__timers *tm = &rt->timers;
	rt_waker_t wakers[RT__TIMER_WAKE_BATCH];
	uint64_t deadlines[RT__TIMER_WAKE_BATCH], fired[RT__TIMER_WAKE_BATCH];
	uint64_t seq_limit;
	int total = 0, n;

	pthread_mutex_lock(&tm->mu);
	seq_limit = tm->seq;
	pthread_mutex_unlock(&tm->mu);
	do {
		uint64_t t = rt_now_ns();

		n = 0;
		pthread_mutex_lock(&tm->mu);
		while (tm->len && n < RT__TIMER_WAKE_BATCH &&
		       tm->heap[0]->deadline_ns <= now &&
		       tm->heap[0]->seq < seq_limit) {
			rt_sleep_t *s = tm->heap[0];

			heap_remove(tm, s);
			s->state = RT__SLEEP_FIRED;
			s->fired_ns = t;
			wakers[n] = s->waker;
			s->waker.task = NULL;
			deadlines[n] = s->deadline_ns;
			fired[n] = t;
			n++;
		}
		pthread_mutex_unlock(&tm->mu);
		for (int i = 0; i < n; i++) {
			count_timer_fire(fired[i] - deadlines[i]);
			RT_PROBE3(timer_fire,
				  wakers[i].task ? wakers[i].task->id : 0,
				  deadlines[i], fired[i]);
			rt_waker_wake(&wakers[i]);
		}
		total += n;
	} while (n == RT__TIMER_WAKE_BATCH);
	return total;
}

/* ---- interval -------------------------------------------------------------------- */

void rt_interval_init(rt_interval_t *iv, uint64_t period_ns)
{
	iv->period_ns = period_ns ? period_ns : 1;
	/* The first tick is immediate, as tokio::time::interval. */
	rt_sleep_until(&iv->sleep, rt_now_ns());
}

rt_poll_t rt_interval_tick_poll(rt_interval_t *iv, rt_cx_t *cx,
				uint64_t *deadline_ns)
{
	uint64_t d, next, now;

	if (rt_sleep_poll(&iv->sleep, cx) == RT_PENDING)
		return RT_PENDING;
	d = iv->sleep.deadline_ns;
	if (deadline_ns)
		*deadline_ns = d;
	next = d + iv->period_ns;
	now = rt_now_ns();
	/* MissedTickBehavior::Skip: the next tick on the original grid. */
	if (now >= next)
		next = now + iv->period_ns - (now - d) % iv->period_ns;
	rt_sleep_until(&iv->sleep, next);
	return RT_READY;
}

void rt_interval_cancel(rt_interval_t *iv)
{
	rt_sleep_cancel(&iv->sleep);
}
