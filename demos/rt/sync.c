// SPDX-License-Identifier: MIT
/*
 * sync.c - the fair async mutex (tokio::sync::Mutex) and the probed
 * synchronous mutex.
 *
 * Async mutex invariants (under m->mu):
 *  1. Waiters form a FIFO list; unlock hands the lock directly to the head
 *     (state GRANTED, `locked` stays true), so no newcomer can barge in and
 *     acquisition order equals waiting order.
 *  2. A newcomer takes a free lock only if nobody waits.
 *  3. acquired_ns is the hand-off time: the hold time of a waiter includes
 *     the scheduling delay before it is polled, which is the point of the
 *     suspension convoy.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probes.h"
#include "rt_internal.h"

enum { RT__MW_IDLE = 0, RT__MW_WAITING = 1, RT__MW_GRANTED = 2 };

void rt_mutex_init(rt_mutex_t *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	pthread_mutex_init(&m->mu, NULL);
}

void rt_mutex_destroy(rt_mutex_t *m)
{
	pthread_mutex_destroy(&m->mu);
}

static void unlink_waiter(rt_mutex_t *m, rt_mutex_waiter_t *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		m->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		m->tail = w->prev;
	w->next = w->prev = NULL;
}

/*
 * The current task's poll time (rt__cur_poll_ns) at `since`, taking only the
 * current poll as running since then: the base from which the holder's time
 * in polls during a hold is counted.  The holder polled nothing else between
 * the hand-off and now: it was waiting for this poll.
 */
static uint64_t poll_ns_since(uint64_t since, uint64_t now)
{
	uint64_t start, ns = rt__cur_poll_ns(now, &start);

	if (!start)
		return 0;
	return ns - (now - (since > start ? since : start));
}

rt_poll_t rt_mutex_lock_poll(rt_mutex_t *m, rt_mutex_waiter_t *w, rt_cx_t *cx)
{
	uint64_t tid = cx->task->id, now, wait_ns = 0;
	rt_poll_t r = RT_PENDING;
	bool waited = false;

	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	pthread_mutex_lock(&m->mu);
	now = rt_now_ns();
	if (w->state == RT__MW_GRANTED) {
		w->state = RT__MW_IDLE;
		rt_waker_drop(&w->waker);
		wait_ns = now - w->wait_start_ns;
		m->holder_task = tid;
		r = RT_READY;
	} else if (w->state == RT__MW_IDLE && !m->locked && !m->head) {
		m->locked = true;
		m->holder_task = tid;
		m->acquired_ns = now;
		r = RT_READY;
	} else {
		if (w->state == RT__MW_IDLE) {
			w->state = RT__MW_WAITING;
			w->wait_start_ns = now;
			w->next = NULL;
			w->prev = m->tail;
			if (m->tail)
				m->tail->next = w;
			else
				m->head = w;
			m->tail = w;
			waited = true;
		}
		rt_waker_register(&w->waker, cx);
	}
	if (r == RT_READY)
		m->holder_poll0 = poll_ns_since(m->acquired_ns, now);
	pthread_mutex_unlock(&m->mu);
	if (waited)
		RT_PROBE2(mutex_wait, (uintptr_t)m, tid);
	if (r == RT_READY)
		RT_PROBE3(mutex_acquire, (uintptr_t)m, tid, wait_ns);
	return r;
}

/* Under m->mu: gives the lock to the longest waiter or frees it. */
static rt_waker_t hand_off(rt_mutex_t *m, uint64_t now)
{
	rt_mutex_waiter_t *w = m->head;
	rt_waker_t wk = { 0 };

	if (!w) {
		m->locked = false;
		m->holder_task = 0;
		return wk;
	}
	unlink_waiter(m, w);
	w->state = RT__MW_GRANTED;
	m->holder_task = w->waker.task ? w->waker.task->id : 0;
	m->acquired_ns = now;
	/* Keep the waiter's own waker reference until it polls; wake a copy. */
	if (w->waker.task) {
		rt__task_ref(w->waker.task);
		wk.task = w->waker.task;
	}
	return wk;
}

void rt_mutex_unlock(rt_mutex_t *m)
{
	uint64_t now, hold, holder, running, start;
	rt_waker_t wk;

	pthread_mutex_lock(&m->mu);
	now = rt_now_ns();
	hold = now - m->acquired_ns;
	holder = m->holder_task;
	/* Of the hold, the time the holder was inside a poll; the rest it was
	 * suspended.  Unknown (0) when the unlock is not from the holder. */
	running = rt__cur_poll_ns(now, &start);
	running = start && holder == rt__cur_task_id() &&
		  running >= m->holder_poll0 ? running - m->holder_poll0 : 0;
	wk = hand_off(m, now);
	pthread_mutex_unlock(&m->mu);
	RT_PROBE4(mutex_release, (uintptr_t)m, holder, hold,
		  running < hold ? running : hold);
	rt_waker_wake(&wk);
}

void rt_mutex_lock_cancel(rt_mutex_t *m, rt_mutex_waiter_t *w)
{
	rt_waker_t wk = { 0 }, old;

	pthread_mutex_lock(&m->mu);
	if (w->state == RT__MW_WAITING) {
		unlink_waiter(m, w);
	} else if (w->state == RT__MW_GRANTED) {
		/* Granted but never taken: pass it on. */
		wk = hand_off(m, rt_now_ns());
	}
	w->state = RT__MW_IDLE;
	old = w->waker;
	w->waker.task = NULL;
	pthread_mutex_unlock(&m->mu);
	rt_waker_drop(&old);
	rt_waker_wake(&wk);
}

/* ---- synchronous mutex ------------------------------------------------------------ */

static uint64_t gettid_u64(void)
{
	return (uint64_t)syscall(SYS_gettid);
}

void rt_sync_mutex_init(rt_sync_mutex_t *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	pthread_mutex_init(&m->mu, NULL);
}

void rt_sync_mutex_destroy(rt_sync_mutex_t *m)
{
	pthread_mutex_destroy(&m->mu);
}

void rt_sync_mutex_lock(rt_sync_mutex_t *m)
{
	uint64_t t0 = 0;

	if (pthread_mutex_trylock(&m->mu) != 0) {
		t0 = rt_now_ns();
		RT_PROBE2(sync_wait, (uintptr_t)m, gettid_u64());
		pthread_mutex_lock(&m->mu);
	}
	m->acquired_ns = rt_now_ns();
	RT_PROBE3(sync_acquire, (uintptr_t)m, gettid_u64(),
		  t0 ? m->acquired_ns - t0 : 0);
}

void rt_sync_mutex_unlock(rt_sync_mutex_t *m)
{
	uint64_t hold = rt_now_ns() - m->acquired_ns;

	/* Before the unlock: its futex wake may let the woken waiter preempt
	 * us, and that wait is no longer part of the hold. */
	RT_PROBE3(sync_release, (uintptr_t)m, gettid_u64(), hold);
	pthread_mutex_unlock(&m->mu);
}
