// SPDX-License-Identifier: MIT
/*
 * rt_probe_target - fires every rt:* USDT probe at least once with known
 * arguments, for tests/integ/rt_probes.t.
 *
 *	rt_probe_target TRUTH_FILE
 *
 * Ground truth goes to TRUTH_FILE, one record per line:
 *	worker IDX TID PUB_ADDR          each worker (rt:worker_start)
 *	spawn TASK PARENT                the child task (rt:task_spawn)
 *	wake TASK WAKER_TASK             the child woken by the root (rt:task_wake)
 *	slow TASK WORKER_DURATION_MIN_NS a 20 ms poll (rt:slow_poll)
 *	sched TASK WORKER DELAY_MIN_NS   the child, woken into the LIFO slot of
 *	                                 that worker right before the 20 ms poll,
 *	                                 waits it out (rt:slow_schedule)
 *	timer TASK DEADLINE_NS           a sleep until DEADLINE (rt:timer_fire)
 *	mutex ADDR HOLDER WAITER HOLD_NS async mutex held 10 ms across an await
 *	                                 (rt:mutex_release: running_ns of it small)
 *	sync ADDR HOLDER_TID WAITER_TID  sync mutex held 10 ms by the main thread
 *	blocking JOB RUN_MIN_NS          one 15 ms blocking job
 *	semaphore VALUE                  rt:poll_start's semaphore at start
 *	                                 (non-zero only while a tracer attaches)
 * Bad input: one line on stderr, exit 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probes.h"
#include "rt_internal.h"

#define MS ((uint64_t)1000000)
#define SLOW_POLL_NS (20 * MS)
#define HOLD_NS (10 * MS)
#define BLOCKING_NS (15 * MS)

static FILE *truth;

/* A child that waits for the root to wake it. */
struct child {
	rt_waker_t waker;
	bool registered, woken;
};

static rt_poll_t child_fn(rt_cx_t *cx, void *st)
{
	struct child *c = st;

	if (!c->registered) {
		c->registered = true;
		rt_waker_register(&c->waker, cx);
		return RT_PENDING;
	}
	c->woken = true;
	return RT_READY;
}

/* Async mutex: the holder sleeps HOLD_NS with the lock held. */
struct locker {
	int pc;
	rt_mutex_t *m;
	rt_mutex_waiter_t w;
	rt_sleep_t s;
	uint64_t id;
};

static rt_poll_t locker_fn(rt_cx_t *cx, void *st)
{
	struct locker *l = st;

	RT_ASYNC_BEGIN(&l->pc);
	l->id = rt_cx_task_id(cx);
	RT_AWAIT(&l->pc, rt_mutex_lock_poll(l->m, &l->w, cx));
	rt_sleep_init(&l->s, HOLD_NS);
	RT_AWAIT(&l->pc, rt_sleep_poll(&l->s, cx));
	rt_mutex_unlock(l->m);
	RT_ASYNC_END(&l->pc);
}

static rt_sync_mutex_t smu;
static _Atomic uint64_t waiter_tid;

static void *sync_job(void *arg)
{
	(void)arg;
	atomic_store(&waiter_tid, (uint64_t)syscall(SYS_gettid));
	rt_sync_mutex_lock(&smu);
	rt_sync_mutex_unlock(&smu);
	return NULL;
}

static void *sleep_job(void *arg)
{
	(void)arg;
	usleep(BLOCKING_NS / 1000);
	return NULL;
}

struct root {
	int pc;
	struct child child;
	rt_join_t *jc, *jl[2], *jb;
	rt_sleep_t s;
	uint64_t deadline, spin_end, child_id;
	rt_mutex_t m;
	struct locker lk[2];
	rt_yield_t y;
};

static rt_poll_t root_fn(rt_cx_t *cx, void *st)
{
	struct root *r = st;
	rt_t *rt = rt_cx_rt(cx);

	RT_ASYNC_BEGIN(&r->pc);
	/* task_spawn with a parent, then task_wake with a waker task. */
	rt_spawn(rt, child_fn, &r->child, NULL, &r->jc);
	while (!r->child.registered)
		RT_AWAIT(&r->pc, rt_yield_poll(&r->y, cx));
	fprintf(truth, "spawn %" PRIu64 " %" PRIu64 "\n",
		r->child.waker.task->id, rt_cx_task_id(cx));
	fprintf(truth, "wake %" PRIu64 " %" PRIu64 "\n",
		r->child.waker.task->id, rt_cx_task_id(cx));
	r->child_id = r->child.waker.task->id; /* the wake consumes the waker */
	/*
	 * The wake puts the child in this worker's LIFO slot, which the
	 * other worker cannot steal: it waits out the 20 ms poll below
	 * (slow_schedule), as a starvation victim does.
	 */
	rt_waker_wake(&r->child.waker);

	/* slow_poll: one poll of 20 ms. */
	r->spin_end = rt_now_ns() + SLOW_POLL_NS;
	while (rt_now_ns() < r->spin_end)
		;
	fprintf(truth, "slow %" PRIu64 " %d %" PRIu64 "\n", rt_cx_task_id(cx),
		rt_cx_worker(cx), SLOW_POLL_NS);
	fprintf(truth, "sched %" PRIu64 " %d %" PRIu64 "\n", r->child_id,
		rt_cx_worker(cx), SLOW_POLL_NS);
	RT_AWAIT(&r->pc, rt_join_poll(r->jc, cx, NULL));
	rt_join_free(r->jc);
	RT_AWAIT(&r->pc, rt_yield_poll(&r->y, cx));

	/* timer_fire with a known deadline. */
	r->deadline = rt_now_ns() + 5 * MS;
	rt_sleep_until(&r->s, r->deadline);
	fprintf(truth, "timer %" PRIu64 " %" PRIu64 "\n", rt_cx_task_id(cx),
		r->deadline);
	RT_AWAIT(&r->pc, rt_sleep_poll(&r->s, cx));

	/* mutex_*: lk[0] holds across a sleep, lk[1] waits. */
	rt_mutex_init(&r->m, "probe-target");
	r->lk[0].m = r->lk[1].m = &r->m;
	rt_spawn(rt, locker_fn, &r->lk[0], NULL, &r->jl[0]);
	RT_AWAIT(&r->pc, rt_yield_poll(&r->y, cx));
	rt_spawn(rt, locker_fn, &r->lk[1], NULL, &r->jl[1]);
	RT_AWAIT(&r->pc, rt_join_poll(r->jl[0], cx, NULL));
	RT_AWAIT(&r->pc, rt_join_poll(r->jl[1], cx, NULL));
	rt_join_free(r->jl[0]);
	rt_join_free(r->jl[1]);
	fprintf(truth, "mutex %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		(uint64_t)(uintptr_t)&r->m, r->lk[0].id, r->lk[1].id, HOLD_NS);
	rt_mutex_destroy(&r->m);

	/* blocking_*: job 1. */
	rt_spawn_blocking(rt, sleep_job, NULL, &r->jb);
	RT_AWAIT(&r->pc, rt_join_poll(r->jb, cx, NULL));
	rt_join_free(r->jb);
	fprintf(truth, "blocking 1 %" PRIu64 "\n", BLOCKING_NS);
	RT_ASYNC_END(&r->pc);
}

int main(int argc, char **argv)
{
	rt_config_t cfg = { .workers = 2 };
	static struct root r;
	pthread_t th;
	rt_t *rt;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: rt_probe_target TRUTH_FILE\n");
		return 2;
	}
	truth = fopen(argv[1], "w");
	if (!truth) {
		fprintf(stderr, "rt_probe_target: %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	fprintf(truth, "semaphore %u\n", (unsigned)rt_poll_start_semaphore);
	err = rt_new(&cfg, &rt);
	if (err) {
		fprintf(stderr, "rt_probe_target: rt_new: %s\n", strerror(-err));
		return 1;
	}
	/* Workers publish their tid before they fire worker_start. */
	for (int i = 0; i < rt_workers(rt); i++) {
		struct rt__worker *w = rt->workers[i];

		while (!atomic_load((_Atomic uint32_t *)&w->pub.tid))
			usleep(1000);
		fprintf(truth, "worker %d %u %" PRIu64 "\n", i, w->pub.tid,
			(uint64_t)(uintptr_t)&w->pub);
	}
	err = rt_block_on(rt, root_fn, &r);

	/* sync_*: the main thread holds it, a plain thread waits. */
	rt_sync_mutex_init(&smu, "probe-target-sync");
	rt_sync_mutex_lock(&smu);
	pthread_create(&th, NULL, sync_job, NULL);
	while (!atomic_load(&waiter_tid))
		usleep(1000);
	usleep(HOLD_NS / 1000);
	rt_sync_mutex_unlock(&smu);
	pthread_join(th, NULL);
	fprintf(truth, "sync %" PRIu64 " %ld %" PRIu64 " %" PRIu64 "\n",
		(uint64_t)(uintptr_t)&smu, (long)syscall(SYS_gettid),
		atomic_load(&waiter_tid), HOLD_NS);
	rt_sync_mutex_destroy(&smu);
	rt_free(rt);
	fclose(truth);
	return err ? 1 : 0;
}
