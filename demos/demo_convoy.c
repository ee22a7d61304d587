// SPDX-License-Identifier: MIT
/*
 * demo_convoy - mutex convoy: scheduler delay turned into lock hold time.
 *
 * --lock sync (default): M tasks take an rt_sync_mutex (a pthread mutex)
 * around H us of CPU work while K CPU-bound threads compete with the workers
 * for the cores.  The kernel preempts lock holders; a preempted holder's
 * run-queue delay becomes hold time, and its peers block their workers in
 * futex waits, so the executor loses capacity.
 *
 * --lock async: M tasks hold the rt_mutex across a short await (a 100 us
 * sleep) while K tasks hog the workers with long CPU-bound polls: the
 * holder's wake-up waits for a worker, and that scheduling delay becomes
 * hold time for every waiter.
 *
 * --fixed applies the standard remedy: the work is done outside the critical
 * section and the lock is taken only for a short update, and the pressure is
 * kept off the workers: in async mode the hogs' work moves to the blocking
 * pool (rt_spawn_blocking); in sync mode the pressure threads run at
 * SCHED_IDLE (what one does with batch work sharing a box with a
 * latency-sensitive service), so the kernel no longer preempts a worker for
 * them.  The broken variant keeps them at the default policy: that
 * preemption of lock holders is the injected problem.  The Tokio peer
 * (demos/tokio tokio_convoy) applies the same remedy.
 *
 * The work inside the lock is a fixed amount of *CPU* time (the thread's
 * CPU clock), so that any excess of hold time over it is scheduling delay.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "rt.h"
#include "sched_probe.h"

enum lock_kind { LOCK_SYNC, LOCK_ASYNC };

static struct env {
	int contenders;
	long hold_us;
	int pressure; /* -1: one per online CPU */
	long pressure_ms;
	long await_us;
	long think_us;
	enum lock_kind lock;
} env = {
	.contenders = 4,
	.hold_us = 200,
	.pressure = -1,
	.pressure_ms = 5,
	.await_us = 100,
	.think_us = 0,
	.lock = LOCK_SYNC,
};

struct shared {
	rt_sync_mutex_t smu;
	rt_mutex_t amu;
	uint64_t value; /* the state the lock protects */
	uint64_t end_ns;
};

struct contender {
	int pc;
	struct shared *sh;
	rt_mutex_waiter_t w;
	rt_sleep_t sleep;
	rt_yield_t yield;
	uint64_t t0, t1, c1;
	uint64_t acqs;
	uint64_t cpu_in_lock_ns; /* thread CPU time inside the lock */
	struct stats wait;       /* lock wait, wall ns */
	struct stats hold;       /* lock hold, wall ns */
};

/* Async-mode pressure: a task whose polls hog a worker. */
struct hog {
	int pc;
	uint64_t end_ns;
	uint64_t spin_ns;
	rt_yield_t yield;
	rt_join_t *job;
};

struct root {
	int pc;
	int err;
	int i;
	uint64_t start_ns, stop_ns;
	struct shared sh;
	struct sched_probe probe;
	struct contender *cont;
	rt_join_t **cjoin;
	struct hog *hogs;
	rt_join_t **hjoin;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Burns `ns` of this thread's CPU time: preemption stretches it in wall time,
 * which is the point. */
static void cpu_work(uint64_t ns)
{
	uint64_t start = thread_cpu_ns();

	while (thread_cpu_ns() - start < ns)
		;
}

static void *spin_wall(void *arg)
{
	uint64_t ns = *(const uint64_t *)arg, start = rt_now_ns();

	while (rt_now_ns() - start < ns)
		;
	return NULL;
}

static uint64_t pressure_ns(void)
{
	return (uint64_t)env.pressure_ms * 1000000ULL;
}

static rt_poll_t contender_poll(rt_cx_t *cx, void *state)
{
	struct contender *c = state;
	struct shared *sh = c->sh;
	uint64_t t2;

	RT_ASYNC_BEGIN(&c->pc);
	while (rt_now_ns() < sh->end_ns) {
		if (cli_env.fixed)
			/* The remedy: compute outside the critical section. */
			cpu_work((uint64_t)env.hold_us * 1000ULL);
		c->t0 = rt_now_ns();
		if (env.lock == LOCK_SYNC) {
			rt_sync_mutex_lock(&sh->smu);
		} else {
			RT_AWAIT(&c->pc, rt_mutex_lock_poll(&sh->amu, &c->w, cx));
		}
		c->t1 = rt_now_ns();
		c->c1 = thread_cpu_ns();
		if (!cli_env.fixed)
			/* The bug: preemptible work inside the lock. */
			cpu_work((uint64_t)env.hold_us * 1000ULL);
		sh->value++;
		c->cpu_in_lock_ns += thread_cpu_ns() - c->c1;
		if (env.lock == LOCK_ASYNC && !cli_env.fixed) {
			/* The bug: an await inside the lock, whose wake-up
			 * waits for a worker.  The CPU clock restarts after
			 * it because the task may resume on another thread. */
			rt_sleep_init(&c->sleep, (uint64_t)env.await_us * 1000ULL);
			RT_AWAIT(&c->pc, rt_sleep_poll(&c->sleep, cx));
		}
		t2 = rt_now_ns();
		if (env.lock == LOCK_SYNC)
			rt_sync_mutex_unlock(&sh->smu);
		else
			rt_mutex_unlock(&sh->amu);
		stats_record(&c->wait, c->t1 - c->t0);
		stats_record(&c->hold, t2 - c->t1);
		c->acqs++;
		if (env.lock == LOCK_ASYNC && cli_env.fixed) {
			/* The same await, outside the lock. */
			rt_sleep_init(&c->sleep, (uint64_t)env.await_us * 1000ULL);
			RT_AWAIT(&c->pc, rt_sleep_poll(&c->sleep, cx));
		}
		if (env.think_us) {
			/* Pause between acquisitions: an open system. */
			rt_sleep_init(&c->sleep, (uint64_t)env.think_us * 1000ULL);
			RT_AWAIT(&c->pc, rt_sleep_poll(&c->sleep, cx));
		} else {
			/* Let the other tasks of this worker run. */
			rt_yield_init(&c->yield);
			RT_AWAIT(&c->pc, rt_yield_poll(&c->yield, cx));
		}
	}
	RT_ASYNC_END(&c->pc);
}

static rt_poll_t hog_poll(rt_cx_t *cx, void *state)
{
	struct hog *h = state;

	RT_ASYNC_BEGIN(&h->pc);
	h->spin_ns = pressure_ns();
	while (rt_now_ns() < h->end_ns) {
		if (!cli_env.fixed) {
			/* A long CPU-bound poll on a worker. */
			spin_wall(&h->spin_ns);
			rt_yield_init(&h->yield);
			RT_AWAIT(&h->pc, rt_yield_poll(&h->yield, cx));
		} else {
			if (rt_spawn_blocking(rt_cx_rt(cx), spin_wall, &h->spin_ns,
					      &h->job))
				break;
			RT_AWAIT(&h->pc, rt_join_poll(h->job, cx, NULL));
			rt_join_free(h->job);
			h->job = NULL;
		}
	}
	RT_ASYNC_END(&h->pc);
}

static rt_poll_t root_poll(rt_cx_t *cx, void *state)
{
	struct root *st = state;
	rt_t *rt = rt_cx_rt(cx);
	int nhogs = env.lock == LOCK_ASYNC ? env.pressure : 0;

	RT_ASYNC_BEGIN(&st->pc);
	st->err = sched_probe_spawn(rt, &st->probe, st->sh.end_ns);
	if (st->err)
		return RT_READY;
	for (st->i = 0; st->i < nhogs; st->i++) {
		st->err = rt_spawn(rt, hog_poll, &st->hogs[st->i], NULL,
				   &st->hjoin[st->i]);
		if (st->err)
			return RT_READY;
	}
	for (st->i = 0; st->i < env.contenders; st->i++) {
		st->err = rt_spawn(rt, contender_poll, &st->cont[st->i], NULL,
				   &st->cjoin[st->i]);
		if (st->err)
			return RT_READY;
	}
	for (st->i = 0; st->i < env.contenders; st->i++) {
		RT_AWAIT(&st->pc, rt_join_poll(st->cjoin[st->i], cx, NULL));
		rt_join_free(st->cjoin[st->i]);
	}
	st->stop_ns = rt_now_ns();
	for (st->i = 0; st->i < nhogs; st->i++) {
		RT_AWAIT(&st->pc, rt_join_poll(st->hjoin[st->i], cx, NULL));
		rt_join_free(st->hjoin[st->i]);
	}
	RT_AWAIT(&st->pc, sched_probe_join_poll(&st->probe, cx));
	RT_ASYNC_END(&st->pc);
}

/* Pins pressure thread i to the i-th allowed CPU (round robin), so that every
 * core has a hog whatever the load balancer does with the workers: left
 * free, it may put both workers on one core and the hogs on the other,
 * where a holder is only ever preempted by its own waiter and no convoy
 * forms.  Best effort: without the affinity the demo still runs. */
static void pin_round_robin(pthread_t t, int i)
{
	cpu_set_t allowed, one;
	int n = 0, want;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) ||
	    CPU_COUNT(&allowed) == 0)
		return;
	want = i % CPU_COUNT(&allowed);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		if (n++ != want)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_setaffinity_np(t, sizeof(one), &one);
		return;
	}
}

/* Sync-mode pressure: CPU-bound threads outside the runtime, the rest of a
 * busy machine. */
static void *pressure_main(void *arg)
{
	const struct shared *sh = arg;

	while (rt_now_ns() < __atomic_load_n(&sh->end_ns, __ATOMIC_RELAXED))
		;
	return NULL;
}

static const char doc[] =
"Mutex convoy: scheduler delay turned into lock hold time.\n"
"\n"
"--lock sync: M tasks hold an rt_sync_mutex around H us of CPU work while K\n"
"CPU-bound threads make the kernel preempt lock holders.  --lock async: M\n"
"tasks hold the rt_mutex across a short await while K tasks hog the workers.\n"
"--fixed: work outside the lock, a short update inside, and the pressure\n"
"kept off the workers (sync: threads at SCHED_IDLE; async: hogs on the\n"
"blocking pool).\n"
"\v"
"EXAMPLES:\n"
"    demo_convoy --workers 2                    # hold p99 >> H, low acq/s\n"
"    demo_convoy --workers 2 --fixed            # short holds, more acq/s\n"
"    demo_convoy --workers 2 --lock async --json\n";

enum {
	OPT_CONTENDERS = 0x200,
	OPT_HOLD_US,
	OPT_PRESSURE,
	OPT_PRESSURE_MS,
	OPT_AWAIT_US,
	OPT_THINK_US,
	OPT_LOCK,
};

static const struct argp_option options[] = {
	{ "contenders", OPT_CONTENDERS, "M", 0, "Tasks taking the lock (default 4)", 0 },
	{ "hold-us", OPT_HOLD_US, "H", 0, "CPU work inside the lock, us (default 200)", 0 },
	{ "pressure", OPT_PRESSURE, "K", 0,
	  "CPU-bound threads (sync) or worker-hogging tasks (async) (default: CPUs)", 0 },
	{ "pressure-ms", OPT_PRESSURE_MS, "MS", 0,
	  "Async: length of each hogging poll (default 5)", 0 },
	{ "await-us", OPT_AWAIT_US, "US", 0,
	  "Async: the await inside the lock (default 100)", 0 },
	{ "think-us", OPT_THINK_US, "US", 0,
	  "Each contender's pause between acquisitions (default 0: only a yield)", 0 },
	{ "lock", OPT_LOCK, "KIND", 0, "sync (pthread) or async (rt_mutex) (default sync)", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_CONTENDERS:
		env.contenders = (int)cli_long(state, "contenders", arg, 1, 10000);
		break;
	case OPT_HOLD_US:
		env.hold_us = cli_long(state, "hold-us", arg, 1, 1000000);
		break;
	case OPT_PRESSURE:
		env.pressure = (int)cli_long(state, "pressure", arg, 0, 1024);
		break;
	case OPT_PRESSURE_MS:
		env.pressure_ms = cli_long(state, "pressure-ms", arg, 1, 10000);
		break;
	case OPT_AWAIT_US:
		env.await_us = cli_long(state, "await-us", arg, 1, 1000000);
		break;
	case OPT_THINK_US:
		env.think_us = cli_long(state, "think-us", arg, 0, 10000000);
		break;
	case OPT_LOCK:
		if (!strcmp(arg, "sync"))
			env.lock = LOCK_SYNC;
		else if (!strcmp(arg, "async"))
			env.lock = LOCK_ASYNC;
		else
			argp_failure(state, 2, 0,
				     "invalid value for --lock: '%s' (want sync or async)",
				     arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct argp argp = {
	.options = options,
	.parser = parse_opt,
	.doc = doc,
};

static int report_run(struct root *st)
{
	double secs = (double)(st->stop_ns - st->start_ns) / 1e9;
	struct stats wait, hold;
	uint64_t acqs = 0, cpu = 0, waited = 0;
	struct report rep;
	double work_us;

	stats_init(&wait);
	stats_init(&hold);
	for (int i = 0; i < env.contenders; i++) {
		stats_merge(&wait, &st->cont[i].wait);
		stats_merge(&hold, &st->cont[i].hold);
		acqs += st->cont[i].acqs;
		cpu += st->cont[i].cpu_in_lock_ns;
		waited += st->cont[i].wait.sum;
	}
	if (secs <= 0)
		secs = cli_env.secs;
	work_us = acqs ? (double)cpu / (double)acqs / 1000.0 : 0;
	if (report_init(&rep, "convoy"))
		return -ENOMEM;
	report_probe(&rep, &st->probe.late);
	report_real(&rep, "acq_per_s", "acquisitions/s", (double)acqs / secs,
		    NULL);
	report_stats(&rep, "wait_us", "lock wait", &wait, false);
	report_stats(&rep, "hold_us", "lock hold (wall)", &hold, false);
	report_real(&rep, "work_in_lock_us", "CPU work in lock (mean)",
		    work_us, "us");
	if (env.lock == LOCK_SYNC)
		/* A sync lock wait blocks the worker: capacity the executor
		 * lost, as a share of all worker time. */
		report_real(&rep, "worker_lock_wait_pct", "worker time in lock wait",
			    100.0 * (double)waited / 1e9 / secs / cli_env.workers,
			    "%");
	report_set(&rep, "lock", json_string(env.lock == LOCK_SYNC ? "sync" : "async"));
	report_line(&rep, "setup", "%s lock, M=%d contenders, H=%ld us, K=%d %s",
		    env.lock == LOCK_SYNC ? "sync" : "async", env.contenders,
		    env.hold_us, env.pressure,
		    env.lock == LOCK_SYNC ?
			    (cli_env.fixed ? "CPU threads at SCHED_IDLE" : "CPU threads") :
		    cli_env.fixed ? "hogs on the blocking pool" : "worker hogs");
	report_set(&rep, "contenders", json_integer(env.contenders));
	report_set(&rep, "hold_us_configured", json_integer(env.hold_us));
	report_set(&rep, "pressure", json_integer(env.pressure));
	/* Where the pressure ran: "normal" (broken sync: it preempts lock
	 * holders), "idle" (fixed sync: SCHED_IDLE), "workers" (broken async:
	 * hogging polls), "blocking-pool" (fixed async). */
	report_set(&rep, "pressure_sched",
		   json_string(env.lock == LOCK_SYNC ?
			       (cli_env.fixed ? "idle" : "normal") :
			       (cli_env.fixed ? "blocking-pool" : "workers")));
	return report_print(&rep);
}

int main(int argc, char **argv)
{
	rt_config_t cfg = {};
	pthread_t *threads = NULL;
	int started = 0, err;
	struct root *st;
	rt_t *rt = NULL;

	cli_parse(&argp, argc, argv, 3.0);
	if (env.pressure < 0)
		env.pressure = (int)sysconf(_SC_NPROCESSORS_ONLN);
	st = calloc(1, sizeof(*st));
	if (st) {
		st->cont = calloc((size_t)env.contenders, sizeof(*st->cont));
		st->cjoin = calloc((size_t)env.contenders, sizeof(*st->cjoin));
		st->hogs = calloc((size_t)env.pressure + 1, sizeof(*st->hogs));
		st->hjoin = calloc((size_t)env.pressure + 1, sizeof(*st->hjoin));
		threads = calloc((size_t)env.pressure + 1, sizeof(*threads));
	}
	if (!st || !st->cont || !st->cjoin || !st->hogs || !st->hjoin ||
	    !threads) {
		fprintf(stderr, "demo_convoy: out of memory\n");
		return 1;
	}
	rt_sync_mutex_init(&st->sh.smu, "convoy-sync");
	rt_mutex_init(&st->sh.amu, "convoy-async");
	for (int i = 0; i < env.contenders; i++) {
		st->cont[i].sh = &st->sh;
		stats_init(&st->cont[i].wait);
		stats_init(&st->cont[i].hold);
	}

	cfg.workers = cli_env.workers;
	err = rt_new(&cfg, &rt);
	if (err) {
		fprintf(stderr, "demo_convoy: cannot start the runtime: %s\n",
			strerror(-err));
		return 1;
	}
	st->start_ns = rt_now_ns();
	st->sh.end_ns = st->start_ns + cli_secs_ns();
	for (int i = 0; i < env.pressure; i++)
		st->hogs[i].end_ns = st->sh.end_ns;
	if (env.lock == LOCK_SYNC) {
		for (; started < env.pressure; started++) {
			err = -pthread_create(&threads[started], NULL,
					      pressure_main, &st->sh);
			if (err) {
				fprintf(stderr, "demo_convoy: pressure thread: %s\n",
					strerror(-err));
				goto cleanup;
			}
			pthread_setname_np(threads[started], "pressure");
			pin_round_robin(threads[started], started);
			if (cli_env.fixed) {
				/* SCHED_IDLE needs no privilege (sched(7)). */
				struct sched_param sp = { .sched_priority = 0 };

				err = -pthread_setschedparam(threads[started],
							     SCHED_IDLE, &sp);
				if (err) {
					started++;
					fprintf(stderr,
						"demo_convoy: SCHED_IDLE for a pressure thread: %s\n",
						strerror(-err));
					goto cleanup;
				}
			}
		}
	}
	err = rt_block_on(rt, root_poll, st);
	if (!err)
		err = st->err;
	if (err)
		fprintf(stderr, "demo_convoy: run failed: %s\n", strerror(-err));
cleanup:
	/* Pressure threads stop at end_ns; move it up on early failure. */
	__atomic_store_n(&st->sh.end_ns, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	rt_free(rt);
	if (!err) {
		rt_sync_mutex_destroy(&st->sh.smu);
		rt_mutex_destroy(&st->sh.amu);
		if (report_run(st))
			err = -EIO;
	}
	free(threads);
	free(st->cont);
	free(st->cjoin);
	free(st->hogs);
	free(st->hjoin);
	free(st);
	return err ? 1 : 0;
}
