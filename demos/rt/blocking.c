// SPDX-License-Identifier: MIT
/*
 * blocking.c - the blocking pool for rt_spawn_blocking (Tokio's
 * runtime/blocking/pool.rs): threads rt-blocking-N spawned on demand up to
 * the ceiling; an idle thread exits after RT__BLOCKING_KEEP_ALIVE_NS.
 * Invariants (all under blocking.mu):
 *  1. idle <= threads <= ceiling; a queued job wakes an idle thread, or
 *     spawns one if none is idle and the ceiling allows, else waits its turn.
 *  2. Jobs run in FIFO order of submission.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "probes.h"
#include "rt_internal.h"

int rt__blocking_init(rt_t *rt)
{
	struct rt__blocking *b = &rt->blocking;
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, &ca);
	pthread_cond_init(&b->done_cv, NULL);
	pthread_condattr_destroy(&ca);
	b->ceiling = rt->cfg.blocking_threads;
	b->keep_alive_ns = rt->cfg.blocking_keep_alive_ns
				   ? rt->cfg.blocking_keep_alive_ns
				   : RT__BLOCKING_KEEP_ALIVE_NS;
	b->next_job = 1;
	return 0;
}

static void *blocking_main(void *arg)
{
	rt_t *rt = arg;
	struct rt__blocking *b = &rt->blocking;
	char name[16];

	pthread_mutex_lock(&b->mu);
	snprintf(name, sizeof(name), "rt-blocking-%d", b->next_name++);
	pthread_mutex_unlock(&b->mu);
	pthread_setname_np(pthread_self(), name);

	pthread_mutex_lock(&b->mu);
	for (;;) {
		struct rt__bjob *job = b->head;
		uint64_t start;
		void *out;

		if (!job) {
			struct timespec ts;
			int err;

			if (b->shutdown)
				break;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)(b->keep_alive_ns / 1000000000ULL);
			ts.tv_nsec += (long)(b->keep_alive_ns % 1000000000ULL);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			b->idle++;
			err = pthread_cond_timedwait(&b->cv, &b->mu, &ts);
			b->idle--;
			if (err == ETIMEDOUT && !b->head)
				break; /* keep-alive expired */
			continue;
		}
		b->head = job->next;
		if (!b->head)
			b->tail = NULL;
		pthread_mutex_unlock(&b->mu);

		start = rt_now_ns();
		RT_PROBE2(blocking_start, job->id, start - job->queued_ns);
		out = job->fn(job->arg);
		RT_PROBE2(blocking_end, job->id, rt_now_ns() - start);
		if (job->join)
			rt__join_complete(job->join, out);
		free(job);

		pthread_mutex_lock(&b->mu);
	}
	b->threads--;
	if (b->threads == 0)
		pthread_cond_broadcast(&b->done_cv);
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

int rt_spawn_blocking(rt_t *rt, rt_blocking_fn fn, void *arg, rt_join_t **join)
{
	struct rt__blocking *b = &rt->blocking;
	struct rt__bjob *job;
	int err = 0;

	if (!fn)
		return -EINVAL;
	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	job->fn = fn;
	job->arg = arg;
	if (join) {
		job->join = rt__join_new();
		if (!job->join) {
			free(job);
			return -ENOMEM;
		}
		*join = job->join;
	}
	job->queued_ns = rt_now_ns();

	pthread_mutex_lock(&b->mu);
	if (b->shutdown) {
		err = -ESHUTDOWN;
		goto unlock;
	}
	job->id = b->next_job++;
	if (b->tail)
		b->tail->next = job;
	else
		b->head = job;
	b->tail = job;
	RT_PROBE1(blocking_queue, job->id);
	if (b->idle > 0) {
		pthread_cond_signal(&b->cv);
	} else if (b->threads < b->ceiling) {
		pthread_attr_t at;
		pthread_t th;

		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		err = -pthread_create(&th, &at, blocking_main, rt);
		pthread_attr_destroy(&at);
		if (!err)
			b->threads++;
		else if (b->threads > 0)
			err = 0; /* a running thread will get to it */
	}
	if (err) {
		/* Unqueue: it is the tail and nobody took it (no thread). */
		b->head = b->tail = NULL;
	}
unlock:
	pthread_mutex_unlock(&b->mu);
	if (err) {
		if (job->join) {
			rt__join_unref(job->join);
			rt__join_unref(job->join);
			*join = NULL;
		}
		free(job);
	}
	return err;
}

void rt__blocking_shutdown(rt_t *rt)
{
	struct rt__blocking *b = &rt->blocking;

	/* Queued jobs still run (Tokio waits for blocking tasks at shutdown
	 * too, unless given a timeout); then threads exit. */
	pthread_mutex_lock(&b->mu);
	b->shutdown = true;
	pthread_cond_broadcast(&b->cv);
	while (b->threads > 0)
		pthread_cond_wait(&b->done_cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	pthread_cond_destroy(&b->done_cv);
}
