/* SPDX-License-Identifier: MIT */
/*
 * target.h - helpers shared by the integration-test targets in tests/targets/.
 *
 * The targets are small programs with known behaviour that the observer is run
 * against.  Each prints its own ground truth on stdout, one record per line,
 * "key value..." so that the shell tests can read it with awk:
 *	schedstat TID ON_CPU_NS RQ_WAIT_NS TIMESLICES
 * read from /proc/self/task/TID/schedstat, the kernel's own accounting.
 * Bad input: one line on stderr and exit 2.
 */
#ifndef TARGET_H
#define TARGET_H

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TGT_NSEC_PER_SEC ((uint64_t)1000000000)
#define TGT_NSEC_PER_MSEC ((uint64_t)1000000)

static pthread_mutex_t tgt__out_lock = PTHREAD_MUTEX_INITIALIZER;

/* One whole line to stdout, flushed, so lines from threads never interleave
 * and survive a later SIGKILL. */
__attribute__((format(printf, 1, 2)))
static inline void tgt_out(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&tgt__out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&tgt__out_lock);
}

__attribute__((format(printf, 2, 3), noreturn))
static inline void tgt_die(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Strict non-negative integer argument: the whole string must parse. */
static inline long tgt_arg_long(const char *prog, const char *what,
				const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		tgt_die(prog, "bad %s '%s' (want %ld..%ld)", what, s, min, max);
	return v;
}

static inline uint64_t tgt_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * TGT_NSEC_PER_SEC + ts.tv_nsec;
}

/* Context switches and CPU ns used so far by the calling process. */
static inline void tgt_usage_now(uint64_t *switches, uint64_t *cpu_ns)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*switches = (uint64_t)ru.ru_nvcsw + (uint64_t)ru.ru_nivcsw;
	*cpu_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
		  TGT_NSEC_PER_SEC +
		  ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000;
}

static inline pid_t tgt_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Spins on the CPU (no syscalls: clock_gettime is in the vDSO) until the
 * monotonic clock reaches `deadline`. */
static inline void tgt_spin_until(uint64_t deadline)
{
	while (tgt_now(CLOCK_MONOTONIC) < deadline)
		;
}

/* Spins until this thread has used `ns` more nanoseconds of CPU.  The
 * thread CPU clock is a real syscall (no vDSO), so it is read only every few
 * microseconds of work. */
static inline void tgt_spin_cpu(uint64_t ns)
{
	uint64_t end = tgt_now(CLOCK_THREAD_CPUTIME_ID) + ns;

	while (tgt_now(CLOCK_THREAD_CPUTIME_ID) < end) {
		for (volatile int i = 0; i < 2000; i++)
			;
	}
}

struct tgt_schedstat {
	uint64_t on_cpu_ns;	/* field 1: sum_exec_runtime */
	uint64_t rq_wait_ns;	/* field 2: run_delay, runnable but not running */
	uint64_t slices;	/* field 3: pcount, times switched in after a wait */
};

/* Opens this thread's schedstat once, so that later reads are a pread(). */
static inline int tgt_schedstat_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tgt_tid());
	return open(path, O_RDONLY | O_CLOEXEC);
}

static inline int tgt_schedstat_read(int fd, struct tgt_schedstat *st)
{
	char buf[128];
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "%" SCNu64 " %" SCNu64 " %" SCNu64, &st->on_cpu_ns,
		   &st->rq_wait_ns, &st->slices) != 3)
		return -EINVAL;
	return 0;
}

/* Reads this thread's schedstat and prints the "schedstat" record. */
static inline int tgt_report_schedstat(void)
{
	struct tgt_schedstat st;
	int fd, err;

	fd = tgt_schedstat_open();
	if (fd < 0)
		return -errno;
	err = tgt_schedstat_read(fd, &st);
	close(fd);
	if (err)
		return err;
	tgt_out("schedstat %d %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		tgt_tid(), st.on_cpu_ns, st.rq_wait_ns, st.slices);
	return 0;
}

/* Names the calling thread (comm, at most 15 characters). */
static inline void tgt_name(const char *fmt, int i)
{
	char name[16];

	snprintf(name, sizeof(name), fmt, i);
	pthread_setname_np(pthread_self(), name);
}

/* Keeps tgt_work() from being elided. */
static volatile uint64_t tgt__work_sink;

/* LOOPS xorshift64 steps: a fixed amount of CPU work, not a fixed time, so
 * that an observer's cost shows as lost throughput. */
static inline void tgt_work(unsigned long loops)
{
	uint64_t x = 88172645463325252ULL;
	unsigned long i;

	for (i = 0; i < loops; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	tgt__work_sink = x;
}

/* tgt_work() loops taking about ns nanoseconds: the fastest of 20 timed
 * tries of ~0.3 ms each.  On a shared VM a try that was preempted or lost
 * the host CPU is only ever slower, so short tries and the minimum. */
static inline unsigned long tgt_calibrate_ns(uint64_t ns)
{
	const unsigned long probe = 200000;
	uint64_t t, best = UINT64_MAX;
	int i;

	for (i = 0; i < 20; i++) {
		t = tgt_now(CLOCK_MONOTONIC);
		tgt_work(probe);
		t = tgt_now(CLOCK_MONOTONIC) - t;
		if (t < best)
			best = t;
	}
	return (unsigned long)((double)probe * (double)ns / (double)best);
}

#endif /* TARGET_H */
