// SPDX-License-Identifier: MIT
/* sched_probe.c - the scheduling probe task, see sched_probe.h. */
#include "sched_probe.h"

static rt_poll_t sched_probe_poll(rt_cx_t *cx, void *state)
{
	struct sched_probe *p = state;
	uint64_t now;

	RT_ASYNC_BEGIN(&p->pc);
	while (rt_now_ns() < p->end_ns) {
		rt_sleep_init(&p->sleep, p->period_ns);
		RT_AWAIT(&p->pc, rt_sleep_poll(&p->sleep, cx));
		/* First poll after the timer is ready: this is when the task
		 * actually got to run again. */
		now = rt_now_ns();
		stats_record(&p->late, now > p->sleep.deadline_ns ?
					     now - p->sleep.deadline_ns : 0);
	}
	RT_ASYNC_END(&p->pc);
}

int sched_probe_spawn(rt_t *rt, struct sched_probe *p, uint64_t end_ns)
{
	p->pc = 0;
	p->period_ns = SCHED_PROBE_PERIOD_NS;
	p->end_ns = end_ns;
	p->join = NULL;
	stats_init(&p->late);
	return rt_spawn(rt, sched_probe_poll, p, NULL, &p->join);
}

rt_poll_t sched_probe_join_poll(struct sched_probe *p, rt_cx_t *cx)
{
	if (!p->join)
		return RT_READY;
	if (rt_join_poll(p->join, cx, NULL) == RT_PENDING)
		return RT_PENDING;
	rt_join_free(p->join);
	p->join = NULL;
	return RT_READY;
}
