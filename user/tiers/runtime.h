/* SPDX-License-Identifier: MIT */
/*
 * runtime.h - observe's runtime tier: finds the rt runtime's USDT probes in
 * the target (docs/probes.md), attaches the programs of bpf/runtime.bpf.h,
 * and reads what they and the runtime's published worker records hold into
 * one snapshot: per worker poll counts and histograms, busy/parked time,
 * scheduling delay, timer lateness, slow polls with what the kernel saw
 * during them, locks, and the blocking pool.
 */
#ifndef OBS_RUNTIME_H
#define OBS_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "observe.h"
#include "rt_probe_abi.h"
#include "tiers/kernel.h"

struct observe_bpf;
struct bpf_link;

#define OBS_RT_PROGS		9	/* USDT programs in runtime.bpf.h */
#define OBS_RT_LONGEST		16	/* longest polls kept */

/* Set while observe expects a libbpf failure (probing for the probes). */
extern bool obs_libbpf_quiet;

/* The last record read from a live worker, for when it is gone. */
struct obs_rt_cached {
	uint32_t tid;
	struct rt_probe_worker rec;
};

struct obs_rt_tier {
	bool attached;			/* the rt probes were found */
	pid_t pid;
	struct bpf_link *links[OBS_RT_PROGS];
	int nlinks;
	int polls_fd, locks_fd, blocking_fd, base_fd, final_fd;
	struct obs_rt_cached *cache;
	size_t ncache, cache_cap;
	bool frozen;			/* the run is over: records come from
					 * rt:worker_stop or the cache, never
					 * from the still-running process */
};

/*
 * Attaches the runtime tier to pid's binary (launch mode: before exec, with
 * the path the child will exec).  0: attached; -ENOENT: the binary has no rt
 * probes (nothing attached, nothing printed); other -errno: printed.
 */
int obs_rt_attach(struct obs_rt_tier *rt, struct observe_bpf *skel, pid_t pid,
		  const char *binary);
/* Stops the programs and freezes the records at the cache (the maps and
 * the cache stay readable). */
void obs_rt_detach(struct obs_rt_tier *rt);
/* Detaches and frees; safe on a zeroed or freed tier. */
void obs_rt_free(struct obs_rt_tier *rt);

/* Launch mode: the path execvp would run for cmd, into buf; 0 or -ENOENT. */
int obs_rt_resolve_cmd(const char *cmd, char *buf, size_t len);

struct obs_rt_worker {
	uint32_t tid;
	uint32_t idx;
	char comm[OBS_COMM_LEN];
	bool has_record;		/* rec is valid */
	struct rt_probe_worker rec;	/* the runtime's counters, since
					 * observe learnt of the worker */
	struct obs_rt_polls slow;	/* slow polls, from BPF */
};

struct obs_lock_view {
	struct obs_lock_key key;
	struct obs_lock v;
};

struct obs_rt_snapshot {
	struct obs_rt_worker *workers;	/* by tid */
	size_t nworkers;
	struct obs_lock_view *locks;	/* most wait time first */
	size_t nlocks;
	struct obs_blocking blocking;	/* all followed processes */
};

/*
 * Reads the runtime tier as of now: the workers are ks's threads that
 * announced a record; each record comes from rt:worker_stop's copy, else
 * from the live process (and is cached), else from the cache.  0 or -errno.
 */
int obs_rt_snapshot_read(struct obs_rt_snapshot *s, struct obs_rt_tier *rt,
			 const struct obs_snapshot *ks);
void obs_rt_snapshot_free(struct obs_rt_snapshot *s);

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

#endif
