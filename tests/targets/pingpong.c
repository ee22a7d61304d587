// SPDX-License-Identifier: MIT
/*
 * pingpong - a context-switch-heavy workload for the observer's overhead
 * benchmark (scripts/bench-observer.sh): two threads bounce one byte over a
 * pair of pipes, so every round trip is two blocking reads and two wakeups.
 *
 *	pingpong [-s SECS] [-w SECS] [-l LOOPS]
 *	pingpong -C US
 *
 * With -w it first sleeps, before creating its threads, so that a tool can
 * attach with -p PID and see the whole measured run.  With -l, ping runs a
 * fixed amount of CPU work (LOOPS iterations of a xorshift step, no memory
 * traffic, no syscalls) per round trip: a workload that does something
 * between switches, whose throughput falls by exactly the time a probe
 * adds.  -C US prints the LOOPS that take about US microseconds here
 * ("loops_per_us_work N"), so that a benchmark calibrates once and then
 * runs every configuration with the same work.  Prints
 *	pingpong ROUNDTRIPS SECS roundtrips_per_s R switches_per_s S
 *		cpu_ns_per_roundtrip C
 * where switches are voluntary + involuntary context switches of the whole
 * process during the measured run and C its user + system CPU time per round
 * trip (getrusage).  C is the robust figure on a shared box: time other
 * processes take from the CPU lowers round trips/s but does not change C,
 * while the cost of a probe on the switch, wakeup and syscall paths lands in
 * the workload's own CPU time.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/resource.h>
#include "target.h"

static const char *prog = "pingpong";
static int ab[2], ba[2];
static atomic_bool stop;
static unsigned long work_loops;	/* -l: CPU work per round trip */

static void *pong_main(void *arg)
{
	char c;

	(void)arg;
	tgt_name("pong", 0);
	while (read(ab[0], &c, 1) == 1) {
		if (write(ba[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void *ping_main(void *arg)
{
	unsigned long *n = arg;
	char c = 'x';

	tgt_name("ping", 0);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			tgt_die(prog, "pipe: %s", strerror(errno));
		if (work_loops)
			tgt_work(work_loops);
		(*n)++;
	}
	close(ab[1]);	/* pong sees EOF and exits */
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0 };
	unsigned long trips = 0;
	uint64_t t0, t1, sw0, sw1, cpu0, cpu1;
	long secs = 3, wait_s = 0, cal_us = 0;
	pthread_t ping, pong;
	double dt;
	int opt, err;

	while ((opt = getopt(argc, argv, "s:w:l:C:")) != -1) {
		switch (opt) {
		case 's':
			secs = tgt_arg_long(prog, "seconds", optarg, 1, 3600);
			break;
		case 'w':
			wait_s = tgt_arg_long(prog, "seconds", optarg, 0, 3600);
			break;
		case 'l':
			work_loops = (unsigned long)tgt_arg_long(prog, "loops",
						optarg, 0, 1000000000L);
			break;
		case 'C':
			cal_us = tgt_arg_long(prog, "microseconds", optarg, 1,
					      1000000);
			break;
		default:
			fprintf(stderr, "usage: %s [-s SECS] [-w SECS] [-l LOOPS] | "
				"-C US\n", prog);
			return 2;
		}
	}
	if (cal_us) {
		printf("loops_per_us_work %lu %ld\n", tgt_calibrate_ns((uint64_t)cal_us * 1000), cal_us);
		return 0;
	}
	if (pipe2(ab, O_CLOEXEC) || pipe2(ba, O_CLOEXEC))
		tgt_die(prog, "pipe: %s", strerror(errno));
	ts.tv_sec = wait_s;
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);

	tgt_usage_now(&sw0, &cpu0);
	t0 = tgt_now(CLOCK_MONOTONIC);
	err = pthread_create(&pong, NULL, pong_main, NULL);
	if (!err)
		err = pthread_create(&ping, NULL, ping_main, &trips);
	if (err)
		tgt_die(prog, "pthread_create: %s", strerror(err));
	ts.tv_sec = secs;
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	atomic_store(&stop, true);
	pthread_join(ping, NULL);
	t1 = tgt_now(CLOCK_MONOTONIC);
	pthread_join(pong, NULL);
	tgt_usage_now(&sw1, &cpu1);

	dt = (double)(t1 - t0) / 1e9;
	printf("pingpong %lu %.3f roundtrips_per_s %.0f switches_per_s %.0f "
	       "cpu_ns_per_roundtrip %.0f\n", trips, dt, trips / dt,
	       (double)(sw1 - sw0) / dt,
	       trips ? (double)(cpu1 - cpu0) / trips : 0.0);
	return 0;
}
