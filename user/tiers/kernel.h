/* SPDX-License-Identifier: MIT */
/*
 * kernel.h - the kernel tier: configured before the BPF object loads,
 * attached to the target after, and read into one snapshot: threads with
 * their roles, per-role sums, futex addresses and waiter/waker pairs, drops,
 * and the notable spans that came through the ring buffer.
 * (Its BPF side: bpf/observe.bpf.c on bpf/base.bpf.h.)
 */
#ifndef OBS_TIERS_KERNEL_H
#define OBS_TIERS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "observe.h"
#include "tiers/exited.h"

struct observe_bpf;

enum obs_role {
	OBS_ROLE_WORKER = 0,
	OBS_ROLE_BLOCKING,
	OBS_ROLE_OTHER,
	OBS_ROLE__COUNT,
};

const char *obs_role_name(enum obs_role role);

/* What decided a thread's role, strongest first (analysis/roles.h). */
enum obs_role_by {
	OBS_ROLE_BY_NONE = 0,	/* nothing: other */
	OBS_ROLE_BY_GLOB,	/* --workers / --blocking, given: names only */
	OBS_ROLE_BY_RUNTIME,	/* the runtime tier saw what it runs */
	OBS_ROLE_BY_EPOLL,	/* it waits in epoll: an event loop, a worker */
	OBS_ROLE_BY_QUEUE,	/* it idles on a futex others wake: a pool */
	OBS_ROLE_BY_NAME,	/* the default names */
	OBS_ROLE_BY__COUNT,
};

/* "glob", "runtime", "epoll", "idle_queue", "name", "none" */
const char *obs_role_by_name(enum obs_role_by by);

struct obs_roles_cfg {
	const char *const *worker;
	int nworker;
	const char *const *blocking;
	int nblocking;
	bool given;			/* the globs were given: they decide */
};

/* The role of a thread name: worker globs first, then blocking, else other. */
enum obs_role obs_role_of(const struct obs_roles_cfg *cfg, const char *comm);

struct obs_thread_view {
	struct obs_thread k;		/* the kernel's counters */
	enum obs_role role;
	enum obs_role_by role_by;
	unsigned int folded;		/* > 0: the sum of that many exited
					 * threads of one name (exited.h) */
};

/* A threads-map entry as obs_read_hash reads it: the key, then the row,
 * aligned (the tid key is 4 bytes, the row wants 8). */
struct obs_thread_rec {
	__u32 tid;
	struct obs_thread k;
};

struct obs_futex_view {
	struct obs_futex_key key;
	struct obs_futex v;
};

struct obs_pair_view {
	struct obs_pair_key key;
	struct obs_pair v;
};

struct obs_role_sum {
	unsigned int threads;
	uint64_t on_cpu_ns;
	uint64_t rq_delay_ns;
	uint64_t rq_count;
	uint64_t rq_max_ns;		/* the longest single run-queue delay */
	uint64_t off_cpu_ns;
	uint64_t futex_wait_ns;
	__u64 rq_hist[OBS_MAX_SLOTS];
	__u64 off_by_sys[OBS_SYS__COUNT];
};

struct obs_snapshot {
	struct obs_thread_view *threads;	/* sorted by (tgid, tid) */
	size_t nthreads;
	struct obs_futex_view *futexes;		/* most wait time first */
	size_t nfutexes;
	struct obs_pair_view *pairs;
	size_t npairs;
	uint64_t drops[OBS_DROP__COUNT];
	uint64_t missed_wakeups;		/* diagnostics, not a drop */
	uint64_t ustack_lost;			/* stack copies lost, ditto */
	struct obs_role_sum roles[OBS_ROLE__COUNT];
};

struct obs_map_fds {
	int threads, futexes, pairs, drops, stacks, oncpu;
};

struct obs_kernel_cfg {
	pid_t tgid;			/* the target; 0: -a or a set (obs_kernel_follow) */
	bool follow_children;		/* launch mode, --cgroup: forks join */
	bool follow_all;		/* -a: every user process but observe */
	unsigned long threshold_ms;	/* notable spans; 0: none */
	bool verbose;			/* say which syscall programs load */
	bool ustacks;			/* copy notable spans' user stacks */
};

#define OBS_VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/*
 * The kernel's BTF, for CO-RE and the feature checks: OBS_VMLINUX_BTF, or
 * the file OBSERVE_BTF names (a copy; the tests point it at a missing file
 * to see the no-BTF error).
 */
const char *obs_kernel_btf_path(void);

/*
 * OBSERVE_SMALL_MAPS=1: maps and ring buffer small enough for a test to
 * fill each one, and the ring buffer first read after
 * OBS_SMALL_MAPS_RING_DELAY_S, so that every kind of drop is seen counted
 * and reported (tests/integ/observe_overflow.t).
 */
#define OBS_SMALL_MAPS_RING_DELAY_S	0.5
bool obs_kernel_small_maps(void);

/* After configure: are user stacks copied (x86_64, a threshold, asked)? */
bool obs_kernel_ustacks(const struct observe_bpf *skel);

/* Before load: the settings (rodata) and which syscall programs load. */
void obs_kernel_configure(struct observe_bpf *skel,
			  const struct obs_kernel_cfg *cfg);

/* After load: the tracepoints attached, the map fds.  0 or -errno, with
 * its line printed. */
int obs_kernel_attach(struct observe_bpf *skel, struct obs_map_fds *fds);

/* One more process followed, or one less (a set of processes: several
 * -p, --cgroup); 0 or -errno, nothing printed. */
int obs_kernel_follow(struct observe_bpf *skel, pid_t tgid);
int obs_kernel_unfollow(struct observe_bpf *skel, pid_t tgid);

/*
 * Reads every map, and the rows of threads reaped from them (exited, NULL
 * for none); 0 or -errno.  The snapshot owns its arrays.  A live thread
 * on a CPU right now is charged its current slice up to now_ns (the BPF
 * clock, CLOCK_MONOTONIC), as schedstat's sum_exec_runtime is; 0 skips that.
 */
int obs_snapshot_read(struct obs_snapshot *s, const struct obs_map_fds *fds,
		      const struct obs_exited *exited,
		      const struct obs_roles_cfg *cfg, uint64_t now_ns);

/*
 * Reads up to max (key, value) entries of a hash map into a new array of
 * records of rec_size bytes, key at offset 0 and value at val_off.  0 or
 * -errno; *out is the caller's to free.
 */
int obs_read_hash(int fd, size_t key_size, size_t val_off, size_t rec_size,
		  size_t max, void **out, size_t *n);

/* Counter key of a per-CPU array map, summed over the CPUs; 0 or -errno. */
int obs_read_percpu(int fd, __u32 key, uint64_t *sum);

/* CLOCK_MONOTONIC in ns, the clock of bpf_ktime_get_ns(). */
uint64_t obs_now_ns(void);
void obs_snapshot_free(struct obs_snapshot *s);

/* Pair keys in the order (tgid, uaddr, kind, tid): the waiters and wakers
 * of one address together. */
int obs_pair_key_cmp(const struct obs_pair_key *x, const struct obs_pair_key *y);

/* Threads seen in all: a row each, folded rows as many as they sum. */
uint64_t obs_snapshot_threads_seen(const struct obs_snapshot *s);

/* ... of which exited. */
uint64_t obs_snapshot_threads_exited(const struct obs_snapshot *s);

/* Fills s->roles from s->threads (also used by the tests). */
void obs_snapshot_sum_roles(struct obs_snapshot *s);

/* The futex entry of (tgid, uaddr) in a snapshot, or NULL. */
const struct obs_futex_view *obs_snapshot_futex(const struct obs_snapshot *s,
						uint32_t tgid, uint64_t uaddr);

/* The futex address of cur with the most wait since prev, or NULL (none
 * waited); its wait time and waits since prev into *ns and *waits. */
const struct obs_futex_view *obs_snapshot_top_futex(const struct obs_snapshot *cur,
						    const struct obs_snapshot *prev,
						    uint64_t *ns, uint64_t *waits);

/* The thread of tid in a snapshot, or NULL. */
const struct obs_thread_view *obs_snapshot_thread(const struct obs_snapshot *s,
						  uint32_t tid);

/* Its name, "?" if the snapshot has no such thread. */
const char *obs_snapshot_comm(const struct obs_snapshot *s, uint32_t tid);

/* The name of process tgid (its main thread's), "?" if it has no thread. */
const char *obs_snapshot_process_comm(const struct obs_snapshot *s,
				      uint32_t tgid);

/* Notable spans from the ring buffer: the OBS_NOTABLE_MAX longest are kept. */
#define OBS_NOTABLE_MAX 1024

struct obs_notable {
	struct obs_event ev;
	uint64_t ustack[OBS_STACK_DEPTH];
	unsigned int nframes;
};

struct obs_notables {
	struct obs_notable items[OBS_NOTABLE_MAX];
	size_t n;
	uint64_t seen;			/* all spans received, kept or not */
};

/* Adds one span (and its stack if stack_fd >= 0 and the id resolves). */
void obs_notables_add(struct obs_notables *nb, const struct obs_event *ev,
		      int stack_fd);

/*
 * Adds the spans the BPF side still holds for a sys_exit that had not come
 * when the run ended (a thread woken but not yet out of its syscall), without
 * a stack.  Read s after the programs are detached, or a span may be both
 * sent and held.
 */
void obs_notables_add_pending(struct obs_notables *nb,
			      const struct obs_snapshot *s);

/* Sorts the kept spans longest first. */
void obs_notables_sort(struct obs_notables *nb);

#endif /* OBS_TIERS_KERNEL_H */
