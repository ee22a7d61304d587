/* SPDX-License-Identifier: MIT */
/*
 * scope.h - which processes a run follows when it is not one target:
 * several -p PIDs, the members of a cgroup (--cgroup), or every user
 * process (-a).  A set is followed through the BPF tgids map
 * (obs_kernel_follow).  A cgroup's members are rescanned every
 * OBS_SCOPE_RESCAN_S: a process can enter it without being forked by a
 * member (a service restarted by systemd), and those that leave or exit
 * leave the set.
 */
#ifndef OBS_SCOPE_H
#define OBS_SCOPE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cli.h"		/* OBS_CLI_MAX_PIDS */
#include "target.h"

struct observe_bpf;

#define OBS_SCOPE_RESCAN_S	1.0

enum obs_scope_kind {
	OBS_SCOPE_ONE = 0,	/* one target: -p PID or -- CMD (target.h) */
	OBS_SCOPE_PIDS,		/* -p PID, several */
	OBS_SCOPE_CGROUP,	/* --cgroup PATH and its descendants */
	OBS_SCOPE_ALL,		/* -a: every user process but observe */
};

struct obs_scope {
	enum obs_scope_kind kind;
	struct obs_target pids[OBS_CLI_MAX_PIDS];	/* OBS_SCOPE_PIDS */
	size_t npids;
	char cgroup[PATH_MAX];		/* OBS_SCOPE_CGROUP: its directory */
	pid_t *members;			/* followed now, sorted */
	size_t nmembers;
	uint64_t not_followed;		/* the tgids map was full: a drop */
	double scanned_at;
};

/* "pids", "cgroup", "all" ("one" for a single target). */
const char *obs_scope_kind_name(enum obs_scope_kind kind);

/*
 * Checks the processes or the cgroup (one line and -errno when one is not
 * there, exited or a kernel thread, or PATH is no cgroup); all: nothing to
 * check.  A cgroup is any directory with a cgroup.procs (v2 or v1); a
 * relative PATH is under /sys/fs/cgroup, else under its unified/ (a hybrid
 * hierarchy's v2).
 */
int obs_scope_open(struct obs_scope *sc, enum obs_scope_kind kind,
		   const pid_t *pids, size_t npids, const char *cgroup);

/* After load: the set into the BPF filter; 0 or -errno (printed). */
int obs_scope_follow(struct obs_scope *sc, struct observe_bpf *skel);

/* The processes in the scope now (-a: every one with a binary but
 * observe), sorted, in *pids (free it); 0 or -errno. */
int obs_scope_list(const struct obs_scope *sc, pid_t **pids, size_t *n);

/* Threads that exist now get a row (tiers/seed.h); 0 or -errno. */
int obs_scope_seed(const struct obs_scope *sc, int threads_fd, uint64_t now_ns);

/* A cgroup's membership again, at most every OBS_SCOPE_RESCAN_S: true
 * when it was read (sc->members is the new one). */
bool obs_scope_tick(struct obs_scope *sc, struct observe_bpf *skel, double now);

/* Several -p: all have exited.  A cgroup and -a never end by themselves. */
bool obs_scope_ended(struct obs_scope *sc);

void obs_scope_free(struct obs_scope *sc);

#endif /* OBS_SCOPE_H */
