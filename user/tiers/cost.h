/* SPDX-License-Identifier: MIT */
/*
 * cost.h - what observing costs, measured while observe runs: the BPF
 * programs' own run time (the kernel's BPF run-time statistics, on in short
 * windows), and observe's own CPU time (getrusage).
 *
 * The statistics cost every BPF program on the box two clock reads a run
 * while they are on, so they are on for 0.5 s of every period (10 s, 2 s
 * under --budget), from 0.5 s into the run; a program's ns/run and runs/s
 * come from those windows.  If
 * kernel.bpf_stats_enabled is already 1, the whole run is measured.  The
 * kernel's count of runs it skipped (recursion_misses: another BPF program
 * was running on that CPU) is read for the whole run either way.
 */
#ifndef OBS_COST_H
#define OBS_COST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

struct bpf_object;

#define OBS_COST_PROGS_MAX	64
#define OBS_COST_NAME_LEN	32	/* the program's name in the object */

struct obs_cost_prog {
	char name[OBS_COST_NAME_LEN];
	int fd;
	uint64_t cnt0, ns0;		/* at the open window's start */
	uint64_t runs, ns;		/* in the closed windows */
	uint64_t misses;		/* recursion_misses, whole run */
};

/* What --budget sheds, in this order (docs/observe.md, Budget). */
enum obs_shed_part {
	OBS_SHED_WAKERS,	/* waker attribution (sched_waking) */
	OBS_SHED_NOTABLE,	/* notable spans, their stacks, the sampler */
	OBS_SHED_CPU_RUNS,	/* CPU runs: the sys_exit program */
	OBS_SHED_MAX,
};

struct obs_shed {
	const char *what;
	double at_s;			/* since the run began */
	double cpu;			/* the cost that was over, of one CPU */
};

struct obs_cost {
	struct obs_cost_prog progs[OBS_COST_PROGS_MAX];
	int nprogs;
	int stats_fd;			/* >= 0 while this window is open */
	bool always_on;			/* bpf_stats_enabled was 1 already */
	double period_s;		/* a window opens every period_s */
	double t0, win_start, next_open;
	double measured_s;		/* closed windows, in all */
	struct rusage ru0;		/* observe's own, at t0 */
	/* the last closed window, for --budget */
	double last_bpf_frac, last_self_frac;
	double last_end;
	struct rusage ru_last;
	int err;			/* why nothing was measured, or 0 */
	double budget;			/* --budget, of one CPU; 0: none */
	int nparts;			/* the parts that can go here */
	struct obs_shed shed[OBS_SHED_MAX];
	int nshed;
	bool over;			/* over budget, nothing left to shed */
};

/* What obs_cost_end makes of it. */
struct obs_cost_result {
	bool measured;			/* BPF time measured (a window closed) */
	double wall_s;			/* the run */
	double measured_s;		/* of it, with statistics on */
	double bpf_cpu;			/* BPF programs, fraction of one CPU */
	double self_cpu;		/* observe's own process, same unit */
	uint64_t misses;		/* runs the kernel skipped */
	int nprogs;
	struct {
		char name[OBS_COST_NAME_LEN];
		double runs_per_s, ns_per_run;
		uint64_t misses;
	} progs[OBS_COST_PROGS_MAX];	/* those that ran, busiest first */
	int err;			/* not measured: why (-errno) */
	double budget;
	struct obs_shed shed[OBS_SHED_MAX];
	int nshed;
	bool over;
};

/* The loaded programs of obj; the first window opens at now.  budget: of
 * one CPU, 0 for none; the first nparts of enum obs_shed_part can go. */
void obs_cost_start(struct obs_cost *c, struct bpf_object *obj, double now,
		    double period_s, double budget, int nparts);
/*
 * After a window closed: the next part to shed if the last window cost
 * more than the budget, else -1; obs_cost_shed records that it was.
 */
int obs_cost_over(struct obs_cost *c);
void obs_cost_shed(struct obs_cost *c, double now);
/*
 * Opens and closes windows; true when one closed just now (its cost is
 * in last_bpf_frac and last_self_frac).
 */
bool obs_cost_tick(struct obs_cost *c, double now);
/* Closes an open window and sums the run up. */
void obs_cost_end(struct obs_cost *c, double now, struct obs_cost_result *r);

#endif
