/* SPDX-License-Identifier: MIT */
/*
 * queue.h - task lists and the per-worker local run queue.
 *
 * The local queue is Tokio's (runtime/scheduler/multi_thread/queue.rs): a
 * bounded ring that only its owner pushes to and pops from, and that other
 * workers steal half of.  Invariants:
 *  1. `tail` is written only by the owner; `head` packs two u32 indexes,
 *     (steal << 32) | real.  steal != real while a stealer is copying slots
 *     [steal, real) out; the owner never overwrites those slots.
 *  2. Indexes wrap at 2^32; lengths are tail - head in u32 arithmetic.
 *  3. At most one stealer at a time (a second sees steal != real and gives up).
 *  4. A task is in at most one queue (the task state word guarantees it).
 */
#ifndef RT_QUEUE_H
#define RT_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct rt_task;

/* Intrusive singly linked FIFO through rt_task.next (injection queue, batches). */
struct rt__task_list {
	struct rt_task *head, *tail;
	size_t len;
};

/* 256: Tokio's LOCAL_QUEUE_CAPACITY (multi_thread/queue.rs, 1.24.2). */
#define RT__LQ_CAP 256u
#define RT__LQ_MASK (RT__LQ_CAP - 1)

struct rt__local_queue {
	_Atomic uint64_t head; /* (steal << 32) | real */
	_Atomic uint32_t tail; /* owner-written */
	_Atomic(struct rt_task *) buf[RT__LQ_CAP];
};

void rt__list_push(struct rt__task_list *l, struct rt_task *t);
struct rt_task *rt__list_pop(struct rt__task_list *l);
void rt__list_append(struct rt__task_list *l, struct rt__task_list *other);

void rt__lq_init(struct rt__local_queue *q);
/* Owner only.  Pushes t; if the queue is full, moves half of it plus t into
 * *overflow (FIFO order kept) for the caller to put on the injection queue. */
void rt__lq_push(struct rt__local_queue *q, struct rt_task *t,
		 struct rt__task_list *overflow);
/* Owner only.  NULL if empty. */
struct rt_task *rt__lq_pop(struct rt__local_queue *q);
/* Any thread: an estimate (exact for the owner when no one steals). */
uint32_t rt__lq_len(struct rt__local_queue *q);
/* Owner only: free slots. */
uint32_t rt__lq_remaining(struct rt__local_queue *q);
/* Called by dst's owner: moves half of src's tasks into dst and returns one of
 * them to run now, or NULL.  Does nothing if dst is more than half full. */
struct rt_task *rt__lq_steal_into(struct rt__local_queue *src,
				  struct rt__local_queue *dst);

#endif /* RT_QUEUE_H */
