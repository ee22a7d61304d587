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
static const struct obs_runtime_tier *const tiers[] = {
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

/* Every tgid's blocking pool, summed. */
static int read_blocking(struct obs_blocking *sum, int fd)
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
		const struct obs_blocking *b = (const void *)(bl + i * rec +
							       sizeof(__u64));

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

int obs_rt_read_maps(struct obs_rt_snapshot *s, const struct obs_rt_maps *m)
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
		qsort(s->locks, s->nlocks, sizeof(*s->locks), cmp_lock_wait);
		err = read_blocking(&s->blocking, m->blocking);
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
	for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++)
		if (tiers[i]->configure)
			tiers[i]->configure(skel);
}

int obs_runtime_attach(struct obs_runtime *r, struct observe_bpf *skel,
		       pid_t pid, const char *launch_cmd)
{
	char why[sizeof(r->off)];
	bool stripped = false;
	int err, link_err = 0;

	memset(r, 0, sizeof(*r));
	if (launch_cmd) {
		/* not there: the exec fails and says so, after the release */
		if (resolve_cmd(launch_cmd, r->binary, sizeof(r->binary)))
			return 0;
	} else {
		link_err = proc_binary(pid, r->binary, sizeof(r->binary));
	}
	for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
		r->state = calloc(1, tiers[i]->state_size);
		if (!r->state)
			return -ENOMEM;
		why[0] = '\0';
		err = tiers[i]->attach(r->state, skel, pid, r->binary,
				       launch_cmd != NULL, why, sizeof(why));
		if (!err) {
			r->tier = tiers[i];
			return 0;
		}
		tiers[i]->free(r->state);
		free(r->state);
		r->state = NULL;
		stripped |= err == -ENODATA;
		/* without CAP_SYS_PTRACE, another user's process: its
		 * /proc/PID/exe and maps are behind a ptrace access check,
		 * so its user stacks are cut short as well */
		if ((err == -EACCES || err == -EPERM) && link_err == -EACCES &&
		    !obs_cap_effective(CAP_SYS_PTRACE)) {
			snprintf(r->off, sizeof(r->off), "cannot read %s (%s: "
				 "needs CAP_SYS_PTRACE, and so do its user "
				 "stacks)", r->binary, strerror(-err));
			break;
		}
		/* PID 1, a binary in another namespace, a mode of 0111,
		 * uprobes without CAP_SYS_ADMIN */
		if (err == -EACCES || err == -EPERM) {
			if (why[0])
				snprintf(r->off, sizeof(r->off), "%s", why);
			else
				snprintf(r->off, sizeof(r->off), "cannot "
					 "read %s (%s)", r->binary,
					 strerror(-err));
			break;
		}
		/* malformed for this tier: the next may still read it */
		if (err == -EBADMSG && !r->off[0])
			snprintf(r->off, sizeof(r->off), "%s", why);
		if (err != -ENOENT && err != -ENODATA && err != -EBADMSG)
			return err;
	}
	/* a process that exited meanwhile: the caller says so, in one line */
	if (!launch_cmd && obs_proc_gone(pid))
		return 0;
	if (!r->off[0])
		snprintf(r->off, sizeof(r->off), "no rt probes or Tokio "
			 "symbols in %s%s", r->binary,
			 stripped ? " (stripped: no symbol table)" : "");
	fprintf(stderr, "observe: %s: runtime tier off, kernel tier only\n",
		r->off);
	return 0;
}

int obs_runtime_read(struct obs_runtime *r, struct obs_rt_snapshot *s,
		     const struct obs_snapshot *ks)
{
	memset(s, 0, sizeof(*s));
	if (!r->tier)
		return 0;
	s->tier.kind = r->tier->kind;
	s->tier.coverage = 1.0;
	return r->tier->read(r->state, s, ks);
}

void obs_runtime_roles(struct obs_runtime *r, struct obs_snapshot *ks)
{
	if (!r->tier || !r->tier->roles)
		return;
	r->tier->roles(r->state, ks);
	obs_snapshot_sum_roles(ks);
}

void obs_runtime_tick(struct obs_runtime *r)
{
	if (r->tier && r->tier->tick)
		r->tier->tick(r->state);
}

void obs_runtime_detach(struct obs_runtime *r)
{
	if (r->tier)
		r->tier->detach(r->state);
}

void obs_runtime_free(struct obs_runtime *r)
{
	if (r->tier)
		r->tier->free(r->state);
	free(r->state);
	r->state = NULL;
	r->tier = NULL;
}
