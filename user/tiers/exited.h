/* SPDX-License-Identifier: MIT */
/*
 * exited.h - the rows of threads that have exited, moved out of the BPF
 * maps so that a process that churns threads never fills them.
 *
 * BPF marks a thread's row OBS_THREAD_DEAD at its last switch-out and
 * counts it in nr_dead; nothing writes the row after that.
 * obs_exited_reap() moves those rows here, and the futex pairs (waiter and
 * waker) of those threads with them.  The first OBS_EXITED_KEEP threads
 * keep a row each; later ones are summed into one row per (process, name),
 * whose tid is OBS_FOLD_TID_BASE + its index (above any real tid, and the
 * same in every snapshot, so that interval deltas find it again).
 *
 * A thread summed into such a row brings its whole life into the interval
 * in which it was reaped (its earlier intervals, when it had a row of its
 * own, are not taken back out): short-lived threads, the ones that churn,
 * bring little.
 */
#ifndef OBS_EXITED_H
#define OBS_EXITED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "observe.h"

#define OBS_EXITED_KEEP		256	/* exited threads with a row each */
#define OBS_EXITED_FOLDS	1024	/* (process, name) sums; then "(others)",
					 * of tgid 0: no process's */
#define OBS_FOLD_TID_BASE	0x40000000u	/* > PID_MAX_LIMIT (2^22) */

struct obs_exited_pair {
	struct obs_pair_key key;	/* tid: the thread's, or its fold's */
	struct obs_pair v;
};

struct obs_exited {
	struct obs_thread *kept;	/* OBS_EXITED_KEEP slots */
	size_t nkept;
	struct obs_thread *folds;	/* OBS_EXITED_FOLDS slots */
	unsigned int *nfolded;		/* threads summed in each fold */
	size_t nfolds;
	struct obs_exited_pair **pairs;	/* OBS_MAX_PAIRS, in arrival order */
	size_t npairs;
	void *pair_index;		/* tsearch(3) tree over pairs */
	uint64_t pairs_lost;		/* pairs over the bound: futex drops */
	uint64_t dead_seen;		/* nr_dead at the last reap */
	bool reap_failed;		/* said once */
};

void obs_exited_init(struct obs_exited *x);
void obs_exited_free(struct obs_exited *x);

/*
 * Moves the rows of dead threads, and their pairs, out of the threads and
 * pairs maps (fds) into x.  0 or -errno; what was moved stays moved.
 */
int obs_exited_reap(struct obs_exited *x, int threads_fd, int pairs_fd);

#endif
