// SPDX-License-Identifier: MIT
/* test_rt_chan.c - mpsc (FIFO, bounded backpressure, fair senders, close)
 * and oneshot (value, sender gone, receiver gone). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../tap.h"
#include "rt.h"

static rt_t *new_rt(int workers)
{
	rt_config_t cfg = { .workers = workers };
	rt_t *rt;

	if (rt_new(&cfg, &rt) != 0)
		TAP_FAIL("rt_new failed");
	return rt;
}

#define ITEMS 20000

struct producer {
	int pc;
	long i, base;
	rt_mpsc_t *ch;
	rt_mpsc_send_t op;
	int res;
};

static rt_poll_t producer_fn(rt_cx_t *cx, void *st)
{
	struct producer *p = st;

	RT_ASYNC_BEGIN(&p->pc);
	for (p->i = 0; p->i < ITEMS; p->i++) {
		RT_AWAIT(&p->pc, rt_mpsc_send_poll(p->ch, &p->op, cx,
						   (void *)(p->base + p->i + 1),
						   &p->res));
		if (p->res)
			TAP_FAIL("send: %d", p->res);
	}
	rt_mpsc_unref(p->ch);
	RT_ASYNC_END(&p->pc);
}

struct consumer {
	int pc;
	rt_mpsc_t *ch;
	void *item;
	long got, last[2];
	bool out_of_order;
	struct producer prod[2];
	rt_join_t *j[2];
	int i;
};

static rt_poll_t consumer_fn(rt_cx_t *cx, void *st)
{
	struct consumer *c = st;

	RT_ASYNC_BEGIN(&c->pc);
	for (c->i = 0; c->i < 2; c->i++) {
		c->prod[c->i].ch = rt_mpsc_ref(c->ch);
		c->prod[c->i].base = c->i ? 1000000 : 0;
		rt_spawn(rt_cx_rt(cx), producer_fn, &c->prod[c->i], NULL,
			 &c->j[c->i]);
	}
	while (c->got < 2 * ITEMS) {
		RT_AWAIT(&c->pc, rt_mpsc_recv_poll(c->ch, cx, &c->item));
		{
			long v = (long)c->item, who = v >= 1000000;

			/* Per producer, items arrive in the order sent. */
			if (v - (who ? 1000000 : 0) != c->last[who] + 1)
				c->out_of_order = true;
			c->last[who] = v - (who ? 1000000 : 0);
			c->got++;
		}
	}
	for (c->i = 0; c->i < 2; c->i++) {
		RT_AWAIT(&c->pc, rt_join_poll(c->j[c->i], cx, NULL));
		rt_join_free(c->j[c->i]);
	}
	RT_ASYNC_END(&c->pc);
}

TEST(mpsc_two_producers_fifo_each)
{
	rt_t *rt = new_rt(2);
	struct consumer c = { 0 };

	c.ch = rt_mpsc_new(16);
	ASSERT_EQ(rt_block_on(rt, consumer_fn, &c), 0);
	ASSERT_EQ(c.got, 2 * ITEMS);
	ASSERT(!c.out_of_order);
	ASSERT_EQ(c.last[0], ITEMS);
	ASSERT_EQ(c.last[1], ITEMS);
	rt_mpsc_unref(c.ch);
	rt_free(rt);
}

/* Bounded: a sender stops at cap and resumes as the receiver drains. */
struct bp {
	int pc, sent;
	rt_mpsc_t *ch;
	rt_mpsc_send_t op;
	int res;
};

static rt_poll_t bp_sender_fn(rt_cx_t *cx, void *st)
{
	struct bp *b = st;

	RT_ASYNC_BEGIN(&b->pc);
	for (; b->sent < 10;) {
		RT_AWAIT(&b->pc, rt_mpsc_send_poll(b->ch, &b->op, cx,
						   (void *)(long)(b->sent + 1),
						   &b->res));
		if (b->res)
			break;
		__atomic_add_fetch(&b->sent, 1, __ATOMIC_SEQ_CST);
	}
	RT_ASYNC_END(&b->pc);
}

struct recv_one {
	int pc;
	rt_mpsc_t *ch;
	void *item;
};

static rt_poll_t recv_one_fn(rt_cx_t *cx, void *st)
{
	struct recv_one *r = st;

	RT_ASYNC_BEGIN(&r->pc);
	RT_AWAIT(&r->pc, rt_mpsc_recv_poll(r->ch, cx, &r->item));
	RT_ASYNC_END(&r->pc);
}

static int sent_of(struct bp *b)
{
	return __atomic_load_n(&b->sent, __ATOMIC_SEQ_CST);
}

/* Waits (up to 5 s on a loaded box) for the sender to reach n sends. */
static void wait_sent(struct bp *b, int n)
{
	for (int i = 0; i < 5000 && sent_of(b) < n; i++)
		usleep(1000);
}

TEST(mpsc_bounded_backpressure_and_close)
{
	rt_t *rt = new_rt(2);
	struct bp b = { 0 };
	struct recv_one r = { 0 };
	rt_join_t *j;

	b.ch = r.ch = rt_mpsc_new(3);
	ASSERT_EQ(rt_spawn(rt, bp_sender_fn, &b, NULL, &j), 0);
	wait_sent(&b, 3);
	usleep(20000);
	ASSERT_EQ(sent_of(&b), 3); /* stopped at capacity */
	ASSERT_EQ(rt_mpsc_try_send(b.ch, (void *)99), -EAGAIN);
	ASSERT_EQ(rt_block_on(rt, recv_one_fn, &r), 0);
	ASSERT_EQ((long)r.item, 1);
	wait_sent(&b, 4);
	usleep(20000);
	ASSERT_EQ(sent_of(&b), 4); /* one slot freed, one more sent */
	/* Close with a sender waiting: it gets -EPIPE; queued items stay. */
	rt_mpsc_close(b.ch);
	ASSERT_EQ(rt_join_wait(j, NULL), 0); /* the sender ends on -EPIPE */
	ASSERT_EQ(b.res, -EPIPE);
	ASSERT_EQ(sent_of(&b), 4);
	ASSERT_EQ(rt_mpsc_try_send(b.ch, (void *)99), -EPIPE);
	for (long want = 2; want <= 4; want++) {
		r.pc = 0;
		ASSERT_EQ(rt_block_on(rt, recv_one_fn, &r), 0);
		ASSERT_EQ((long)r.item, want);
	}
	r.pc = 0;
	ASSERT_EQ(rt_block_on(rt, recv_one_fn, &r), 0);
	ASSERT((r.item) == NULL); /* closed and drained */
	rt_join_free(j);
	rt_mpsc_unref(b.ch);
	rt_free(rt);
}

TEST(mpsc_try_send_from_thread)
{
	rt_t *rt = new_rt(1);
	struct recv_one r = { 0 };

	r.ch = rt_mpsc_new(2);
	ASSERT_EQ(rt_mpsc_try_send(r.ch, (void *)7), 0);
	ASSERT_EQ(rt_mpsc_try_send(r.ch, (void *)8), 0);
	ASSERT_EQ(rt_mpsc_try_send(r.ch, (void *)9), -EAGAIN);
	ASSERT_EQ(rt_block_on(rt, recv_one_fn, &r), 0);
	ASSERT_EQ((long)r.item, 7);
	ASSERT((rt_mpsc_new(0)) == NULL);
	rt_mpsc_unref(r.ch);
	rt_free(rt);
}

/* ---- oneshot -------------------------------------------------------------------- */

struct os_recv {
	int pc;
	rt_oneshot_t *o;
	void *value;
	int res;
};

static rt_poll_t os_recv_fn(rt_cx_t *cx, void *st)
{
	struct os_recv *r = st;

	RT_ASYNC_BEGIN(&r->pc);
	RT_AWAIT(&r->pc, rt_oneshot_recv_poll(r->o, cx, &r->value, &r->res));
	RT_ASYNC_END(&r->pc);
}

static void *send_later(void *arg)
{
	rt_oneshot_t *o = arg;

	usleep(10000);
	if (rt_oneshot_send(o, (void *)42) != 0)
		abort();
	if (rt_oneshot_send(o, (void *)43) != -EALREADY)
		abort();
	rt_oneshot_unref(o);
	return NULL;
}

static void *drop_later(void *arg)
{
	usleep(10000);
	rt_oneshot_unref(arg);
	return NULL;
}

TEST(oneshot_value_and_closed)
{
	rt_t *rt = new_rt(2);
	struct os_recv r = { 0 };
	pthread_t th;

	r.o = rt_oneshot_new();
	pthread_create(&th, NULL, send_later, r.o);
	ASSERT_EQ(rt_block_on(rt, os_recv_fn, &r), 0);
	pthread_join(th, NULL);
	ASSERT_EQ(r.res, 0);
	ASSERT_EQ((long)r.value, 42);
	rt_oneshot_unref(r.o);

	/* The sender leaves without sending: the receiver sees -EPIPE. */
	memset(&r, 0, sizeof(r));
	r.o = rt_oneshot_new();
	pthread_create(&th, NULL, drop_later, r.o);
	ASSERT_EQ(rt_block_on(rt, os_recv_fn, &r), 0);
	pthread_join(th, NULL);
	ASSERT_EQ(r.res, -EPIPE);
	rt_oneshot_unref(r.o);

	/* The receiver leaves first: the send fails. */
	r.o = rt_oneshot_new();
	rt_oneshot_unref(r.o);
	ASSERT_EQ(rt_oneshot_send(r.o, (void *)1), -EPIPE);
	rt_oneshot_unref(r.o);
	rt_free(rt);
}

/* A timeout wins the race against a receive, which is then cancelled: a
 * later send must not wake the task (its waker was dropped), and the value
 * is still there for a later receive.  Ground truth: the poll count.  The
 * sender waits for the cancel (no timing race), sends, and 20 ms later
 * releases the task through a second oneshot; a wake left behind by the
 * first send would have cost one more poll in between. */
struct os_cancel {
	int pc;
	rt_oneshot_t *o, *go;
	rt_sleep_t to;
	void *value, *unused;
	int res, gores, polls;
	_Atomic bool cancelled;
	bool recv_won;
};

static rt_poll_t os_race(struct os_cancel *r, rt_cx_t *cx)
{
	if (rt_oneshot_recv_poll(r->o, cx, &r->value, &r->res) == RT_READY) {
		rt_sleep_cancel(&r->to);
		r->recv_won = true;
		return RT_READY;
	}
	if (rt_sleep_poll(&r->to, cx) == RT_READY) {
		rt_oneshot_recv_cancel(r->o);
		atomic_store(&r->cancelled, true);
		return RT_READY;
	}
	return RT_PENDING;
}

static rt_poll_t os_cancel_fn(rt_cx_t *cx, void *st)
{
	struct os_cancel *r = st;

	r->polls++;
	RT_ASYNC_BEGIN(&r->pc);
	rt_sleep_init(&r->to, 2000000); /* 2 ms; nothing is sent before it */
	RT_AWAIT(&r->pc, os_race(r, cx));
	RT_AWAIT(&r->pc, rt_oneshot_recv_poll(r->go, cx, &r->unused, &r->gores));
	RT_AWAIT(&r->pc, rt_oneshot_recv_poll(r->o, cx, &r->value, &r->res));
	RT_ASYNC_END(&r->pc);
}

static void *send_after_cancel(void *arg)
{
	struct os_cancel *r = arg;

	while (!atomic_load(&r->cancelled))
		usleep(500);
	if (rt_oneshot_send(r->o, (void *)42) != 0)
		abort();
	rt_oneshot_unref(r->o);
	usleep(20000);
	if (rt_oneshot_send(r->go, (void *)1) != 0)
		abort();
	rt_oneshot_unref(r->go);
	return NULL;
}

TEST(oneshot_recv_cancel)
{
	rt_t *rt = new_rt(1);
	static struct os_cancel r;
	pthread_t th;

	r.o = rt_oneshot_new();
	r.go = rt_oneshot_new();
	pthread_create(&th, NULL, send_after_cancel, &r);
	ASSERT_EQ(rt_block_on(rt, os_cancel_fn, &r), 0);
	pthread_join(th, NULL);
	ASSERT(!r.recv_won);
	/* First poll, timeout fired, "go" received (and the value is ready):
	 * no poll for the first send, whose waker was cancelled. */
	ASSERT_EQ(r.polls, 3);
	ASSERT_EQ(r.gores, 0);
	ASSERT_EQ(r.res, 0);
	ASSERT_EQ((long)r.value, 42);
	rt_oneshot_recv_cancel(r.o); /* nothing pending: a no-op */
	rt_oneshot_unref(r.o);
	rt_oneshot_unref(r.go);
	rt_free(rt);
}

int main(void)
{
	return tap_run();
}
