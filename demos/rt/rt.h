/* SPDX-License-Identifier: MIT */
/*
 * rt.h - a Tokio-style multi-thread async runtime in C: the public API.
 *
 * Tasks are stackless, like Rust futures: a task is a poll function over its
 * own state.  Each poll either finishes (RT_READY) or registers a waker with
 * whatever it waits on and returns RT_PENDING; the runtime polls it again once
 * it is woken.  Leaf futures (sleep, channels, mutex, I/O, join) are small
 * structs embedded in the task's state and polled from its poll function.
 *
 * Rules every caller relies on:
 *  1. A poll function runs on a worker thread (rt-worker-N).  It must not block:
 *     blocking there is exactly the failure this project demonstrates, so the
 *     demos do it on purpose and nothing else should.
 *  2. A leaf future that returned RT_PENDING holds a reference to the task until
 *     it is woken, completed or cancelled with its *_cancel function.  Cancel
 *     every pending leaf before freeing the state that embeds it.
 *  3. Functions return 0 or a negative errno unless documented otherwise.
 *  4. Names with rt__ are private to demos/rt; fields marked "private" are there
 *     only so that leaf futures can be embedded by value.
 */
#ifndef RT_H
#define RT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rt_poll { RT_PENDING = 0, RT_READY = 1 } rt_poll_t;

typedef struct rt rt_t;            /* a runtime: workers, queues, drivers */
typedef struct rt_task rt_task_t;  /* a spawned task (opaque) */
typedef struct rt_cx rt_cx_t;      /* poll context: current task and worker */
typedef struct rt_join rt_join_t;  /* join handle of a task or blocking job */

/* A task's poll function.  `state` is what was given to rt_spawn. */
typedef rt_poll_t (*rt_task_fn)(rt_cx_t *cx, void *state);
/* Frees a task's state once the task is done and its join handle is freed. */
typedef void (*rt_free_cb)(void *state);
/* A blocking job for the blocking pool; its return value is the join output. */
typedef void *(*rt_blocking_fn)(void *arg);

/* ---- runtime -------------------------------------------------------------- */

/* Zero-initialised means Tokio's defaults. */
typedef struct rt_config {
	int workers;           /* worker threads; 0: number of online CPUs */
	int blocking_threads;  /* blocking pool ceiling; 0: 64 */
	int budget;            /* cooperative budget per task poll; 0: 128 */
	bool disable_budget;   /* run without the cooperative budget */
	bool disable_lifo;     /* run without the LIFO slot */
	/* Added after the first API cut (zero keeps the default): */
	uint64_t blocking_keep_alive_ns; /* idle blocking thread exit; 0: 10 s */
} rt_config_t;

int rt_new(const rt_config_t *cfg, rt_t **out);
/* Stops the workers and the blocking pool (queued blocking jobs still run),
 * joins every thread, drops queued tasks and frees.  Call it from outside the
 * runtime, never from a task or a blocking job. */
void rt_free(rt_t *rt);
int rt_workers(const rt_t *rt);

/* Spawns `fn(state)` as the root task and waits on the calling (non-worker)
 * thread until it returns RT_READY. */
int rt_block_on(rt_t *rt, rt_task_fn fn, void *state);

/* Spawns a task.  From a worker of `rt` it goes to that worker's local queue,
 * from anywhere else to the injection queue.  With join == NULL the task is
 * detached.  free_cb (may be NULL) runs when the task is done and its join
 * handle, if any, has been freed, on the thread that drops the last
 * reference: rt_join_free's caller, or the worker that completed the task
 * (which may do so just after rt_join_wait has returned). */
int rt_spawn(rt_t *rt, rt_task_fn fn, void *state, rt_free_cb free_cb,
	     rt_join_t **join);

/* Runs fn(arg) on an rt-blocking-N thread; join output is fn's return value. */
int rt_spawn_blocking(rt_t *rt, rt_blocking_fn fn, void *arg, rt_join_t **join);

/* READY once the task or job finished; *out (may be NULL) gets the task's
 * state pointer, or the blocking job's return value. */
rt_poll_t rt_join_poll(rt_join_t *join, rt_cx_t *cx, void **out);
/* Drops the handle (detaches a task still running).  Cancels a pending poll. */
void rt_join_free(rt_join_t *join);
/* Blocks the calling thread, which must not be a worker (-EDEADLK), until
 * the task or job finished; *out as rt_join_poll.  The handle stays valid. */
int rt_join_wait(rt_join_t *join, void **out);

/* ---- poll context and wakers ------------------------------------------------ */

rt_t *rt_cx_rt(rt_cx_t *cx);
uint64_t rt_cx_task_id(rt_cx_t *cx);
int rt_cx_worker(rt_cx_t *cx);  /* index of the worker polling this task */

/* A reference to a task that can wake it from any thread. */
typedef struct rt_waker {
	rt_task_t *task;
} rt_waker_t;

/* Stores a waker for the current task in *w, replacing (and dropping) the one
 * there unless it already wakes the same task. */
void rt_waker_register(rt_waker_t *w, rt_cx_t *cx);
/* Wakes and drops the reference; a no-op on an empty waker. */
void rt_waker_wake(rt_waker_t *w);
void rt_waker_drop(rt_waker_t *w);

/* Yield (tokio::task::yield_now): the first poll returns PENDING, the next
 * READY.  As in Tokio 1.24 the wake is deferred: the worker first runs any
 * other local, injected or stealable task, and when it finds none it turns
 * the timer/I/O driver with a zero timeout, then wakes the yielded tasks.
 * So a task yielding in a loop does not hold back timers and I/O.
 * A yield is fresh after rt_yield_init, or when zeroed; a yield that
 * returned READY is fresh again, so a loop may re-init it or not. */
typedef struct rt_yield {
	bool yielded; /* private */
} rt_yield_t;
static inline void rt_yield_init(rt_yield_t *y)
{
	y->yielded = false;
}
rt_poll_t rt_yield_poll(rt_yield_t *y, rt_cx_t *cx);

/* Cooperative budget (Tokio's coop).  Leaf futures call this before doing
 * work: false means the task has used its budget, has been woken to run later,
 * and the leaf must return RT_PENDING. */
bool rt_coop_proceed(rt_cx_t *cx);

/* ---- time ------------------------------------------------------------------- */

uint64_t rt_now_ns(void);  /* CLOCK_MONOTONIC */

typedef struct rt_sleep {
	uint64_t deadline_ns;  /* absolute, rt_now_ns() clock */
	uint64_t fired_ns;     /* when the timer driver fired it (or a poll
				* found it already due); 0 before */
	/* private */
	rt_t *rt;
	size_t heap_index;
	uint64_t seq;
	rt_waker_t waker;
	int state;
} rt_sleep_t;

/* (Re)initialise; only on a sleep that is new, fired (poll returned READY)
 * or cancelled, never on one still registered. */
void rt_sleep_init(rt_sleep_t *s, uint64_t duration_ns);
void rt_sleep_until(rt_sleep_t *s, uint64_t deadline_ns);
rt_poll_t rt_sleep_poll(rt_sleep_t *s, rt_cx_t *cx);
/* Removes a registered timer; safe on an unregistered or fired one. */
void rt_sleep_cancel(rt_sleep_t *s);

/* A timeout is a sleep raced against another future: poll the inner future
 * first, and if it is pending, this.  READY means the deadline passed. */
typedef rt_sleep_t rt_timeout_t;
#define rt_timeout_init rt_sleep_init
#define rt_timeout_poll rt_sleep_poll
#define rt_timeout_cancel rt_sleep_cancel

/* Periodic ticks at start + k * period, k = 0, 1, ...: the first tick is
 * immediate, as tokio::time::interval.  An overdue tick fires once, late;
 * the ticks missed after it are skipped (Tokio's MissedTickBehavior::Skip);
 * *deadline_ns gets the scheduled time of the tick that fired. */
typedef struct rt_interval {
	uint64_t period_ns;
	rt_sleep_t sleep; /* private */
} rt_interval_t;
void rt_interval_init(rt_interval_t *iv, uint64_t period_ns);
rt_poll_t rt_interval_tick_poll(rt_interval_t *iv, rt_cx_t *cx,
				uint64_t *deadline_ns);
void rt_interval_cancel(rt_interval_t *iv);

/* ---- channels ----------------------------------------------------------------- */

/* Multi-producer single-consumer channel of pointers, bounded (cap > 0).
 * Reference counted: each holder calls rt_mpsc_unref once. */
typedef struct rt_mpsc rt_mpsc_t;
rt_mpsc_t *rt_mpsc_new(size_t cap);
rt_mpsc_t *rt_mpsc_ref(rt_mpsc_t *ch);
void rt_mpsc_unref(rt_mpsc_t *ch);
/* No further sends; the receiver drains what is queued, then sees NULL. */
void rt_mpsc_close(rt_mpsc_t *ch);
/* READY with *res = 0 when queued, -EPIPE when closed.  A sender waiting on a
 * full channel keeps its place: use one rt_mpsc_send_t per pending send. */
typedef struct rt_mpsc_send {
	void *private_node[4]; /* private */
} rt_mpsc_send_t;
rt_poll_t rt_mpsc_send_poll(rt_mpsc_t *ch, rt_mpsc_send_t *op, rt_cx_t *cx,
			    void *item, int *res);
void rt_mpsc_send_cancel(rt_mpsc_t *ch, rt_mpsc_send_t *op);
/* From any thread: 0, -EAGAIN (full) or -EPIPE (closed). */
int rt_mpsc_try_send(rt_mpsc_t *ch, void *item);
/* READY with *item, or *item = NULL once closed and empty. */
rt_poll_t rt_mpsc_recv_poll(rt_mpsc_t *ch, rt_cx_t *cx, void **item);

/* One value, once.  Two references: sender and receiver each unref once;
 * a sender that unrefs without sending closes it (receiver gets -EPIPE). */
typedef struct rt_oneshot rt_oneshot_t;
rt_oneshot_t *rt_oneshot_new(void);
int rt_oneshot_send(rt_oneshot_t *o, void *value);
/* READY with *res = 0 and *value, or *res = -EPIPE if the sender went away. */
rt_poll_t rt_oneshot_recv_poll(rt_oneshot_t *o, rt_cx_t *cx, void **value,
			       int *res);
/* Cancels a pending receive (rule 2): drops the waker it registered, e.g.
 * when a timeout raced against it won.  The oneshot stays open, so a later
 * rt_oneshot_recv_poll may still get the value.  Safe with nothing pending. */
void rt_oneshot_recv_cancel(rt_oneshot_t *o);
void rt_oneshot_unref(rt_oneshot_t *o);

/* ---- locks -------------------------------------------------------------------- */

/* Fair FIFO async mutex (tokio::sync::Mutex): the lock is handed directly to
 * the longest waiter on unlock, so a holder that is suspended across an await
 * keeps every waiter waiting (the suspension convoy). */
typedef struct rt_mutex_waiter {
	struct rt_mutex_waiter *next, *prev; /* private */
	rt_waker_t waker;                    /* private */
	uint64_t wait_start_ns;              /* private */
	int state;                           /* private */
} rt_mutex_waiter_t;

typedef struct rt_mutex {
	const char *name;
	/* private */
	pthread_mutex_t mu;
	bool locked;
	uint64_t holder_task;
	uint64_t acquired_ns;
	uint64_t holder_poll0;   /* holder's rt__cur_poll_ns at the hand-off */
	rt_mutex_waiter_t *head, *tail;
} rt_mutex_t;

/* Hold time (probe rt:mutex_release) runs from the hand-off, so it includes
 * the new holder's scheduling delay before its next poll. */
void rt_mutex_init(rt_mutex_t *m, const char *name);
void rt_mutex_destroy(rt_mutex_t *m);
/* `w` lives in the caller's state until READY or cancelled. */
rt_poll_t rt_mutex_lock_poll(rt_mutex_t *m, rt_mutex_waiter_t *w, rt_cx_t *cx);
void rt_mutex_lock_cancel(rt_mutex_t *m, rt_mutex_waiter_t *w);
void rt_mutex_unlock(rt_mutex_t *m);

/* Synchronous lock: a pthread mutex with the runtime's lock probes.  Blocks
 * the calling thread (a worker, if called from a task: that is the point). */
typedef struct rt_sync_mutex {
	const char *name;
	/* private */
	pthread_mutex_t mu;
	uint64_t acquired_ns;
} rt_sync_mutex_t;

void rt_sync_mutex_init(rt_sync_mutex_t *m, const char *name);
void rt_sync_mutex_destroy(rt_sync_mutex_t *m);
void rt_sync_mutex_lock(rt_sync_mutex_t *m);
void rt_sync_mutex_unlock(rt_sync_mutex_t *m);

/* ---- I/O -------------------------------------------------------------------- */

/* A non-blocking fd registered with the runtime's epoll driver
 * (edge-triggered, like mio).  The caller owns the fd. */
typedef struct rt_io {
	int fd;
	/* private */
	rt_t *rt;
	pthread_mutex_t mu;
	uint32_t ready;
	rt_waker_t read_waker, write_waker;
} rt_io_t;

/* Sets O_NONBLOCK and registers. */
int rt_io_register(rt_t *rt, rt_io_t *io, int fd);
/* Deregisters and drops wakers; does not close the fd. */
void rt_io_deregister(rt_io_t *io);
/* Each is READY with *res = bytes or fd (>= 0) or -errno; PENDING on EAGAIN,
 * with the waker registered for the matching readiness. */
rt_poll_t rt_io_read_poll(rt_io_t *io, rt_cx_t *cx, void *buf, size_t len,
			  ssize_t *res);
rt_poll_t rt_io_write_poll(rt_io_t *io, rt_cx_t *cx, const void *buf,
			   size_t len, ssize_t *res);
rt_poll_t rt_io_accept_poll(rt_io_t *io, rt_cx_t *cx, ssize_t *res);
/* Non-blocking connect: call connect(2) on the registered fd first (it
 * returns EINPROGRESS), then poll this: READY with *res = 0 once connected,
 * or -errno. */
rt_poll_t rt_io_connect_poll(rt_io_t *io, rt_cx_t *cx, int *res);

/* ---- state-machine macros ------------------------------------------------------ */

/*
 * A poll function written as straight-line code over a resumption point `pc`
 * (an int in the task state, 0 at spawn).  Locals do not survive an await:
 * keep everything in the state.  Example:
 *
 *	RT_ASYNC_BEGIN(&st->pc);
 *	rt_sleep_init(&st->sleep, 1000000);
 *	RT_AWAIT(&st->pc, rt_sleep_poll(&st->sleep, cx));
 *	RT_ASYNC_END(&st->pc);
 */
#define RT_ASYNC_BEGIN(pc) switch (*(pc)) { case 0:
#define RT_AWAIT(pc, poll_expr)                                              \
	do {                                                                 \
		*(pc) = __LINE__;                                            \
		/* fallthrough */                                            \
	case __LINE__:                                                       \
		if ((poll_expr) == RT_PENDING)                               \
			return RT_PENDING;                                   \
	} while (0)
#define RT_ASYNC_END(pc) default: break; } *(pc) = -1; return RT_READY

#ifdef __cplusplus
}
#endif

#endif /* RT_H */
