// SPDX-License-Identifier: MIT
/* test_rt_record.c - the counters each worker publishes for observe
 * (rt_probe_abi.h, docs/probes.md) against what the test made the runtime
 * do: every poll counted once and in the histogram, a 3 ms poll in its
 * slot, parked time while idle, timer fires, and wake-to-poll delays only
 * while rt:slow_schedule's semaphore is set (as a tracer would set it). */
#include <stdatomic.h>
#include <stdlib.h>

#include "../tap.h"
#include "probes.h"
#include "rt_internal.h"

#define MS 1000000ULL

static void spin_ns(uint64_t ns)
{
	uint64_t start = rt_now_ns();

	while (rt_now_ns() - start < ns)
		;
}

/* The workers' records summed (after rt_block_on: they are parked). */
static struct rt_probe_worker sum_records(rt_t *rt)
{
	struct rt_probe_worker s = { 0 };

	for (int i = 0; i < rt->nworkers; i++) {
		const struct rt_probe_worker *p = &rt->workers[i]->pub;

		s.polls += p->polls;
		s.poll_ns += p->poll_ns;
		s.parked_ns += p->parked_ns;
		s.parks += p->parks;
		s.sched_count += p->sched_count;
		s.timer_fires += p->timer_fires;
		for (int j = 0; j < RT_PROBE_HIST_SLOTS; j++) {
			s.poll_hist[j] += p->poll_hist[j];
			s.sched_hist[j] += p->sched_hist[j];
			s.timer_late_hist[j] += p->timer_late_hist[j];
		}
	}
	return s;
}

static uint64_t hist_sum(const __u64 *h)
{
	uint64_t n = 0;

	for (int i = 0; i < RT_PROBE_HIST_SLOTS; i++)
		n += h[i];
	return n;
}

/* A root that yields N times, spins SPIN_NS in its first poll, sleeps 1 ms
 * SLEEPS times, then idles IDLE_NS on a timer. */
struct root {
	int pc, i;
	long yields, sleeps;
	uint64_t spin_ns, idle_ns;
	uint64_t polls;
	rt_yield_t y;
	rt_sleep_t s;
};

static rt_poll_t root_fn(rt_cx_t *cx, void *st)
{
	struct root *r = st;

	r->polls++;
	RT_ASYNC_BEGIN(&r->pc);
	spin_ns(r->spin_ns);
	for (r->i = 0; r->i < r->yields; r->i++) {
		rt_yield_init(&r->y);
		RT_AWAIT(&r->pc, rt_yield_poll(&r->y, cx));
	}
	for (r->i = 0; r->i < r->sleeps; r->i++) {
		rt_sleep_init(&r->s, MS);
		RT_AWAIT(&r->pc, rt_sleep_poll(&r->s, cx));
	}
	if (r->idle_ns) {
		rt_sleep_init(&r->s, r->idle_ns);
		RT_AWAIT(&r->pc, rt_sleep_poll(&r->s, cx));
	}
	RT_ASYNC_END(&r->pc);
}

static struct rt_probe_worker run_root(struct root *r, int workers)
{
	rt_config_t cfg = { .workers = workers };
	struct rt_probe_worker s;
	rt_t *rt;

	if (rt_new(&cfg, &rt))
		abort();
	if (rt_block_on(rt, root_fn, r))
		abort();
	s = sum_records(rt);
	rt_free(rt);
	return s;
}

TEST(every_poll_counted_once_and_in_the_histogram)
{
	struct root r = { .yields = 1000 };
	struct rt_probe_worker s = run_root(&r, 1);

	/* the root's polls, and nothing else polls on this runtime */
	ASSERT_UEQ(s.polls, r.polls);
	ASSERT_UEQ(hist_sum(s.poll_hist), s.polls);
	ASSERT(s.poll_ns > 0);
}

TEST(a_3ms_poll_lands_in_its_slot)
{
	struct root r = { .spin_ns = 3 * MS };
	struct rt_probe_worker s = run_root(&r, 1);

	/* 3 ms = 3000 us: slot 11 holds [2048, 4096) us (more if preempted) */
	ASSERT(s.poll_hist[11] + s.poll_hist[12] + s.poll_hist[13] >= 1);
	ASSERT(s.poll_ns >= 3 * MS);
}

TEST(timers_counted_where_they_fire)
{
	struct root r = { .sleeps = 20 };
	struct rt_probe_worker s = run_root(&r, 2);

	/* a sleep whose deadline passed before its first poll (a 1 ms
	 * preemption in between, on a loaded box) completes without a timer */
	ASSERT(s.timer_fires >= 15 && s.timer_fires <= 20);
	ASSERT_UEQ(hist_sum(s.timer_late_hist), s.timer_fires);
}

TEST(an_idle_runtime_is_parked)
{
	struct root r = { .idle_ns = 50 * MS };
	struct rt_probe_worker s = run_root(&r, 2);

	/* both workers idle ~50 ms: at least one worker-interval parked */
	ASSERT(s.parks >= 1);
	ASSERT(s.parked_ns >= 40 * MS);
}

TEST(wake_delays_only_while_slow_schedule_is_enabled)
{
	struct root off = { .yields = 100 }, on = { .yields = 100 };
	struct rt_probe_worker s;

	s = run_root(&off, 1);
	ASSERT_UEQ(s.sched_count, 0);
	ASSERT_UEQ(hist_sum(s.sched_hist), 0);

	/* as the kernel does while a tracer attaches to the probe */
	rt_slow_schedule_semaphore = 1;
	s = run_root(&on, 1);
	rt_slow_schedule_semaphore = 0;
	/* the spawn and every yield's wake: one delay per poll */
	ASSERT(s.sched_count >= (uint64_t)on.yields);
	ASSERT_UEQ(hist_sum(s.sched_hist), s.sched_count);
}

int main(void)
{
	return tap_run();
}
