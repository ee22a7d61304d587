// SPDX-License-Identifier: MIT
/*
 * chan.c - bounded mpsc channel and oneshot (tokio::sync::{mpsc, oneshot}).
 *
 * mpsc invariants (under ch->mu):
 *  1. len <= cap; items leave in the order they entered.
 *  2. Senders blocked on a full channel wait in a FIFO list (their
 *     rt_mpsc_send_t) and are served in that order: a new sender does not
 *     overtake a waiting one, so backpressure is fair.
 *  3. After close, sends fail with -EPIPE and the receiver drains then sees
 *     NULL; every waiter is woken once at close.
 */
#include <errno.h>
#include <stdlib.h>

#include "rt_internal.h"

struct rt__send_node {
	struct rt__send_node *next, *prev;
	rt_waker_t waker;
	uintptr_t queued;
};
_Static_assert(sizeof(struct rt__send_node) <= sizeof(rt_mpsc_send_t),
	       "rt_mpsc_send_t too small");

struct rt_mpsc {
	pthread_mutex_t mu;
	_Atomic uint32_t refs;
	void **buf;
	size_t cap, head, len;
	bool closed;
	rt_waker_t recv_waker;
	struct rt__send_node *whead, *wtail;
};

rt_mpsc_t *rt_mpsc_new(size_t cap)
{
	rt_mpsc_t *ch;

	if (cap == 0)
		return NULL;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	ch->buf = calloc(cap, sizeof(*ch->buf));
	if (!ch->buf) {
		free(ch);
		return NULL;
	}
	ch->cap = cap;
	atomic_init(&ch->refs, 1);
	pthread_mutex_init(&ch->mu, NULL);
	return ch;
}

rt_mpsc_t *rt_mpsc_ref(rt_mpsc_t *ch)
{
	atomic_fetch_add_explicit(&ch->refs, 1, memory_order_relaxed);
	return ch;
}

void rt_mpsc_unref(rt_mpsc_t *ch)
{
	if (!ch || atomic_fetch_sub_explicit(&ch->refs, 1,
					     memory_order_acq_rel) != 1)
		return;
	rt_waker_drop(&ch->recv_waker);
	pthread_mutex_destroy(&ch->mu);
	free(ch->buf);
	free(ch);
}

static void unlink_sender(rt_mpsc_t *ch, struct rt__send_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		ch->whead = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		ch->wtail = n->prev;
	n->next = n->prev = NULL;
	n->queued = 0;
}

void rt_mpsc_close(rt_mpsc_t *ch)
{
	rt_waker_t rw;
	struct rt__send_node *n;

	pthread_mutex_lock(&ch->mu);
	ch->closed = true;
	rw = ch->recv_waker;
	ch->recv_waker.task = NULL;
	/* Wake every waiting sender; each sees -EPIPE and unlinks itself. */
	for (n = ch->whead; n; n = n->next) {
		if (n->waker.task) {
			rt__task_ref(n->waker.task);
			rt__task_wake(n->waker.task);
		}
	}
	pthread_mutex_unlock(&ch->mu);
	rt_waker_wake(&rw);
}

static void push_item(rt_mpsc_t *ch, void *item, rt_waker_t *rw)
{
	ch->buf[(ch->head + ch->len) % ch->cap] = item;
	ch->len++;
	*rw = ch->recv_waker;
	ch->recv_waker.task = NULL;
}

int rt_mpsc_try_send(rt_mpsc_t *ch, void *item)
{
	rt_waker_t rw = { 0 };
	int err = 0;

	pthread_mutex_lock(&ch->mu);
	if (ch->closed)
		err = -EPIPE;
	else if (ch->len == ch->cap || ch->whead)
		err = -EAGAIN;
	else
		push_item(ch, item, &rw);
	pthread_mutex_unlock(&ch->mu);
	rt_waker_wake(&rw);
	return err;
}

rt_poll_t rt_mpsc_send_poll(rt_mpsc_t *ch, rt_mpsc_send_t *op, rt_cx_t *cx,
			    void *item, int *res)
{
	struct rt__send_node *n = (struct rt__send_node *)op;
	rt_waker_t rw = { 0 }, old = { 0 };
	rt_poll_t r = RT_PENDING;

	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	pthread_mutex_lock(&ch->mu);
	if (ch->closed) {
		if (n->queued)
			unlink_sender(ch, n);
		old = n->waker;
		n->waker.task = NULL;
		*res = -EPIPE;
		r = RT_READY;
	} else if (ch->len < ch->cap && (!ch->whead || ch->whead == n)) {
		if (n->queued)
			unlink_sender(ch, n);
		old = n->waker;
		n->waker.task = NULL;
		push_item(ch, item, &rw);
		*res = 0;
		r = RT_READY;
	} else {
		if (!n->queued) {
			n->waker.task = NULL;
			n->next = NULL;
			n->prev = ch->wtail;
			if (ch->wtail)
				ch->wtail->next = n;
			else
				ch->whead = n;
			ch->wtail = n;
			n->queued = 1;
		}
		rt_waker_register(&n->waker, cx);
	}
	/* Room left and another sender waiting: let it go too. */
	if (r == RT_READY && ch->whead && ch->len < ch->cap &&
	    ch->whead->waker.task) {
		rt__task_ref(ch->whead->waker.task);
		rt__task_wake(ch->whead->waker.task);
	}
	pthread_mutex_unlock(&ch->mu);
	rt_waker_drop(&old);
	rt_waker_wake(&rw);
	return r;
}

void rt_mpsc_send_cancel(rt_mpsc_t *ch, rt_mpsc_send_t *op)
{
	struct rt__send_node *n = (struct rt__send_node *)op;
	rt_waker_t old;
	bool was_head;

	pthread_mutex_lock(&ch->mu);
	was_head = n->queued && ch->whead == n;
	if (n->queued)
		unlink_sender(ch, n);
	old = n->waker;
	n->waker.task = NULL;
	/* The head may have been woken for a free slot: pass that on. */
	if (was_head && ch->whead && ch->len < ch->cap && ch->whead->waker.task) {
		rt__task_ref(ch->whead->waker.task);
		rt__task_wake(ch->whead->waker.task);
	}
	pthread_mutex_unlock(&ch->mu);
	rt_waker_drop(&old);
}

rt_poll_t rt_mpsc_recv_poll(rt_mpsc_t *ch, rt_cx_t *cx, void **item)
{
	rt_poll_t r = RT_PENDING;

	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	pthread_mutex_lock(&ch->mu);
	if (ch->len) {
		*item = ch->buf[ch->head];
		ch->head = (ch->head + 1) % ch->cap;
		ch->len--;
		r = RT_READY;
		/* A slot freed: the longest-waiting sender may proceed. */
		if (ch->whead && ch->whead->waker.task) {
			rt__task_ref(ch->whead->waker.task);
			rt__task_wake(ch->whead->waker.task);
		}
	} else if (ch->closed) {
		*item = NULL;
		r = RT_READY;
	} else {
		rt_waker_register(&ch->recv_waker, cx);
	}
	pthread_mutex_unlock(&ch->mu);
	return r;
}

/* ---- oneshot ------------------------------------------------------------------------ */

struct rt_oneshot {
	pthread_mutex_t mu;
	_Atomic uint32_t refs;
	bool sent, closed;
	void *value;
	rt_waker_t waker;
};

rt_oneshot_t *rt_oneshot_new(void)
{
	rt_oneshot_t *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	atomic_init(&o->refs, 2);
	pthread_mutex_init(&o->mu, NULL);
	return o;
}

int rt_oneshot_send(rt_oneshot_t *o, void *value)
{
	rt_waker_t w = { 0 };
	int err = 0;

	pthread_mutex_lock(&o->mu);
	if (o->sent)
		err = -EALREADY;
	else if (o->closed)
		err = -EPIPE; /* the receiver went away */
	else {
		o->sent = true;
		o->value = value;
		w = o->waker;
		o->waker.task = NULL;
	}
	pthread_mutex_unlock(&o->mu);
	rt_waker_wake(&w);
	return err;
}

rt_poll_t rt_oneshot_recv_poll(rt_oneshot_t *o, rt_cx_t *cx, void **value,
			       int *res)
{
	rt_poll_t r = RT_READY;

	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	pthread_mutex_lock(&o->mu);
	if (o->sent) {
		if (value)
			*value = o->value;
		*res = 0;
	} else if (o->closed) {
		*res = -EPIPE;
	} else {
		rt_waker_register(&o->waker, cx);
		r = RT_PENDING;
	}
	pthread_mutex_unlock(&o->mu);
	return r;
}

void rt_oneshot_recv_cancel(rt_oneshot_t *o)
{
	rt_waker_t w;

	if (!o)
		return;
	pthread_mutex_lock(&o->mu);
	w = o->waker;
	o->waker.task = NULL;
	pthread_mutex_unlock(&o->mu);
	/* Outside o->mu: this may drop the task's last reference. */
	rt_waker_drop(&w);
}

void rt_oneshot_unref(rt_oneshot_t *o)
{
	rt_waker_t w = { 0 };

	if (!o)
		return;
	/* Whichever side leaves first without a value sent closes it: a
	 * sender gone means the receiver gets -EPIPE, a receiver gone means a
	 * later send fails. */
	pthread_mutex_lock(&o->mu);
	if (!o->sent) {
		o->closed = true;
		w = o->waker;
		o->waker.task = NULL;
	}
	pthread_mutex_unlock(&o->mu);
	rt_waker_wake(&w);
	if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) == 1) {
		rt_waker_drop(&o->waker);
		pthread_mutex_destroy(&o->mu);
		free(o);
	}
}
