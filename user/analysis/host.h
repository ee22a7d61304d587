/* SPDX-License-Identifier: MIT */
/*
 * host.h - a run over several processes (several -p, --cgroup, -a): the
 * snapshot split per process, each process analysed as a run of its own
 * (its threads, futexes, pairs and spans, and its runtime tier's snapshot
 * and slow polls when a tier recognised it), and the processes ranked by
 * how badly their runtime suffers.
 *
 * Rank: a failure shape (starvation, either convoy) first, then CPU
 * overload, then healthy, each by confidence, then by the time the
 * process's workers spent waiting (run queue + blocked); processes without
 * worker threads last, unanalysed.
 */
#ifndef OBS_ANALYSIS_HOST_H
#define OBS_ANALYSIS_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "run.h"

struct obs_process {
	uint32_t tgid;
	char comm[OBS_COMM_LEN];	/* its main thread's */
	bool alive;			/* has a thread that has not exited */
	struct obs_snapshot snap;	/* its share of the host's snapshot */
	struct obs_notables *notables;	/* its spans; NULL: none */
	/* its runtime tier's (NULL: none), and why not */
	const struct obs_rt_snapshot *rt;
	const char *rt_binary, *rt_off;
	const struct obs_rt_longest *longest, *ivl_longest;	/* NULL: none */
	/* analysed: the run (obs_host_analyse_run) or the interval
	 * (obs_host_analyse_interval) */
	struct obs_run run;
	struct obs_interval ivl;
	double score;			/* the rank's key, higher is worse */
};

struct obs_host {
	struct obs_process *procs;	/* by tgid (runs point into them) */
	struct obs_process **rank;	/* the same, worst first once analysed */
	size_t n;
};

/*
 * Splits s (and the spans of nb; NULL: none) per thread group, and gives
 * each process its entries of rt and longest (NULL or empty: no runtime
 * tiers; h points into both, which must outlive it).  Drops are the
 * host's and are copied into every process: a full map may have cost any
 * of them data.  0 or -errno; free with obs_host_free.
 */
int obs_host_split(struct obs_host *h, const struct obs_snapshot *s,
		   const struct obs_notables *nb, const struct obs_rt_set *rt,
		   const struct obs_rt_longest_set *longest);

/*
 * Analyses each process with workers as a run, its settings (duration,
 * threshold, kernel, stacks) from whole, then ranks them.
 */
void obs_host_analyse_run(struct obs_host *h, const struct obs_run *whole);

/*
 * Analyses each process of cur over the interval since prev (a process
 * new since then: since its start), with its entry of rt, the runtime
 * tiers' deltas (NULL: none), then ranks them by the interval.
 */
void obs_host_analyse_interval(struct obs_host *cur, const struct obs_host *prev,
			       const struct obs_rt_set *rt, double t_s,
			       double dt_s);

/* Its threads of role worker. */
static inline unsigned int obs_process_workers(const struct obs_process *p)
{
	return p->snap.roles[OBS_ROLE_WORKER].threads;
}

/* The process of tgid in h, or NULL. */
const struct obs_process *obs_host_find(const struct obs_host *h, uint32_t tgid);

/* Its verdict, or NULL when it was not analysed (no workers, an error). */
const struct diag_result *obs_process_diag(const struct obs_process *p,
					   bool interval);

void obs_host_free(struct obs_host *h);

#endif /* OBS_ANALYSIS_HOST_H */
