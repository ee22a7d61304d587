/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - live metrics in Prometheus' text exposition format (0.0.4),
 * from one interval's processes (analysis/host.h): every counter is
 * cumulative since observe started, each verdict is the last interval's.
 * docs/metrics.md lists every metric and label.
 *
 * Cardinality: the top processes of the rank, alive and with worker
 * threads, at most top of them; a process that exits or drops out of the
 * top has no series from the next interval on.
 */
#ifndef OBS_OUTPUT_METRICS_H
#define OBS_OUTPUT_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "analysis/host.h"
#include "tiers/runtime.h"

struct obs_metrics_input {
	const struct obs_host *host;	/* the processes, ranked */
	const uint64_t *drops;		/* the host's, OBS_DROP__COUNT of them */
	unsigned long top;
	bool bpf_measured;		/* a cost window has closed */
	double bpf_cpu;			/* BPF, fraction of one CPU, last window */
};

/* Writes the exposition; 0 or -EIO. */
int obs_metrics_render(FILE *f, const struct obs_metrics_input *in);

#endif
