// SPDX-License-Identifier: MIT
/*
 * cost.c - what observing costs (cost.h): the BPF programs' run-time
 * statistics in windows, and observe's own rusage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tiers/cost.h"

#define COST_WINDOW_S	0.5	/* statistics on for this long a period */
#define COST_FIRST_S	0.5	/* the first window opens then: not on the
				 * attach itself */
#define STATS_SYSCTL	"/proc/sys/kernel/bpf_stats_enabled"

static double cpu_s(const struct rusage *ru)
{
	return ru->ru_utime.tv_sec + ru->ru_stime.tv_sec +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

/* Is kernel.bpf_stats_enabled on already (by someone else)? */
static bool stats_on_already(void)
{
	FILE *f = fopen(STATS_SYSCTL, "r");
	int v = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

static int prog_info(int fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

/* Every program's counters now become the window's start. */
static void window_base(struct obs_cost *c, double now)
{
	struct bpf_prog_info info;

	for (int i = 0; i < c->nprogs; i++) {
		if (prog_info(c->progs[i].fd, &info))
			continue;
		c->progs[i].cnt0 = info.run_cnt;
		c->progs[i].ns0 = info.run_time_ns;
	}
	c->win_start = now;
}

static void window_open(struct obs_cost *c, double now)
{
	c->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (c->stats_fd < 0) {
		c->err = -errno;
		return;
	}
	window_base(c, now);
}

/* The window's run time goes to the programs, and its cost to last_*. */
static void window_close(struct obs_cost *c, double now)
{
	struct bpf_prog_info info;
	double dt = now - c->win_start, ns = 0;
	struct rusage ru;

	for (int i = 0; i < c->nprogs; i++) {
		struct obs_cost_prog *p = &c->progs[i];

		if (prog_info(p->fd, &info) || info.run_cnt < p->cnt0 ||
		    info.run_time_ns < p->ns0)
			continue;
		p->runs += info.run_cnt - p->cnt0;
		p->ns += info.run_time_ns - p->ns0;
		ns += info.run_time_ns - p->ns0;
	}
	c->measured_s += dt;
	c->last_bpf_frac = dt > 0 ? ns / 1e9 / dt : 0;
	getrusage(RUSAGE_SELF, &ru);
	c->last_self_frac = now > c->last_end ?
		(cpu_s(&ru) - cpu_s(&c->ru_last)) / (now - c->last_end) : 0;
	c->ru_last = ru;
	c->last_end = now;
	if (c->always_on) {
		window_base(c, now);
		return;
	}
	close(c->stats_fd);
	c->stats_fd = -1;
	c->next_open = c->win_start + c->period_s;
}

static const char *const shed_names[OBS_SHED_MAX] = {
	[OBS_SHED_WAKERS] = "waker attribution",
	[OBS_SHED_NOTABLE] = "notable spans and their stacks",
	[OBS_SHED_CPU_RUNS] = "CPU runs",
};

void obs_cost_start(struct obs_cost *c, struct bpf_object *obj, double now,
		    double period_s, double budget, int nparts)
{
	struct bpf_program *prog;

	memset(c, 0, sizeof(*c));
	c->stats_fd = -1;
	c->period_s = period_s;
	c->budget = budget;
	c->nparts = nparts < OBS_SHED_MAX ? nparts : OBS_SHED_MAX;
	bpf_object__for_each_program(prog, obj) {
		int fd = bpf_program__fd(prog);

		if (fd < 0 || c->nprogs == OBS_COST_PROGS_MAX)
			continue;
		c->progs[c->nprogs].fd = fd;
		snprintf(c->progs[c->nprogs].name, OBS_COST_NAME_LEN, "%s",
			 bpf_program__name(prog));
		c->nprogs++;
	}
	c->t0 = c->last_end = now;
	getrusage(RUSAGE_SELF, &c->ru0);
	c->ru_last = c->ru0;
	c->always_on = stats_on_already();
	if (c->always_on)
		window_base(c, now);
	else
		c->next_open = now + COST_FIRST_S;
}

bool obs_cost_tick(struct obs_cost *c, double now)
{
	bool open = c->stats_fd >= 0 || c->always_on;

	if (open && now - c->win_start >= (c->always_on ? c->period_s :
					   COST_WINDOW_S)) {
		window_close(c, now);
		return true;
	}
	if (!open && !c->err && now >= c->next_open)
		window_open(c, now);
	return false;
}

int obs_cost_over(struct obs_cost *c)
{
	if (!c->budget || c->last_bpf_frac + c->last_self_frac <= c->budget)
		return -1;
	if (c->nshed == c->nparts) {
		c->over = true;
		return -1;
	}
	return c->nshed;	/* the parts go in enum order */
}

void obs_cost_shed(struct obs_cost *c, double now)
{
	int part = c->nshed;

	if (part == c->nparts)
		return;
	c->shed[part] = (struct obs_shed){
		.what = shed_names[part],
		.at_s = now - c->t0,
		.cpu = c->last_bpf_frac + c->last_self_frac,
	};
	c->nshed = part + 1;
}

static int cmp_prog_ns(const void *a, const void *b)
{
	const struct obs_cost_prog *x = a, *y = b;

	return (y->ns > x->ns) - (y->ns < x->ns);
}

void obs_cost_end(struct obs_cost *c, double now, struct obs_cost_result *r)
{
	struct bpf_prog_info info;
	struct rusage ru;
	double bpf_ns = 0;

	memset(r, 0, sizeof(*r));
	if (c->stats_fd >= 0 || c->always_on)
		window_close(c, now);
	for (int i = 0; i < c->nprogs; i++)
		if (!prog_info(c->progs[i].fd, &info))
			c->progs[i].misses = info.recursion_misses;
	qsort(c->progs, c->nprogs, sizeof(c->progs[0]), cmp_prog_ns);
	r->wall_s = now - c->t0;
	r->measured_s = c->measured_s;
	r->measured = c->measured_s > 0;
	r->err = c->err;
	r->budget = c->budget;
	r->nshed = c->nshed;
	r->over = c->over;
	memcpy(r->shed, c->shed, sizeof(r->shed));
	for (int i = 0; i < c->nprogs; i++) {
		const struct obs_cost_prog *p = &c->progs[i];

		r->misses += p->misses;
		bpf_ns += p->ns;
		if (!p->runs && !p->misses)
			continue;
		memcpy(r->progs[r->nprogs].name, p->name, OBS_COST_NAME_LEN);
		r->progs[r->nprogs].runs_per_s = r->measured ?
			p->runs / c->measured_s : 0;
		r->progs[r->nprogs].ns_per_run = p->runs ?
			(double)p->ns / p->runs : 0;
		r->progs[r->nprogs].misses = p->misses;
		r->nprogs++;
	}
	r->bpf_cpu = r->measured ? bpf_ns / 1e9 / c->measured_s : 0;
	getrusage(RUSAGE_SELF, &ru);
	r->self_cpu = r->wall_s > 0 ?
		(cpu_s(&ru) - cpu_s(&c->ru0)) / r->wall_s : 0;
}
