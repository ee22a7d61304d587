// SPDX-License-Identifier: MIT
/*
 * exited.c - dead threads' rows out of the BPF maps (exited.h).
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "tiers/exited.h"
#include "tiers/kernel.h"

#define OTHERS_COMM "(others)"	/* the fold past OBS_EXITED_FOLDS names */

void obs_exited_init(struct obs_exited *x)
{
	memset(x, 0, sizeof(*x));
}

static void free_nothing(void *p)
{
	(void)p;
}

void obs_exited_free(struct obs_exited *x)
{
	tdestroy(x->pair_index, free_nothing);
	for (size_t i = 0; i < x->npairs; i++)
		free(x->pairs[i]);
	free(x->pairs);
	free(x->kept);
	free(x->folds);
	free(x->nfolded);
	memset(x, 0, sizeof(*x));
}

static __u64 max_u64(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

/* Sums the counters of src into dst (the state machine is dead: left). */
static void thread_add(struct obs_thread *dst, const struct obs_thread *src)
{
	int i;

	dst->on_cpu_ns += src->on_cpu_ns;
	dst->rq_total_ns += src->rq_total_ns;
	dst->rq_wakeup_ns += src->rq_wakeup_ns;
	dst->rq_preempt_ns += src->rq_preempt_ns;
	dst->rq_count += src->rq_count;
	dst->rq_max_ns = max_u64(dst->rq_max_ns, src->rq_max_ns);
	dst->off_cpu_ns += src->off_cpu_ns;
	dst->futex_waits += src->futex_waits;
	dst->futex_wait_ns += src->futex_wait_ns;
	dst->cpu_runs_long += src->cpu_runs_long;
	dst->cpu_run_long_ns += src->cpu_run_long_ns;
	dst->cpu_run_max_ns = max_u64(dst->cpu_run_max_ns, src->cpu_run_max_ns);
	dst->run.runs_short += src->run.runs_short;
	for (i = 0; i < OBS_MAX_SLOTS; i++) {
		dst->rq_hist[i] += src->rq_hist[i];
		dst->rq_hist_preempt[i] += src->rq_hist_preempt[i];
		dst->cpu_run_hist[i] += src->cpu_run_hist[i];
	}
	for (i = 0; i < OBS_SYS__COUNT; i++)
		dst->off_by_sys[i] += src->off_by_sys[i];
}

/* The fold of (tgid, comm), made if need be; NULL without memory. */
static struct obs_thread *fold_of(struct obs_exited *x, __u32 tgid,
				  const char *comm)
{
	struct obs_thread *f;
	size_t i;

	/* the last slot sums every thread past the table, of any process:
	 * tgid 0, a process of no one's, so that no process is charged
	 * another's threads (with -a, short-lived processes fill the table) */
	if (x->nfolds >= OBS_EXITED_FOLDS - 1) {
		comm = OTHERS_COMM;
		tgid = 0;
	}
	for (i = 0; i < x->nfolds; i++)
		if (x->folds[i].tgid == tgid &&
		    !strncmp(x->folds[i].comm, comm, OBS_COMM_LEN))
			return &x->folds[i];
	if (!x->folds) {
		x->folds = calloc(OBS_EXITED_FOLDS, sizeof(*x->folds));
		x->nfolded = calloc(OBS_EXITED_FOLDS, sizeof(*x->nfolded));
		if (!x->folds || !x->nfolded)
			return NULL;
	}
	f = &x->folds[x->nfolds];
	memset(f, 0, sizeof(*f));
	f->tid = OBS_FOLD_TID_BASE + (__u32)x->nfolds;
	f->tgid = tgid;
	f->exited = OBS_THREAD_DEAD;
	snprintf(f->comm, sizeof(f->comm), "%.*s", OBS_COMM_LEN - 1, comm);
	x->nfolds++;
	return f;
}

/* Stores one dead thread's row; the tid its pairs go under, 0 if lost. */
static __u32 store(struct obs_exited *x, const struct obs_thread *k)
{
	struct obs_thread *f;

	if (x->nkept < OBS_EXITED_KEEP) {
		if (!x->kept && !(x->kept = calloc(OBS_EXITED_KEEP,
						   sizeof(*x->kept))))
			return 0;
		x->kept[x->nkept++] = *k;
		return k->tid;
	}
	f = fold_of(x, k->tgid, k->comm);
	if (!f)
		return 0;
	thread_add(f, k);
	x->nfolded[f - x->folds]++;
	return f->tid;
}

/* tsearch's order: the key is the first member of struct obs_exited_pair */
static int cmp_pair(const void *a, const void *b)
{
	return obs_pair_key_cmp(a, b);
}

/* Adds a dead thread's pair under tid (its own or its fold's). */
static void add_pair(struct obs_exited *x, const struct obs_pair_view *pv,
		     __u32 tid)
{
	struct obs_exited_pair key = { .key = pv->key }, *p, **slot;

	key.key.tid = tid;
	slot = tfind(&key, &x->pair_index, cmp_pair);
	if (!slot) {
		if (x->npairs == OBS_MAX_PAIRS)
			goto lost;
		if (!x->pairs && !(x->pairs = calloc(OBS_MAX_PAIRS,
						     sizeof(*x->pairs))))
			goto lost;
		p = calloc(1, sizeof(*p));
		if (!p)
			goto lost;
		p->key = key.key;
		slot = tsearch(p, &x->pair_index, cmp_pair);
		if (!slot) {
			free(p);
			goto lost;
		}
		x->pairs[x->npairs++] = p;
	}
	p = *slot;
	p->v.count += pv->v.count;
	p->v.ns += pv->v.ns;
	p->v.rq_ns += pv->v.rq_ns;
	p->v.max_ns = max_u64(p->v.max_ns, pv->v.max_ns);
	return;
lost:
	x->pairs_lost++;
}

/* A moved thread: its tid, and the tid its pairs go under. */
struct moved {
	__u32 tid, to;
};

static int cmp_moved(const void *a, const void *b)
{
	const struct moved *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* The pairs of the moved threads, out of the pairs map. */
static int reap_pairs(struct obs_exited *x, int pairs_fd, struct moved *mv,
		      size_t nmv)
{
	struct obs_pair_view *pairs;
	struct moved key, *m;
	size_t i, n;
	int err;

	qsort(mv, nmv, sizeof(*mv), cmp_moved);
	err = obs_read_hash(pairs_fd, sizeof(struct obs_pair_key),
			    offsetof(struct obs_pair_view, v), sizeof(*pairs),
			    OBS_MAX_PAIRS, (void **)&pairs, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		key.tid = pairs[i].key.tid;
		m = bsearch(&key, mv, nmv, sizeof(*mv), cmp_moved);
		if (!m)
			continue;
		add_pair(x, &pairs[i], m->to);
		bpf_map_delete_elem(pairs_fd, &pairs[i].key);
	}
	free(pairs);
	return 0;
}

int obs_exited_reap(struct obs_exited *x, int threads_fd, int pairs_fd)
{
	struct obs_thread_rec *rows;
	struct moved *mv = NULL;
	size_t i, n, nmv = 0;
	int err;

	err = obs_read_hash(threads_fd, sizeof(__u32),
			    offsetof(struct obs_thread_rec, k), sizeof(*rows),
			    OBS_MAX_THREADS, (void **)&rows, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		const struct obs_thread *k = &rows[i].k;

		if (k->exited != OBS_THREAD_DEAD)
			continue;
		if (!mv && !(mv = calloc(n, sizeof(*mv)))) {
			err = -ENOMEM;
			break;
		}
		/* stored first: a row that cannot be stored stays in the map */
		mv[nmv].tid = k->tid;
		mv[nmv].to = store(x, k);
		if (!mv[nmv].to)
			continue;
		bpf_map_delete_elem(threads_fd, &k->tid);
		nmv++;
	}
	if (nmv && !err)
		err = reap_pairs(x, pairs_fd, mv, nmv);
	free(mv);
	free(rows);
	return err;
}
