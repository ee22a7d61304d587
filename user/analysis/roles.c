// SPDX-License-Identifier: MIT
/*
 * roles.c - roles from behaviour (roles.h).
 *
 * Why behaviour: Tokio names its blocking-pool threads like its workers,
 * and Node.js names every thread `node`.  A CPU-bound pool taken for
 * workers made its idle condvar a "mutex convoy"; V8's helper pool taken
 * for workers did the same, and diluted the event loop's blocking over 13
 * threads.  What the kernel sees tells them apart: an event loop waits in
 * epoll, and a pool's threads idle together on one futex that other
 * threads wake.
 */
#include <stdlib.h>
#include "analysis/roles.h"
#include "analysis/diagnose.h"

/* Names and nothing may be overruled; given globs and a runtime tier not. */
static bool undecided(const struct obs_thread_view *t)
{
	return t->role_by == OBS_ROLE_BY_NAME || t->role_by == OBS_ROLE_BY_NONE;
}

static bool waits_in_epoll(const struct obs_thread *k)
{
	return k->off_by_sys[OBS_SYS_EPOLL_WAIT] ||
	       k->off_by_sys[OBS_SYS_EPOLL_PWAIT] ||
	       k->off_by_sys[OBS_SYS_EPOLL_PWAIT2];
}

static int cmp_pair_addr(const void *a, const void *b)
{
	const struct obs_pair_key *x = &(*(const struct obs_pair_view *const *)a)->key;
	const struct obs_pair_key *y = &(*(const struct obs_pair_view *const *)b)->key;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->uaddr != y->uaddr)
		return x->uaddr < y->uaddr ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static bool same_addr(const struct obs_pair_view *a,
		      const struct obs_pair_view *b)
{
	return a->key.tgid == b->key.tgid && a->key.uaddr == b->key.uaddr;
}

static struct obs_thread_view *find(struct obs_snapshot *s, uint32_t tid)
{
	return (struct obs_thread_view *)obs_snapshot_thread(s, tid);
}

/* The idle threads of one address's pairs p[0..n) (sorted by tid) are a
 * pool's when the address is an idle queue. */
static void mark_pool(struct obs_snapshot *s, const struct obs_pair_view **p,
		      size_t n, struct diag_futex_use *uses)
{
	size_t nu = 0;

	for (size_t i = 0; i < n; i++) {
		if (!nu || uses[nu - 1].tid != p[i]->key.tid)
			uses[nu++] = (struct diag_futex_use){ .tid = p[i]->key.tid };
		if (p[i]->key.kind == OBS_PAIR_WAITER)
			uses[nu - 1].waits += p[i]->v.count;
		else
			uses[nu - 1].wakes += p[i]->v.count;
	}
	if (!diag_idle_queue(uses, nu))
		return;
	for (size_t i = 0; i < nu; i++) {
		struct obs_thread_view *t = find(s, uses[i].tid);

		if (t && undecided(t) && diag_futex_use_idles(&uses[i])) {
			t->role = OBS_ROLE_BLOCKING;
			t->role_by = OBS_ROLE_BY_QUEUE;
		}
	}
}

void obs_roles_decide(struct obs_snapshot *s)
{
	const struct obs_pair_view **p = calloc(s->npairs + 1, sizeof(*p));
	struct diag_futex_use *uses = calloc(s->npairs + 1, sizeof(*uses));
	size_t i, start;

	for (i = 0; i < s->nthreads; i++) {
		struct obs_thread_view *t = &s->threads[i];

		if (undecided(t) && waits_in_epoll(&t->k)) {
			t->role = OBS_ROLE_WORKER;
			t->role_by = OBS_ROLE_BY_EPOLL;
		}
	}
	/* without memory the names stand: the run goes on, less well told */
	if (p && uses) {
		for (i = 0; i < s->npairs; i++)
			p[i] = &s->pairs[i];
		qsort(p, s->npairs, sizeof(*p), cmp_pair_addr);
		for (start = 0, i = 1; i <= s->npairs; i++)
			if (i == s->npairs || !same_addr(p[start], p[i])) {
				mark_pool(s, p + start, i - start, uses);
				start = i;
			}
	}
	free(p);
	free(uses);
	obs_snapshot_sum_roles(s);
}
