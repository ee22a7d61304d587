// SPDX-License-Identifier: MIT
/*
 * demo_probe - the scheduling probe alone: the healthy baseline every other
 * demo is compared with.  A task sleeps 1 ms in a loop and records how late
 * it was polled after each deadline.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "rt.h"
#include "sched_probe.h"

struct root {
	int pc;
	int err;
	uint64_t end_ns;
	struct sched_probe probe;
};

static rt_poll_t root_poll(rt_cx_t *cx, void *state)
{
	struct root *st = state;

	RT_ASYNC_BEGIN(&st->pc);
	st->err = sched_probe_spawn(rt_cx_rt(cx), &st->probe, st->end_ns);
	if (st->err)
		return RT_READY;
	RT_AWAIT(&st->pc, sched_probe_join_poll(&st->probe, cx));
	RT_ASYNC_END(&st->pc);
}

static const char doc[] =
"Scheduling probe alone: the baseline lateness of a 1 ms sleep loop.\n"
"\v"
"EXAMPLES:\n"
"    demo_probe --workers 2 --secs 3      # human output\n"
"    demo_probe --json                    # one JSON object\n";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	(void)key;
	(void)arg;
	(void)state;
	return ARGP_ERR_UNKNOWN;
}

static struct argp argp = {
	.parser = parse_opt,
	.doc = doc,
};

int main(int argc, char **argv)
{
	rt_config_t cfg = {};
	struct root st = {};
	struct report rep;
	rt_t *rt = NULL;
	int err;

	cli_parse(&argp, argc, argv, 3.0);
	cfg.workers = cli_env.workers;
	err = rt_new(&cfg, &rt);
	if (err) {
		fprintf(stderr, "demo_probe: cannot start the runtime: %s\n",
			strerror(-err));
		return 1;
	}
	st.end_ns = rt_now_ns() + cli_secs_ns();
	err = rt_block_on(rt, root_poll, &st);
	if (!err)
		err = st.err;
	rt_free(rt);
	if (err) {
		fprintf(stderr, "demo_probe: run failed: %s\n", strerror(-err));
		return 1;
	}

	if (report_init(&rep, "probe")) {
		fprintf(stderr, "demo_probe: out of memory\n");
		return 1;
	}
	report_probe(&rep, &st.probe.late);
	return report_print(&rep) ? 1 : 0;
}
