// SPDX-License-Identifier: MIT
/*
 * runtime.c - the runtime tiers (runtime.h): the snapshot every runtime
 * tier fills, its deltas and sums, and the choice of the tier that
 * recognises the target's binary.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "observe.skel.h"
#include "target.h"
#include "tiers/rt.h"
#include "tiers/tokio.h"
#include "tiers/runtime.h"

bool obs_libbpf_quiet;

/* The runtime tiers, tried in this order on the target's binary. */
static const struct obs_runtime_tier *const tiers[OBS_RT_NTIERS] = {
	&obs_rt_usdt_tier,
	&obs_tokio_tier,
};

/* ---- the snapshot ------------------------------------------------------------ */

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
void obs_rt_record_sub(struct rt_probe_worker *out,
		       const struct rt_probe_worker *cur,
		       const struct rt_probe_worker *base)
{
	*out = *cur;
	out->polls = cur->polls > base->polls ? cur->polls - base->polls : 0;
	SUB_FIELDS(out, cur, base, poll_ns, struct rt_probe_worker);
	out->timer_late_max_ns = cur->timer_late_max_ns;
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

void obs_rt_maps_of(struct observe_bpf *skel, struct obs_rt_maps *m)
{
	m->polls = bpf_map__fd(skel->maps.rt_polls);
	m->locks = bpf_map__fd(skel->maps.locks);
	m->blocking = bpf_map__fd(skel->maps.blocking);
}

struct obs_rt_worker *obs_rt_add_worker(struct obs_rt_snapshot *s,
					const struct obs_thread *k)
{
	struct obs_rt_worker *w = &s->workers[s->nworkers++];

	w->tid = k->tid;
	memcpy(w->comm, k->comm, sizeof(w->comm));
	return w;
}

/* tgid's blocking pool (0: every process's, summed). */
static int read_blocking(struct obs_blocking *sum, int fd, uint32_t tgid)
{
	const size_t rec = sizeof(__u64) + sizeof(struct obs_blocking);
	unsigned char *bl = NULL;
	size_t i, n = 0;
	/* key (tgid) then value: one record of 8 + the value */
	int err = obs_read_hash(fd, sizeof(__u32), sizeof(__u64), rec,
				OBS_MAX_TGIDS, (void **)&bl, &n);

	if (err)
		return err;
	for (i = 0; i < n; i++) {
		const unsigned char *r = bl + i * rec;
		const struct obs_blocking *b = (const void *)(r + sizeof(__u64));
		__u32 key;

		memcpy(&key, r, sizeof(key));
		if (tgid && key != tgid)
			continue;
		sum->jobs += b->jobs;
		sum->queue_ns += b->queue_ns;
		if (b->queue_max_ns > sum->queue_max_ns)
			sum->queue_max_ns = b->queue_max_ns;
		for (int j = 0; j < OBS_MAX_SLOTS; j++)
			sum->queue_hist[j] += b->queue_hist[j];
	}
	free(bl);
	return 0;
}

/* Keeps tgid's locks only (0: all). */
static void keep_locks_of(struct obs_rt_snapshot *s, uint32_t tgid)
{
	size_t i, n = 0;

	for (i = 0; i < s->nlocks && tgid; i++)
		if (s->locks[i].key.tgid == tgid)
			s->locks[n++] = s->locks[i];
	if (tgid)
		s->nlocks = n;
}

int obs_rt_read_maps(struct obs_rt_snapshot *s, const struct obs_rt_maps *m,
		     uint32_t tgid)
{
	int err;

	/* absent: the worker had no slow poll */
	for (size_t i = 0; i < s->nworkers; i++)
		bpf_map_lookup_elem(m->polls, &s->workers[i].tid,
				    &s->workers[i].slow);
	err = obs_read_hash(m->locks, sizeof(struct obs_lock_key),
			    offsetof(struct obs_lock_view, v),
			    sizeof(struct obs_lock_view), OBS_MAX_LOCKS,
			    (void **)&s->locks, &s->nlocks);
	if (!err) {
		keep_locks_of(s, tgid);
		qsort(s->locks, s->nlocks, sizeof(*s->locks), cmp_lock_wait);
		err = read_blocking(&s->blocking, m->blocking, tgid);
	}
	if (err)
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
	/* the tier's account: the run's so far, but for its hits */
	out->tier = cur->tier;
	out->tier.probe_hits = cur->tier.probe_hits > prev->tier.probe_hits ?
			       cur->tier.probe_hits - prev->tier.probe_hits : 0;
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
			obs_rt_record_sub(&o->rec, &c->rec, &p->rec);
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

const struct obs_rt_process *obs_rt_set_find(const struct obs_rt_set *set,
					     uint32_t tgid)
{
	for (size_t i = 0; set && i < set->n; i++)
		if (set->procs[i].tgid == tgid)
			return &set->procs[i];
	return NULL;
}

void obs_rt_set_free(struct obs_rt_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		obs_rt_snapshot_free(&set->procs[i].s);
	free(set->procs);
	memset(set, 0, sizeof(*set));
}

int obs_rt_set_delta(struct obs_rt_set *out, const struct obs_rt_set *prev,
		     const struct obs_rt_set *cur)
{
	static const struct obs_rt_snapshot none;

	out->procs = calloc(cur->n ? cur->n : 1, sizeof(*out->procs));
	if (!out->procs)
		return -ENOMEM;
	for (out->n = 0; out->n < cur->n; out->n++) {
		const struct obs_rt_process *c = &cur->procs[out->n];
		const struct obs_rt_process *p = obs_rt_set_find(prev, c->tgid);
		struct obs_rt_process *o = &out->procs[out->n];

		*o = *c;
		memset(&o->s, 0, sizeof(o->s));
		if (c->on && obs_rt_snapshot_delta(&o->s, p && p->on ? &p->s :
						   &none, &c->s)) {
			obs_rt_set_free(out);
			return -ENOMEM;
		}
	}
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

const struct obs_rt_longest_of *
obs_rt_longest_set_find(const struct obs_rt_longest_set *set, uint32_t tgid)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->procs[i].tgid == tgid)
			return &set->procs[i];
	return NULL;
}

int obs_rt_longest_set_add(struct obs_rt_longest_set *set, uint32_t tgid,
			   const struct obs_poll_event *e)
{
	struct obs_rt_longest_of *l =
		(struct obs_rt_longest_of *)obs_rt_longest_set_find(set, tgid);

	if (!l) {
		if (set->n == set->cap) {
			size_t cap = set->cap ? 2 * set->cap : 8;

			l = realloc(set->procs, cap * sizeof(*l));
			if (!l)
				return -ENOMEM;
			set->procs = l;
			set->cap = cap;
		}
		l = &set->procs[set->n++];
		memset(l, 0, sizeof(*l));
		l->tgid = tgid;
	}
	obs_rt_longest_add(&l->run, e);
	obs_rt_longest_add(&l->ivl, e);
	return 0;
}

void obs_rt_longest_set_next(struct obs_rt_longest_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		memset(&set->procs[i].ivl, 0, sizeof(set->procs[i].ivl));
}

void obs_rt_longest_set_free(struct obs_rt_longest_set *set)
{
	free(set->procs);
	memset(set, 0, sizeof(*set));
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

/* ---- the tier of a run -------------------------------------------------------- */

/* Launch mode: the path execvp would run for cmd, into buf; 0 or -ENOENT. */
static int resolve_cmd(const char *cmd, char *buf, size_t len)
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


/* Attach mode: the target's binary, for the tiers and the message;
 * /proc/PID/exe if it is not there for us (another mount namespace, a
 * deleted binary), but the file's own name if only its mode keeps us out.
 * 0, or -errno of the link's readlink. */
static int proc_binary(pid_t pid, char *buf, size_t len)
{
	char proc[64];
	ssize_t n;
	int err;

	snprintf(proc, sizeof(proc), "/proc/%d/exe", pid);
	n = readlink(proc, buf, len - 1);
	err = n < 0 ? -errno : 0;
	if (n > 0)
		buf[n] = '\0';
	if (n <= 0 || (access(buf, R_OK) && errno != EACCES))
		snprintf(buf, len, "%s", proc);
	return err;
}

void obs_runtime_configure(struct observe_bpf *skel)
{
	for (size_t i = 0; i < OBS_RT_NTIERS; i++)
		if (tiers[i]->configure)
			tiers[i]->configure(skel);
}

/* r's next process, zeroed, or NULL (no memory). */
static struct obs_runtime_proc *new_proc(struct obs_runtime *r, pid_t pid)
{
	struct obs_runtime_proc *p;

	p = realloc(r->procs, (r->nprocs + 1) * sizeof(*p));
	if (!p)
		return NULL;
	r->procs = p;
	p = &r->procs[r->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

/*
 * The first tier that recognises p's binary, attached (p->tier), or -errno
 * with why in p->off where the tiers said it: -EACCES and -EPERM end the
 * search; -ENOENT, -ENODATA and -EBADMSG let the next tier try.
 */
static int try_tiers(struct obs_runtime *r, struct obs_runtime_proc *p,
		     struct observe_bpf *skel, bool launched, int link_err)
{
	char why[sizeof(p->off)];
	bool stripped = false;
	int err = -ENOENT;

	for (size_t i = 0; i < OBS_RT_NTIERS; i++) {
		bool fresh = !r->states[i];

		if (fresh && !(r->states[i] = calloc(1, tiers[i]->state_size)))
			return -ENOMEM;
		why[0] = '\0';
		err = tiers[i]->attach(r->states[i], skel, p->pid, p->binary,
				       (launched ? OBS_RT_LAUNCHED : 0) |
				       (r->several ? OBS_RT_QUIET : 0),
				       why, sizeof(why));
		if (!err) {
			p->tier = tiers[i];
			return 0;
		}
		if (fresh) {	/* a tier no process uses holds nothing */
			tiers[i]->free(r->states[i]);
			free(r->states[i]);
			r->states[i] = NULL;
		}
		stripped |= err == -ENODATA;
		/* without CAP_SYS_PTRACE, another user's process: its
		 * /proc/PID/exe and maps are behind a ptrace access check,
		 * so its user stacks are cut short as well */
		if ((err == -EACCES || err == -EPERM) && link_err == -EACCES &&
		    !obs_cap_effective(CAP_SYS_PTRACE)) {
			snprintf(p->off, sizeof(p->off), "cannot read %s (%s: "
				 "needs CAP_SYS_PTRACE, and so do its user "
				 "stacks)", p->binary, strerror(-err));
			return err;
		}
		/* PID 1, a binary in another namespace, a mode of 0111,
		 * uprobes without CAP_SYS_ADMIN */
		if (err == -EACCES || err == -EPERM) {
			if (why[0])
				snprintf(p->off, sizeof(p->off), "%s", why);
			else
				snprintf(p->off, sizeof(p->off), "cannot "
					 "read %s (%s)", p->binary,
					 strerror(-err));
			return err;
		}
		/* malformed for this tier: the next may still read it */
		if (err == -EBADMSG && !p->off[0])
			snprintf(p->off, sizeof(p->off), "%s", why);
		if (err != -ENOENT && err != -ENODATA && err != -EBADMSG)
			return err;
	}
	if (!p->off[0])
		snprintf(p->off, sizeof(p->off), "no rt probes or Tokio "
			 "symbols in %s%s", p->binary,
			 stripped ? " (stripped: no symbol table)" : "");
	return err;
}

int obs_runtime_attach(struct obs_runtime *r, struct observe_bpf *skel,
		       pid_t pid, const char *launch_cmd)
{
	struct obs_runtime_proc *p;
	int err, link_err = 0;

	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return 0;	/* tried already */
	if (!(p = new_proc(r, pid)))
		return -ENOMEM;
	if (launch_cmd) {
		/* not there: the exec fails and says so, after the release */
		if (resolve_cmd(launch_cmd, p->binary, sizeof(p->binary)))
			return 0;
	} else {
		link_err = proc_binary(pid, p->binary, sizeof(p->binary));
	}
	err = try_tiers(r, p, skel, launch_cmd != NULL, link_err);
	if (!err || err == -ENOMEM)
		return err;
	/* a process that exited meanwhile: one target's caller says so */
	if (!launch_cmd && obs_proc_gone(pid)) {
		snprintf(p->off, sizeof(p->off), "exited while observe "
			 "attached");
		return 0;
	}
	if (err != -ENOENT && err != -ENODATA && err != -EBADMSG &&
	    err != -EACCES && err != -EPERM) {
		if (!r->several)
			return err;	/* printed by the tier */
		snprintf(p->off, sizeof(p->off), "cannot attach to %s (%s)",
			 p->binary, strerror(-err));
	}
	if (!r->several)
		fprintf(stderr, "observe: %s: runtime tier off, kernel tier "
			"only\n", p->off);
	return 0;
}

/* The state of tier t in r (every process it recognised shares it). */
static void *state_of(const struct obs_runtime *r,
		      const struct obs_runtime_tier *t)
{
	for (size_t i = 0; i < OBS_RT_NTIERS; i++)
		if (tiers[i] == t)
			return r->states[i];
	return NULL;
}

bool obs_runtime_on(const struct obs_runtime *r)
{
	for (size_t i = 0; i < OBS_RT_NTIERS; i++)
		if (r->states[i])
			return true;
	return false;
}

int obs_runtime_read(struct obs_runtime *r, struct obs_rt_set *set,
		     const struct obs_snapshot *ks)
{
	int err = 0;

	obs_rt_set_free(set);
	set->procs = calloc(r->nprocs ? r->nprocs : 1, sizeof(*set->procs));
	if (!set->procs)
		return -ENOMEM;
	for (set->n = 0; set->n < r->nprocs && !err; set->n++) {
		const struct obs_runtime_proc *p = &r->procs[set->n];
		struct obs_rt_process *e = &set->procs[set->n];

		e->tgid = (uint32_t)p->pid;
		e->binary = p->binary;
		e->off = p->off;
		if (!p->tier)
			continue;
		e->on = true;
		e->s.tier.kind = p->tier->kind;
		e->s.tier.coverage = 1.0;
		err = p->tier->read(state_of(r, p->tier), &e->s, ks,
				    r->several ? (uint32_t)p->pid : 0);
	}
	if (err)
		obs_rt_set_free(set);
	return err;
}

void obs_runtime_roles(struct obs_runtime *r, struct obs_snapshot *ks)
{
	bool any = false;

	/* a tier marks the threads its probes saw, whichever process */
	for (size_t i = 0; i < OBS_RT_NTIERS; i++) {
		if (!r->states[i] || !tiers[i]->roles)
			continue;
		tiers[i]->roles(r->states[i], ks);
		any = true;
	}
	if (any)
		obs_snapshot_sum_roles(ks);
}

void obs_runtime_tick(struct obs_runtime *r)
{
	for (size_t i = 0; i < OBS_RT_NTIERS; i++)
		if (r->states[i] && tiers[i]->tick)
			tiers[i]->tick(r->states[i]);
}

void obs_runtime_detach(struct obs_runtime *r)
{
	for (size_t i = 0; i < OBS_RT_NTIERS; i++)
		if (r->states[i])
			tiers[i]->detach(r->states[i]);
}

void obs_runtime_free(struct obs_runtime *r)
{
	for (size_t i = 0; i < OBS_RT_NTIERS; i++) {
		if (r->states[i])
			tiers[i]->free(r->states[i]);
		free(r->states[i]);
		r->states[i] = NULL;
	}
	free(r->procs);
	r->procs = NULL;
	r->nprocs = 0;
}
