// SPDX-License-Identifier: MIT
/*
 * task.c - task references, the state word, wakers and join handles.
 *
 * The state word (rt_internal.h invariant 1), transitions:
 *	IDLE      -wake->  SCHEDULED (the waker enqueues it)
 *	SCHEDULED -poll->  RUNNING
 *	RUNNING   -wake->  RUNNING|NOTIFIED (nobody enqueues: the poller will)
 *	RUNNING   -PENDING-> IDLE, or SCHEDULED + re-enqueue if NOTIFIED
 *	RUNNING   -READY-> COMPLETE (wakes are ignored from then on)
 */
#include <errno.h>
#include <stdlib.h>

#include "probes.h"
#include "rt_internal.h"

void rt__task_ref(struct rt_task *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

void rt__task_unref(struct rt_task *t)
{
	if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* Last reference.  A task that never completed can no longer be
	 * woken: drop its state, as Tokio drops an abandoned future. */
	if (!(atomic_load_explicit(&t->state, memory_order_acquire) &
	      RT__T_COMPLETE)) {
		if (t->join)
			rt__join_unref(t->join);
		else if (t->free_cb)
			t->free_cb(t->state_ptr);
	}
	free(t);
}

void rt__task_wake(struct rt_task *t)
{
	uint32_t s = atomic_load_explicit(&t->state, memory_order_acquire);

	for (;;) {
		uint32_t next;

		if (s & RT__T_COMPLETE || s == RT__T_SCHEDULED ||
		    s == (RT__T_RUNNING | RT__T_NOTIFIED)) {
			rt__task_unref(t);
			return;
		}
		next = s == RT__T_IDLE ? RT__T_SCHEDULED
				       : (RT__T_RUNNING | RT__T_NOTIFIED);
		if (atomic_compare_exchange_weak_explicit(
			    &t->state, &s, next, memory_order_acq_rel,
			    memory_order_acquire))
			break;
	}
	/* The scheduling delay starts here, also for a task woken while it
	 * runs (it is queued again after that poll). */
	if (RT__PROBE_ENABLED(slow_schedule) &&
	    !atomic_load_explicit(&t->woken_ns, memory_order_relaxed))
		atomic_store_explicit(&t->woken_ns, rt_now_ns(),
				      memory_order_relaxed);
	if (s == RT__T_IDLE)
		rt__schedule(t, false); /* our reference goes to the queue */
	else
		rt__task_unref(t);
}

void rt_waker_register(rt_waker_t *w, rt_cx_t *cx)
{
	struct rt_task *t = cx->task;

	if (w->task == t)
		return;
	if (w->task)
		rt__task_unref(w->task);
	rt__task_ref(t);
	w->task = t;
}

uint64_t rt__cur_task_id(void)
{
	struct rt__worker *w = rt__cur_worker;

	return w && w->cx->task ? w->cx->task->id : 0;
}

void rt_waker_wake(rt_waker_t *w)
{
	struct rt_task *t = w->task;

	if (!t)
		return;
	w->task = NULL;
	RT_PROBE2(task_wake, t->id, rt__cur_task_id());
	rt__task_wake(t);
}

void rt_waker_drop(rt_waker_t *w)
{
	if (w->task) {
		rt__task_unref(w->task);
		w->task = NULL;
	}
}

/* ---- join handles ------------------------------------------------------------- */

struct rt_join *rt__join_new(void)
{
	struct rt_join *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	atomic_init(&j->refs, 2);
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	return j;
}

void rt__join_unref(struct rt_join *j)
{
	if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) != 1)
		return;
	rt_waker_drop(&j->waker);
	if (j->has_free && j->free_cb)
		j->free_cb(j->state);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

void rt__join_complete(struct rt_join *j, void *out)
{
	rt_waker_t w;

	pthread_mutex_lock(&j->mu);
	j->done = true;
	j->out = out;
	w = j->waker;
	j->waker.task = NULL;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	rt_waker_wake(&w);
	rt__join_unref(j);
}

rt_poll_t rt_join_poll(rt_join_t *j, rt_cx_t *cx, void **out)
{
	rt_poll_t r = RT_PENDING;

	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	pthread_mutex_lock(&j->mu);
	if (j->done) {
		if (out)
			*out = j->out;
		r = RT_READY;
	} else {
		rt_waker_register(&j->waker, cx);
	}
	pthread_mutex_unlock(&j->mu);
	return r;
}

int rt_join_wait(rt_join_t *j, void **out)
{
	if (rt__cur_worker)
		return -EDEADLK;
	pthread_mutex_lock(&j->mu);
	while (!j->done)
		pthread_cond_wait(&j->cv, &j->mu);
	if (out)
		*out = j->out;
	pthread_mutex_unlock(&j->mu);
	return 0;
}

void rt_join_free(rt_join_t *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	rt_waker_drop(&j->waker);
	pthread_mutex_unlock(&j->mu);
	rt__join_unref(j);
}

/* ---- context, yield, budget ----------------------------------------------------- */

rt_t *rt_cx_rt(rt_cx_t *cx) { return cx->rt; }
uint64_t rt_cx_task_id(rt_cx_t *cx) { return cx->task->id; }
int rt_cx_worker(rt_cx_t *cx) { return cx->w->idx; }

/* The current task wakes itself: RUNNING -> RUNNING|NOTIFIED, re-queued at
 * the back of the local queue after the poll (Tokio's coop, which calls
 * wake_by_ref at once; yield_now defers instead, see rt_yield_poll). */
static void wake_self(rt_cx_t *cx)
{
	atomic_fetch_or_explicit(&cx->task->state, RT__T_NOTIFIED,
				 memory_order_acq_rel);
}

/* Tokio 1.24's yield_now (task/yield_now.rs): on a worker, the waker goes
 * to the worker's defer list and is woken only after the worker has turned
 * the driver (sched.c wake_deferred), so a task that yields in a loop does
 * not keep timers and I/O waiting for the next maintenance tick.  Elsewhere
 * (no worker context) it wakes itself at once. */
rt_poll_t rt_yield_poll(rt_yield_t *y, rt_cx_t *cx)
{
	if (y->yielded) {
		y->yielded = false;
		return RT_READY;
	}
	y->yielded = true;
	if (!cx->w || cx->w != rt__cur_worker ||
	    !rt__worker_defer(cx->w, cx->task))
		wake_self(cx);
	return RT_PENDING;
}

bool rt_coop_proceed(rt_cx_t *cx)
{
	if (!cx || cx->rt->cfg.disable_budget)
		return true;
	if (cx->budget > 0) {
		cx->budget--;
		return true;
	}
	wake_self(cx);
	return false;
}
