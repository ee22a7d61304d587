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
	struct obs_blocking blocking;	/* its process's (and its children's,
					 * for one target) */
};

void obs_rt_snapshot_free(struct obs_rt_snapshot *s);

/* One process's runtime, as read: the tier's snapshot, or why none. */
struct obs_rt_process {
	uint32_t tgid;
	const char *binary;		/* where the tiers looked */
	const char *off;		/* no tier: why ("" --no-runtime) */
	bool on;			/* a tier attached: s is its */
	struct obs_rt_snapshot s;
};

/* The runtimes of a run's processes: the one target's (with its
 * children), or each of several processes that a tier was tried on. */
struct obs_rt_set {
	struct obs_rt_process *procs;	/* in the order they were tried */
	size_t n;
};

/* tgid's entry in set (NULL, none: not tried). */
const struct obs_rt_process *obs_rt_set_find(const struct obs_rt_set *set,
					     uint32_t tgid);
void obs_rt_set_free(struct obs_rt_set *set);
/* Each process's delta (obs_rt_snapshot_delta); one new since prev: since
 * it was first read.  0 or -ENOMEM. */
int obs_rt_set_delta(struct obs_rt_set *out, const struct obs_rt_set *prev,
		     const struct obs_rt_set *cur);

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

/* The shared part of a tier's read: each listed worker's slow polls, and
 * tgid's locks (most wait first) and blocking pool (tgid 0: every
 * process's).  0, or -errno with s freed. */
int obs_rt_read_maps(struct obs_rt_snapshot *s, const struct obs_rt_maps *m,
		     uint32_t tgid);

/* Is thread k one of tgid's (0: of any process)? */
static inline bool obs_rt_of_tgid(const struct obs_thread *k, uint32_t tgid)
{
	return !tgid || k->tgid == tgid;
}

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

/* The longest slow polls of each process: the run's and the current
 * interval's (one target: all under tgid 0, its children's included). */
struct obs_rt_longest_of {
	uint32_t tgid;
	struct obs_rt_longest run, ivl;
};

struct obs_rt_longest_set {
	struct obs_rt_longest_of *procs;
	size_t n, cap;
};

/* e into its process's lists (tgid: the key); 0 or -ENOMEM. */
int obs_rt_longest_set_add(struct obs_rt_longest_set *set, uint32_t tgid,
			   const struct obs_poll_event *e);
/* tgid's lists, or NULL (no slow poll yet). */
const struct obs_rt_longest_of *
obs_rt_longest_set_find(const struct obs_rt_longest_set *set, uint32_t tgid);
/* An interval ends: every process's interval list emptied. */
void obs_rt_longest_set_next(struct obs_rt_longest_set *set);
void obs_rt_longest_set_free(struct obs_rt_longest_set *set);

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

enum obs_rt_attach_flags {
	OBS_RT_LAUNCHED = 1,
	OBS_RT_QUIET = 2,
};

struct obs_runtime_tier {
	const char *kind;		/* "rt": the JSON's runtime.probes */
	size_t state_size;		/* its private state, zeroed */
	/* Optional, before the BPF object loads: program settings. */
	void (*configure)(struct observe_bpf *skel);
	/* Attaches to pid's binary (flags OBS_RT_LAUNCHED: the child is
	 * held before exec, and binary is the path it will exec;
	 * OBS_RT_QUIET: no notes on stderr, one of several processes).  One state serves
	 * every process the tier attaches to (several -p, -a): attach is
	 * called once per process, and a failed one leaves what the others
	 * attached.  0: attached; nothing attached or printed for pid:
	 * -ENOENT not this runtime, -ENODATA no symbol table, or, with the
	 * reason in why ("cannot read BINARY (...)"), -EBADMSG the binary
	 * is malformed where the tier reads it, -EACCES or -EPERM not
	 * permitted; other -errno: printed. */
	int (*attach)(void *state, struct observe_bpf *skel, pid_t pid,
		      const char *binary, unsigned int flags, char *why,
		      size_t len);
	/* The runtime of tgid's workers as of now (tgid 0: of every thread
	 * in ks, one target and its children); ks: the kernel tier's
	 * threads of the same moment.  0 or -errno. */
	int (*read)(void *state, struct obs_rt_snapshot *s,
		    const struct obs_snapshot *ks, uint32_t tgid);
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

/* ---- the runtime tiers of a run --------------------------------------------- */

#define OBS_RT_NTIERS	2

/* One process the tiers were tried on. */
struct obs_runtime_proc {
	pid_t pid;
	const struct obs_runtime_tier *tier;	/* NULL: none attached */
	char binary[PATH_MAX];		/* where the tiers looked */
	char off[PATH_MAX + 160];	/* with no tier: why, for the report
					 * (and said once on stderr for one
					 * target) */
};

/*
 * The runtime tiers of a run: tried on one target, or on each of several
 * processes (several -p, --cgroup, -a: those there when observe starts).
 * Each tier has one state for all the processes it recognised: one set of
 * BPF maps keyed by thread (and by tgid where a key could repeat across
 * processes), one sampling budget.  Zeroed: no runtime (--no-runtime).
 */
struct obs_runtime {
	bool several;			/* several processes: each read alone,
					 * and no line for one without a tier */
	void *states[OBS_RT_NTIERS];	/* by the tiers' order, NULL: unused */
	struct obs_runtime_proc *procs;
	size_t nprocs;
};

/* Before load: every runtime tier's program settings. */
void obs_runtime_configure(struct observe_bpf *skel);

/* Set while observe expects a libbpf failure (probing for probes). */
extern bool obs_libbpf_quiet;

/*
 * Finds pid's binary (launch: cmd as execvp would; attach: /proc/PID/exe)
 * and attaches the first runtime tier that recognises it, as one more of
 * r's processes (one tried already: nothing).  None: why is the process's
 * off (one target: said in one line), and 0: the kernel tier goes on.  0
 * or -errno; with several processes, only -ENOMEM (another error is that
 * process's off).
 */
int obs_runtime_attach(struct obs_runtime *r, struct observe_bpf *skel,
		       pid_t pid, const char *launch_cmd);
/* Is a tier attached to any process? */
bool obs_runtime_on(const struct obs_runtime *r);
/* Each process's runtime as of now, into set (freed first). */
int obs_runtime_read(struct obs_runtime *r, struct obs_rt_set *set,
		     const struct obs_snapshot *ks);
/* The tier's thread roles into ks (and its per-role sums), if it has any. */
void obs_runtime_roles(struct obs_runtime *r, struct obs_snapshot *ks);
void obs_runtime_tick(struct obs_runtime *r);
void obs_runtime_detach(struct obs_runtime *r);
/* Safe on a zeroed or freed runtime; r stays several or not. */
void obs_runtime_free(struct obs_runtime *r);

#endif /* OBS_TIERS_RUNTIME_H */
