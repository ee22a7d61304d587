// SPDX-License-Identifier: MIT
/* test_rt_queue.c - the local run queue: FIFO, overflow to the injection
 * batch, steal-half, and a concurrent owner/thief stress (TSan). */
#include <pthread.h>
#include <stdatomic.h>

#include "../tap.h"
#include "rt_internal.h"

#define N_TASKS 1024
static struct rt_task tasks[N_TASKS];

static void init_tasks(void)
{
	for (int i = 0; i < N_TASKS; i++)
		tasks[i].id = (uint64_t)i;
}

static struct rt__local_queue *new_queue(void)
{
	struct rt__local_queue *q = calloc(1, sizeof(*q));

	rt__lq_init(q);
	return q;
}

TEST(push_pop_fifo)
{
	struct rt__local_queue *q = new_queue();
	struct rt__task_list of = { 0 };

	init_tasks();
	for (int i = 0; i < 100; i++)
		rt__lq_push(q, &tasks[i], &of);
	ASSERT_EQ(of.len, 0);
	ASSERT_EQ(rt__lq_len(q), 100);
	for (int i = 0; i < 100; i++) {
		struct rt_task *t = rt__lq_pop(q);

		ASSERT((t) != NULL);
		ASSERT_UEQ(t->id, (uint64_t)i);
	}
	ASSERT((rt__lq_pop(q)) == NULL);
	/* Wrap around the ring several times. */
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 200; i++)
			rt__lq_push(q, &tasks[i], &of);
		for (int i = 0; i < 200; i++)
			ASSERT_UEQ(rt__lq_pop(q)->id, (uint64_t)i);
	}
	ASSERT_EQ(of.len, 0);
	free(q);
}

TEST(overflow_moves_half_plus_one)
{
	struct rt__local_queue *q = new_queue();
	struct rt__task_list of = { 0 };
	struct rt_task *t;

	init_tasks();
	for (unsigned i = 0; i < RT__LQ_CAP; i++)
		rt__lq_push(q, &tasks[i], &of);
	ASSERT_EQ(of.len, 0);
	ASSERT_EQ(rt__lq_remaining(q), 0);
	rt__lq_push(q, &tasks[RT__LQ_CAP], &of);
	/* The oldest half and the new task, in FIFO order. */
	ASSERT_EQ(of.len, RT__LQ_CAP / 2 + 1);
	for (unsigned i = 0; i < RT__LQ_CAP / 2; i++)
		ASSERT_UEQ(rt__list_pop(&of)->id, (uint64_t)i);
	ASSERT_UEQ(rt__list_pop(&of)->id, (uint64_t)RT__LQ_CAP);
	ASSERT_EQ(rt__lq_len(q), RT__LQ_CAP / 2);
	for (unsigned i = RT__LQ_CAP / 2; i < RT__LQ_CAP; i++) {
		t = rt__lq_pop(q);
		ASSERT_UEQ(t->id, (uint64_t)i);
	}
	ASSERT((rt__lq_pop(q)) == NULL);
	free(q);
}

TEST(steal_half)
{
	struct rt__local_queue *src = new_queue(), *dst = new_queue();
	struct rt__task_list of = { 0 };
	struct rt_task *t;

	init_tasks();
	ASSERT((rt__lq_steal_into(src, dst)) == NULL); /* empty */
	for (int i = 0; i < 10; i++)
		rt__lq_push(src, &tasks[i], &of);
	t = rt__lq_steal_into(src, dst);
	/* 5 stolen (the oldest), the last returned to run, 4 queued. */
	ASSERT((t) != NULL);
	ASSERT_UEQ(t->id, 4);
	ASSERT_EQ(rt__lq_len(src), 5);
	ASSERT_EQ(rt__lq_len(dst), 4);
	for (int i = 0; i < 4; i++)
		ASSERT_UEQ(rt__lq_pop(dst)->id, (uint64_t)i);
	for (int i = 5; i < 10; i++)
		ASSERT_UEQ(rt__lq_pop(src)->id, (uint64_t)i);
	/* One task: it is stolen and returned, nothing queued. */
	rt__lq_push(src, &tasks[42], &of);
	t = rt__lq_steal_into(src, dst);
	ASSERT_UEQ(t->id, 42);
	ASSERT_EQ(rt__lq_len(dst), 0);
	ASSERT_EQ(rt__lq_len(src), 0);
	free(src);
	free(dst);
}

TEST(no_steal_into_busy_queue)
{
	struct rt__local_queue *src = new_queue(), *dst = new_queue();
	struct rt__task_list of = { 0 };

	init_tasks();
	for (unsigned i = 0; i < RT__LQ_CAP / 2 + 1; i++)
		rt__lq_push(dst, &tasks[i], &of);
	for (int i = 0; i < 10; i++)
		rt__lq_push(src, &tasks[500 + i], &of);
	ASSERT((rt__lq_steal_into(src, dst)) == NULL);
	ASSERT_EQ(rt__lq_len(src), 10);
	free(src);
	free(dst);
}

/* Owner pushes and pops while a thief steals: every task is taken once. */
#define STRESS_ITEMS 200000
static struct rt_task *stress_tasks;
static _Atomic int seen[STRESS_ITEMS];
static _Atomic bool stress_done;

static void take(struct rt_task *t)
{
	atomic_fetch_add(&seen[t->id], 1);
}

static void *thief(void *arg)
{
	struct rt__local_queue *src = arg, *mine = new_queue();
	struct rt_task *t;

	while (!atomic_load(&stress_done) || rt__lq_len(src)) {
		t = rt__lq_steal_into(src, mine);
		if (t)
			take(t);
		while ((t = rt__lq_pop(mine)))
			take(t);
	}
	free(mine);
	return NULL;
}

TEST(concurrent_steal_takes_each_once)
{
	struct rt__local_queue *q = new_queue();
	struct rt__task_list of = { 0 };
	pthread_t th[2];
	struct rt_task *t;

	stress_tasks = calloc(STRESS_ITEMS, sizeof(*stress_tasks));
	for (int i = 0; i < STRESS_ITEMS; i++)
		stress_tasks[i].id = (uint64_t)i;
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, thief, q);
	for (int i = 0; i < STRESS_ITEMS; i++) {
		rt__lq_push(q, &stress_tasks[i], &of);
		if (i % 3 == 0 && (t = rt__lq_pop(q)))
			take(t);
		while ((t = rt__list_pop(&of)))
			take(t); /* the "injection queue" */
	}
	while ((t = rt__lq_pop(q)))
		take(t);
	atomic_store(&stress_done, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < STRESS_ITEMS; i++)
		if (atomic_load(&seen[i]) != 1)
			TAP_FAIL("task %d taken %d times", i, atomic_load(&seen[i]));
	free(stress_tasks);
	free(q);
}

int main(void)
{
	return tap_run();
}
