// SPDX-License-Identifier: MIT
/*
 * demo_suspension - suspension convoy: a coordinator holds the async mutex
 * (rt_mutex, fair FIFO like tokio::sync::Mutex) across an await of S ms.
 * While it is suspended, every peer that needs the lock waits: nothing is
 * blocked, no thread is busy, the kernel sees idle workers, yet each peer
 * gets the lock about once per S ms.  --fixed drops the guard before
 * awaiting (update the shared state, unlock, then sleep).
 *
 * --all-hold: no coordinator; every peer holds the lock across its own S ms
 * await, so that each waits behind the M-1 others: about (M-1)*S (less its
 * think time) per acquisition.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "rt.h"
#include "sched_probe.h"

static struct env {
	int peers;
	long await_ms;
	long think_us;
	bool all_hold;		/* every peer holds across the await */
} env = {
	.peers = 4,
	.await_ms = 20,
	/* Peers pause between acquisitions, so that the fixed variant's rate
	 * is bounded by this and not by how fast a CPU can spin. */
	.think_us = 1000,
};

struct shared {
	rt_mutex_t lock;
	uint64_t value; /* the state the lock protects */
	uint64_t end_ns;
};

struct coord {
	int pc;
	struct shared *sh;
	rt_mutex_waiter_t w;
	rt_sleep_t sleep;
	uint64_t acq_ns;
	uint64_t rounds;
	struct stats hold; /* wall time the lock was held, ns */
};

struct peer {
	int pc;
	struct shared *sh;
	rt_mutex_waiter_t w;
	rt_sleep_t sleep;
	uint64_t t0;
	uint64_t acqs;
	struct stats wait; /* lock wait, ns */
};

struct root {
	int pc;
	int err;
	int i;
	uint64_t start_ns, stop_ns;
	struct shared sh;
	struct sched_probe probe;
	struct coord coord;
	rt_join_t *cjoin;
	struct peer *peers;
	rt_join_t **pjoin;
};

static rt_poll_t coord_poll(rt_cx_t *cx, void *state)
{
	struct coord *c = state;

	RT_ASYNC_BEGIN(&c->pc);
	while (rt_now_ns() < c->sh->end_ns) {
		RT_AWAIT(&c->pc, rt_mutex_lock_poll(&c->sh->lock, &c->w, cx));
		c->acq_ns = rt_now_ns();
		c->sh->value++;
		if (!cli_env.fixed) {
			/* The bug: the guard lives across the await. */
			rt_sleep_init(&c->sleep, (uint64_t)env.await_ms * 1000000ULL);
			RT_AWAIT(&c->pc, rt_sleep_poll(&c->sleep, cx));
			stats_record(&c->hold, rt_now_ns() - c->acq_ns);
			rt_mutex_unlock(&c->sh->lock);
		} else {
			/* The remedy: drop the guard, then await. */
			stats_record(&c->hold, rt_now_ns() - c->acq_ns);
			rt_mutex_unlock(&c->sh->lock);
			rt_sleep_init(&c->sleep, (uint64_t)env.await_ms * 1000000ULL);
			RT_AWAIT(&c->pc, rt_sleep_poll(&c->sleep, cx));
		}
		c->rounds++;
	}
	RT_ASYNC_END(&c->pc);
}

static rt_poll_t peer_poll(rt_cx_t *cx, void *state)
{
	struct peer *p = state;

	RT_ASYNC_BEGIN(&p->pc);
	while (rt_now_ns() < p->sh->end_ns) {
		p->t0 = rt_now_ns();
		RT_AWAIT(&p->pc, rt_mutex_lock_poll(&p->sh->lock, &p->w, cx));
		stats_record(&p->wait, rt_now_ns() - p->t0);
		p->sh->value++;
		if (env.all_hold && !cli_env.fixed) {
			/* the coordinator's bug, in every peer */
			rt_sleep_init(&p->sleep, (uint64_t)env.await_ms * 1000000ULL);
			RT_AWAIT(&p->pc, rt_sleep_poll(&p->sleep, cx));
		}
		rt_mutex_unlock(&p->sh->lock);
		p->acqs++;
		if (env.all_hold && cli_env.fixed) {
			/* the remedy: the same await, after the unlock */
			rt_sleep_init(&p->sleep, (uint64_t)env.await_ms * 1000000ULL);
			RT_AWAIT(&p->pc, rt_sleep_poll(&p->sleep, cx));
		}
		rt_sleep_init(&p->sleep, (uint64_t)env.think_us * 1000ULL);
		RT_AWAIT(&p->pc, rt_sleep_poll(&p->sleep, cx));
	}
	RT_ASYNC_END(&p->pc);
}

static rt_poll_t root_poll(rt_cx_t *cx, void *state)
{
	struct root *st = state;
	rt_t *rt = rt_cx_rt(cx);

	RT_ASYNC_BEGIN(&st->pc);
	st->err = sched_probe_spawn(rt, &st->probe, st->sh.end_ns);
	if (st->err)
		return RT_READY;
	if (!env.all_hold)
		st->err = rt_spawn(rt, coord_poll, &st->coord, NULL, &st->cjoin);
	if (st->err)
		return RT_READY;
	for (st->i = 0; st->i < env.peers; st->i++) {
		st->err = rt_spawn(rt, peer_poll, &st->peers[st->i], NULL,
				   &st->pjoin[st->i]);
		if (st->err)
			return RT_READY;
	}
	if (st->cjoin) {
		RT_AWAIT(&st->pc, rt_join_poll(st->cjoin, cx, NULL));
		rt_join_free(st->cjoin);
	}
	for (st->i = 0; st->i < env.peers; st->i++) {
		RT_AWAIT(&st->pc, rt_join_poll(st->pjoin[st->i], cx, NULL));
		rt_join_free(st->pjoin[st->i]);
	}
	RT_AWAIT(&st->pc, sched_probe_join_poll(&st->probe, cx));
	st->stop_ns = rt_now_ns();
	RT_ASYNC_END(&st->pc);
}

static const char doc[] =
"Suspension convoy: an async mutex held across an await.\n"
"\n"
"A coordinator holds the rt_mutex across an S ms sleep; M peers need the\n"
"lock.  Each peer waits about S per acquisition while every thread is idle.\n"
"--fixed drops the guard before awaiting.  --all-hold: no coordinator, every\n"
"peer holds the lock across its own S ms await: each waits ~(M-1)*S.\n"
"\v"
"EXAMPLES:\n"
"    demo_suspension --workers 2                # peer wait ~S, 1/S per peer\n"
"    demo_suspension --workers 2 --fixed        # peer wait in microseconds\n"
"    demo_suspension --peers 8 --await-ms 50 --json\n"
"    demo_suspension --peers 4 --all-hold       # peer wait ~3S\n";

enum {
	OPT_PEERS = 0x200,
	OPT_AWAIT_MS,
	OPT_THINK_US,
	OPT_ALL_HOLD,
};

static const struct argp_option options[] = {
	{ "peers", OPT_PEERS, "M", 0, "Peers that need the lock (default 4)", 0 },
	{ "await-ms", OPT_AWAIT_MS, "S", 0,
	  "The coordinator's await while holding the lock (default 20)", 0 },
	{ "think-us", OPT_THINK_US, "US", 0,
	  "Each peer's pause between acquisitions (default 1000)", 0 },
	{ "all-hold", OPT_ALL_HOLD, NULL, 0,
	  "No coordinator: every peer holds the lock across an S ms await", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_PEERS:
		env.peers = (int)cli_long(state, "peers", arg, 1, 10000);
		break;
	case OPT_AWAIT_MS:
		env.await_ms = cli_long(state, "await-ms", arg, 1, 60000);
		break;
	case OPT_THINK_US:
		env.think_us = cli_long(state, "think-us", arg, 1, 60000000);
		break;
	case OPT_ALL_HOLD:
		env.all_hold = true;
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
	struct stats wait;
	uint64_t acqs = 0;
	struct report rep;

	stats_init(&wait);
	for (int i = 0; i < env.peers; i++) {
		stats_merge(&wait, &st->peers[i].wait);
		acqs += st->peers[i].acqs;
	}
	if (secs <= 0)
		secs = cli_env.secs;
	if (report_init(&rep, "suspension"))
		return -ENOMEM;
	report_probe(&rep, &st->probe.late);
	report_stats(&rep, "peer_wait_us", "peer lock wait", &wait, false);
	report_real(&rep, "peer_acq_per_s", "peer acquisitions/s",
		    (double)acqs / secs, NULL);
	report_real(&rep, "peer_acq_per_s_each", "  per peer",
		    (double)acqs / secs / env.peers, NULL);
	report_stats(&rep, "coord_hold_us", "coordinator hold",
		     &st->coord.hold, false);
	report_int(&rep, "coord_rounds", "coordinator rounds",
		   (int64_t)st->coord.rounds, NULL);
	report_int(&rep, "peers", "peers", env.peers, NULL);
	report_int(&rep, "all_hold", "every peer holds across the await",
		   env.all_hold, NULL);
	report_int(&rep, "await_ms", "await in lock (ms)",
		   cli_env.fixed ? 0 : env.await_ms, NULL);
	return report_print(&rep);
}

int main(int argc, char **argv)
{
	rt_config_t cfg = {};
	struct root *st;
	rt_t *rt = NULL;
	int err;

	cli_parse(&argp, argc, argv, 3.0);
	st = calloc(1, sizeof(*st));
	if (st) {
		st->peers = calloc((size_t)env.peers, sizeof(*st->peers));
		st->pjoin = calloc((size_t)env.peers, sizeof(*st->pjoin));
	}
	if (!st || !st->peers || !st->pjoin) {
		fprintf(stderr, "demo_suspension: out of memory\n");
		return 1;
	}
	rt_mutex_init(&st->sh.lock, "suspension");
	st->coord.sh = &st->sh;
	stats_init(&st->coord.hold);
	for (int i = 0; i < env.peers; i++) {
		st->peers[i].sh = &st->sh;
		stats_init(&st->peers[i].wait);
	}

	cfg.workers = cli_env.workers;
	err = rt_new(&cfg, &rt);
	if (err) {
		fprintf(stderr, "demo_suspension: cannot start the runtime: %s\n",
			strerror(-err));
		return 1;
	}
	st->start_ns = rt_now_ns();
	st->sh.end_ns = st->start_ns + cli_secs_ns();
	err = rt_block_on(rt, root_poll, st);
	if (!err)
		err = st->err;
	rt_free(rt);
	rt_mutex_destroy(&st->sh.lock);
	if (err)
		fprintf(stderr, "demo_suspension: run failed: %s\n",
			strerror(-err));
	else if (report_run(st))
		err = -EIO;
	free(st->peers);
	free(st->pjoin);
	free(st);
	return err ? 1 : 0;
}
