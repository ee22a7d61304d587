// SPDX-License-Identifier: MIT
/*
 * rt.c - the rt runtime's tier (rt.h): attaching the rt USDT programs and
 * reading the workers' published records and the runtime maps.
 *
 * A worker's record is read from the live process with process_vm_readv
 * (observe is root: PTRACE_MODE_ATTACH is granted) and cached, because the
 * process may be gone by the final report; a worker that stopped cleanly
 * left its last record in rt_final (rt:worker_stop), which wins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "observe.skel.h"
#include "common/usdt.h"
#include "target.h"
#include "tiers/rt.h"

#define RT_PROGS	11	/* USDT programs in rt.bpf.h */

/* The last record read from a live worker, for when it is gone. */
struct rt_cached {
	uint32_t tid;
	struct rt_probe_worker rec;
};

struct rt_tier {
	struct bpf_link **links;	/* RT_PROGS at most per process */
	size_t nlinks;
	struct obs_rt_maps maps;	/* what every runtime tier fills */
	int base_fd, final_fd;		/* rt_base, rt_final */
	struct rt_cached *cache;
	size_t ncache, cache_cap;
	bool frozen;			/* the run is over: records come from
					 * rt:worker_stop or the cache, never
					 * from the still-running process */
};

/*
 * The probes with a program, in attach order; the program of probe P is
 * rt_P in runtime.bpf.h.  worker_start first: its absence means "no rt
 * probes here".
 */
static const char *const rt_probes[RT_PROGS] = {
	"worker_start", "worker_stop", "slow_poll", "slow_schedule",
	"mutex_acquire", "mutex_release", "sync_acquire", "sync_release",
	"blocking_start",
	/* the timeline's, loaded only for it (tiers/spans.c) */
	"poll_end", "timer_fire",
};

static struct bpf_link *attach_probe(struct observe_bpf *skel, pid_t pid,
				     const char *binary, const char *probe)
{
	struct bpf_program *prog;
	char name[64];

	snprintf(name, sizeof(name), "rt_%s", probe);
	prog = bpf_object__find_program_by_name(skel->obj, name);
	if (!prog || !bpf_program__autoload(prog)) {	/* skipped, as absent */
		errno = ENOENT;
		return NULL;
	}
	return bpf_program__attach_usdt(prog, pid, binary, "rt", probe, NULL);
}

/* Destroys the links from the mark-th on. */
static void destroy_links(struct rt_tier *rt, size_t mark)
{
	while (rt->nlinks > mark)
		bpf_link__destroy(rt->links[--rt->nlinks]);
}

static int rt_attach(void *state, struct observe_bpf *skel, pid_t pid,
		     const char *binary, unsigned int flags, char *why,
		     size_t len)
{
	struct rt_tier *rt = state;
	struct bpf_link *link, **links;
	size_t mark = rt->nlinks;	/* a failure undoes this process's */
	char bad[128];
	int i, err;

	(void)flags;	/* USDT attaches by path, before exec too */
	/* the notes, before libbpf: it takes most malformed ones for no
	 * probes at all (common/usdt.h) */
	err = obs_usdt_check(binary, "rt", rt_probes[0], bad, sizeof(bad));
	if (err == -EBADMSG)
		snprintf(why, len, "malformed ELF file %s (%s)", binary, bad);
	else if (err == -EACCES || err == -EPERM)
		snprintf(why, len, "cannot read %s (%s)", binary,
			 strerror(-err));
	if (err)
		return err == -EBADMSG || err == -EACCES || err == -EPERM ?
		       err : -ENOENT;
	obs_rt_maps_of(skel, &rt->maps);
	rt->base_fd = bpf_map__fd(skel->maps.rt_base);
	rt->final_fd = bpf_map__fd(skel->maps.rt_final);
	links = realloc(rt->links, (mark + RT_PROGS) * sizeof(*links));
	if (!links)
		return -ENOMEM;
	rt->links = links;
	for (i = 0, err = 0; i < RT_PROGS && !err; i++) {
		/* libbpf's lines would be a second one: -v shows them */
		obs_libbpf_quiet = true;
		link = attach_probe(skel, pid, binary, rt_probes[i]);
		err = link ? 0 : -errno;
		obs_libbpf_quiet = false;
		if (link) {
			rt->links[rt->nlinks++] = link;
			continue;
		}
		/* libbpf's USDT probes are perf uprobes, which need
		 * CAP_SYS_ADMIN again since commit ba677dbe77af ("perf:
		 * Revert to requiring CAP_SYS_ADMIN for uprobes", 2025,
		 * in the stable kernels too): CAP_PERFMON is not enough */
		if (err == -EACCES || err == -EPERM) {
			snprintf(why, len, "cannot attach the rt probes in %s "
				 "(%s)", binary,
				 obs_cap_effective(CAP_SYS_ADMIN) ?
				 strerror(-err) : "uprobes need CAP_SYS_ADMIN");
		} else if (i == 0) {
			/* the notes passed the check: a process gone
			 * meanwhile, or a file libbpf takes for not its
			 * own (-EBADF: a 32-bit one), is no rt tier */
			if (err == -ENOENT || err == -EINVAL ||
			    err == -ESRCH || err == -EBADF)
				err = -ENOENT;
		} else if (err == -ENOENT) {
			/* an older runtime without this probe: the rest
			 * still works */
			err = 0;
		} else {
			fprintf(stderr, "observe: cannot attach rt:%s in %s: %s\n",
				rt_probes[i], binary, strerror(-err));
		}
	}
	if (err)
		destroy_links(rt, mark);
	return err;
}

static void rt_detach(void *state)
{
	struct rt_tier *rt = state;

	destroy_links(rt, 0);
	rt->frozen = true;
}

static void rt_free(void *state)
{
	struct rt_tier *rt = state;

	rt_detach(rt);
	free(rt->links);
	rt->links = NULL;
	free(rt->cache);
	rt->cache = NULL;
	rt->ncache = rt->cache_cap = 0;
}

static struct rt_cached *cache_slot(struct rt_tier *rt, uint32_t tid,
					bool create)
{
	struct rt_cached *c;

	for (size_t i = 0; i < rt->ncache; i++)
		if (rt->cache[i].tid == tid)
			return &rt->cache[i];
	if (!create)
		return NULL;
	if (rt->ncache == rt->cache_cap) {
		size_t cap = rt->cache_cap ? 2 * rt->cache_cap : 16;

		c = realloc(rt->cache, cap * sizeof(*c));
		if (!c)
			return NULL;
		rt->cache = c;
		rt->cache_cap = cap;
	}
	c = &rt->cache[rt->ncache++];
	c->tid = tid;
	return c;
}

/* The worker's record as last seen: the stop copy, the live one, or the
 * last one read from the live process. */
static bool read_raw_record(struct rt_tier *rt, const struct obs_thread *k,
			    struct rt_probe_worker *rec)
{
	uint32_t tid = k->tid;
	__u64 addr = k->rt_state;
	struct iovec local = { rec, sizeof(*rec) };
	struct iovec remote = { (void *)(uintptr_t)addr, sizeof(*rec) };
	struct rt_cached *c;

	if (!bpf_map_lookup_elem(rt->final_fd, &tid, rec))
		return true;
	if (!rt->frozen &&
	    process_vm_readv((pid_t)k->tgid, &local, 1, &remote, 1, 0) ==
	    (ssize_t)sizeof(*rec)) {
		c = cache_slot(rt, tid, true);
		if (c)
			c->rec = *rec;
		return true;
	}
	c = cache_slot(rt, tid, false);
	if (!c)
		return false;
	*rec = c->rec;
	return true;
}

/* The worker's counters since observe learnt of it (rt_base). */
static bool read_record(struct rt_tier *rt, const struct obs_thread *k,
			struct rt_probe_worker *rec)
{
	struct rt_probe_worker raw, base;

	if (!read_raw_record(rt, k, &raw))
		return false;
	if (bpf_map_lookup_elem(rt->base_fd, &k->tid, &base))
		*rec = raw;
	else
		obs_rt_record_sub(rec, &raw, &base);
	return true;
}

static int rt_read(void *state, struct obs_rt_snapshot *s,
		   const struct obs_snapshot *ks, uint32_t tgid)
{
	struct rt_tier *rt = state;
	size_t i, n = 0;

	s->tier.mode = "USDT probes on rare events; per-poll counters from the "
		  "workers' published records";
	s->tier.parks_measured = true;
	for (i = 0; i < ks->nthreads; i++)
		n += ks->threads[i].k.rt_state &&
		     obs_rt_of_tgid(&ks->threads[i].k, tgid);
	s->workers = calloc(n ? n : 1, sizeof(*s->workers));
	if (!s->workers)
		return -ENOMEM;
	for (i = 0; i < ks->nthreads; i++) {
		const struct obs_thread *k = &ks->threads[i].k;
		struct obs_rt_worker *w;

		if (!k->rt_state || !obs_rt_of_tgid(k, tgid))
			continue;
		w = obs_rt_add_worker(s, k);
		w->idx = k->rt_idx;
		w->has_record = read_record(rt, k, &w->rec);
	}
	return obs_rt_read_maps(s, &rt->maps, tgid);
}

/* rt:worker_start named the workers exactly. */
static void rt_roles(void *state, struct obs_snapshot *ks)
{
	(void)state;
	for (size_t i = 0; i < ks->nthreads; i++)
		if (ks->threads[i].k.rt_state) {
			ks->threads[i].role = OBS_ROLE_WORKER;
			ks->threads[i].role_by = OBS_ROLE_BY_RUNTIME;
		}
}

const struct obs_runtime_tier obs_rt_usdt_tier = {
	.kind = "rt",
	.state_size = sizeof(struct rt_tier),
	.attach = rt_attach,
	.read = rt_read,
	.roles = rt_roles,
	.detach = rt_detach,
	.free = rt_free,
};
