// SPDX-License-Identifier: MIT
/*
 * late_thread - a process that starts a new named thread after the observer
 * attached, to show that threads created after attach are followed.
 *
 *	late_thread [-w SECS] [-c MSEC]
 *
 * Prints "pid PID", then waits for SIGUSR1 (the test sends it once the
 * observer is attached; after SECS seconds, default 10, it goes on anyway),
 * sleeps 1 s, and starts thread "late-thread", which prints "late TID", spins
 * MSEC ms of CPU (default 300), prints its schedstat record and exits.  The
 * main thread then waits until it is killed.
 */
#include <signal.h>
#include "target.h"

static const char *prog = "late_thread";
static uint64_t spin_ms = 300;

static void *late_main(void *arg)
{
	(void)arg;
	tgt_name("late-thread", 0);
	tgt_out("late %d\n", tgt_tid());
	tgt_spin_cpu(spin_ms * TGT_NSEC_PER_MSEC);
	if (tgt_report_schedstat())
		tgt_die(prog, "cannot read schedstat: %s", strerror(errno));
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec wait = { .tv_sec = 10 }, one = { .tv_sec = 1 };
	pthread_t th;
	sigset_t set;
	int opt, err;

	while ((opt = getopt(argc, argv, "w:c:")) != -1) {
		switch (opt) {
		case 'w':
			wait.tv_sec = tgt_arg_long(prog, "seconds", optarg, 0, 3600);
			break;
		case 'c':
			spin_ms = (uint64_t)tgt_arg_long(prog, "milliseconds", optarg, 1, 60000);
			break;
		default:
			fprintf(stderr, "usage: %s [-w SECS] [-c MSEC]\n", prog);
			return 2;
		}
	}
	tgt_name("late-main", 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	tgt_out("pid %d\n", getpid());
	if (sigtimedwait(&set, NULL, &wait) < 0 && errno != EAGAIN)
		tgt_die(prog, "sigtimedwait: %s", strerror(errno));
	clock_nanosleep(CLOCK_MONOTONIC, 0, &one, NULL);
	err = pthread_create(&th, NULL, late_main, NULL);
	if (err)
		tgt_die(prog, "pthread_create: %s", strerror(err));
	pthread_join(th, NULL);
	tgt_out("done\n");
	for (;;)
		pause();
}
