// SPDX-License-Identifier: MIT
/*
 * queue.c - local run queue (Tokio's lock-free steal-half ring) and lists.
 * See queue.h for the invariants.
 */
#include "rt_internal.h"

void rt__list_push(struct rt__task_list *l, struct rt_task *t)
{
	t->next = NULL;
	if (l->tail)
		l->tail->next = t;
	else
		l->head = t;
	l->tail = t;
	l->len++;
}

struct rt_task *rt__list_pop(struct rt__task_list *l)
{
	struct rt_task *t = l->head;

	if (!t)
		return NULL;
	l->head = t->next;
	if (!l->head)
		l->tail = NULL;
	t->next = NULL;
	l->len--;
	return t;
}

void rt__list_append(struct rt__task_list *l, struct rt__task_list *other)
{
	if (!other->head)
		return;
	if (l->tail)
		l->tail->next = other->head;
	else
		l->head = other->head;
	l->tail = other->tail;
	l->len += other->len;
	other->head = other->tail = NULL;
	other->len = 0;
}

static inline uint64_t pack(uint32_t steal, uint32_t real)
{
	return ((uint64_t)steal << 32) | real;
}

static inline uint32_t steal_of(uint64_t h) { return (uint32_t)(h >> 32); }
static inline uint32_t real_of(uint64_t h) { return (uint32_t)h; }

void rt__lq_init(struct rt__local_queue *q)
{
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	for (uint32_t i = 0; i < RT__LQ_CAP; i++)
		atomic_init(&q->buf[i], NULL);
}

uint32_t rt__lq_len(struct rt__local_queue *q)
{
	uint64_t h = atomic_load_explicit(&q->head, memory_order_acquire);
	uint32_t t = atomic_load_explicit(&q->tail, memory_order_acquire);

	return t - real_of(h);
}

uint32_t rt__lq_remaining(struct rt__local_queue *q)
{
	uint64_t h = atomic_load_explicit(&q->head, memory_order_acquire);
	uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);

	return RT__LQ_CAP - (t - steal_of(h));
}

/* Moves half the queue (from head) plus t into *overflow.  Fails (false) if a
 * stealer moved head meanwhile: there is room again then. */
static bool push_overflow(struct rt__local_queue *q, struct rt_task *t,
			  uint32_t head, uint32_t tail,
			  struct rt__task_list *overflow)
{
	const uint32_t n = RT__LQ_CAP / 2;
	uint64_t prev = pack(head, head);

	if (tail - head != RT__LQ_CAP)
		return false;
	/* Claim the first half; a concurrent stealer makes this fail. */
	if (!atomic_compare_exchange_strong_explicit(
		    &q->head, &prev, pack(head + n, head + n),
		    memory_order_release, memory_order_relaxed))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		struct rt_task *o = atomic_load_explicit(
			&q->buf[(head + i) & RT__LQ_MASK], memory_order_relaxed);
		rt__list_push(overflow, o);
	}
	rt__list_push(overflow, t);
	return true;
}

void rt__lq_push(struct rt__local_queue *q, struct rt_task *t,
		 struct rt__task_list *overflow)
{
	for (;;) {
		uint64_t h = atomic_load_explicit(&q->head, memory_order_acquire);
		uint32_t steal = steal_of(h), real = real_of(h);
		uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);

		if (tail - steal < RT__LQ_CAP) {
			atomic_store_explicit(&q->buf[tail & RT__LQ_MASK], t,
					      memory_order_relaxed);
			atomic_store_explicit(&q->tail, tail + 1,
					      memory_order_release);
			return;
		}
		if (steal != real) {
			/* Full and being stolen from: room is coming, but
			 * not now; t goes to the injection queue alone. */
			rt__list_push(overflow, t);
			return;
		}
		if (push_overflow(q, t, real, tail, overflow))
			return;
	}
}

struct rt_task *rt__lq_pop(struct rt__local_queue *q)
{
	uint64_t h = atomic_load_explicit(&q->head, memory_order_acquire);

	for (;;) {
		uint32_t steal = steal_of(h), real = real_of(h);
		uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
		uint64_t next;

		if (real == tail)
			return NULL;
		/* While a steal is in progress only `real` moves. */
		next = steal == real ? pack(real + 1, real + 1)
				     : pack(steal, real + 1);
		if (atomic_compare_exchange_weak_explicit(
			    &q->head, &h, next, memory_order_acq_rel,
			    memory_order_acquire))
			return atomic_load_explicit(&q->buf[real & RT__LQ_MASK],
						    memory_order_relaxed);
	}
}

/* Copies half of src into dst starting at dst_tail; returns how many. */
static uint32_t steal_into2(struct rt__local_queue *src,
			    struct rt__local_queue *dst, uint32_t dst_tail)
{
	uint64_t prev = atomic_load_explicit(&src->head, memory_order_acquire);
	uint64_t next;
	uint32_t first, n;

	for (;;) {
		uint32_t steal = steal_of(prev), real = real_of(prev);
		uint32_t src_tail;

		if (steal != real)
			return 0; /* another worker is stealing */
		src_tail = atomic_load_explicit(&src->tail, memory_order_acquire);
		n = src_tail - real;
		n -= n / 2; /* half, rounded up */
		if (n == 0)
			return 0;
		/* Claim [real, real + n) by moving only `real`. */
		next = pack(steal, real + n);
		if (atomic_compare_exchange_weak_explicit(
			    &src->head, &prev, next, memory_order_acq_rel,
			    memory_order_acquire)) {
			first = steal;
			break;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		struct rt_task *t = atomic_load_explicit(
			&src->buf[(first + i) & RT__LQ_MASK], memory_order_relaxed);
		atomic_store_explicit(&dst->buf[(dst_tail + i) & RT__LQ_MASK], t,
				      memory_order_relaxed);
	}
	/* Release the claim: steal catches up with real (which the owner may
	 * have advanced meanwhile by popping). */
	prev = next;
	for (;;) {
		uint32_t real = real_of(prev);

		if (atomic_compare_exchange_weak_explicit(
			    &src->head, &prev, pack(real, real),
			    memory_order_acq_rel, memory_order_acquire))
			return n;
	}
}

struct rt_task *rt__lq_steal_into(struct rt__local_queue *src,
				  struct rt__local_queue *dst)
{
	uint32_t dst_tail = atomic_load_explicit(&dst->tail, memory_order_relaxed);
	uint64_t dh = atomic_load_explicit(&dst->head, memory_order_acquire);
	uint32_t n;
	struct rt_task *ret;

	if (dst_tail - steal_of(dh) > RT__LQ_CAP / 2)
		return NULL;
	n = steal_into2(src, dst, dst_tail);
	if (n == 0)
		return NULL;
	/* The last stolen task runs now; the others become visible. */
	n--;
	ret = atomic_load_explicit(&dst->buf[(dst_tail + n) & RT__LQ_MASK],
				   memory_order_relaxed);
	if (n)
		atomic_store_explicit(&dst->tail, dst_tail + n,
				      memory_order_release);
	return ret;
}
