// SPDX-License-Identifier: MIT
/*
 * bench_rt - micro-benchmarks of the runtime (one measurement per run;
 * scripts/bench-rt.sh repeats them and prints min/median/max).
 *
 *	bench_rt spawn|pingpong|mpsc|timer [-w WORKERS] [-n N]
 *
 *	spawn     spawn N tasks from a task and join them all (waves of 10000)
 *	pingpong  two tasks wake each other N times (a wake+poll round trip)
 *	mpsc      one producer task sends N items through a 1024-slot channel
 *	timer     N sleeps of 1 ms in a loop: lateness p50/p99/max
 *	timer-raw the same loop with a bare epoll_pwait2 on this thread, no
 *	          runtime: the floor that the machine itself sets
 *
 * Output, one line: "MODE METRIC VALUE UNIT [METRIC VALUE UNIT...]".
 * Bad input: one line on stderr, exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "rt.h"

static const char *prog = "bench_rt";

static void die_usage(const char *msg)
{
	fprintf(stderr, "%s: %s (usage: %s spawn|pingpong|mpsc|timer|timer-raw "
		"[-w WORKERS] [-n N])\n", prog, msg, prog);
	exit(2);
}

/* ---- spawn + join ------------------------------------------------------------ */

#define WAVE 10000

static rt_poll_t noop_fn(rt_cx_t *cx, void *st)
{
	(void)cx;
	(void)st;
	return RT_READY;
}

struct spawner {
	int pc;
	long n, done, i, wave;
	rt_join_t **j;
};

static rt_poll_t spawner_fn(rt_cx_t *cx, void *st)
{
	struct spawner *s = st;

	RT_ASYNC_BEGIN(&s->pc);
	while (s->done < s->n) {
		s->wave = s->n - s->done < WAVE ? s->n - s->done : WAVE;
		for (s->i = 0; s->i < s->wave; s->i++)
			if (rt_spawn(rt_cx_rt(cx), noop_fn, NULL, NULL, &s->j[s->i]))
				abort();
		for (s->i = 0; s->i < s->wave; s->i++) {
			RT_AWAIT(&s->pc, rt_join_poll(s->j[s->i], cx, NULL));
			rt_join_free(s->j[s->i]);
		}
		s->done += s->wave;
	}
	RT_ASYNC_END(&s->pc);
}

/* ---- ping-pong ----------------------------------------------------------------- */

struct pp {
	rt_waker_t peer_waker; /* the other task's waker, stored by it */
	struct pp *peer;
	long left;
};

static rt_poll_t pp_fn(rt_cx_t *cx, void *st)
{
	struct pp *p = st;

	if (p->left-- <= 0) {
		rt_waker_wake(&p->peer_waker);
		return RT_READY;
	}
	rt_waker_register(&p->peer->peer_waker, cx);
	rt_waker_wake(&p->peer_waker);
	return RT_PENDING;
}

struct pp_root {
	int pc;
	struct pp a, b;
	rt_join_t *ja, *jb;
};

static rt_poll_t pp_root_fn(rt_cx_t *cx, void *st)
{
	struct pp_root *r = st;

	RT_ASYNC_BEGIN(&r->pc);
	r->a.peer = &r->b;
	r->b.peer = &r->a;
	rt_spawn(rt_cx_rt(cx), pp_fn, &r->a, NULL, &r->ja);
	rt_spawn(rt_cx_rt(cx), pp_fn, &r->b, NULL, &r->jb);
	RT_AWAIT(&r->pc, rt_join_poll(r->ja, cx, NULL));
	RT_AWAIT(&r->pc, rt_join_poll(r->jb, cx, NULL));
	rt_join_free(r->ja);
	rt_join_free(r->jb);
	rt_waker_drop(&r->a.peer_waker);
	rt_waker_drop(&r->b.peer_waker);
	RT_ASYNC_END(&r->pc);
}

/* ---- mpsc ------------------------------------------------------------------------- */

struct producer {
	int pc, res;
	long i, n;
	rt_mpsc_t *ch;
	rt_mpsc_send_t op;
};

static rt_poll_t producer_fn(rt_cx_t *cx, void *st)
{
	struct producer *p = st;

	RT_ASYNC_BEGIN(&p->pc);
	for (p->i = 0; p->i < p->n; p->i++)
		RT_AWAIT(&p->pc, rt_mpsc_send_poll(p->ch, &p->op, cx,
						   (void *)(p->i + 1), &p->res));
	rt_mpsc_close(p->ch);
	RT_ASYNC_END(&p->pc);
}

struct consumer {
	int pc;
	long got;
	void *item;
	struct producer p;
	rt_join_t *j;
};

static rt_poll_t consumer_fn(rt_cx_t *cx, void *st)
{
	struct consumer *c = st;

	RT_ASYNC_BEGIN(&c->pc);
	rt_spawn(rt_cx_rt(cx), producer_fn, &c->p, NULL, &c->j);
	for (;;) {
		RT_AWAIT(&c->pc, rt_mpsc_recv_poll(c->p.ch, cx, &c->item));
		if (!c->item)
			break;
		c->got++;
	}
	RT_AWAIT(&c->pc, rt_join_poll(c->j, cx, NULL));
	rt_join_free(c->j);
	RT_ASYNC_END(&c->pc);
}

/* ---- timer ------------------------------------------------------------------------- */

struct sleeper {
	int pc;
	long i, n;
	rt_sleep_t s;
	uint64_t *late;
};

static rt_poll_t sleeper_fn(rt_cx_t *cx, void *st)
{
	struct sleeper *s = st;

	RT_ASYNC_BEGIN(&s->pc);
	for (s->i = 0; s->i < s->n; s->i++) {
		rt_sleep_init(&s->s, 1000000);
		RT_AWAIT(&s->pc, rt_sleep_poll(&s->s, cx));
		s->late[s->i] = rt_now_ns() - s->s.deadline_ns;
	}
	RT_ASYNC_END(&s->pc);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void die_oom(void)
{
	fprintf(stderr, "%s: out of memory\n", prog);
	exit(1);
}

int main(int argc, char **argv)
{
	rt_config_t cfg = { 0 };
	const char *mode;
	long n = -1;
	uint64_t t0, dt;
	rt_t *rt;
	int opt, err;

	while ((opt = getopt(argc, argv, "w:n:")) != -1) {
		char *end;

		switch (opt) {
		case 'w':
			cfg.workers = (int)strtol(optarg, &end, 10);
			if (*end || cfg.workers <= 0 || cfg.workers > 1024)
				die_usage("-w wants 1..1024");
			break;
		case 'n':
			errno = 0;
			n = strtol(optarg, &end, 10);
			/* 2^40 operations: days of work; more is a typo */
			if (*end || errno || n <= 0 || n > (1L << 40))
				die_usage("-n wants a count of 1..2^40");
			break;
		default:
			die_usage("bad option");
		}
	}
	if (optind != argc - 1)
		die_usage("one MODE expected");
	mode = argv[optind];
	if (strcmp(mode, "spawn") && strcmp(mode, "pingpong") &&
	    strcmp(mode, "mpsc") && strcmp(mode, "timer") &&
	    strcmp(mode, "timer-raw"))
		die_usage("unknown MODE");
	err = rt_new(&cfg, &rt);
	if (err) {
		fprintf(stderr, "%s: rt_new: %s\n", prog, strerror(-err));
		return 1;
	}

	if (!strcmp(mode, "spawn")) {
		struct spawner s = { .n = n > 0 ? n : 1000000 };

		s.j = calloc(WAVE, sizeof(*s.j));
		if (!s.j)
			die_oom();
		t0 = rt_now_ns();
		err = rt_block_on(rt, spawner_fn, &s);
		dt = rt_now_ns() - t0;
		printf("spawn ns_per_task %.1f ns tasks %ld\n",
		       (double)dt / (double)s.n, s.n);
		free(s.j);
	} else if (!strcmp(mode, "pingpong")) {
		static struct pp_root r;
		long k = n > 0 ? n : 1000000;

		r.a.left = r.b.left = k;
		t0 = rt_now_ns();
		err = rt_block_on(rt, pp_root_fn, &r);
		dt = rt_now_ns() - t0;
		printf("pingpong ns_per_switch %.1f ns switches %ld\n",
		       (double)dt / (double)(2 * k), 2 * k);
	} else if (!strcmp(mode, "mpsc")) {
		static struct consumer c;

		c.p.n = n > 0 ? n : 1000000;
		c.p.ch = rt_mpsc_new(1024);
		t0 = rt_now_ns();
		err = rt_block_on(rt, consumer_fn, &c);
		dt = rt_now_ns() - t0;
		if (c.got != c.p.n)
			fprintf(stderr, "%s: mpsc lost items: %ld of %ld\n", prog,
				c.got, c.p.n), err = -EIO;
		printf("mpsc mitems_per_s %.2f M/s items %ld\n",
		       (double)c.got * 1e3 / (double)dt, c.got);
		rt_mpsc_unref(c.p.ch);
	} else {
		struct sleeper s = { .n = n > 0 ? n : 1000 };

		s.late = calloc((size_t)s.n, sizeof(*s.late));
		if (!s.late)
			die_oom();
		if (!strcmp(mode, "timer")) {
			err = rt_block_on(rt, sleeper_fn, &s);
		} else {
			/* Same timer slack as the workers (1 us). */
			int ep = epoll_create1(EPOLL_CLOEXEC);
			struct epoll_event ev;

			prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0);
			for (long i = 0; i < s.n; i++) {
				struct timespec ts = { 0, 1000000 };
				uint64_t d = rt_now_ns() + 1000000;

				epoll_pwait2(ep, &ev, 1, &ts, NULL);
				s.late[i] = rt_now_ns() - d;
			}
			close(ep);
		}
		qsort(s.late, (size_t)s.n, sizeof(*s.late), cmp_u64);
		printf("%s p50_us %.1f us p99_us %.1f us max_us %.1f us\n",
		       mode, (double)s.late[s.n / 2] / 1e3,
		       (double)s.late[s.n * 99 / 100] / 1e3,
		       (double)s.late[s.n - 1] / 1e3);
		free(s.late);
	}
	rt_free(rt);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", prog, mode, strerror(-err));
		return 1;
	}
	return 0;
}
