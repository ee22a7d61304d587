// SPDX-License-Identifier: MIT
/* test_rt_mutex.c - the async mutex: FIFO fairness (acquisition order equals
 * waiting order), direct hand-off (no barging), mutual exclusion under
 * contention, cancel; the sync mutex. */
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

#define NW 8
struct shared {
	rt_mutex_t m;
	pthread_mutex_t log_mu;
	int wait_order[64], nwait;
	int acq_order[64], nacq;
	_Atomic int holders;
	bool overlap;
};

struct locker {
	int pc, id, rounds, r;
	struct shared *sh;
	rt_mutex_waiter_t w;
	rt_sleep_t s;
	bool logged;
};

static void log_id(struct shared *sh, int *arr, int *n, int id)
{
	pthread_mutex_lock(&sh->log_mu);
	arr[(*n)++] = id;
	pthread_mutex_unlock(&sh->log_mu);
}

static rt_poll_t locker_fn(rt_cx_t *cx, void *st)
{
	struct locker *l = st;

	RT_ASYNC_BEGIN(&l->pc);
	for (l->r = 0; l->r < l->rounds; l->r++) {
		l->logged = false;
		l->pc = 1;
		/* fallthrough */
	case 1:
		if (rt_mutex_lock_poll(&l->sh->m, &l->w, cx) == RT_PENDING) {
			if (!l->logged && l->rounds == 1)
				log_id(l->sh, l->sh->wait_order, &l->sh->nwait,
				       l->id);
			l->logged = true;
			return RT_PENDING;
		}
		if (atomic_fetch_add(&l->sh->holders, 1) != 0)
			l->sh->overlap = true;
		if (l->rounds == 1)
			log_id(l->sh, l->sh->acq_order, &l->sh->nacq, l->id);
		/* Hold it across an await (a suspension). */
		rt_sleep_init(&l->s, 200000);
		RT_AWAIT(&l->pc, rt_sleep_poll(&l->s, cx));
		atomic_fetch_sub(&l->sh->holders, 1);
		rt_mutex_unlock(&l->sh->m);
	}
	RT_ASYNC_END(&l->pc);
}

struct fair_root {
	int pc, i;
	struct shared *sh;
	struct locker lk[NW];
	rt_join_t *j[NW];
	int rounds;
};

static rt_poll_t fair_root_fn(rt_cx_t *cx, void *st)
{
	struct fair_root *r = st;

	RT_ASYNC_BEGIN(&r->pc);
	for (r->i = 0; r->i < NW; r->i++) {
		r->lk[r->i].id = r->i;
		r->lk[r->i].sh = r->sh;
		r->lk[r->i].rounds = r->rounds;
		rt_spawn(rt_cx_rt(cx), locker_fn, &r->lk[r->i], NULL, &r->j[r->i]);
	}
	for (r->i = 0; r->i < NW; r->i++) {
		RT_AWAIT(&r->pc, rt_join_poll(r->j[r->i], cx, NULL));
		rt_join_free(r->j[r->i]);
	}
	RT_ASYNC_END(&r->pc);
}

TEST(fifo_acquisition_equals_waiting_order)
{
	/* One worker: the log of "started waiting" is exactly the order in
	 * which the waiters were queued. */
	rt_t *rt = new_rt(1);
	static struct shared sh;
	static struct fair_root r;

	rt_mutex_init(&sh.m, "fair");
	pthread_mutex_init(&sh.log_mu, NULL);
	r.sh = &sh;
	r.rounds = 1;
	ASSERT_EQ(rt_block_on(rt, fair_root_fn, &r), 0);
	ASSERT(!sh.overlap);
	ASSERT_EQ(sh.nacq, NW);
	ASSERT_EQ(sh.nwait, NW - 1); /* the first took it free */
	ASSERT_EQ(sh.acq_order[0], 0);
	for (int i = 0; i < NW - 1; i++)
		ASSERT_EQ(sh.acq_order[i + 1], sh.wait_order[i]);
	rt_mutex_destroy(&sh.m);
	rt_free(rt);
}

TEST(mutual_exclusion_under_contention)
{
	rt_t *rt = new_rt(2);
	static struct shared sh;
	static struct fair_root r;

	rt_mutex_init(&sh.m, "contended");
	pthread_mutex_init(&sh.log_mu, NULL);
	r.sh = &sh;
	r.rounds = 20;
	ASSERT_EQ(rt_block_on(rt, fair_root_fn, &r), 0);
	ASSERT(!sh.overlap);
	rt_mutex_destroy(&sh.m);
	rt_free(rt);
}

/* Unlock hands the lock to the head waiter: a newcomer that polls right
 * after the unlock, before the waiter ran, must wait (no barging). */
struct barge {
	int pc;
	rt_mutex_t m;
	rt_mutex_waiter_t w_holder, w_new;
	rt_join_t *j;
	struct locker waiter;
	struct shared sh;
	rt_yield_t y;
	rt_poll_t newcomer;
};

static rt_poll_t barge_fn(rt_cx_t *cx, void *st)
{
	struct barge *b = st;

	RT_ASYNC_BEGIN(&b->pc);
	if (rt_mutex_lock_poll(&b->sh.m, &b->w_holder, cx) != RT_READY)
		TAP_FAIL("free lock not taken");
	b->waiter.sh = &b->sh;
	b->waiter.rounds = 1;
	b->waiter.id = 1;
	rt_spawn(rt_cx_rt(cx), locker_fn, &b->waiter, NULL, &b->j);
	RT_AWAIT(&b->pc, rt_yield_poll(&b->y, cx)); /* waiter queues */
	ASSERT_EQ(b->sh.nwait, 1);
	rt_mutex_unlock(&b->sh.m);
	b->newcomer = rt_mutex_lock_poll(&b->sh.m, &b->w_new, cx);
	rt_mutex_lock_cancel(&b->sh.m, &b->w_new);
	RT_AWAIT(&b->pc, rt_join_poll(b->j, cx, NULL));
	rt_join_free(b->j);
	RT_ASYNC_END(&b->pc);
}

TEST(direct_hand_off_no_barging)
{
	rt_t *rt = new_rt(1);
	static struct barge b;

	rt_mutex_init(&b.sh.m, "handoff");
	pthread_mutex_init(&b.sh.log_mu, NULL);
	ASSERT_EQ(rt_block_on(rt, barge_fn, &b), 0);
	ASSERT_EQ(b.newcomer, RT_PENDING);
	ASSERT_EQ(b.sh.nacq, 1);
	/* Free again at the end: a fresh poll takes it at once. */
	ASSERT(!b.sh.m.locked);
	rt_mutex_destroy(&b.sh.m);
	rt_free(rt);
}

/* A waiter that was handed the lock but cancels before taking it passes
 * the lock on to the next waiter (no lost unlock). */
struct cancel_root {
	int pc;
	rt_mutex_t m;
	rt_mutex_waiter_t w0, w1, w2;
	rt_poll_t r1, r2;
};

static rt_poll_t cancel_root_fn(rt_cx_t *cx, void *st)
{
	struct cancel_root *c = st;

	/* One task plays all three parties: the waker of a waiter is this
	 * task, so hand-offs just re-poll it. */
	RT_ASYNC_BEGIN(&c->pc);
	ASSERT_EQ(rt_mutex_lock_poll(&c->m, &c->w0, cx), RT_READY);
	ASSERT_EQ(rt_mutex_lock_poll(&c->m, &c->w1, cx), RT_PENDING);
	ASSERT_EQ(rt_mutex_lock_poll(&c->m, &c->w2, cx), RT_PENDING);
	rt_mutex_unlock(&c->m);           /* handed to w1 */
	rt_mutex_lock_cancel(&c->m, &c->w1); /* w1 gives it up: to w2 */
	c->r2 = rt_mutex_lock_poll(&c->m, &c->w2, cx);
	ASSERT_EQ(c->r2, RT_READY);
	rt_mutex_unlock(&c->m);
	ASSERT(!c->m.locked);
	/* Cancel of a waiting (not granted) waiter just unlinks it. */
	ASSERT_EQ(rt_mutex_lock_poll(&c->m, &c->w0, cx), RT_READY);
	ASSERT_EQ(rt_mutex_lock_poll(&c->m, &c->w1, cx), RT_PENDING);
	rt_mutex_lock_cancel(&c->m, &c->w1);
	ASSERT((c->m.head) == NULL);
	rt_mutex_unlock(&c->m);
	ASSERT(!c->m.locked);
	RT_ASYNC_END(&c->pc);
}

TEST(cancel_granted_waiter_passes_lock_on)
{
	rt_t *rt = new_rt(1);
	static struct cancel_root c;

	rt_mutex_init(&c.m, "cancel");
	ASSERT_EQ(rt_block_on(rt, cancel_root_fn, &c), 0);
	rt_mutex_destroy(&c.m);
	rt_free(rt);
}

/* ---- sync mutex ---------------------------------------------------------------------- */

static rt_sync_mutex_t smu;
static long counter;

static void *bump(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++) {
		rt_sync_mutex_lock(&smu);
		counter++;
		rt_sync_mutex_unlock(&smu);
	}
	return NULL;
}

TEST(sync_mutex_excludes)
{
	pthread_t th[4];

	rt_sync_mutex_init(&smu, "sync");
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, bump, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ASSERT_EQ(counter, 400000);
	rt_sync_mutex_destroy(&smu);
}

int main(void)
{
	return tap_run();
}
