// SPDX-License-Identifier: MIT
/*
 * scope.c - the processes of a run over a set (scope.h).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "scope.h"
#include "tiers/kernel.h"
#include "tiers/seed.h"

#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CGROUP_UNIFIED	CGROUP_ROOT "/unified"

static const char *const kind_names[] = {
	[OBS_SCOPE_ONE] = "one", [OBS_SCOPE_PIDS] = "pids",
	[OBS_SCOPE_CGROUP] = "cgroup", [OBS_SCOPE_ALL] = "all",
};

const char *obs_scope_kind_name(enum obs_scope_kind kind)
{
	return kind <= OBS_SCOPE_ALL ? kind_names[kind] : "?";
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* A growing, sorted, duplicate-free list of pids. */
struct pid_list {
	pid_t *v;
	size_t n, cap;
};

static int pid_list_add(struct pid_list *l, pid_t pid)
{
	pid_t *v;

	if (l->n == l->cap) {
		v = realloc(l->v, (l->cap ? l->cap * 2 : 64) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = l->cap ? l->cap * 2 : 64;
	}
	l->v[l->n++] = pid;
	return 0;
}

static void pid_list_sort(struct pid_list *l)
{
	size_t i, n = 0;

	qsort(l->v, l->n, sizeof(*l->v), cmp_pid);
	for (i = 0; i < l->n; i++)
		if (!n || l->v[n - 1] != l->v[i])
			l->v[n++] = l->v[i];
	l->n = n;
}

/* nftw has no context argument: the list being filled. */
static struct pid_list *scan_into;

static int scan_dir(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	char file[PATH_MAX];
	long pid;
	FILE *f;

	(void)st;
	(void)ftw;
	if (type != FTW_D)
		return 0;
	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	f = fopen(file, "re");
	if (!f)		/* removed while walking: no members */
		return 0;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0 && pid_list_add(scan_into, (pid_t)pid)) {
			fclose(f);
			return -1;
		}
	fclose(f);
	return 0;
}

/* The processes of the cgroup and of its descendants, sorted. */
static int cgroup_members(const char *dir, struct pid_list *l)
{
	scan_into = l;
	if (nftw(dir, scan_dir, 16, FTW_PHYS))
		return errno ? -errno : -ENOMEM;
	pid_list_sort(l);
	return 0;
}

static int open_cgroup(struct obs_scope *sc, const char *path)
{
	char procs[PATH_MAX + 16];
	struct stat st;

	if (path[0] == '/')
		snprintf(sc->cgroup, sizeof(sc->cgroup), "%s", path);
	else
		snprintf(sc->cgroup, sizeof(sc->cgroup), CGROUP_ROOT "/%s", path);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", sc->cgroup);
	/* a hybrid hierarchy has v2 under unified/: try it for a relative
	 * PATH (system.slice/x.service) */
	if (stat(procs, &st) && path[0] != '/') {
		snprintf(sc->cgroup, sizeof(sc->cgroup), CGROUP_UNIFIED "/%s", path);
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", sc->cgroup);
	}
	if (stat(procs, &st)) {
		fprintf(stderr, "observe: --cgroup %s: not a cgroup (%s: %s)\n",
			path, procs, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

int obs_scope_open(struct obs_scope *sc, enum obs_scope_kind kind,
		   const pid_t *pids, size_t npids, const char *cgroup)
{
	int err;

	sc->kind = kind;
	for (size_t i = 0; i < OBS_CLI_MAX_PIDS; i++)
		obs_target_init(&sc->pids[i]);
	if (kind == OBS_SCOPE_CGROUP)
		return open_cgroup(sc, cgroup);
	if (kind != OBS_SCOPE_PIDS)
		return 0;
	for (size_t i = 0; i < npids && i < OBS_CLI_MAX_PIDS; i++) {
		err = obs_target_attach(&sc->pids[sc->npids], pids[i]);
		if (err)
			return err;
		sc->npids++;
	}
	return 0;
}

/* Follows the pids of l that sc does not yet, and lets go of those it
 * follows that l no longer has; l becomes sc's members. */
static void follow_members(struct obs_scope *sc, struct observe_bpf *skel,
			   struct pid_list *l)
{
	size_t i = 0, j = 0;

	while (i < l->n || j < sc->nmembers) {
		if (j == sc->nmembers ||
		    (i < l->n && l->v[i] < sc->members[j])) {
			if (obs_kernel_follow(skel, l->v[i]))
				sc->not_followed++;
			i++;
		} else if (i == l->n || sc->members[j] < l->v[i]) {
			obs_kernel_unfollow(skel, sc->members[j]);
			j++;
		} else {
			i++;
			j++;
		}
	}
	free(sc->members);
	sc->members = l->v;
	sc->nmembers = l->n;
}

/* Every process with a binary (no kernel thread) but observe. */
static int user_processes(struct pid_list *l)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char exe[64], link[8];
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		long pid = strtol(de->d_name, NULL, 10);

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(exe, sizeof(exe), "/proc/%ld/exe", pid);
		/* a kernel thread's link has no target: ENOENT */
		if (readlink(exe, link, sizeof(link)) < 0 && errno == ENOENT)
			continue;
		err = pid_list_add(l, (pid_t)pid);
	}
	closedir(d);
	return err;
}

/* The processes of sc now, sorted, into l: the -p PIDs, or the cgroup's
 * members; with_all, -a's every process too (the filter needs none: BPF
 * follows them all).  0, or -errno with l empty. */
static int scope_pids(const struct obs_scope *sc, struct pid_list *l,
		      bool with_all)
{
	int err = 0;

	if (sc->kind == OBS_SCOPE_PIDS)
		for (size_t i = 0; i < sc->npids && !err; i++)
			err = pid_list_add(l, sc->pids[i].pid);
	else if (sc->kind == OBS_SCOPE_CGROUP)
		err = cgroup_members(sc->cgroup, l);
	else if (sc->kind == OBS_SCOPE_ALL && with_all)
		err = user_processes(l);
	if (err) {
		free(l->v);
		memset(l, 0, sizeof(*l));
		return err;
	}
	pid_list_sort(l);
	return 0;
}

int obs_scope_follow(struct obs_scope *sc, struct observe_bpf *skel)
{
	struct pid_list l = {};
	int err = scope_pids(sc, &l, false);

	if (err) {
		fprintf(stderr, "observe: cannot list the processes of %s: %s\n",
			sc->cgroup, strerror(-err));
		return err;
	}
	follow_members(sc, skel, &l);
	return 0;
}

int obs_scope_list(const struct obs_scope *sc, pid_t **pids, size_t *n)
{
	struct pid_list l = {};
	int err = scope_pids(sc, &l, true);

	*pids = l.v;
	*n = l.n;
	return err;
}

int obs_scope_seed(const struct obs_scope *sc, int threads_fd, uint64_t now_ns)
{
	int err;

	/* a member gone since it was listed has nothing to seed */
	for (size_t i = 0; i < sc->nmembers; i++)
		if ((err = obs_seed_threads(threads_fd, sc->members[i], now_ns)) < 0 &&
		    err != -ENOENT && err != -ESRCH)
			return err;
	return 0;
}

bool obs_scope_tick(struct obs_scope *sc, struct observe_bpf *skel, double now)
{
	struct pid_list l = {};

	if (sc->kind != OBS_SCOPE_CGROUP || now - sc->scanned_at < OBS_SCOPE_RESCAN_S)
		return false;
	sc->scanned_at = now;
	/* a failed scan keeps the set as it was: the next one may work */
	if (cgroup_members(sc->cgroup, &l)) {
		free(l.v);
		return false;
	}
	follow_members(sc, skel, &l);
	return true;
}

bool obs_scope_ended(struct obs_scope *sc)
{
	if (sc->kind != OBS_SCOPE_PIDS)
		return false;
	for (size_t i = 0; i < sc->npids; i++)
		if (!obs_target_exited(&sc->pids[i]))
			return false;
	return true;
}

void obs_scope_free(struct obs_scope *sc)
{
	for (size_t i = 0; i < sc->npids; i++)
		obs_target_cleanup(&sc->pids[i]);
	free(sc->members);
	sc->members = NULL;
	sc->nmembers = 0;
}
