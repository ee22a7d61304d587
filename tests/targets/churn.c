// SPDX-License-Identifier: MIT
/*
 * churn - short-lived threads, the ground truth for thread churn.
 *
 *	churn [-r THREADS_PER_MIN] [-s SECS] [-c CONCURRENT]
 *
 * The main thread starts threads at a steady rate (default 10000 a minute)
 * for SECS seconds (default 60, 0: until killed), at most CONCURRENT alive
 * at once (default 8: it waits for the oldest first).  Each thread, named
 * "churner", computes 1 ms, waits 1 ms on a futex nobody wakes (so each has
 * a futex-wait pair of its own in observe's maps), computes 1 ms again and
 * exits: every one switches out and back in, and ends with its last
 * switch-out.  The main thread joins them.
 *
 * Prints "pid PID" first, and at the end:
 *	created N
 *	churn_cpu_ns SUM	(the on-CPU time of all threads but main)
 */
#include <linux/futex.h>
#include "target.h"

static const char *prog = "churn";
static uint32_t never;	/* the futex word the churners nap on */

#define WORK_NS	(1000 * 1000)
#define NAP_NS	(1000 * 1000)

static void *churn_main(void *arg)
{
	struct timespec nap = { .tv_nsec = NAP_NS };

	(void)arg;
	tgt_name("churner", 0);
	tgt_spin_cpu(WORK_NS);
	/* nobody wakes it: a futex wait of NAP_NS, ETIMEDOUT */
	syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, &nap, NULL, 0);
	tgt_spin_cpu(WORK_NS);
	return NULL;
}

int main(int argc, char **argv)
{
	long rate = 10000, secs = 60, conc = 8, created = 0;
	pthread_t ring[64];
	uint64_t start, end, next, period;
	int opt, err;

	while ((opt = getopt(argc, argv, "r:s:c:")) != -1) {
		switch (opt) {
		case 'r':
			rate = tgt_arg_long(prog, "rate", optarg, 1, 600000);
			break;
		case 's':
			secs = tgt_arg_long(prog, "seconds", optarg, 0, 86400);
			break;
		case 'c':
			conc = tgt_arg_long(prog, "concurrency", optarg, 1, 64);
			break;
		default:
			fprintf(stderr, "usage: %s [-r THREADS_PER_MIN] [-s SECS] [-c CONCURRENT]\n",
				prog);
			return 2;
		}
	}
	tgt_out("pid %d\n", getpid());
	period = 60 * TGT_NSEC_PER_SEC / (uint64_t)rate;
	start = next = tgt_now(CLOCK_MONOTONIC);
	end = start + (uint64_t)secs * TGT_NSEC_PER_SEC;
	while (!secs || next < end) {
		struct timespec at = {
			.tv_sec = next / TGT_NSEC_PER_SEC,
			.tv_nsec = next % TGT_NSEC_PER_SEC,
		};

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		/* the slot's previous thread is the oldest alive */
		if (created >= conc)
			pthread_join(ring[created % conc], NULL);
		err = pthread_create(&ring[created % conc], NULL, churn_main, NULL);
		if (err)
			tgt_die(prog, "pthread_create: %s", strerror(err));
		created++;
		next += period;
	}
	for (long i = created > conc ? created - conc : 0; i < created; i++)
		pthread_join(ring[i % conc], NULL);
	/* the process's CPU clock keeps its dead threads' time (the
	 * kernel's sum_exec_runtime): all of theirs, exit paths included */
	tgt_out("created %ld\n", created);
	tgt_out("churn_cpu_ns %" PRIu64 "\n",
		tgt_now(CLOCK_PROCESS_CPUTIME_ID) -
		tgt_now(CLOCK_THREAD_CPUTIME_ID));
	return 0;
}
