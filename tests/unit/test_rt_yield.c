// SPDX-License-Identifier: MIT
/* test_rt_yield.c - rt_yield_poll defers its wake as Tokio 1.24's yield_now
 * does: the worker turns the timer driver before it resumes a yielder, so a
 * task that yields in a loop on a 1-worker runtime does not hold a 1 ms
 * timer back until the next maintenance tick (every 61 ticks, i.e. 61 of
 * the yielder's polls).  Also: yielders make progress alone, let queued
 * peers run first, and are dropped cleanly at shutdown. */
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "../tap.h"
#include "rt.h"

#define US 1000ULL
#define MS 1000000ULL

/* Each yielder poll burns WORK_NS of wall time (preemption included, so a
 * loaded machine does not stretch it).  Without deferral a timer waits for
 * maintenance: about 61 * WORK_NS = 30 ms.  With it, a timer waits at most
 * for the poll in progress plus the yielder's next one (it takes the LIFO
 * slot after the driver turn, as in Tokio): 2 * WORK_NS = 1 ms, plus
 * scheduling noise.  The medians are asserted: LATE_MAX_NS sits 6x under
 * the old cost (measured 35 ms) and 5x over the new (0.5 ms quiet, 1.5 ms
 * with two extra CPU hogs on the box).  The work is wall time, so load
 * cannot shrink the old cost below 61 * WORK_NS. */
#define WORK_NS (500 * US)
#define SLEEPS 40
#define LATE_MAX_NS (5 * MS)

static void spin_ns(uint64_t ns)
{
	uint64_t start = rt_now_ns();

	while (rt_now_ns() - start < ns)
		;
}

struct yielder {
	int pc;
	_Atomic bool *stop;
	uint64_t polls;
	long count;      /* yields to do when stop is NULL */
	rt_yield_t y;
	uint64_t work_ns;
};

static rt_poll_t yielder_fn(rt_cx_t *cx, void *st)
{
	struct yielder *y = st;

	y->polls++;
	RT_ASYNC_BEGIN(&y->pc);
	while (y->stop ? !atomic_load(y->stop) : y->count-- > 0) {
		spin_ns(y->work_ns);
		rt_yield_init(&y->y);
		RT_AWAIT(&y->pc, rt_yield_poll(&y->y, cx));
	}
	RT_ASYNC_END(&y->pc);
}

struct sleeper {
	int pc;
	int i;
	rt_sleep_t s;
	uint64_t late_fire[SLEEPS]; /* driver fire - deadline */
	uint64_t late_poll[SLEEPS]; /* resumed poll - deadline */
};

static rt_poll_t sleeper_fn(rt_cx_t *cx, void *st)
{
	struct sleeper *sl = st;

	RT_ASYNC_BEGIN(&sl->pc);
	for (sl->i = 0; sl->i < SLEEPS; sl->i++) {
		rt_sleep_init(&sl->s, 1 * MS);
		RT_AWAIT(&sl->pc, rt_sleep_poll(&sl->s, cx));
		sl->late_poll[sl->i] = rt_now_ns() - sl->s.deadline_ns;
		sl->late_fire[sl->i] = sl->s.fired_ns - sl->s.deadline_ns;
	}
	RT_ASYNC_END(&sl->pc);
}

struct timer_root {
	int pc;
	_Atomic bool stop;
	struct yielder y;
	struct sleeper sl;
	rt_join_t *jy, *js;
};

static rt_poll_t timer_root_fn(rt_cx_t *cx, void *st)
{
	struct timer_root *r = st;

	RT_ASYNC_BEGIN(&r->pc);
	r->y.stop = &r->stop;
	r->y.work_ns = WORK_NS;
	ASSERT_EQ(rt_spawn(rt_cx_rt(cx), yielder_fn, &r->y, NULL, &r->jy), 0);
	ASSERT_EQ(rt_spawn(rt_cx_rt(cx), sleeper_fn, &r->sl, NULL, &r->js), 0);
	RT_AWAIT(&r->pc, rt_join_poll(r->js, cx, NULL));
	atomic_store(&r->stop, true);
	RT_AWAIT(&r->pc, rt_join_poll(r->jy, cx, NULL));
	rt_join_free(r->jy);
	rt_join_free(r->js);
	RT_ASYNC_END(&r->pc);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

TEST(timer_fires_while_yielder_loops)
{
	static struct timer_root r;
	rt_config_t cfg = { .workers = 1 };
	rt_t *rt;

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	ASSERT_EQ(rt_block_on(rt, timer_root_fn, &r), 0);
	rt_free(rt);
	qsort(r.sl.late_fire, SLEEPS, sizeof(uint64_t), cmp_u64);
	qsort(r.sl.late_poll, SLEEPS, sizeof(uint64_t), cmp_u64);
	printf("# 1 worker, yielder polls of %llu us: timer fire late p50 %llu us, "
	       "sleeper resumed late p50 %llu us p90 %llu us (61 polls: %llu us)\n",
	       WORK_NS / US, (unsigned long long)(r.sl.late_fire[SLEEPS / 2] / US),
	       (unsigned long long)(r.sl.late_poll[SLEEPS / 2] / US),
	       (unsigned long long)(r.sl.late_poll[SLEEPS * 9 / 10] / US),
	       61 * WORK_NS / US);
	/* The yielder really ran alongside: at least one poll per sleep. */
	ASSERT_UGE(r.y.polls, SLEEPS);
	ASSERT_ULE(r.sl.late_fire[SLEEPS / 2], LATE_MAX_NS);
	ASSERT_ULE(r.sl.late_poll[SLEEPS / 2], LATE_MAX_NS);
	/* No assertion on the tail: with two extra CPU hogs on the 2-core
	 * box, p90 reached 8-28 ms from run-queue delay of the worker thread
	 * alone (the medians stayed at 0.5-1.5 ms). */
}

/* A yielder alone (nothing else to run, no timers) must still resume: the
 * worker turns the driver with a zero timeout instead of sleeping on it. */
static void lone_yielders(int workers, int n)
{
	struct yielder y[4] = { 0 };
	rt_join_t *j[4];
	rt_config_t cfg = { .workers = workers };
	uint64_t t0;
	rt_t *rt;

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	t0 = rt_now_ns();
	for (int i = 0; i < n; i++) {
		y[i].count = 2000;
		ASSERT_EQ(rt_spawn(rt, yielder_fn, &y[i], NULL, &j[i]), 0);
	}
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(rt_join_wait(j[i], NULL), 0);
		rt_join_free(j[i]);
		/* First poll, then one per yield. */
		ASSERT_UEQ(y[i].polls, 2001);
	}
	printf("# %d yielders x 2000 yields on %d worker(s): %.1f ms\n", n,
	       workers, (double)(rt_now_ns() - t0) / 1e6);
	rt_free(rt);
}

TEST(lone_yielder_progresses)
{
	lone_yielders(1, 1);
	lone_yielders(2, 1);
	lone_yielders(2, 3);
}

/* A yield lets every task already queued on the worker run before the
 * yielder resumes (what yield is for). */
struct peer {
	_Atomic int *ran;
};

static rt_poll_t peer_fn(rt_cx_t *cx, void *st)
{
	struct peer *p = st;

	(void)cx;
	atomic_fetch_add(p->ran, 1);
	return RT_READY;
}

struct order_root {
	int pc;
	_Atomic int ran;
	int seen;
	struct peer p[8];
	rt_yield_t y;
};

static rt_poll_t order_root_fn(rt_cx_t *cx, void *st)
{
	struct order_root *r = st;

	RT_ASYNC_BEGIN(&r->pc);
	for (int i = 0; i < 8; i++) {
		r->p[i].ran = &r->ran;
		ASSERT_EQ(rt_spawn(rt_cx_rt(cx), peer_fn, &r->p[i], NULL, NULL), 0);
	}
	ASSERT_EQ(atomic_load(&r->ran), 0);
	rt_yield_init(&r->y);
	RT_AWAIT(&r->pc, rt_yield_poll(&r->y, cx));
	r->seen = atomic_load(&r->ran);
	RT_ASYNC_END(&r->pc);
}

TEST(yield_runs_queued_peers_first)
{
	static struct order_root r;
	rt_config_t cfg = { .workers = 1 };
	rt_t *rt;

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	ASSERT_EQ(rt_block_on(rt, order_root_fn, &r), 0);
	rt_free(rt);
	ASSERT_EQ(r.seen, 8);
}

/* Shutdown while a task is deferred: it is dropped with the queued tasks
 * (its free_cb runs; ASan checks nothing leaks). */
static _Atomic int freed;

static void count_free(void *st)
{
	(void)st;
	atomic_fetch_add(&freed, 1);
}

TEST(shutdown_drops_deferred_yielders)
{
	static struct yielder y[2];
	static _Atomic bool never;
	rt_config_t cfg = { .workers = 1 };
	rt_t *rt;

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	for (int i = 0; i < 2; i++) {
		y[i].stop = &never;
		y[i].work_ns = 10 * US;
		ASSERT_EQ(rt_spawn(rt, yielder_fn, &y[i], count_free, NULL), 0);
	}
	usleep(20000);
	rt_free(rt);
	ASSERT_EQ(atomic_load(&freed), 2);
	ASSERT_UGE(y[0].polls + y[1].polls, 4);
}

int main(void)
{
	return tap_run();
}
