// SPDX-License-Identifier: MIT
/* test_rt_sched.c - spawn/join across workers, stealing, the LIFO slot,
 * wake-exactly-once, yield, worker thread names. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/prctl.h>

#include "../tap.h"
#include "rt_internal.h"

static rt_t *new_rt(int workers, bool disable_lifo)
{
	rt_config_t cfg = { .workers = workers, .disable_lifo = disable_lifo };
	rt_t *rt;

	if (rt_new(&cfg, &rt) != 0)
		TAP_FAIL("rt_new failed");
	return rt;
}

/* ---- spawn and join many ---------------------------------------------------------- */

#define MANY 20000
struct leaf {
	int pc;
	rt_yield_t y;
	int worker;
	int value;
};

static rt_poll_t leaf_fn(rt_cx_t *cx, void *s)
{
	struct leaf *l = s;

	RT_ASYNC_BEGIN(&l->pc);
	RT_AWAIT(&l->pc, rt_yield_poll(&l->y, cx));
	l->worker = rt_cx_worker(cx);
	l->value *= 2;
	RT_ASYNC_END(&l->pc);
}

struct many {
	int pc, i;
	struct leaf *leaves;
	rt_join_t **joins;
	int bad_out;
};

static rt_poll_t many_fn(rt_cx_t *cx, void *s)
{
	struct many *m = s;
	void *out;

	RT_ASYNC_BEGIN(&m->pc);
	for (m->i = 0; m->i < MANY; m->i++) {
		m->leaves[m->i].value = m->i;
		if (rt_spawn(rt_cx_rt(cx), leaf_fn, &m->leaves[m->i], NULL,
			     &m->joins[m->i]))
			TAP_FAIL("spawn");
	}
	for (m->i = 0; m->i < MANY; m->i++) {
		RT_AWAIT(&m->pc, rt_join_poll(m->joins[m->i], cx, &out));
		if (out != &m->leaves[m->i])
			m->bad_out++;
		rt_join_free(m->joins[m->i]);
	}
	RT_ASYNC_END(&m->pc);
}

TEST(spawn_join_many)
{
	rt_t *rt = new_rt(2, false);
	struct many m = { 0 };
	int per_worker[2] = { 0 };

	m.leaves = calloc(MANY, sizeof(*m.leaves));
	m.joins = calloc(MANY, sizeof(*m.joins));
	ASSERT_EQ(rt_block_on(rt, many_fn, &m), 0);
	ASSERT_EQ(m.bad_out, 0);
	for (int i = 0; i < MANY; i++) {
		ASSERT_EQ(m.leaves[i].value, 2 * i);
		ASSERT(m.leaves[i].worker >= 0 && m.leaves[i].worker < 2);
		per_worker[m.leaves[i].worker]++;
	}
	printf("# tasks per worker: %d %d\n", per_worker[0], per_worker[1]);
	rt_free(rt);
	free(m.leaves);
	free(m.joins);
}

/* ---- stealing ------------------------------------------------------------------------- */

#define SPIN_TASKS 200
static _Atomic int ran_on[4];

static rt_poll_t spin_fn(rt_cx_t *cx, void *s)
{
	uint64_t end = rt_now_ns() + 250000; /* 250 us of CPU */

	(void)s;
	while (rt_now_ns() < end)
		;
	atomic_fetch_add(&ran_on[rt_cx_worker(cx)], 1);
	return RT_READY;
}

struct spawner {
	int pc, i, worker;
	rt_join_t *joins[SPIN_TASKS];
};

static rt_poll_t spawner_fn(rt_cx_t *cx, void *s)
{
	struct spawner *sp = s;

	RT_ASYNC_BEGIN(&sp->pc);
	sp->worker = rt_cx_worker(cx);
	/* All spawned from this worker: they land in its local queue (and
	 * overflow), so any task run elsewhere was stolen or injected. */
	for (sp->i = 0; sp->i < SPIN_TASKS; sp->i++)
		rt_spawn(rt_cx_rt(cx), spin_fn, NULL, NULL, &sp->joins[sp->i]);
	for (sp->i = 0; sp->i < SPIN_TASKS; sp->i++) {
		RT_AWAIT(&sp->pc, rt_join_poll(sp->joins[sp->i], cx, NULL));
		rt_join_free(sp->joins[sp->i]);
	}
	RT_ASYNC_END(&sp->pc);
}

TEST(idle_workers_steal)
{
	rt_t *rt = new_rt(4, false);
	struct spawner sp = { 0 };
	int others = 0, total = 0;

	ASSERT_EQ(rt_block_on(rt, spawner_fn, &sp), 0);
	for (int i = 0; i < 4; i++) {
		total += atomic_load(&ran_on[i]);
		if (i != sp.worker)
			others += atomic_load(&ran_on[i]);
	}
	printf("# spawner on worker %d; ran elsewhere: %d of %d\n", sp.worker,
	       others, total);
	ASSERT_EQ(total, SPIN_TASKS);
	/* 200 tasks x 250 us = 50 ms of work on one queue: idle workers are
	 * notified and steal; even on a loaded box some must move. */
	ASSERT_GT(others, 0);
	rt_free(rt);
}

/* ---- the LIFO slot ----------------------------------------------------------------------- */

struct sleeper {
	int pc;
	rt_waker_t waker;
	bool armed;
	int id;
	int *order;
	int *norder;
};

static rt_poll_t sleeper_fn(rt_cx_t *cx, void *s)
{
	struct sleeper *sl = s;

	if (!sl->armed) {
		sl->armed = true;
		rt_waker_register(&sl->waker, cx);
		return RT_PENDING;
	}
	sl->order[(*sl->norder)++] = sl->id;
	return RT_READY;
}

struct lifo_root {
	int pc, i;
	struct sleeper sl[3];
	rt_join_t *j[3];
	int order[3], norder;
	rt_yield_t y;
};

static rt_poll_t lifo_root_fn(rt_cx_t *cx, void *s)
{
	struct lifo_root *r = s;

	RT_ASYNC_BEGIN(&r->pc);
	for (r->i = 0; r->i < 3; r->i++) {
		r->sl[r->i].id = r->i;
		r->sl[r->i].order = r->order;
		r->sl[r->i].norder = &r->norder;
		rt_spawn(rt_cx_rt(cx), sleeper_fn, &r->sl[r->i], NULL, &r->j[r->i]);
	}
	/* One worker: the three run (and register) before we come back. */
	RT_AWAIT(&r->pc, rt_yield_poll(&r->y, cx));
	for (r->i = 0; r->i < 3; r->i++)
		ASSERT(r->sl[r->i].armed);
	/* Wake 0, 1, 2 from this task: with the LIFO slot the last woken
	 * runs first (2), then the displaced ones in FIFO order (0, 1). */
	for (r->i = 0; r->i < 3; r->i++)
		rt_waker_wake(&r->sl[r->i].waker);
	for (r->i = 0; r->i < 3; r->i++) {
		RT_AWAIT(&r->pc, rt_join_poll(r->j[r->i], cx, NULL));
		rt_join_free(r->j[r->i]);
	}
	RT_ASYNC_END(&r->pc);
}

TEST(lifo_slot_runs_last_woken_first)
{
	rt_t *rt = new_rt(1, false);
	struct lifo_root r = { 0 };

	ASSERT_EQ(rt_block_on(rt, lifo_root_fn, &r), 0);
	ASSERT_EQ(r.norder, 3);
	printf("# order with LIFO: %d %d %d\n", r.order[0], r.order[1], r.order[2]);
	ASSERT_EQ(r.order[0], 2);
	ASSERT_EQ(r.order[1], 0);
	ASSERT_EQ(r.order[2], 1);
	rt_free(rt);
}

TEST(disable_lifo_keeps_fifo)
{
	rt_t *rt = new_rt(1, true);
	struct lifo_root r = { 0 };

	ASSERT_EQ(rt_block_on(rt, lifo_root_fn, &r), 0);
	ASSERT_EQ(r.norder, 3);
	printf("# order without LIFO: %d %d %d\n", r.order[0], r.order[1],
	       r.order[2]);
	ASSERT_EQ(r.order[0], 0);
	ASSERT_EQ(r.order[1], 1);
	ASSERT_EQ(r.order[2], 2);
	rt_free(rt);
}

/* Two tasks that keep waking each other through the LIFO slot must not
 * starve a third task on the same worker: the 3-poll cap. */
struct pingpong {
	rt_waker_t peer_waker;  /* the other task's */
	struct pingpong *peer;
	_Atomic bool *stop;
	long polls;
};

static rt_poll_t pingpong_fn(rt_cx_t *cx, void *s)
{
	struct pingpong *p = s;

	if (atomic_load(p->stop) || p->polls > 1000000) {
		rt_waker_wake(&p->peer_waker); /* let the peer finish too */
		atomic_store(p->stop, true);
		return RT_READY;
	}
	p->polls++;
	rt_waker_register(&p->peer->peer_waker, cx); /* peer wakes me */
	rt_waker_wake(&p->peer_waker);               /* I wake the peer */
	return RT_PENDING;
}

struct bystander {
	_Atomic bool *stop;
	struct pingpong *pp;
	long pp_polls_when_run;
};

static rt_poll_t bystander_fn(rt_cx_t *cx, void *s)
{
	struct bystander *b = s;

	(void)cx;
	b->pp_polls_when_run = b->pp[0].polls + b->pp[1].polls;
	atomic_store(b->stop, true);
	return RT_READY;
}

struct pp_root {
	int pc;
	_Atomic bool stop;
	struct pingpong pp[2];
	struct bystander by;
	rt_join_t *j[3];
	int i;
};

static rt_poll_t pp_root_fn(rt_cx_t *cx, void *s)
{
	struct pp_root *r = s;

	RT_ASYNC_BEGIN(&r->pc);
	r->pp[0].peer = &r->pp[1];
	r->pp[1].peer = &r->pp[0];
	r->pp[0].stop = r->pp[1].stop = r->by.stop = &r->stop;
	r->by.pp = r->pp;
	rt_spawn(rt_cx_rt(cx), pingpong_fn, &r->pp[0], NULL, &r->j[0]);
	rt_spawn(rt_cx_rt(cx), pingpong_fn, &r->pp[1], NULL, &r->j[1]);
	rt_spawn(rt_cx_rt(cx), bystander_fn, &r->by, NULL, &r->j[2]);
	for (r->i = 0; r->i < 3; r->i++) {
		RT_AWAIT(&r->pc, rt_join_poll(r->j[r->i], cx, NULL));
		rt_join_free(r->j[r->i]);
	}
	rt_waker_drop(&r->pp[0].peer_waker);
	rt_waker_drop(&r->pp[1].peer_waker);
	RT_ASYNC_END(&r->pc);
}

TEST(lifo_cap_prevents_starvation)
{
	rt_t *rt = new_rt(1, false);
	struct pp_root r = { 0 };

	ASSERT_EQ(rt_block_on(rt, pp_root_fn, &r), 0);
	printf("# ping-pong polls before the bystander ran: %ld\n",
	       r.by.pp_polls_when_run);
	/* Without the cap the pair would run 2,000,000 polls first. */
	ASSERT_LT(r.by.pp_polls_when_run, 100);
	rt_free(rt);
}

/* ---- wake exactly once ------------------------------------------------------------------- */

struct wake_target {
	_Atomic int in_poll;
	_Atomic long polls;
	_Atomic bool done;
	_Atomic int overlap;
	struct rt_task *task;
};

static rt_poll_t wake_target_fn(rt_cx_t *cx, void *s)
{
	struct wake_target *w = s;

	if (atomic_fetch_add(&w->in_poll, 1) != 0)
		atomic_store(&w->overlap, 1);
	if (!w->task) {
		w->task = cx->task;
		rt__task_ref(cx->task); /* the test's own reference */
	}
	atomic_fetch_add(&w->polls, 1);
	for (volatile int i = 0; i < 200; i++)
		;
	atomic_fetch_sub(&w->in_poll, 1);
	return atomic_load(&w->done) ? RT_READY : RT_PENDING;
}

struct waker_arg {
	struct wake_target *wt;
	int n;
};

static void *waker_thread(void *arg)
{
	struct waker_arg *a = arg;

	for (int i = 0; i < a->n; i++) {
		rt__task_ref(a->wt->task);
		rt__task_wake(a->wt->task);
	}
	return NULL;
}

/* Waits (up to 5 s) until the task rests in `state`. */
static void wait_state(struct rt_task *t, uint32_t state)
{
	for (int i = 0; i < 5000; i++) {
		if (atomic_load(&t->state) == state)
			return;
		usleep(1000);
	}
	TAP_FAIL("task never reached state %u", state);
}

TEST(concurrent_wakes_never_poll_twice_at_once)
{
	rt_t *rt = new_rt(2, false);
	static struct wake_target wt;
	struct waker_arg a = { &wt, 20000 };
	pthread_t th[3];
	long polls;

	ASSERT_EQ(rt_spawn(rt, wake_target_fn, &wt, NULL, NULL), 0);
	while (atomic_load(&wt.polls) == 0)
		usleep(1000);
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, waker_thread, &a);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	wait_state(wt.task, RT__T_IDLE);
	polls = atomic_load(&wt.polls);
	printf("# 60000 wakes -> %ld polls\n", polls);
	ASSERT_EQ(atomic_load(&wt.overlap), 0);
	/* Coalesced: at most one poll per wake, at least one after them. */
	ASSERT_LE(polls, 60001);
	ASSERT_GE(polls, 2);
	/* Quiet now: no stray queue entry polls it again. */
	usleep(20000);
	ASSERT_EQ(atomic_load(&wt.polls), polls);
	atomic_store(&wt.done, true);
	rt__task_ref(wt.task);
	rt__task_wake(wt.task);
	wait_state(wt.task, RT__T_COMPLETE);
	ASSERT_EQ(atomic_load(&wt.polls), polls + 1);
	/* Complete: further wakes are ignored. */
	rt__task_ref(wt.task);
	rt__task_wake(wt.task);
	usleep(10000);
	ASSERT_EQ(atomic_load(&wt.polls), polls + 1);
	rt__task_unref(wt.task);
	rt_free(rt);
}

/* A task that wakes itself twice during a poll is polled once more. */
struct selfwake {
	_Atomic int polls;
	rt_waker_t a, b;
};

static rt_poll_t selfwake_fn(rt_cx_t *cx, void *s)
{
	struct selfwake *sw = s;

	if (atomic_fetch_add(&sw->polls, 1) + 1 == 1) {
		rt_waker_register(&sw->a, cx);
		rt_waker_register(&sw->b, cx);
		rt_waker_wake(&sw->a);
		rt_waker_wake(&sw->b);
		return RT_PENDING;
	}
	return atomic_load(&sw->polls) >= 3 ? RT_READY : RT_PENDING;
}

TEST(self_wake_reschedules_once)
{
	rt_t *rt = new_rt(1, false);
	struct selfwake sw = { 0 };

	ASSERT_EQ(rt_spawn(rt, selfwake_fn, &sw, NULL, NULL), 0);
	for (int i = 0; i < 5000 && atomic_load(&sw.polls) < 2; i++)
		usleep(1000);
	usleep(20000);
	/* Poll 2 returns PENDING with nobody holding a waker: it stays idle. */
	ASSERT_EQ(atomic_load(&sw.polls), 2);
	rt_free(rt);
}

/* ---- the injection queue is checked every 61 ticks ------------------------------------- */

struct busy_yielder {
	int pc;
	rt_yield_t y;
	uint64_t end;
};

static rt_poll_t busy_yielder_fn(rt_cx_t *cx, void *st)
{
	struct busy_yielder *b = st;

	RT_ASYNC_BEGIN(&b->pc);
	b->end = rt_now_ns() + 100000000ULL; /* 100 ms of always-ready work */
	while (rt_now_ns() < b->end)
		RT_AWAIT(&b->pc, rt_yield_poll(&b->y, cx));
	RT_ASYNC_END(&b->pc);
}

static rt_poll_t stamp_fn(rt_cx_t *cx, void *st)
{
	(void)cx;
	atomic_store((_Atomic uint64_t *)st, rt_now_ns());
	return RT_READY;
}

TEST(injected_task_runs_while_worker_is_busy)
{
	rt_t *rt = new_rt(1, false);
	struct busy_yielder b = { 0 };
	_Atomic uint64_t ran = 0;
	rt_join_t *jb, *jt;
	uint64_t t0;

	ASSERT_EQ(rt_spawn(rt, busy_yielder_fn, &b, NULL, &jb), 0);
	usleep(10000);
	/* The worker's local queue never empties (the yielder), so only the
	 * every-61-ticks check of the injection queue lets this one in. */
	t0 = rt_now_ns();
	ASSERT_EQ(rt_spawn(rt, stamp_fn, &ran, NULL, &jt), 0);
	ASSERT_EQ(rt_join_wait(jt, NULL), 0);
	printf("# injected task ran after %" PRIu64 " us (busy worker)\n",
	       (atomic_load(&ran) - t0) / 1000);
	/* The yielder runs ~90 ms more; 30 ms allows for a loaded box. */
	ASSERT_ULE(atomic_load(&ran) - t0, 30000000);
	ASSERT_EQ(rt_join_wait(jb, NULL), 0);
	ASSERT(atomic_load(&ran) < b.end); /* it did not wait for the yielder */
	rt_join_free(jb);
	rt_join_free(jt);
	rt_free(rt);
}

/* ---- names, block_on from a worker, free callbacks ------------------------------------------ */

struct name_probe {
	char name[16];
	int rc;
};

static rt_poll_t name_fn(rt_cx_t *cx, void *s)
{
	struct name_probe *n = s;

	prctl(PR_GET_NAME, n->name, 0, 0, 0);
	n->rc = rt_block_on(rt_cx_rt(cx), name_fn, s);
	return RT_READY;
}

TEST(worker_names_and_block_on_refused_on_worker)
{
	rt_t *rt = new_rt(2, false);
	struct name_probe n = { 0 };

	ASSERT_EQ(rt_block_on(rt, name_fn, &n), 0);
	ASSERT(strncmp(n.name, "rt-worker-", 10) == 0);
	ASSERT_EQ(n.rc, -EDEADLK);
	ASSERT_EQ(rt_workers(rt), 2);
	rt_free(rt);
}

static _Atomic int freed;
static void count_free(void *s)
{
	(void)s;
	atomic_fetch_add(&freed, 1);
}

static rt_poll_t ready_fn(rt_cx_t *cx, void *s)
{
	(void)cx;
	(void)s;
	return RT_READY;
}

TEST(free_cb_after_done_and_join_freed)
{
	rt_t *rt = new_rt(2, false);
	rt_join_t *j;

	ASSERT_EQ(rt_spawn(rt, ready_fn, NULL, count_free, NULL), 0);
	ASSERT_EQ(rt_spawn(rt, ready_fn, NULL, count_free, &j), 0);
	ASSERT_EQ(rt_join_wait(j, NULL), 0);
	for (int i = 0; i < 5000 && atomic_load(&freed) < 1; i++)
		usleep(1000);
	/* Detached: freed when done; joined: not until the handle goes. */
	ASSERT_EQ(atomic_load(&freed), 1);
	rt_join_free(j);
	/* Whoever drops the last reference runs free_cb: here, or the
	 * worker, which may still be between waking rt_join_wait and
	 * dropping its own reference (seen under TSan: 1 of 5 runs). */
	for (int i = 0; i < 5000 && atomic_load(&freed) < 2; i++)
		usleep(1000);
	ASSERT_EQ(atomic_load(&freed), 2);
	ASSERT_EQ(rt_spawn(rt, NULL, NULL, NULL, NULL), -EINVAL);
	rt_free(rt);
}

struct long_sleeper {
	rt_sleep_t s;
	bool armed;
};

static rt_poll_t long_sleep_fn(rt_cx_t *cx, void *st)
{
	struct long_sleeper *l = st;

	if (!l->armed) {
		l->armed = true;
		rt_sleep_init(&l->s, 10ULL * 1000000000ULL);
	}
	return rt_sleep_poll(&l->s, cx);
}

static _Atomic int dropped;
static void count_drop(void *s)
{
	free(s);
	atomic_fetch_add(&dropped, 1);
}

TEST(free_drops_pending_tasks)
{
	rt_t *rt = new_rt(2, false);
	rt_join_t *j;

	/* Pending on a 10 s timer at rt_free: dropped with their state, as
	 * Tokio drops futures at shutdown (ASan checks the frees). */
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(rt_spawn(rt, long_sleep_fn,
				   calloc(1, sizeof(struct long_sleeper)),
				   count_drop, i ? NULL : &j), 0);
	usleep(20000);
	rt_free(rt);
	ASSERT_EQ(atomic_load(&dropped), 7); /* the joined one waits for j */
	rt_join_free(j);
	ASSERT_EQ(atomic_load(&dropped), 8);
}

TEST(bad_config)
{
	rt_config_t cfg = { .workers = -1 };
	rt_t *rt = (rt_t *)1;

	ASSERT_EQ(rt_new(&cfg, &rt), -EINVAL);
	ASSERT(rt == NULL);
}

int main(void)
{
	return tap_run();
}
