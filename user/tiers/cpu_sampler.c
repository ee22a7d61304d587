// SPDX-License-Identifier: MIT
/*
 * cpu_sampler.c - the CPU-clock sampler of long CPU runs (cpu_sampler.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include "tiers/cpu_sampler.h"

static int open_cpu_clock(int cpu, uint64_t period_ns)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = period_ns,
	};

	return (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1,
			    PERF_FLAG_FD_CLOEXEC);
}

int obs_cpu_sampler_attach(struct obs_cpu_sampler *cs,
			   struct bpf_program *prog, uint64_t period_ns)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;

	memset(cs, 0, sizeof(*cs));
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	cs->links = calloc(ncpus, sizeof(*cs->links));
	if (!cs->links)
		return -ENOMEM;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		int fd = open_cpu_clock(cpu, period_ns);
		struct bpf_link *link;

		if (fd < 0) {
			if (errno == ENODEV)	/* a possible CPU not online */
				continue;
			err = -errno;
			break;
		}
		link = bpf_program__attach_perf_event(prog, fd);
		if (!link) {
			err = -errno;
			close(fd);
			break;
		}
		cs->links[cs->nlinks++] = link;
	}
	if (err) {
		fprintf(stderr, "observe: cannot sample CPUs for the stacks of "
			"long CPU runs: %s\n", strerror(-err));
		obs_cpu_sampler_detach(cs);
	}
	return err;
}

void obs_cpu_sampler_detach(struct obs_cpu_sampler *cs)
{
	/* a perf-event link closes its event too */
	for (int i = 0; i < cs->nlinks; i++)
		bpf_link__destroy(cs->links[i]);
	free(cs->links);
	memset(cs, 0, sizeof(*cs));
}
