// SPDX-License-Identifier: MIT
/*
 * host.c - several processes, each analysed alone and ranked (host.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/host.h"
#include "analysis/diag_fill.h"

static int cmp_tgid_key(const void *key, const void *elem)
{
	uint32_t k = *(const uint32_t *)key;
	uint32_t t = ((const struct obs_process *)elem)->tgid;

	return (k > t) - (k < t);
}

const struct obs_process *obs_host_find(const struct obs_host *h, uint32_t tgid)
{
	return h->n ? bsearch(&tgid, h->procs, h->n, sizeof(*h->procs),
			      cmp_tgid_key) : NULL;
}

static struct obs_process *find_mut(struct obs_host *h, uint32_t tgid)
{
	return (struct obs_process *)obs_host_find(h, tgid);
}

/* One process per run of equal tgids in the sorted thread list; tgid 0 is
 * no process (exited.h: the threads summed past its table). */
static int split_threads(struct obs_host *h, const struct obs_snapshot *s)
{
	size_t i, start, n = 0;

	for (i = 0; i < s->nthreads; i++)
		if (!i || s->threads[i].k.tgid != s->threads[i - 1].k.tgid)
			n++;
	h->procs = calloc(n ? n : 1, sizeof(*h->procs));
	h->rank = calloc(n ? n : 1, sizeof(*h->rank));
	if (!h->procs || !h->rank)
		return -ENOMEM;
	for (start = 0, i = 1; i <= s->nthreads; i++) {
		struct obs_process *p;
		size_t k, cnt = i - start;

		if (i < s->nthreads && s->threads[i].k.tgid == s->threads[start].k.tgid)
			continue;
		if (!s->threads[start].k.tgid) {
			start = i;
			continue;
		}
		p = &h->procs[h->n];
		h->rank[h->n++] = p;
		p->tgid = s->threads[start].k.tgid;
		p->snap.threads = malloc(cnt * sizeof(*p->snap.threads));
		if (!p->snap.threads)
			return -ENOMEM;
		memcpy(p->snap.threads, &s->threads[start],
		       cnt * sizeof(*p->snap.threads));
		p->snap.nthreads = cnt;
		snprintf(p->comm, sizeof(p->comm), "%s",
			 obs_snapshot_process_comm(&p->snap, p->tgid));
		for (k = 0; k < cnt; k++) {
			const struct obs_thread_view *t = &p->snap.threads[k];

			if (t->k.tid == p->tgid)	/* renamed since */
				memcpy(p->comm, t->k.comm, OBS_COMM_LEN);
			if (!t->folded && t->k.exited != OBS_THREAD_DEAD)
				p->alive = true;
		}
		start = i;
	}
	return 0;
}

/* The futexes and pairs of each process, in the host's order. */
static int split_futexes(struct obs_host *h, const struct obs_snapshot *s)
{
	struct obs_process *p;
	size_t i;

	for (i = 0; i < h->n; i++) {
		p = &h->procs[i];
		p->snap.futexes = calloc(s->nfutexes + 1, sizeof(*p->snap.futexes));
		p->snap.pairs = calloc(s->npairs + 1, sizeof(*p->snap.pairs));
		if (!p->snap.futexes || !p->snap.pairs)
			return -ENOMEM;
	}
	for (i = 0; i < s->nfutexes; i++)
		if ((p = find_mut(h, s->futexes[i].key.tgid)))
			p->snap.futexes[p->snap.nfutexes++] = s->futexes[i];
	for (i = 0; i < s->npairs; i++)
		if ((p = find_mut(h, s->pairs[i].key.tgid)))
			p->snap.pairs[p->snap.npairs++] = s->pairs[i];
	return 0;
}

static int split_notables(struct obs_host *h, const struct obs_notables *nb)
{
	struct obs_process *p;

	for (size_t i = 0; nb && i < nb->n; i++) {
		p = find_mut(h, nb->items[i].ev.tgid);
		if (!p)
			continue;
		/* only a process with spans pays for the table (~330 KB) */
		if (!p->notables && !(p->notables = calloc(1, sizeof(*p->notables))))
			return -ENOMEM;
		p->notables->items[p->notables->n++] = nb->items[i];
		p->notables->seen++;
	}
	return 0;
}

/* Each process's runtime: its entry of rt, and its slow polls. */
static void split_runtime(struct obs_host *h, const struct obs_rt_set *rt,
			  const struct obs_rt_longest_set *longest)
{
	/* none tried (--no-runtime): nothing to say about any process */
	for (size_t i = 0; rt && rt->n && i < h->n; i++) {
		struct obs_process *p = &h->procs[i];
		const struct obs_rt_process *e = obs_rt_set_find(rt, p->tgid);
		const struct obs_rt_longest_of *l =
			longest ? obs_rt_longest_set_find(longest, p->tgid) : NULL;

		p->rt = e && e->on ? &e->s : NULL;
		p->rt_binary = e ? e->binary : NULL;
		p->rt_off = e ? e->off : "started after observe attached its "
					 "runtime tiers";
		p->longest = l ? &l->run : NULL;
		p->ivl_longest = l ? &l->ivl : NULL;
	}
}

int obs_host_split(struct obs_host *h, const struct obs_snapshot *s,
		   const struct obs_notables *nb, const struct obs_rt_set *rt,
		   const struct obs_rt_longest_set *longest)
{
	int err;

	memset(h, 0, sizeof(*h));
	err = split_threads(h, s);
	if (!err)
		err = split_futexes(h, s);
	if (!err)
		err = split_notables(h, nb);
	if (err) {
		obs_host_free(h);
		return err;
	}
	split_runtime(h, rt, longest);
	for (size_t i = 0; i < h->n; i++) {
		struct obs_process *p = &h->procs[i];

		memcpy(p->snap.drops, s->drops, sizeof(s->drops));
		obs_snapshot_sum_roles(&p->snap);
	}
	return 0;
}

const struct diag_result *obs_process_diag(const struct obs_process *p,
					   bool interval)
{
	if (!obs_process_workers(p))
		return NULL;
	if (interval)
		return p->ivl.diag_err ? NULL : &p->ivl.diag;
	return p->run.diag_err ? NULL : &p->run.diag;
}

/* How badly a verdict says the runtime suffers: 0 none, 1 healthy, 2
 * overload, 3 a failure shape; plus the confidence. */
static double severity(const struct diag_result *d)
{
	if (!d || !d->nfindings)
		return 0;
	switch (d->findings[0].shape) {
	case DIAG_HEALTHY:
		return 1 + d->findings[0].confidence;
	case DIAG_CPU_OVERLOAD:
		return 2 + d->findings[0].confidence;
	default:
		return 3 + d->findings[0].confidence;
	}
}

/* The time its workers waited (run queue + blocked) in ns, as a fraction
 * below 1: it orders processes of equal severity and never outweighs it. */
static double waited(const struct obs_process *p, const struct obs_process *prev)
{
	const struct obs_role_sum *w = &p->snap.roles[OBS_ROLE_WORKER];
	double ns = (double)w->rq_delay_ns + (double)w->off_cpu_ns;

	if (prev)
		ns -= (double)prev->snap.roles[OBS_ROLE_WORKER].rq_delay_ns +
		      (double)prev->snap.roles[OBS_ROLE_WORKER].off_cpu_ns;
	return ns > 0 ? ns / (ns + 1e12) : 0;
}

static int cmp_score_desc(const void *a, const void *b)
{
	const struct obs_process *x = *(const struct obs_process *const *)a;
	const struct obs_process *y = *(const struct obs_process *const *)b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

void obs_host_analyse_run(struct obs_host *h, const struct obs_run *whole)
{
	for (size_t i = 0; i < h->n; i++) {
		struct obs_process *p = &h->procs[i];
		struct obs_run *r = &p->run;

		*r = (struct obs_run){
			.pid = (pid_t)p->tgid, .scope = whole->scope,
			.duration_s = whole->duration_s,
			.threshold_ms = whole->threshold_ms,
			.snap = &p->snap, .notables = p->notables,
			.ustacks = whole->ustacks, .rt = p->rt,
			.longest = p->longest, .rt_binary = p->rt_binary,
			.rt_off = p->rt_off,
		};
		memcpy(r->comm, p->comm, OBS_COMM_LEN);
		memcpy(r->kernel, whole->kernel, sizeof(r->kernel));
		if (obs_process_workers(p))
			obs_analyse_run(r);
		p->score = severity(obs_process_diag(p, false)) + waited(p, NULL);
	}
	qsort(h->rank, h->n, sizeof(*h->rank), cmp_score_desc);
}

void obs_host_analyse_interval(struct obs_host *cur, const struct obs_host *prev,
			       const struct obs_rt_set *rt, double t_s,
			       double dt_s)
{
	static const struct obs_snapshot empty;

	for (size_t i = 0; i < cur->n; i++) {
		struct obs_process *p = &cur->procs[i];
		const struct obs_process *old = obs_host_find(prev, p->tgid);
		const struct obs_rt_process *d = obs_rt_set_find(rt, p->tgid);

		p->ivl = (struct obs_interval){
			.t_s = t_s, .dt_s = dt_s, .cur = &p->snap,
			.prev = old ? &old->snap : &empty,
			.rt = d && d->on ? &d->s : NULL,
			.longest = p->ivl_longest,
		};
		if (obs_process_workers(p))
			obs_analyse_interval(&p->ivl);
		p->score = severity(obs_process_diag(p, true)) + waited(p, old);
	}
	qsort(cur->rank, cur->n, sizeof(*cur->rank), cmp_score_desc);
}

void obs_host_free(struct obs_host *h)
{
	for (size_t i = 0; i < h->n; i++) {
		obs_snapshot_free(&h->procs[i].snap);
		free(h->procs[i].notables);
	}
	free(h->procs);
	free(h->rank);
	memset(h, 0, sizeof(*h));
}
