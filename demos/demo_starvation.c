// SPDX-License-Identifier: MIT
/*
 * demo_starvation - executor starvation: K tasks block their worker thread
 * for B ms every P ms (a thread sleep, a CPU spin, or a blocking read(2) on a
 * pipe that a helper thread feeds after B ms).  While a worker is blocked it
 * polls nothing else: with K >= N workers the probe's lateness approaches B.
 * With K < N the probe may look fine, but the tasks woken on a worker just
 * before it blocks (its LIFO slot, its local queue) wait with it: each blocker
 * wakes V "victim" tasks right before blocking and their wake-to-poll delay
 * is reported.  --fixed moves the blocking call to rt_spawn_blocking.
 *
 * --mode greedy blocks nothing: for B ms every P ms each task drains a
 * channel that is never empty (it receives and re-sends one item, like a
 * socket that is always readable), so every await is ready at once and the
 * task never returns PENDING on its own.  The cooperative budget (128 ready
 * awaits per poll, Tokio's coop) is then the only thing that ends its polls;
 * --no-budget (rt_config_t.disable_budget) turns it off and the drain holds
 * the worker for the whole B ms, as --mode spin does.  --fixed in this mode
 * is the hand-written remedy: rt_yield_poll every GREEDY_YIELD_EVERY items.
 *
 * The injected blocking is counted exactly: "block_ns_total" is the sum of
 * the wall time spent inside the blocking call itself (clock_nanosleep,
 * read, or the spin), so an observer can compare it with the off-CPU time
 * the kernel saw.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block.h"
#include "cli.h"
#include "report.h"
#include "rt.h"
#include "sched_probe.h"

enum block_mode { MODE_SLEEP, MODE_SPIN, MODE_IO, MODE_GREEDY, MODE_COUNT };
static const char *const mode_names[] = { "sleep", "spin", "io", "greedy" };
_Static_assert(sizeof(mode_names) / sizeof(mode_names[0]) == MODE_COUNT,
	       "a name per mode");

/* --mode greedy --fixed yields by hand this often: the budget's own size
 * (Tokio's Budget::initial()), so the fix ends polls as the budget does. */
#define GREEDY_YIELD_EVERY 128

static struct env {
	int blockers;
	int victims; /* per blocker */
	long block_ms;
	long period_ms;
	enum block_mode mode;
	bool no_lifo;
	bool no_budget;
} env = {
	/* On 2 cores with --workers 2 this keeps each worker blocked 80% of
	 * the time: the probe's p99 lateness lands near B. */
	.blockers = 2,
	.victims = 1,
	.block_ms = 20,
	.period_ms = 25,
	.mode = MODE_SLEEP,
};

struct blocker;

/* A task woken by its blocker right before the blocker blocks its worker. */
struct victim {
	int pc;
	struct blocker *b;
	rt_mpsc_t *ch;        /* from its blocker (single consumer: one each) */
	void *item;
	uint64_t same_worker; /* polls on the worker its blocker blocked */
	struct stats delay;   /* wake (send) to first poll, ns */
};

struct blocker {
	int pc;
	uint64_t end_ns;
	uint64_t block_ns;
	rt_interval_t iv;
	uint64_t tick_ns;
	rt_join_t *job;        /* --fixed: the blocking-pool job */
	struct victim *victims; /* env.victims of them */
	int send_worker;       /* worker it ran on when it woke the victims */
	/* MODE_IO: req: blocker -> feeder, data: feeder -> blocker */
	int req[2], data[2];
	pthread_t feeder;
	bool feeder_started;
	/* MODE_GREEDY: a channel that always holds one item (never empty, so
	 * every receive is ready), the current drain, the manual yield */
	rt_mpsc_t *ch;
	void *item;
	uint64_t drain_start_ns, drain_end_ns;
	int since_yield;
	rt_yield_t y;
	/* what was injected, counted inside the blocking call only (greedy:
	 * a drain, from its start to the first check after B ms) */
	uint64_t blocks;
	uint64_t blocked_ns;
	uint64_t items; /* greedy: ready receives */
	uint64_t polls; /* polls of this task, all modes */
};

struct root {
	int pc;
	int err;
	int i;
	uint64_t end_ns;
	struct sched_probe probe;
	struct blocker *blockers;
	rt_join_t **bjoin;
	struct victim *victims;
	rt_join_t **vjoin;
};

/* The blocking call itself; runs on a worker (broken) or a blocking-pool
 * thread (--fixed).  Only the call is timed. */
static void *block_once(void *arg)
{
	struct blocker *b = arg;
	uint64_t t0, t1;
	char c = 'x';
	ssize_t n;

	switch (env.mode) {
	case MODE_SLEEP:
		t0 = rt_now_ns();
		demo_sleep_ns(b->block_ns);
		t1 = rt_now_ns();
		break;
	case MODE_SPIN:
		t0 = rt_now_ns();
		do
			t1 = rt_now_ns();
		while (t1 - t0 < b->block_ns);
		break;
	case MODE_IO:
	default:
		/* The feeder answers B ms after it sees the request. */
		if (write(b->req[1], &c, 1) != 1)
			return (void *)(intptr_t)-errno;
		t0 = rt_now_ns();
		do
			n = read(b->data[0], &c, 1);
		while (n < 0 && errno == EINTR);
		t1 = rt_now_ns();
		if (n != 1)
			return (void *)(intptr_t)-EIO;
		break;
	}
	b->blocks++;
	b->blocked_ns += t1 - t0;
	return NULL;
}

static void *feeder_main(void *arg)
{
	struct blocker *b = arg;
	char c;

	/* EOF on req (the blocker closed it) ends the feeder. */
	while (read(b->req[0], &c, 1) == 1) {
		demo_sleep_ns(b->block_ns);
		if (write(b->data[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void wake_victims(struct blocker *b, rt_cx_t *cx)
{
	/* The timestamp travels as the item: non-zero, and 64-bit pointers
	 * hold it.  A full channel means the victims are already behind. */
	_Static_assert(sizeof(void *) >= sizeof(uint64_t), "64-bit pointers");
	__atomic_store_n(&b->send_worker, rt_cx_worker(cx), __ATOMIC_RELAXED);
	for (int i = 0; i < env.victims; i++)
		rt_mpsc_try_send(b->victims[i].ch,
				 (void *)(uintptr_t)rt_now_ns());
}

static rt_poll_t blocker_poll(rt_cx_t *cx, void *state)
{
	struct blocker *b = state;
	void *out;

	b->polls++;
	RT_ASYNC_BEGIN(&b->pc);
	rt_interval_init(&b->iv, (uint64_t)env.period_ms * 1000000ULL);
	for (;;) {
		RT_AWAIT(&b->pc, rt_interval_tick_poll(&b->iv, cx, &b->tick_ns));
		if (rt_now_ns() >= b->end_ns)
			break;
		wake_victims(b, cx);
		if (env.mode == MODE_GREEDY) {
			/* Every receive is ready: only the budget (or, with
			 * --fixed, the yield) ends this poll before B ms. */
			b->drain_start_ns = rt_now_ns();
			b->drain_end_ns = b->drain_start_ns + b->block_ns;
			b->since_yield = 0;
			while (rt_now_ns() < b->drain_end_ns) {
				RT_AWAIT(&b->pc, rt_mpsc_recv_poll(b->ch, cx,
								   &b->item));
				b->items++;
				/* Cannot fail: one item in a channel of 4. */
				rt_mpsc_try_send(b->ch, b->item);
				if (cli_env.fixed &&
				    ++b->since_yield == GREEDY_YIELD_EVERY) {
					b->since_yield = 0;
					rt_yield_init(&b->y);
					RT_AWAIT(&b->pc, rt_yield_poll(&b->y, cx));
				}
			}
			b->blocks++;
			b->blocked_ns += rt_now_ns() - b->drain_start_ns;
			continue;
		}
		if (!cli_env.fixed) {
			/* The bug: a blocking call inside a poll. */
			block_once(b);
			continue;
		}
		if (rt_spawn_blocking(rt_cx_rt(cx), block_once, b, &b->job))
			block_once(b); /* pool refused: degrade, still counted */
		else {
			RT_AWAIT(&b->pc, rt_join_poll(b->job, cx, &out));
			rt_join_free(b->job);
			b->job = NULL;
		}
	}
	rt_interval_cancel(&b->iv);
	for (int i = 0; i < env.victims; i++)
		rt_mpsc_close(b->victims[i].ch);
	RT_ASYNC_END(&b->pc);
}

static rt_poll_t victim_poll(rt_cx_t *cx, void *state)
{
	struct victim *v = state;
	uint64_t now;

	RT_ASYNC_BEGIN(&v->pc);
	for (;;) {
		RT_AWAIT(&v->pc, rt_mpsc_recv_poll(v->ch, cx, &v->item));
		if (!v->item)
			break;
		now = rt_now_ns();
		stats_record(&v->delay, now - (uint64_t)(uintptr_t)v->item);
		if (rt_cx_worker(cx) ==
		    __atomic_load_n(&v->b->send_worker, __ATOMIC_RELAXED))
			v->same_worker++;
	}
	RT_ASYNC_END(&v->pc);
}

static rt_poll_t root_poll(rt_cx_t *cx, void *state)
{
	struct root *st = state;
	rt_t *rt = rt_cx_rt(cx);
	int nv = env.blockers * env.victims;

	RT_ASYNC_BEGIN(&st->pc);
	st->err = sched_probe_spawn(rt, &st->probe, st->end_ns);
	if (st->err)
		return RT_READY;
	/* Victims first so that they are waiting when the first tick fires. */
	for (st->i = 0; st->i < nv; st->i++) {
		st->err = rt_spawn(rt, victim_poll, &st->victims[st->i], NULL,
				   &st->vjoin[st->i]);
		if (st->err)
			return RT_READY; /* the process exits: nothing to undo */
	}
	for (st->i = 0; st->i < env.blockers; st->i++) {
		st->err = rt_spawn(rt, blocker_poll, &st->blockers[st->i], NULL,
				   &st->bjoin[st->i]);
		if (st->err)
			return RT_READY;
	}
	for (st->i = 0; st->i < env.blockers; st->i++) {
		RT_AWAIT(&st->pc, rt_join_poll(st->bjoin[st->i], cx, NULL));
		rt_join_free(st->bjoin[st->i]);
	}
	for (st->i = 0; st->i < nv; st->i++) {
		RT_AWAIT(&st->pc, rt_join_poll(st->vjoin[st->i], cx, NULL));
		rt_join_free(st->vjoin[st->i]);
	}
	RT_AWAIT(&st->pc, sched_probe_join_poll(&st->probe, cx));
	RT_ASYNC_END(&st->pc);
}

static const char doc[] =
"Executor starvation: tasks that block their worker thread inside a poll.\n"
"\n"
"K tasks block their worker for B ms every P ms.  With K >= workers the\n"
"probe's lateness approaches B; with K < workers, watch the victims: tasks\n"
"woken on a worker right before it blocks wait with it.  --fixed moves the\n"
"blocking call to rt_spawn_blocking.\n"
"\n"
"--mode greedy blocks nothing: each task drains an always-ready channel for\n"
"B ms, so only the cooperative budget (128 ready awaits per poll) lets the\n"
"worker poll anything else; --no-budget turns it off and the worker is held\n"
"B ms.  With greedy, --fixed yields by hand every 128 items instead.\n"
"\v"
"EXAMPLES:\n"
"    demo_starvation --workers 2                 # K=2 >= N: probe p99 ~ B\n"
"    demo_starvation --workers 2 --fixed         # probe p99 sub-millisecond\n"
"    demo_starvation --workers 2 --blockers 1    # K < N: victims wait ~B\n"
"    demo_starvation --mode io --json            # blocking read(2)\n"
"    demo_starvation --workers 2 --mode greedy   # budget: probe p99 << B\n"
"    demo_starvation --workers 2 --mode greedy --no-budget   # p99 ~ B\n";

enum {
	OPT_BLOCKERS = 0x200,
	OPT_BLOCK_MS,
	OPT_PERIOD_MS,
	OPT_MODE,
	OPT_VICTIMS,
	OPT_NO_LIFO,
	OPT_NO_BUDGET,
};

static const struct argp_option options[] = {
	{ "blockers", OPT_BLOCKERS, "K", 0, "Blocking tasks (default 2)", 0 },
	{ "block-ms", OPT_BLOCK_MS, "B", 0, "Each block lasts B ms (default 20)", 0 },
	{ "period-ms", OPT_PERIOD_MS, "P", 0, "A block every P ms (default 25)", 0 },
	{ "mode", OPT_MODE, "MODE", 0,
	  "sleep (clock_nanosleep), spin (CPU), io (blocking read) or greedy "
	  "(drain an always-ready channel: nothing blocks, only the budget "
	  "ends a poll) (default sleep)", 0 },
	{ "victims", OPT_VICTIMS, "V", 0,
	  "Tasks each blocker wakes right before blocking (default 1)", 0 },
	{ "no-lifo", OPT_NO_LIFO, NULL, 0, "Run the runtime without its LIFO slot", 0 },
	{ "no-budget", OPT_NO_BUDGET, NULL, 0,
	  "Run the runtime without its cooperative budget (disable_budget)", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	int i;

	switch (key) {
	case OPT_BLOCKERS:
		env.blockers = (int)cli_long(state, "blockers", arg, 0, 1024);
		break;
	case OPT_BLOCK_MS:
		env.block_ms = cli_long(state, "block-ms", arg, 1, 60000);
		break;
	case OPT_PERIOD_MS:
		env.period_ms = cli_long(state, "period-ms", arg, 1, 60000);
		break;
	case OPT_VICTIMS:
		env.victims = (int)cli_long(state, "victims", arg, 0, 64);
		break;
	case OPT_NO_LIFO:
		env.no_lifo = true;
		break;
	case OPT_NO_BUDGET:
		env.no_budget = true;
		break;
	case OPT_MODE:
		for (i = 0; i < MODE_COUNT; i++)
			if (!strcmp(arg, mode_names[i]))
				break;
		if (i == MODE_COUNT)
			argp_failure(state, 2, 0,
				     "invalid value for --mode: '%s' (want sleep, spin, io or greedy)",
				     arg);
		env.mode = (enum block_mode)i;
		break;
	case ARGP_KEY_END:
		if (env.block_ms > env.period_ms)
			argp_failure(state, 2, 0,
				     "--block-ms (%ld) must not exceed --period-ms (%ld)",
				     env.block_ms, env.period_ms);
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

static int blockers_setup(struct root *st)
{
	for (int i = 0; i < env.blockers; i++) {
		struct blocker *b = &st->blockers[i];

		b->end_ns = st->end_ns;
		b->block_ns = (uint64_t)env.block_ms * 1000000ULL;
		b->req[0] = b->req[1] = b->data[0] = b->data[1] = -1;
		b->send_worker = -1;
		b->victims = &st->victims[i * env.victims];
		for (int j = 0; j < env.victims; j++) {
			struct victim *v = &b->victims[j];

			v->b = b;
			stats_init(&v->delay);
			/* A few periods of slack: a full channel only
			 * means the victim is already far behind. */
			v->ch = rt_mpsc_new(4);
			if (!v->ch)
				return -ENOMEM;
		}
		if (env.mode == MODE_GREEDY) {
			b->ch = rt_mpsc_new(4);
			if (!b->ch)
				return -ENOMEM;
			/* The one item that keeps every receive ready. */
			if (rt_mpsc_try_send(b->ch, (void *)(uintptr_t)1))
				return -EIO;
		}
		if (env.mode != MODE_IO)
			continue;
		if (pipe2(b->req, O_CLOEXEC) || pipe2(b->data, O_CLOEXEC))
			return -errno;
		errno = pthread_create(&b->feeder, NULL, feeder_main, b);
		if (errno)
			return -errno;
		b->feeder_started = true;
		pthread_setname_np(b->feeder, "io-feeder");
	}
	return 0;
}

static void blockers_teardown(struct root *st)
{
	for (int i = 0; i < env.blockers; i++) {
		struct blocker *b = &st->blockers[i];

		if (b->req[1] >= 0)
			close(b->req[1]); /* EOF: the feeder exits */
		if (b->feeder_started)
			pthread_join(b->feeder, NULL);
		if (b->req[0] >= 0)
			close(b->req[0]);
		if (b->data[0] >= 0)
			close(b->data[0]);
		if (b->data[1] >= 0)
			close(b->data[1]);
		if (b->ch)
			rt_mpsc_unref(b->ch);
	}
	for (int i = 0; i < env.blockers * env.victims; i++)
		if (st->victims[i].ch)
			rt_mpsc_unref(st->victims[i].ch);
}

static int report_run(struct root *st)
{
	struct stats vdelay;
	uint64_t blocks = 0, blocked = 0, same = 0, items = 0, polls = 0;
	struct report rep;
	json_t *inj;

	stats_init(&vdelay);
	for (int i = 0; i < env.blockers; i++) {
		blocks += st->blockers[i].blocks;
		blocked += st->blockers[i].blocked_ns;
		items += st->blockers[i].items;
		polls += st->blockers[i].polls;
	}
	for (int i = 0; i < env.blockers * env.victims; i++) {
		stats_merge(&vdelay, &st->victims[i].delay);
		same += st->victims[i].same_worker;
	}
	if (report_init(&rep, "starvation"))
		return -ENOMEM;
	report_probe(&rep, &st->probe.late);
	report_stats(&rep, "victim_delay_us", "victim wake->poll", &vdelay,
		     false);
	report_int(&rep, "victim_same_worker", "victims on its worker",
		   (int64_t)same, NULL);
	report_set(&rep, "budget", json_boolean(!env.no_budget));
	inj = json_pack("{s:I, s:I, s:s, s:i, s:I, s:I, s:i, s:I, s:I}",
			"blocks", (json_int_t)blocks,
			"block_ns_total", (json_int_t)blocked,
			"mode", mode_names[env.mode],
			"blockers", env.blockers,
			"block_ms", (json_int_t)env.block_ms,
			"period_ms", (json_int_t)env.period_ms,
			"victims", env.victims,
			"items", (json_int_t)items,
			"polls", (json_int_t)polls);
	report_set(&rep, "injected", inj);
	report_line(&rep, "injected",
		    "%llu blocks, %.1f ms total (%s, K=%d B=%ld ms P=%ld ms%s)",
		    (unsigned long long)blocks, (double)blocked / 1e6,
		    mode_names[env.mode], env.blockers, env.block_ms,
		    env.period_ms,
		    !cli_env.fixed ? "" :
		    env.mode == MODE_GREEDY ? ", yielding by hand" :
		    ", on the blocking pool");
	if (env.mode == MODE_GREEDY)
		report_line(&rep, "greedy",
			    "%llu ready receives in %llu polls (%.0f per poll), budget %s",
			    (unsigned long long)items, (unsigned long long)polls,
			    polls ? (double)items / (double)polls : 0.0,
			    env.no_budget ? "off" : "on");
	return report_print(&rep);
}

int main(int argc, char **argv)
{
	rt_config_t cfg = {};
	struct root *st;
	rt_t *rt = NULL;
	int nv, err;

	cli_parse(&argp, argc, argv, 3.0);
	nv = env.blockers * env.victims;
	st = calloc(1, sizeof(*st));
	if (st) {
		st->blockers = calloc((size_t)env.blockers + 1, sizeof(*st->blockers));
		st->bjoin = calloc((size_t)env.blockers + 1, sizeof(*st->bjoin));
		st->victims = calloc((size_t)nv + 1, sizeof(*st->victims));
		st->vjoin = calloc((size_t)nv + 1, sizeof(*st->vjoin));
	}
	if (!st || !st->blockers || !st->bjoin || !st->victims || !st->vjoin) {
		fprintf(stderr, "demo_starvation: out of memory\n");
		return 1;
	}

	cfg.workers = cli_env.workers;
	cfg.disable_lifo = env.no_lifo;
	cfg.disable_budget = env.no_budget;
	err = rt_new(&cfg, &rt);
	if (err) {
		fprintf(stderr, "demo_starvation: cannot start the runtime: %s\n",
			strerror(-err));
		return 1;
	}
	st->end_ns = rt_now_ns() + cli_secs_ns();
	err = blockers_setup(st);
	if (err) {
		fprintf(stderr, "demo_starvation: setup failed: %s\n",
			strerror(-err));
		goto cleanup;
	}
	err = rt_block_on(rt, root_poll, st);
	if (!err)
		err = st->err;
	if (err)
		fprintf(stderr, "demo_starvation: run failed: %s\n",
			strerror(-err));
cleanup:
	rt_free(rt);
	blockers_teardown(st);
	if (!err && report_run(st))
		err = -EIO;
	free(st->blockers);
	free(st->bjoin);
	free(st->victims);
	free(st->vjoin);
	free(st);
	return err ? 1 : 0;
}
