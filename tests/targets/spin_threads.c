// SPDX-License-Identifier: MIT
/*
 * spin_threads - N CPU-bound threads, the ground truth for on-CPU time and
 * run-queue delay.  With more threads than cores every thread is preempted
 * over and over, so its run-queue delay is mostly the "preempt" kind.
 *
 *	spin_threads [-t THREADS] [-z SLEEPERS] [-k LOCKERS] [-s SECS]
 *
 * Threads are named spin-N.  Each spins for SECS seconds of wall time (no
 * syscalls), then reads its own /proc/self/task/TID/schedstat and prints
 *	schedstat TID ON_CPU_NS RQ_WAIT_NS TIMESLICES
 * just before it exits.  SECS 0 spins until the process is killed (attach
 * tests); the first line is always "pid PID".
 *
 * Sleepers (sleep-N) and lock waiters (lock-N) run as long and report the
 * same line: a sleeper computes 200 us and sleeps 1 ms, over and over, so
 * its run-queue delay is the wait after each timer wakeup; the lock waiters
 * share one mutex and hold it for 300 us of CPU each time, so they wait on
 * its futex and are woken by each other.
 */
#include "target.h"

static const char *prog = "spin_threads";
static uint64_t spin_ns;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#define SLEEPER_CPU_NS	(200 * 1000)
#define SLEEPER_NAP_NS	(1000 * 1000)
#define LOCKER_HOLD_NS	(300 * 1000)

static void report(void)
{
	if (tgt_report_schedstat())
		tgt_die(prog, "cannot read schedstat: %s", strerror(errno));
}

static void *sleep_main(void *arg)
{
	struct timespec nap = { .tv_nsec = SLEEPER_NAP_NS };
	uint64_t end = tgt_now(CLOCK_MONOTONIC) + spin_ns;

	tgt_name("sleep-%d", (int)(intptr_t)arg);
	while (tgt_now(CLOCK_MONOTONIC) < end) {
		tgt_spin_cpu(SLEEPER_CPU_NS);
		clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL);
	}
	report();
	return NULL;
}

static void *lock_main(void *arg)
{
	uint64_t end = tgt_now(CLOCK_MONOTONIC) + spin_ns;

	tgt_name("lock-%d", (int)(intptr_t)arg);
	while (tgt_now(CLOCK_MONOTONIC) < end) {
		pthread_mutex_lock(&lock);
		tgt_spin_cpu(LOCKER_HOLD_NS);
		pthread_mutex_unlock(&lock);
	}
	report();
	return NULL;
}

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
	report();
	return NULL;
}

int main(int argc, char **argv)
{
	/* in the order of the options t, z, k */
	static void *(*const kinds[3])(void *) = {
		spin_main, sleep_main, lock_main,
	};
	int count[3] = { 4, 0, 0 }, nthreads = 0, opt, err;
	pthread_t th[3 * 64];
	long secs = 3;

	while ((opt = getopt(argc, argv, "t:z:k:s:")) != -1) {
		switch (opt) {
		case 't':
		case 'z':
		case 'k':
			count[strchr("tzk", opt) - "tzk"] =
				(int)tgt_arg_long(prog, "thread count", optarg,
						  opt == 't', 64);
			break;
		case 's':
			secs = tgt_arg_long(prog, "seconds", optarg, 0, 3600);
			break;
		default:
			fprintf(stderr, "usage: %s [-t THREADS] [-z SLEEPERS] [-k LOCKERS] [-s SECS]\n",
				prog);
			return 2;
		}
	}
	spin_ns = (uint64_t)secs * TGT_NSEC_PER_SEC;
	if (!spin_ns && (count[1] || count[2]))
		tgt_die(prog, "-z and -k need -s SECS > 0");
	tgt_out("pid %d\n", getpid());
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < count[k]; i++) {
			err = pthread_create(&th[nthreads++], NULL, kinds[k],
					     (void *)(intptr_t)i);
			if (err)
				tgt_die(prog, "pthread_create: %s", strerror(err));
		}
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	return 0;
}
