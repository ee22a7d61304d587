// SPDX-License-Identifier: MIT
/*
 * runtime.c - the runtime tier: attaching the rt USDT programs and reading
 * the workers' published records and the runtime maps (runtime.h).
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
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "observe.skel.h"
#include "tiers/runtime.h"

bool obs_libbpf_quiet;

/*
 * The probes with a program, in attach order; the program of probe P is
 * rt_P in runtime.bpf.h.  worker_start first: its absence means "no rt
 * probes here".
 */
static const char *const rt_probes[OBS_RT_PROGS] = {
	"worker_start", "worker_stop", "slow_poll", "slow_schedule",
	"mutex_acquire", "mutex_release", "sync_acquire", "sync_release",
	"blocking_start",
};

static struct bpf_link *attach_probe(struct observe_bpf *skel, pid_t pid,
				     const char *binary, const char *probe)
{
	struct bpf_program *prog;
	char name[64];

	snprintf(name, sizeof(name), "rt_%s", probe);
	prog = bpf_object__find_program_by_name(skel->obj, name);
	if (!prog) {
		errno = ENOENT;
		return NULL;
	}
	return bpf_program__attach_usdt(prog, pid, binary, "rt", probe, NULL);
}

int obs_rt_resolve_cmd(const char *cmd, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(cmd, '/')) {
		snprintf(buf, len, "%s", cmd);
		return access(buf, X_OK) ? -ENOENT : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		/* an empty PATH element is the current directory */
		if (end == p)
			snprintf(buf, len, "./%s", cmd);
		else
			snprintf(buf, len, "%.*s/%s", (int)(end - p), p, cmd);
		if (!access(buf, X_OK))
			return 0;
	}
	return -ENOENT;
}

int obs_rt_attach(struct obs_rt_tier *rt, struct observe_bpf *skel, pid_t pid,
		  const char *binary)
{
	struct bpf_link *link;
	int i, err;

	memset(rt, 0, sizeof(*rt));
	rt->pid = pid;
	rt->polls_fd = bpf_map__fd(skel->maps.rt_polls);
	rt->locks_fd = bpf_map__fd(skel->maps.locks);
	rt->blocking_fd = bpf_map__fd(skel->maps.blocking);
	rt->base_fd = bpf_map__fd(skel->maps.rt_base);
	rt->final_fd = bpf_map__fd(skel->maps.rt_final);
	for (i = 0; i < OBS_RT_PROGS; i++) {
		obs_libbpf_quiet = i == 0;
		link = attach_probe(skel, pid, binary, rt_probes[i]);
		obs_libbpf_quiet = false;
		if (link) {
			rt->links[rt->nlinks++] = link;
			continue;
		}
		err = -errno;
		if (i == 0) {
			/* not an ELF, no notes, or no rt:worker_start */
			return err == -ENOENT || err == -EINVAL ||
			       err == -ESRCH ? -ENOENT : err;
		}
		/* an older runtime without this probe: the rest still works */
		if (err != -ENOENT) {
			fprintf(stderr, "observe: cannot attach rt:%s in %s: %s\n",
				rt_probes[i], binary, strerror(-err));
			obs_rt_free(rt);
			return err;
		}
	}
	rt->attached = true;
	return 0;
}

void obs_rt_detach(struct obs_rt_tier *rt)
{
	for (int i = 0; i < rt->nlinks; i++)
		bpf_link__destroy(rt->links[i]);
	rt->nlinks = 0;
	rt->frozen = true;
}

void obs_rt_free(struct obs_rt_tier *rt)
{
	obs_rt_detach(rt);
	free(rt->cache);
	rt->cache = NULL;
	rt->ncache = rt->cache_cap = 0;
}

static struct obs_rt_cached *cache_slot(struct obs_rt_tier *rt, uint32_t tid,
					bool create)
{
	struct obs_rt_cached *c;

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

/* cur - prev over n u64 counters, never below 0 (a reused tid). */
static void sub_u64(__u64 *out, const __u64 *cur, const __u64 *prev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = cur[i] > prev[i] ? cur[i] - prev[i] : 0;
}

#define SUB_FIELDS(out, cur, prev, first, type)				\
	sub_u64(&(out)->first, &(cur)->first, &(prev)->first,		\
		(sizeof(type) - offsetof(type, first)) / sizeof(__u64))

/* The counters of a record since base (a maximum stays cur's). */
static void record_sub(struct rt_probe_worker *out,
		       const struct rt_probe_worker *cur,
		       const struct rt_probe_worker *base)
{
	*out = *cur;
	out->polls = cur->polls > base->polls ? cur->polls - base->polls : 0;
	SUB_FIELDS(out, cur, base, poll_ns, struct rt_probe_worker);
	out->timer_late_max_ns = cur->timer_late_max_ns;
}

/* The worker's record as last seen: the stop copy, the live one, or the
 * last one read from the live process. */
static bool read_raw_record(struct obs_rt_tier *rt, uint32_t tid, __u64 addr,
			    struct rt_probe_worker *rec)
{
	struct iovec local = { rec, sizeof(*rec) };
	struct iovec remote = { (void *)(uintptr_t)addr, sizeof(*rec) };
	struct obs_rt_cached *c;

	if (!bpf_map_lookup_elem(rt->final_fd, &tid, rec))
		return true;
	if (!rt->frozen &&
	    process_vm_readv(rt->pid, &local, 1, &remote, 1, 0) ==
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
static bool read_record(struct obs_rt_tier *rt, uint32_t tid, __u64 addr,
			struct rt_probe_worker *rec)
{
	struct rt_probe_worker raw, base;

	if (!read_raw_record(rt, tid, addr, &raw))
		return false;
	if (bpf_map_lookup_elem(rt->base_fd, &tid, &base))
		*rec = raw;
	else
		record_sub(rec, &raw, &base);
	return true;
}

static int cmp_lock_wait(const void *a, const void *b)
{
	const struct obs_lock_view *x = a, *y = b;

	if (x->v.wait_ns != y->v.wait_ns)
		return x->v.wait_ns > y->v.wait_ns ? -1 : 1;
	if (x->v.hold_ns != y->v.hold_ns)
		return x->v.hold_ns > y->v.hold_ns ? -1 : 1;
	return (x->key.addr > y->key.addr) - (x->key.addr < y->key.addr);
}

int obs_rt_snapshot_read(struct obs_rt_snapshot *s, struct obs_rt_tier *rt,
			 const struct obs_snapshot *ks)
{
	struct obs_blocking *bl = NULL;
	size_t i, n = 0, nbl = 0;
	int err;

	memset(s, 0, sizeof(*s));
	if (!rt->attached)
		return 0;
	for (i = 0; i < ks->nthreads; i++)
		n += ks->threads[i].k.rt_state != 0;
	s->workers = calloc(n ? n : 1, sizeof(*s->workers));
	if (!s->workers)
		return -ENOMEM;
	for (i = 0; i < ks->nthreads; i++) {
		const struct obs_thread *k = &ks->threads[i].k;
		struct obs_rt_worker *w;

		if (!k->rt_state)
			continue;
		w = &s->workers[s->nworkers++];
		w->tid = k->tid;
		w->idx = k->rt_idx;
		memcpy(w->comm, k->comm, sizeof(w->comm));
		w->has_record = read_record(rt, k->tid, k->rt_state, &w->rec);
		/* absent: the worker had no slow poll */
		bpf_map_lookup_elem(rt->polls_fd, &w->tid, &w->slow);
	}
	err = obs_read_hash(rt->locks_fd, sizeof(struct obs_lock_key),
			    offsetof(struct obs_lock_view, v),
			    sizeof(struct obs_lock_view), OBS_MAX_LOCKS,
			    (void **)&s->locks, &s->nlocks);
	if (err)
		goto fail;
	qsort(s->locks, s->nlocks, sizeof(*s->locks), cmp_lock_wait);
	/* key (tgid) then value: one record of 8 + the value */
	err = obs_read_hash(rt->blocking_fd, sizeof(__u32), sizeof(__u64),
			    sizeof(__u64) + sizeof(struct obs_blocking),
			    OBS_MAX_TGIDS, (void **)&bl, &nbl);
	if (err)
		goto fail;
	for (i = 0; i < nbl; i++) {
		const struct obs_blocking *b = (const void *)
			((const char *)bl + i * (sizeof(__u64) + sizeof(*b)) +
			 sizeof(__u64));

		s->blocking.jobs += b->jobs;
		s->blocking.queue_ns += b->queue_ns;
		if (b->queue_max_ns > s->blocking.queue_max_ns)
			s->blocking.queue_max_ns = b->queue_max_ns;
		for (int j = 0; j < OBS_MAX_SLOTS; j++)
			s->blocking.queue_hist[j] += b->queue_hist[j];
	}
	free(bl);
	return 0;
fail:
	obs_rt_snapshot_free(s);
	return err;
}

void obs_rt_snapshot_free(struct obs_rt_snapshot *s)
{
	free(s->workers);
	free(s->locks);
	memset(s, 0, sizeof(*s));
}

int obs_rt_snapshot_delta(struct obs_rt_snapshot *out,
			  const struct obs_rt_snapshot *prev,
			  const struct obs_rt_snapshot *cur)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	out->workers = calloc(cur->nworkers ? cur->nworkers : 1,
			      sizeof(*out->workers));
	out->locks = calloc(cur->nlocks ? cur->nlocks : 1, sizeof(*out->locks));
	if (!out->workers || !out->locks) {
		obs_rt_snapshot_free(out);
		return -ENOMEM;
	}
	for (i = 0; i < cur->nworkers; i++) {
		const struct obs_rt_worker *c = &cur->workers[i], *p = NULL;
		struct obs_rt_worker *o = &out->workers[out->nworkers++];

		*o = *c;
		for (j = 0; j < prev->nworkers && !p; j++)
			if (prev->workers[j].tid == c->tid)
				p = &prev->workers[j];
		if (!p)
			continue;
		if (p->has_record && c->has_record)
			record_sub(&o->rec, &c->rec, &p->rec);
		SUB_FIELDS(&o->slow, &c->slow, &p->slow, slow,
			   struct obs_rt_polls);
	}
	for (i = 0; i < cur->nlocks; i++) {
		const struct obs_lock_view *c = &cur->locks[i], *p = NULL;
		struct obs_lock_view *o = &out->locks[out->nlocks++];

		*o = *c;
		for (j = 0; j < prev->nlocks && !p; j++)
			if (!memcmp(&prev->locks[j].key, &c->key, sizeof(c->key)))
				p = &prev->locks[j];
		if (!p)
			continue;
		SUB_FIELDS(&o->v, &c->v, &p->v, acquisitions, struct obs_lock);
		o->v.wait_max_ns = c->v.wait_max_ns;
		o->v.hold_max_ns = c->v.hold_max_ns;
	}
	qsort(out->locks, out->nlocks, sizeof(*out->locks), cmp_lock_wait);
	SUB_FIELDS(&out->blocking, &cur->blocking, &prev->blocking, jobs,
		   struct obs_blocking);
	out->blocking.queue_max_ns = cur->blocking.queue_max_ns;
	return 0;
}

void obs_rt_longest_add(struct obs_rt_longest *l,
			const struct obs_poll_event *e)
{
	size_t i;

	l->seen++;
	if (l->n == OBS_RT_LONGEST && e->ns <= l->items[l->n - 1].ns)
		return;
	i = l->n < OBS_RT_LONGEST ? l->n++ : l->n - 1;
	/* insertion into the sorted array, longest first */
	for (; i > 0 && l->items[i - 1].ns < e->ns; i--)
		l->items[i] = l->items[i - 1];
	l->items[i] = *e;
}

void obs_rt_sum(const struct obs_rt_snapshot *s, struct obs_rt_sum *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < s->nworkers; i++) {
		const struct obs_rt_worker *w = &s->workers[i];
		const struct rt_probe_worker *r = &w->rec;

		sum->workers++;
		sum->slow.slow += w->slow.slow;
		sum->slow.slow_ns += w->slow.slow_ns;
		sum->slow.over_10ms += w->slow.over_10ms;
		sum->slow.over_10ms_ns += w->slow.over_10ms_ns;
		sum->slow.on_cpu_ns += w->slow.on_cpu_ns;
		sum->slow.rq_ns += w->slow.rq_ns;
		sum->slow.off_cpu_ns += w->slow.off_cpu_ns;
		sum->slow.slow_schedules += w->slow.slow_schedules;
		for (int j = 0; j < OBS_SYS__COUNT; j++)
			sum->slow.off_by_sys[j] += w->slow.off_by_sys[j];
		if (!w->has_record)
			continue;
		sum->polls += r->polls;
		sum->poll_ns += r->poll_ns;
		sum->parked_ns += r->parked_ns;
		sum->parks += r->parks;
		sum->sched_count += r->sched_count;
		sum->sched_ns += r->sched_ns;
		sum->timer_fires += r->timer_fires;
		sum->timer_late_ns += r->timer_late_ns;
		if (r->timer_late_max_ns > sum->timer_late_max_ns)
			sum->timer_late_max_ns = r->timer_late_max_ns;
		for (int j = 0; j < RT_PROBE_HIST_SLOTS; j++) {
			sum->poll_hist[j] += r->poll_hist[j];
			sum->sched_hist[j] += r->sched_hist[j];
			sum->timer_late_hist[j] += r->timer_late_hist[j];
		}
	}
}
