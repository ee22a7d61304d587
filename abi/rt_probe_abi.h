/* SPDX-License-Identifier: MIT */
/*
 * rt_probe_abi.h - memory the runtime publishes for a BPF reader.
 *
 * Each worker owns one struct rt_probe_worker, cache-line aligned, whose
 * address is the third argument of the rt:worker_start USDT probe.  The worker
 * writes it with relaxed stores around every poll, so a BPF program can read
 * it with bpf_probe_read_user() at a context switch and learn which task the
 * worker was polling, and since when, without a per-poll uprobe trap.
 *
 * Each worker also keeps its counters here (poll-time histogram, parked time,
 * scheduling delay, timer lateness): updated on every poll at the cost of an
 * increment, read by observe at any time and copied by BPF at rt:worker_stop.
 *
 * This header is shared by the runtime (C, user space) and BPF programs
 * (which include vmlinux.h first): fixed-size types only.  It is an ABI:
 * append fields only, never reorder.  See docs/probes.md.
 */
#ifndef RT_PROBE_ABI_H
#define RT_PROBE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RT_PROBE_WORKER_ALIGN 64 /* one x86/arm64 cache line: no false sharing */

/*
 * Histograms are log2 of microseconds, as observe's and runqlat's: slot 0
 * holds [0, 2) us, slot k >= 1 holds [2^k, 2^(k+1)) us, the last slot
 * everything longer.
 */
#define RT_PROBE_HIST_SLOTS 32

struct rt_probe_worker {
	/* The current poll: read by BPF at context switches. */
	__u64 task_id;       /* task being polled; 0 = not polling */
	__u64 poll_start_ns; /* CLOCK_MONOTONIC start of that poll; 0 if idle */
	__u64 polls;         /* polls completed by this worker */
	__u32 tid;           /* kernel thread id of the worker */
	__u32 worker_idx;    /* 0 .. workers - 1 */
	/* Counters since the worker started; only ever grow.  */
	__u64 poll_ns;       /* time in completed polls */
	__u64 parked_ns;     /* time parked (rt:worker_park .. worker_unpark) */
	__u64 parks;
	/* Wake (or spawn) to first poll, measured only while rt:slow_schedule
	 * is enabled (its semaphore): the wake then costs a clock read. */
	__u64 sched_count;
	__u64 sched_ns;
	/* Timers fired by this worker's driver turns: fire minus deadline. */
	__u64 timer_fires;
	__u64 timer_late_ns;
	__u64 timer_late_max_ns;
	__u64 poll_hist[RT_PROBE_HIST_SLOTS];
	__u64 sched_hist[RT_PROBE_HIST_SLOTS];
	__u64 timer_late_hist[RT_PROBE_HIST_SLOTS];
} __attribute__((aligned(RT_PROBE_WORKER_ALIGN)));

#endif /* RT_PROBE_ABI_H */
