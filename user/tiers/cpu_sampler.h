/* SPDX-License-Identifier: MIT */
/*
 * cpu_sampler.h - one CPU-clock perf event per online CPU, running the
 * kernel tier's obs_cpu_sample program: it copies the user stack of a
 * followed thread whose CPU run is long (bpf/observe.bpf.c), so that a
 * poll that computes without a syscall still names a call site.  On other
 * threads the program returns after its tgid test.
 */
#ifndef OBS_TIERS_CPU_SAMPLER_H
#define OBS_TIERS_CPU_SAMPLER_H

#include <stdint.h>

struct bpf_program;
struct bpf_link;

struct obs_cpu_sampler {
	struct bpf_link **links;	/* one per CPU that opened */
	int nlinks;
};

/*
 * Opens the events, one sample every period_ns of CPU time on each CPU,
 * and attaches prog to them.  0 or -errno (the line is printed; the caller
 * may go on without samples).
 */
int obs_cpu_sampler_attach(struct obs_cpu_sampler *cs,
			   struct bpf_program *prog, uint64_t period_ns);

/* Detaches and closes them all; safe on a zeroed or detached sampler. */
void obs_cpu_sampler_detach(struct obs_cpu_sampler *cs);

#endif
