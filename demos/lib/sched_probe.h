/* SPDX-License-Identifier: MIT */
/*
 * sched_probe.h - the scheduling probe: a task that sleeps a fixed interval
 * (1 ms) in a loop and records, at the first poll after each sleep is ready,
 * rt_now_ns() minus the sleep's deadline.  That lateness is the most direct
 * user-visible symptom of a starved executor.
 */
#ifndef DEMO_SCHED_PROBE_H
#define DEMO_SCHED_PROBE_H

#include <stdint.h>

#include "rt.h"
#include "stats.h"

#define SCHED_PROBE_PERIOD_NS 1000000ULL /* 1 ms, DESIGN.md */

struct sched_probe {
	/* private: the task's state */
	int pc;
	uint64_t period_ns;
	uint64_t end_ns;
	rt_sleep_t sleep;
	rt_join_t *join;
	/* lateness in ns, valid once sched_probe_join_poll() is READY */
	struct stats late;
};

/* Spawns the probe; it stops at its first wake-up at or after end_ns. */
int sched_probe_spawn(rt_t *rt, struct sched_probe *p, uint64_t end_ns);
/* READY once the probe task finished (then p->late is complete). */
rt_poll_t sched_probe_join_poll(struct sched_probe *p, rt_cx_t *cx);

#endif /* DEMO_SCHED_PROBE_H */
