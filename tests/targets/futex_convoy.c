// SPDX-License-Identifier: MIT
/*
 * futex_convoy - futex waits with a known address, waiter set and count.
 *
 *	futex_convoy [-m mutex|pi] [-t THREADS] [-s SECS]
 *	futex_convoy -m bitset|waitv [-n WAITS] [-D MSEC]
 *
 * mutex:  THREADS threads (convoy-N) lock one pthread mutex in a loop and spin
 *         ~20 us inside it, so with 2+ threads they contend and glibc
 *         waits with FUTEX_WAIT on the mutex word (its first field, so
 *         &mutex is the futex address).  With 1 thread the lock is never
 *         contended and no futex call happens.  Prints
 *		mutex 0xADDR
 *		locks N
 * pi:     the same with a priority-inheritance mutex: glibc waits with
 *         FUTEX_LOCK_PI and wakes with FUTEX_UNLOCK_PI.
 * bitset: a thread (bs-waiter) waits WAITS times with FUTEX_WAIT_BITSET (as
 *         Rust's std Mutex/Condvar and glibc's timed waits do) and another
 *         (bs-waker) wakes it with FUTEX_WAKE_BITSET MSEC ms after each wait
 *         starts; each wait is certain to block.  Prints
 *		word 0xADDR
 *		bitset WAITS WALL_NS
 * waitv:  the same with futex_waitv(2) on a vector of two words, the first
 *         being `word`, woken with FUTEX_WAKE on it.  Prints
 *		word 0xADDR
 *		waitv WAITS WALL_NS
 */
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "target.h"

static const char *prog = "futex_convoy";
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static uint64_t run_ns = 3 * TGT_NSEC_PER_SEC;
static _Atomic unsigned long total_locks;

/* bitset: word is 0 while the waiter must wait; `round` is the number of
 * waits the waiter has started, so the waker knows when to wake. */
static _Atomic uint32_t word;
static _Atomic int round_started;
static int nwaits = 20;
static uint64_t wake_ms = 20;
static bool use_waitv;
/* futex_waitv's second word: never woken, only there to make a vector. */
static _Atomic uint32_t word2;

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX_32
#define FUTEX_32 2
struct futex_waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t __reserved;
};
#endif

static void *convoy_main(void *arg)
{
	int i = (int)(intptr_t)arg;
	uint64_t end = tgt_now(CLOCK_MONOTONIC) + run_ns;
	unsigned long n = 0;

	tgt_name("convoy-%d", i);
	while (tgt_now(CLOCK_MONOTONIC) < end) {
		pthread_mutex_lock(&mutex);
		tgt_spin_until(tgt_now(CLOCK_MONOTONIC) + 20000);
		pthread_mutex_unlock(&mutex);
		tgt_spin_until(tgt_now(CLOCK_MONOTONIC) + 2000);
		n++;
	}
	total_locks += n;
	return NULL;
}

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
}

/* One blocking wait on `word` (still 0), by futex_waitv or FUTEX_WAIT_BITSET. */
static long wait_once(void)
{
	struct futex_waitv v[2] = {
		{ .val = 0, .uaddr = (uintptr_t)&word,
		  .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
		{ .val = 0, .uaddr = (uintptr_t)&word2,
		  .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
	};

	if (use_waitv)
		return syscall(SYS_futex_waitv, v, 2, 0, NULL, CLOCK_MONOTONIC);
	return futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, NULL,
		     FUTEX_BITSET_MATCH_ANY);
}

static void *waiter_main(void *arg)
{
	uint64_t t0, wall = 0;

	(void)arg;
	tgt_name(use_waitv ? "wv-waiter" : "bs-waiter", 0);
	for (int i = 1; i <= nwaits; i++) {
		t0 = tgt_now(CLOCK_MONOTONIC);
		atomic_store(&round_started, i);
		/* The waker only sets word after round_started moved, and
		 * sleeps MSEC ms first, so this wait blocks (EAGAIN only if
		 * the box stalled us for MSEC ms; then loop). */
		while (atomic_load(&word) == 0) {
			if (wait_once() < 0 && errno != EAGAIN &&
			    errno != EINTR && errno != EWOULDBLOCK)
				tgt_die(prog, "%s: %s", use_waitv ?
					"futex_waitv" : "FUTEX_WAIT_BITSET",
					strerror(errno));
		}
		atomic_store(&word, 0);
		wall += tgt_now(CLOCK_MONOTONIC) - t0;
	}
	tgt_out("%s %d %" PRIu64 "\n", use_waitv ? "waitv" : "bitset",
		nwaits, wall);
	return NULL;
}

static void *waker_main(void *arg)
{
	struct timespec ts = {
		.tv_sec = wake_ms / 1000,
		.tv_nsec = (wake_ms % 1000) * TGT_NSEC_PER_MSEC,
	};

	(void)arg;
	tgt_name(use_waitv ? "wv-waker" : "bs-waker", 0);
	for (int i = 1; i <= nwaits; i++) {
		while (atomic_load(&round_started) < i || atomic_load(&word))
			sched_yield();
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		atomic_store(&word, 1);
		if (use_waitv)
			futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, 0);
		else
			futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1,
			      NULL, FUTEX_BITSET_MATCH_ANY);
	}
	return NULL;
}

static void start(pthread_t *th, void *(*fn)(void *), int i)
{
	int err = pthread_create(th, NULL, fn, (void *)(intptr_t)i);

	if (err)
		tgt_die(prog, "pthread_create: %s", strerror(err));
}

int main(int argc, char **argv)
{
	const char *mode = "mutex";
	pthread_t th[64];
	int nthreads = 4, opt;

	while ((opt = getopt(argc, argv, "m:t:s:n:D:")) != -1) {
		switch (opt) {
		case 'm':
			mode = optarg;
			break;
		case 't':
			nthreads = (int)tgt_arg_long(prog, "thread count", optarg, 1, 64);
			break;
		case 's':
			run_ns = (uint64_t)tgt_arg_long(prog, "seconds", optarg, 1, 3600) *
				 TGT_NSEC_PER_SEC;
			break;
		case 'n':
			nwaits = (int)tgt_arg_long(prog, "wait count", optarg, 1, 100000);
			break;
		case 'D':
			wake_ms = (uint64_t)tgt_arg_long(prog, "milliseconds", optarg, 1, 10000);
			break;
		default:
			fprintf(stderr, "usage: %s [-m mutex|pi|bitset|waitv] [-t THREADS] "
				"[-s SECS] [-n WAITS] [-D MSEC]\n", prog);
			return 2;
		}
	}
	tgt_out("pid %d\n", getpid());
	if (strcmp(mode, "pi") == 0) {
		pthread_mutexattr_t attr;

		pthread_mutexattr_init(&attr);
		if (pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT) ||
		    pthread_mutex_destroy(&mutex) ||
		    pthread_mutex_init(&mutex, &attr))
			tgt_die(prog, "cannot make a priority-inheritance mutex");
		pthread_mutexattr_destroy(&attr);
		mode = "mutex";
	}
	if (strcmp(mode, "waitv") == 0) {
		use_waitv = true;
		mode = "bitset";
	}
	if (strcmp(mode, "mutex") == 0) {
		tgt_out("mutex %p\n", (void *)&mutex);
		for (int i = 0; i < nthreads; i++)
			start(&th[i], convoy_main, i);
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
		tgt_out("locks %lu\n", (unsigned long)total_locks);
	} else if (strcmp(mode, "bitset") == 0) {
		tgt_out("word %p\n", (void *)&word);
		start(&th[0], waiter_main, 0);
		start(&th[1], waker_main, 0);
		pthread_join(th[0], NULL);
		pthread_join(th[1], NULL);
	} else {
		tgt_die(prog, "bad mode '%s' (want mutex, pi, bitset or waitv)", mode);
	}
	return 0;
}
