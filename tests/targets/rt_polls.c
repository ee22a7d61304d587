// SPDX-License-Identifier: MIT
/*
 * rt_polls - a poll-heavy rt workload for the runtime tier's overhead
 * benchmark (scripts/bench-observer.sh): how many polls per second a worker
 * makes when each poll does a short, fixed amount of CPU work.
 *
 *	rt_polls [-m yield|pingpong] [-w WORKERS] [-t TASKS]
 *		 [-u NS | -l LOOPS] [-s SECS] [-W SECS]
 *	rt_polls -C NS
 *
 * -m yield (default): TASKS tasks (default 2) on WORKERS workers (default 1)
 *	each do the work and yield (rt_yield_poll), so the worker goes from
 *	poll to poll without blocking: the 500k polls/s point of the issue.
 * -m pingpong: TASKS / 2 pairs of tasks (default 1 pair) pass one token
 *	back and forth through two mpsc channels; a poll takes the token,
 *	does the work and sends it on (again, if the token is back before
 *	it returns; POLLS then counts passes).  The two tasks of a pair live
 *	in two runtimes of WORKERS workers each (default 1, so 2 worker threads):
 *	within one runtime the LIFO slot would keep both on one worker, which
 *	then never sleeps.  Across runtimes every send is a wake of another
 *	runtime's worker (injection queue, unpark), which parks again as soon
 *	as it has sent the token back: a context switch per pass, so the
 *	BPF switch path (which reads the published worker record) runs
 *	all the time.
 * -u NS    CPU work per poll, calibrated here at start (default 1700 ns:
 *	    about 500k polls/s for one yielding worker on the development VM,
 *	    whose runtime adds ~250 ns per yield);
 * -l LOOPS the same work as a fixed loop count (from -C), so that every run
 *	    of a benchmark does exactly the same work; 0 for none
 * -s SECS  measured run (default 3)
 * -W SECS  sleep first, before the runtime exists, so that a tracer attaching
 *	    with -p PID sees the workers start (default 0)
 * -C NS    print "loops_per_work NS LOOPS" (from the fastest of 20 timed
 *	    tries) and exit
 * The work is LOOPS xorshift steps (no memory traffic, no syscalls): a fixed
 * amount of work, not a fixed time, so that any cost a probe adds to the
 * poll path shows as fewer polls per second.
 *
 * Prints one "config" line, then as its last line
 *	rt_polls POLLS SECS polls_per_s R switches_per_s S cpu_ns_per_poll C
 *		entries E
 * where POLLS counts polls that did the work during the run, switches are
 * the process's voluntary + involuntary context switches, and C is the
 * process's user + system CPU time per poll (getrusage): robust on a shared
 * box, where other processes lower R but not C.  E counts every call of a
 * poll function, to the end (ground truth for a tracer's poll count).  In
 * yield mode E = POLLS + one last poll per task.  In pingpong mode a poll
 * that finds the token already back (the peer answered while it was still
 * in the poll, e.g. on another CPU) does the work again, so POLLS counts
 * units of work, and can exceed E; pinned to one CPU they are nearly equal.
 * Bad input: one line on stderr, exit 2.
 */
#include <getopt.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "rt.h"
#include "target.h"

#define DEFAULT_WORK_NS 1700
#define MAX_TASKS 1024

static const char *prog = "rt_polls";
static atomic_bool stop;
static unsigned long work_loops;

/* One task's state.  `polls` is written only by the worker polling the task
 * and read by main after the join, which orders the two. */
struct task {
	int pc;
	unsigned long polls;	/* polls that did the work (see below) */
	unsigned long entries;	/* every call of the poll function */
	rt_yield_t y;
	/* pingpong */
	rt_mpsc_t *inbox, *outbox;
	rt_mpsc_send_t op;
	void *item;
	int res;
};

static bool stopping(void)
{
	return atomic_load_explicit(&stop, memory_order_relaxed);
}

static rt_poll_t yield_fn(rt_cx_t *cx, void *st)
{
	struct task *t = st;

	t->entries++;
	RT_ASYNC_BEGIN(&t->pc);
	while (!stopping()) {
		tgt_work(work_loops);
		t->polls++;
		rt_yield_init(&t->y);
		RT_AWAIT(&t->pc, rt_yield_poll(&t->y, cx));
	}
	RT_ASYNC_END(&t->pc);
}

/* Ends when main closes the channels (recv sees NULL, send -EPIPE). */
static rt_poll_t pingpong_fn(rt_cx_t *cx, void *st)
{
	struct task *t = st;

	t->entries++;
	RT_ASYNC_BEGIN(&t->pc);
	for (;;) {
		RT_AWAIT(&t->pc, rt_mpsc_recv_poll(t->inbox, cx, &t->item));
		if (!t->item || stopping())
			break;
		tgt_work(work_loops);
		t->polls++;
		RT_AWAIT(&t->pc, rt_mpsc_send_poll(t->outbox, &t->op, cx,
						   t->item, &t->res));
		if (t->res)
			break;
	}
	RT_ASYNC_END(&t->pc);
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [-m yield|pingpong] [-w WORKERS] [-t TASKS] "
		"[-u NS | -l LOOPS] [-s SECS] [-W SECS] | -C NS\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0 };
	rt_config_t cfg = { 0 };
	struct task *tasks = NULL;
	rt_join_t **joins = NULL;
	rt_t *rts[2] = { NULL, NULL };
	bool pingpong = false, have_loops = false, have_ns = false;
	long secs = 3, wait_s = 0, work_ns = DEFAULT_WORK_NS, cal_ns = 0;
	long workers = 0, ntasks = 0, i;
	uint64_t t0, t1, sw0, sw1, cpu0, cpu1;
	unsigned long polls = 0, entries = 0;
	double dt;
	int opt, err;

	while ((opt = getopt(argc, argv, "m:w:t:u:l:s:W:C:")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "pingpong"))
				pingpong = true;
			else if (strcmp(optarg, "yield"))
				tgt_die(prog, "bad mode '%s' (want yield or "
					"pingpong)", optarg);
			break;
		case 'w':
			workers = tgt_arg_long(prog, "workers", optarg, 1, 64);
			break;
		case 't':
			ntasks = tgt_arg_long(prog, "tasks", optarg, 1,
					      MAX_TASKS);
			break;
		case 'u':
			work_ns = tgt_arg_long(prog, "nanoseconds", optarg, 0,
					       10000000);
			have_ns = true;
			break;
		case 'l':
			work_loops = (unsigned long)tgt_arg_long(prog, "loops",
						optarg, 0, 1000000000L);
			have_loops = true;
			break;
		case 's':
			secs = tgt_arg_long(prog, "seconds", optarg, 1, 3600);
			break;
		case 'W':
			wait_s = tgt_arg_long(prog, "seconds", optarg, 0, 3600);
			break;
		case 'C':
			cal_ns = tgt_arg_long(prog, "nanoseconds", optarg, 1,
					      10000000);
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		tgt_die(prog, "unexpected argument '%s'", argv[optind]);
	if (have_ns && have_loops)
		tgt_die(prog, "-u and -l both set the work per poll: give one");
	if (cal_ns) {
		printf("loops_per_work %ld %lu\n", cal_ns, tgt_calibrate_ns((uint64_t)cal_ns));
		return 0;
	}
	if (!workers)
		workers = 1;
	if (!ntasks)
		ntasks = 2;
	if (pingpong && ntasks % 2)
		tgt_die(prog, "pingpong needs an even number of tasks, not %ld",
			ntasks);
	if (!have_loops)
		work_loops = work_ns ? tgt_calibrate_ns((uint64_t)work_ns) : 0;

	tasks = calloc(ntasks, sizeof(*tasks));
	joins = calloc(ntasks, sizeof(*joins));
	if (!tasks || !joins)
		tgt_die(prog, "out of memory");
	for (i = 0; pingpong && i < ntasks; i += 2) {
		tasks[i].inbox = rt_mpsc_new(1);
		tasks[i + 1].inbox = rt_mpsc_new(1);
		if (!tasks[i].inbox || !tasks[i + 1].inbox)
			tgt_die(prog, "out of memory");
		tasks[i].outbox = tasks[i + 1].inbox;
		tasks[i + 1].outbox = tasks[i].inbox;
		/* the pair's one token starts with the even task */
		if (rt_mpsc_try_send(tasks[i].inbox, &tasks[i]))
			tgt_die(prog, "cannot queue the token");
	}
	printf("config mode %s runtimes %d workers %ld tasks %ld loops %lu\n",
	       pingpong ? "pingpong" : "yield", pingpong ? 2 : 1, workers,
	       ntasks, work_loops);
	fflush(stdout);

	/* Before the runtime exists: a tracer attached meanwhile sees every
	 * worker start (rt:worker_start). */
	ts.tv_sec = wait_s;
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);

	cfg.workers = (int)workers;
	for (i = 0; i < (pingpong ? 2 : 1); i++) {
		err = rt_new(&cfg, &rts[i]);
		if (err)
			tgt_die(prog, "rt_new: %s", strerror(-err));
	}
	tgt_usage_now(&sw0, &cpu0);
	t0 = tgt_now(CLOCK_MONOTONIC);
	for (i = 0; i < ntasks; i++) {
		/* pingpong: a pair's two tasks in two runtimes */
		err = rt_spawn(rts[pingpong ? i % 2 : 0],
			       pingpong ? pingpong_fn : yield_fn, &tasks[i],
			       NULL, &joins[i]);
		if (err)
			tgt_die(prog, "rt_spawn: %s", strerror(-err));
	}
	ts.tv_sec = secs;
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	atomic_store(&stop, true);
	t1 = tgt_now(CLOCK_MONOTONIC);
	tgt_usage_now(&sw1, &cpu1);
	for (i = 0; pingpong && i < ntasks; i++)
		rt_mpsc_close(tasks[i].inbox);
	for (i = 0; i < ntasks; i++) {
		err = rt_join_wait(joins[i], NULL);
		if (err)
			tgt_die(prog, "rt_join_wait: %s", strerror(-err));
		rt_join_free(joins[i]);
		polls += tasks[i].polls;
		entries += tasks[i].entries;
	}
	rt_free(rts[0]);
	rt_free(rts[1]);
	for (i = 0; pingpong && i < ntasks; i++)
		rt_mpsc_unref(tasks[i].inbox);

	dt = (double)(t1 - t0) / 1e9;
	printf("rt_polls %lu %.3f polls_per_s %.0f switches_per_s %.0f "
	       "cpu_ns_per_poll %.0f entries %lu\n", polls, dt, polls / dt,
	       (double)(sw1 - sw0) / dt,
	       polls ? (double)(cpu1 - cpu0) / polls : 0.0, entries);
	free(joins);
	free(tasks);
	return 0;
}
