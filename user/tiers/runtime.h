/* SPDX-License-Identifier: MIT */
/*
 * runtime.h - observe's runtime tiers: what every runtime tier reads (one
 * snapshot shape, whatever the runtime), the interface each implements, and
 * the choice of the tier that matches the target.
 *
 * A runtime tier knows one runtime's code (tiers/rt.c: the rt runtime's
 * USDT probes; tiers/tokio.c: uprobes on Tokio's symbols) and fills the same struct obs_rt_snapshot: per worker poll
 * counts and histograms, busy/parked time, scheduling delay, timer
 * lateness, slow polls with what the kernel saw during them, locks, and the
 * blocking pool.  The analysis and the outputs read only that snapshot, so a
 * new runtime is one tier: a file pair here, its BPF header, one line in
 * runtime.c's list (docs/design.md).
 */
#ifndef OBS_TIERS_RUNTIME_H
#define OBS_TIERS_RUNTIME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "observe.h"
#include "rt_probe_abi.h"
#include "tiers/kernel.h"

struct observe_bpf;

#define OBS_RT_LONGEST		16	/* longest polls kept */

/* ---- the snapshot every runtime tier fills -------------------------------- */

struct obs_rt_worker {
	uint32_t tid;
	uint32_t idx;
	char comm[OBS_COMM_LEN];
	bool has_record;		/* rec is valid */
	struct rt_probe_worker rec;	/* the runtime's counters (the ABI's
					 * record shape), since observe learnt
					 * of the worker */
	struct obs_rt_polls slow;	/* slow polls, from BPF */
};

struct obs_lock_view {
	struct obs_lock_key key;
	struct obs_lock v;
};

/* Which tier read a runtime snapshot, how it ran, and what it cost. */
struct obs_rt_tier_info {
	const char *kind;		/* "rt", "tokio" */
	const char *mode;		/* how it ran, for the report */
	uint64_t probe_hits;		/* its per-event uprobe hits, 0: none */
	unsigned int nprobes;		/* uprobes it attached */
	uint64_t attach_ns;		/* how long attaching them took */
	unsigned int roles_untold;	/* threads it could not place */
	bool parks_measured;		/* workers' parked time (rt only) */
	double coverage;		/* share of the run its per-poll probes
					 * were on (sampled); 1: all of it */
};

struct obs_rt_snapshot {
	struct obs_rt_tier_info tier;

	struct obs_rt_worker *workers;	/* by tid */
	size_t nworkers;
	struct obs_lock_view *locks;	/* most wait time first */
	size_t nlocks;
	struct obs_blocking blocking;	/* all followed processes */
};

void obs_rt_snapshot_free(struct obs_rt_snapshot *s);

/* The counters of a worker record since base (a maximum stays cur's). */
void obs_rt_record_sub(struct rt_probe_worker *out,
		       const struct rt_probe_worker *cur,
		       const struct rt_probe_worker *base);

/* The maps every runtime tier's BPF side fills (bpf/runtime.bpf.h). */
struct obs_rt_maps {
	int polls, locks, blocking;
};

void obs_rt_maps_of(struct observe_bpf *skel, struct obs_rt_maps *m);

/* Appends the worker k to s->workers (allocated for it by the caller). */
struct obs_rt_worker *obs_rt_add_worker(struct obs_rt_snapshot *s,
					const struct obs_thread *k);

/* The shared part of a tier's read: each listed worker's slow polls, the
 * locks (most wait first) and the blocking pool.  0, or -errno with s
 * freed. */
int obs_rt_read_maps(struct obs_rt_snapshot *s, const struct obs_rt_maps *m);

/* What happened between two snapshots (counters subtracted; maxima are
 * cur's, since the start).  0 or -ENOMEM. */
int obs_rt_snapshot_delta(struct obs_rt_snapshot *out,
			  const struct obs_rt_snapshot *prev,
			  const struct obs_rt_snapshot *cur);

/* The longest slow polls (ring buffer), longest first. */
struct obs_rt_longest {
	struct obs_poll_event items[OBS_RT_LONGEST];
	size_t n;
	uint64_t seen;
};

void obs_rt_longest_add(struct obs_rt_longest *l,
			const struct obs_poll_event *e);

/* All workers summed. */
struct obs_rt_sum {
	unsigned int workers;
	uint64_t polls, poll_ns, parked_ns, parks;
	uint64_t sched_count, sched_ns, timer_fires, timer_late_ns;
	uint64_t timer_late_max_ns;
	__u64 poll_hist[RT_PROBE_HIST_SLOTS];
	__u64 sched_hist[RT_PROBE_HIST_SLOTS];
	__u64 timer_late_hist[RT_PROBE_HIST_SLOTS];
	struct obs_rt_polls slow;
};

void obs_rt_sum(const struct obs_rt_snapshot *s, struct obs_rt_sum *sum);

/* ---- the interface of a runtime tier --------------------------------------- */

struct obs_runtime_tier {
	const char *kind;		/* "rt": the JSON's runtime.probes */
	size_t state_size;		/* its private state, zeroed */
	/* Optional, before the BPF object loads: program settings. */
	void (*configure)(struct observe_bpf *skel);
	/* Attaches to pid's binary (launched: the child is held before
	 * exec, and binary is the path it will exec).  0: attached;
	 * nothing attached or printed, and the tier is off: -ENOENT not
	 * this runtime, -ENODATA no symbol table, or, with the reason in
	 * why ("cannot read BINARY (...)"), -EBADMSG the binary is
	 * malformed where the tier reads it, -EACCES or -EPERM not
	 * permitted; other -errno: printed, the run fails. */
	int (*attach)(void *state, struct observe_bpf *skel, pid_t pid,
		      const char *binary, bool launched, char *why,
		      size_t len);
	/* The runtime as of now; ks: the kernel tier's threads of the same
	 * moment.  0 or -errno. */
	int (*read)(void *state, struct obs_rt_snapshot *s,
		    const struct obs_snapshot *ks);
	/* Optional: the roles of the threads it knows (worker, blocking
	 * pool) into ks, for the kernel tier's figures and the rules. */
	void (*roles)(void *state, struct obs_snapshot *ks);
	/* Optional: called about every 100 ms while the run goes on. */
	void (*tick)(void *state);
	/* Stops the programs; what read needs stays readable. */
	void (*detach)(void *state);
	/* Detaches and frees what state holds (not state itself). */
	void (*free)(void *state);
};

/* ---- the runtime tier of a run ---------------------------------------------- */

struct obs_runtime {
	const struct obs_runtime_tier *tier;	/* NULL: none attached */
	void *state;
	char binary[PATH_MAX];		/* where the tiers looked */
	char off[PATH_MAX + 160];	/* with no tier: why, said once on
					 * stderr and in the report; "" with
					 * --no-runtime */
};

/* Before load: every runtime tier's program settings. */
void obs_runtime_configure(struct observe_bpf *skel);

/* Set while observe expects a libbpf failure (probing for probes). */
extern bool obs_libbpf_quiet;

/*
 * Finds the target's binary (launch: cmd as execvp would; attach:
 * /proc/PID/exe) and attaches the first runtime tier that recognises it.
 * None: one line says why (r->off) and 0 (the kernel tier goes on).  0 or
 * -errno.
 */
int obs_runtime_attach(struct obs_runtime *r, struct observe_bpf *skel,
		       pid_t pid, const char *launch_cmd);
int obs_runtime_read(struct obs_runtime *r, struct obs_rt_snapshot *s,
		     const struct obs_snapshot *ks);
/* The tier's thread roles into ks (and its per-role sums), if it has any. */
void obs_runtime_roles(struct obs_runtime *r, struct obs_snapshot *ks);
void obs_runtime_tick(struct obs_runtime *r);
void obs_runtime_detach(struct obs_runtime *r);
/* Safe on a zeroed or freed runtime. */
void obs_runtime_free(struct obs_runtime *r);

#endif /* OBS_TIERS_RUNTIME_H */
