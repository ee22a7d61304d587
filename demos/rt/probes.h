/* SPDX-License-Identifier: MIT */
/*
 * probes.h - the runtime's USDT probes (provider "rt"), see docs/probes.md.
 *
 * Each probe has a semaphore that the kernel increments while a uprobe is
 * attached to it, so an unobserved probe costs one load and a branch: per-poll
 * probes would otherwise trap (microseconds) on every poll.  Arguments are
 * computed only inside the guarded branch.
 */
#ifndef RT_PROBES_H
#define RT_PROBES_H

#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#define RT__PROBE_LIST(X)                                                     \
	X(worker_start) X(worker_park) X(worker_unpark) X(task_spawn)         \
	X(task_wake) X(poll_start) X(poll_end) X(slow_poll) X(timer_fire)     \
	X(mutex_wait) X(mutex_acquire) X(mutex_release) X(sync_wait)          \
	X(sync_acquire) X(sync_release) X(blocking_queue)                     \
	X(blocking_start) X(blocking_end) X(worker_stop) X(slow_schedule)

#define RT__PROBE_SEM_DECL(name) \
	extern volatile unsigned short rt_##name##_semaphore;
RT__PROBE_LIST(RT__PROBE_SEM_DECL)

#define RT__PROBE_ENABLED(name) (rt_##name##_semaphore != 0)
/* How many tracers have the probe enabled (the kernel counts attachments). */
#define RT__PROBE_USERS(name) (rt_##name##_semaphore)

#define RT_PROBE1(name, a) \
	do { if (RT__PROBE_ENABLED(name)) DTRACE_PROBE1(rt, name, a); } while (0)
#define RT_PROBE2(name, a, b) \
	do { if (RT__PROBE_ENABLED(name)) DTRACE_PROBE2(rt, name, a, b); } while (0)
#define RT_PROBE3(name, a, b, c) \
	do { if (RT__PROBE_ENABLED(name)) DTRACE_PROBE3(rt, name, a, b, c); } while (0)
#define RT_PROBE4(name, a, b, c, d) \
	do { if (RT__PROBE_ENABLED(name)) DTRACE_PROBE4(rt, name, a, b, c, d); } while (0)

/* A poll that took at least this long fires rt:slow_poll.  1 ms: Tokio's
 * guidance is that a poll should not run longer than 10-100 us; 1 ms is an
 * order of magnitude past that and rare in a healthy program. */
#define RT_SLOW_POLL_NS 1000000ULL

/* A task that waited this long from its wake to its poll fires
 * rt:slow_schedule: the same order as a slow poll, the delay it causes. */
#define RT_SLOW_SCHEDULE_NS 1000000ULL

#endif /* RT_PROBES_H */
