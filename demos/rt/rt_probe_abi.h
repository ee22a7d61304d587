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

struct rt_probe_worker {
	__u64 task_id;       /* task being polled; 0 = not polling */
	__u64 poll_start_ns; /* CLOCK_MONOTONIC start of that poll; 0 if idle */
	__u64 polls;         /* polls completed by this worker */
	__u32 tid;           /* kernel thread id of the worker */
	__u32 worker_idx;    /* 0 .. workers - 1 */
} __attribute__((aligned(RT_PROBE_WORKER_ALIGN)));

#endif /* RT_PROBE_ABI_H */
