// SPDX-License-Identifier: MIT
/*
 * sleep_read - threads that block a known amount of time in known syscalls:
 * the ground truth for off-CPU time split by syscall.
 *
 *	sleep_read [-n CALLS] [-m MSEC]
 *
 * Threads (comm):
 *   sleep-ns    CALLS x nanosleep(2) of MSEC ms (a direct syscall: glibc's
 *               nanosleep() enters clock_nanosleep)
 *   sleep-cns   CALLS x clock_nanosleep(2) of MSEC ms
 *   pipe-reader CALLS x read(2) on an empty pipe
 *   pipe-feeder writes one byte to that pipe MSEC ms after each read starts
 *
 * For each blocking call the thread reads its own schedstat before and after,
 * so the time it spent blocked is known exactly:
 *	blocked = wall - (on-CPU during the call) - (run-queue wait during the call)
 * The run-queue wait inside a call is the delay after the wakeup, which the
 * observer counts as rq_delay, not as off-CPU time.  Each thread prints
 *	blocked NAME TID SYSCALL CALLS WALL_NS BLOCKED_NS REQUESTED_NS
 */
#include "target.h"

static const char *prog = "sleep_read";
static int ncalls = 10;
static uint64_t msec = 20;
static int pipefd[2];
/* The feeder waits for the reader to be about to read, so that each read
 * blocks for about MSEC ms. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int reads_started;

enum kind { K_NANOSLEEP, K_CLOCK_NANOSLEEP, K_READ };

static const char *const kind_name[] = { "nanosleep", "clock_nanosleep", "read" };
static const char *const thread_name[] = { "sleep-ns", "sleep-cns", "pipe-reader" };

static int block_once(enum kind k)
{
	struct timespec ts = {
		.tv_sec = msec / 1000,
		.tv_nsec = (msec % 1000) * TGT_NSEC_PER_MSEC,
	};
	char c;

	switch (k) {
	case K_NANOSLEEP:
		return syscall(SYS_nanosleep, &ts, NULL) ? -errno : 0;
	case K_CLOCK_NANOSLEEP:
		return -clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	case K_READ:
		return read(pipefd[0], &c, 1) == 1 ? 0 : -EIO;
	}
	return -EINVAL;
}

static void *blocker_main(void *arg)
{
	enum kind k = (enum kind)(intptr_t)arg;
	struct tgt_schedstat s0, s1;
	uint64_t wall = 0, blocked = 0, t0, t1;
	int fd, err;

	tgt_name(thread_name[k], 0);
	fd = tgt_schedstat_open();
	if (fd < 0)
		tgt_die(prog, "cannot open schedstat: %s", strerror(errno));
	for (int i = 0; i < ncalls; i++) {
		/* Outside the measured window: it may block on the mutex. */
		if (k == K_READ) {
			pthread_mutex_lock(&lock);
			reads_started++;
			pthread_cond_signal(&cond);
			pthread_mutex_unlock(&lock);
		}
		if (tgt_schedstat_read(fd, &s0))
			tgt_die(prog, "cannot read schedstat");
		t0 = tgt_now(CLOCK_MONOTONIC);
		err = block_once(k);
		t1 = tgt_now(CLOCK_MONOTONIC);
		if (tgt_schedstat_read(fd, &s1))
			tgt_die(prog, "cannot read schedstat");
		if (err)
			tgt_die(prog, "%s: %s", kind_name[k], strerror(-err));
		wall += t1 - t0;
		blocked += (t1 - t0) - (s1.on_cpu_ns - s0.on_cpu_ns) -
			   (s1.rq_wait_ns - s0.rq_wait_ns);
	}
	close(fd);
	tgt_out("blocked %s %d %s %d %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		thread_name[k], tgt_tid(), kind_name[k], ncalls, wall, blocked,
		ncalls * msec * TGT_NSEC_PER_MSEC);
	return NULL;
}

static void *feeder_main(void *arg)
{
	struct timespec ts = {
		.tv_sec = msec / 1000,
		.tv_nsec = (msec % 1000) * TGT_NSEC_PER_MSEC,
	};

	(void)arg;
	tgt_name("pipe-feeder", 0);
	for (int i = 1; i <= ncalls; i++) {
		pthread_mutex_lock(&lock);
		while (reads_started < i)
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		if (write(pipefd[1], "x", 1) != 1)
			tgt_die(prog, "write: %s", strerror(errno));
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[4];
	int opt, err;

	while ((opt = getopt(argc, argv, "n:m:")) != -1) {
		switch (opt) {
		case 'n':
			ncalls = (int)tgt_arg_long(prog, "call count", optarg, 1, 100000);
			break;
		case 'm':
			msec = (uint64_t)tgt_arg_long(prog, "milliseconds", optarg, 1, 10000);
			break;
		default:
			fprintf(stderr, "usage: %s [-n CALLS] [-m MSEC]\n", prog);
			return 2;
		}
	}
	if (pipe2(pipefd, O_CLOEXEC))
		tgt_die(prog, "pipe: %s", strerror(errno));
	tgt_out("pid %d\n", getpid());
	for (int k = 0; k < 3; k++) {
		err = pthread_create(&th[k], NULL, blocker_main, (void *)(intptr_t)k);
		if (err)
			tgt_die(prog, "pthread_create: %s", strerror(err));
	}
	err = pthread_create(&th[3], NULL, feeder_main, NULL);
	if (err)
		tgt_die(prog, "pthread_create: %s", strerror(err));
	for (int k = 0; k < 4; k++)
		pthread_join(th[k], NULL);
	return 0;
}
