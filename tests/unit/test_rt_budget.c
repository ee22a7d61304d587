// SPDX-License-Identifier: MIT
/* test_rt_budget.c - the cooperative budget: a task looping on an
 * always-ready channel yields after the budget so that a peer on the same
 * worker runs; with the budget disabled it does not (bounded loop). */
#include <stdatomic.h>

#include "../tap.h"
#include "rt.h"

#define BOUND 200000 /* the greedy loop's own bound */

struct greedy {
	rt_mpsc_t *ch;
	_Atomic bool *peer_ran;
	long iters, iters_at_peer;
	int polls;
};

/* Receives and re-sends forever: the channel is always ready. */
static rt_poll_t greedy_fn(rt_cx_t *cx, void *st)
{
	struct greedy *g = st;
	void *item;

	g->polls++;
	while (g->iters < BOUND) {
		if (atomic_load(g->peer_ran)) {
			if (!g->iters_at_peer)
				g->iters_at_peer = g->iters;
			return RT_READY;
		}
		if (rt_mpsc_recv_poll(g->ch, cx, &item) == RT_PENDING)
			return RT_PENDING;
		g->iters++;
		rt_mpsc_try_send(g->ch, item);
	}
	if (!g->iters_at_peer)
		g->iters_at_peer = g->iters;
	return RT_READY;
}

struct peer {
	_Atomic bool *ran;
	struct greedy *g;
	long greedy_iters_seen;
};

static rt_poll_t peer_fn(rt_cx_t *cx, void *st)
{
	struct peer *p = st;

	(void)cx;
	p->greedy_iters_seen = p->g->iters;
	atomic_store(p->ran, true);
	return RT_READY;
}

struct root {
	int pc;
	struct greedy g;
	struct peer p;
	_Atomic bool ran;
	rt_join_t *jg, *jp;
};

static rt_poll_t root_fn(rt_cx_t *cx, void *st)
{
	struct root *r = st;

	RT_ASYNC_BEGIN(&r->pc);
	r->g.peer_ran = &r->ran;
	r->p.ran = &r->ran;
	r->p.g = &r->g;
	/* Spawned greedy first: on one worker it runs first. */
	rt_spawn(rt_cx_rt(cx), greedy_fn, &r->g, NULL, &r->jg);
	rt_spawn(rt_cx_rt(cx), peer_fn, &r->p, NULL, &r->jp);
	RT_AWAIT(&r->pc, rt_join_poll(r->jg, cx, NULL));
	RT_AWAIT(&r->pc, rt_join_poll(r->jp, cx, NULL));
	rt_join_free(r->jg);
	rt_join_free(r->jp);
	RT_ASYNC_END(&r->pc);
}

static void run(bool disable_budget, struct root *r)
{
	rt_config_t cfg = { .workers = 1, .disable_budget = disable_budget };
	rt_t *rt;

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	r->g.ch = rt_mpsc_new(4);
	ASSERT_EQ(rt_mpsc_try_send(r->g.ch, (void *)1), 0);
	ASSERT_EQ(rt_block_on(rt, root_fn, r), 0);
	rt_mpsc_unref(r->g.ch);
	rt_free(rt);
}

TEST(budget_lets_peer_run)
{
	static struct root r;

	run(false, &r);
	printf("# with budget: greedy ran %ld iterations before the peer\n",
	       r.p.greedy_iters_seen);
	/* The budget is 128 units; the greedy's recv is one unit each. */
	ASSERT_GT(r.p.greedy_iters_seen, 0);
	ASSERT_LE(r.p.greedy_iters_seen, 128);
	ASSERT_GE(r.g.polls, 2);
}

TEST(without_budget_peer_starves)
{
	static struct root r;

	run(true, &r);
	printf("# without budget: greedy ran %ld iterations before the peer\n",
	       r.p.greedy_iters_seen);
	ASSERT_EQ(r.p.greedy_iters_seen, BOUND);
	ASSERT_EQ(r.g.polls, 1);
}

int main(void)
{
	return tap_run();
}
