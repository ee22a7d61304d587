// SPDX-License-Identifier: MIT
/*
 * spin_threads - N CPU-bound threads, the ground truth for on-CPU time and
 * run-queue delay.  With more threads than cores every thread is preempted
 * over and over, so its run-queue delay is mostly the "preempt" kind.
 *
 *	spin_threads [-t THREADS] [-s SECS]
 *
 * Threads are named spin-N.  Each spins for SECS seconds of wall time (no
 * syscalls), then reads its own /proc/self/task/TID/schedstat and prints
 *	schedstat TID ON_CPU_NS RQ_WAIT_NS TIMESLICES
 * just before it exits.  SECS 0 spins until the process is killed (attach
 * tests); the first line is always "pid PID".
 */
#include "target.h"

static const char *prog = "spin_threads";
static uint64_t spin_ns;

static void *spin_main(void *arg)
{
	int i = (int)(intptr_t)arg;

	tgt_name("spin-%d", i);
	tgt_out("thread %d spin-%d\n", tgt_tid(), i);
	if (!spin_ns) {
		for (;;)
			tgt_spin_cpu(TGT_NSEC_PER_SEC);
	}
	tgt_spin_until(tgt_now(CLOCK_MONOTONIC) + spin_ns);
	if (tgt_report_schedstat())
		tgt_die(prog, "cannot read schedstat: %s", strerror(errno));
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	int nthreads = 4, opt, err;
	long secs = 3;

	while ((opt = getopt(argc, argv, "t:s:")) != -1) {
		switch (opt) {
		case 't':
			nthreads = (int)tgt_arg_long(prog, "thread count", optarg, 1, 64);
			break;
		case 's':
			secs = tgt_arg_long(prog, "seconds", optarg, 0, 3600);
			break;
		default:
			fprintf(stderr, "usage: %s [-t THREADS] [-s SECS]\n", prog);
			return 2;
		}
	}
	spin_ns = (uint64_t)secs * TGT_NSEC_PER_SEC;
	tgt_out("pid %d\n", getpid());
	for (int i = 0; i < nthreads; i++) {
		err = pthread_create(&th[i], NULL, spin_main, (void *)(intptr_t)i);
		if (err)
			tgt_die(prog, "pthread_create: %s", strerror(err));
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	return 0;
}
