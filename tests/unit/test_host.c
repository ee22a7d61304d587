// SPDX-License-Identifier: MIT
/*
 * test_host - several processes' runtime tiers through the analysis
 * (user/analysis/host.c, user/tiers/runtime.c): each process gets its own
 * entry of the runtime set and its own longest polls, a process the tiers
 * were not tried on says so, and an interval's runtime is the difference
 * of each process's two snapshots (a process new since: all of it).
 * The real runs are in tests/integ/observe_host.t.
 */
#include "../tap.h"
#include "analysis/host.h"

/* A snapshot of two threads in each of tgids 100 and 200, in order. */
static void two_processes(struct obs_snapshot *s)
{
	static const uint32_t ids[4][2] = {
		{ 100, 100 }, { 100, 101 }, { 200, 200 }, { 200, 201 },
	};

	memset(s, 0, sizeof(*s));
	s->threads = calloc(4, sizeof(*s->threads));
	s->futexes = calloc(1, sizeof(*s->futexes));
	s->pairs = calloc(1, sizeof(*s->pairs));
	ASSERT(s->threads && s->futexes && s->pairs);
	for (size_t i = 0; i < 4; i++) {
		s->threads[i].k.tgid = ids[i][0];
		s->threads[i].k.tid = ids[i][1];
		s->threads[i].role = OBS_ROLE_WORKER;
	}
	s->nthreads = 4;
}

/* An entry of set for tgid; on: a snapshot with one worker of polls. */
static void add_proc(struct obs_rt_set *set, uint32_t tgid, bool on,
		     uint64_t polls)
{
	struct obs_rt_process *p;

	set->procs = realloc(set->procs, (set->n + 1) * sizeof(*set->procs));
	ASSERT_NOT_NULL(set->procs);
	p = &set->procs[set->n++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	p->binary = "/bin/x";
	p->off = on ? "" : "no rt probes or Tokio symbols in /bin/x";
	p->on = on;
	if (!on)
		return;
	p->s.tier.kind = "rt";
	p->s.workers = calloc(1, sizeof(*p->s.workers));
	p->s.locks = calloc(1, sizeof(*p->s.locks));
	ASSERT(p->s.workers && p->s.locks);
	p->s.nworkers = 1;
	p->s.workers[0].tid = tgid + 1;
	p->s.workers[0].has_record = true;
	p->s.workers[0].rec.polls = polls;
}

static void add_poll(struct obs_rt_longest_set *l, uint32_t tgid, uint64_t ns)
{
	struct obs_poll_event e = {
		.kind = OBS_EV_SLOW_POLL, .tid = tgid + 1, .tgid = tgid, .ns = ns,
	};

	ASSERT_EQ(obs_rt_longest_set_add(l, tgid, &e), 0);
}

TEST(each_process_its_own_runtime_and_longest_polls)
{
	struct obs_snapshot s;
	struct obs_rt_set set = {};
	struct obs_rt_longest_set longest = {};
	struct obs_host h;
	const struct obs_process *a, *b;

	two_processes(&s);
	add_proc(&set, 100, true, 50);
	add_poll(&longest, 100, 30000000);
	add_poll(&longest, 200, 2000000);
	add_poll(&longest, 100, 20000000);
	ASSERT_EQ(obs_host_split(&h, &s, NULL, &set, &longest), 0);
	a = obs_host_find(&h, 100);
	b = obs_host_find(&h, 200);
	ASSERT(a && b);
	ASSERT(a->rt == &set.procs[0].s);
	ASSERT_UEQ(a->rt->workers[0].rec.polls, 50);
	ASSERT_STR_EQ(a->rt_binary, "/bin/x");
	ASSERT_EQ(a->longest->n, 2);
	ASSERT_UEQ(a->longest->items[0].ns, 30000000);	/* longest first */
	/* never tried (started after the tiers attached): no runtime, and
	 * why; its slow poll is its own */
	ASSERT_NULL(b->rt);
	ASSERT_NOT_NULL(strstr(b->rt_off, "started after"));
	ASSERT_EQ(b->longest->n, 1);
	ASSERT_UEQ(b->longest->items[0].tgid, 200);
	obs_host_free(&h);

	/* tried, no tier: its reason */
	add_proc(&set, 200, false, 0);
	ASSERT_EQ(obs_host_split(&h, &s, NULL, &set, NULL), 0);
	b = obs_host_find(&h, 200);
	ASSERT_NULL(b->rt);
	ASSERT_STR_EQ(b->rt_off, "no rt probes or Tokio symbols in /bin/x");
	ASSERT_NULL(b->longest);
	obs_host_free(&h);

	/* no runtime tiers at all (--no-runtime: no set, or an empty one):
	 * nothing said */
	ASSERT_EQ(obs_host_split(&h, &s, NULL, NULL, &longest), 0);
	ASSERT_NULL(obs_host_find(&h, 100)->rt);
	ASSERT_NULL(obs_host_find(&h, 100)->rt_off);
	obs_host_free(&h);
	{
		struct obs_rt_set none = {};

		ASSERT_EQ(obs_host_split(&h, &s, NULL, &none, &longest), 0);
		ASSERT_NULL(obs_host_find(&h, 200)->rt_off);
		obs_host_free(&h);
	}
	obs_rt_set_free(&set);
	obs_rt_longest_set_free(&longest);
	obs_snapshot_free(&s);
}

TEST(interval_runtime_is_each_process_difference)
{
	struct obs_snapshot s;
	struct obs_rt_set prev = {}, cur = {}, delta = {};
	struct obs_host hprev, hcur;
	const struct obs_process *a, *b;

	two_processes(&s);
	add_proc(&prev, 100, true, 50);
	add_proc(&cur, 100, true, 80);
	add_proc(&cur, 200, true, 7);		/* new since prev */
	ASSERT_EQ(obs_rt_set_delta(&delta, &prev, &cur), 0);
	ASSERT_EQ(delta.n, 2);
	ASSERT_UEQ(obs_rt_set_find(&delta, 100)->s.workers[0].rec.polls, 30);
	ASSERT_UEQ(obs_rt_set_find(&delta, 200)->s.workers[0].rec.polls, 7);

	ASSERT_EQ(obs_host_split(&hprev, &s, NULL, NULL, NULL), 0);
	ASSERT_EQ(obs_host_split(&hcur, &s, NULL, &cur, NULL), 0);
	obs_host_analyse_interval(&hcur, &hprev, &delta, 1.0, 1.0);
	a = obs_host_find(&hcur, 100);
	b = obs_host_find(&hcur, 200);
	ASSERT(a->ivl.rt == &obs_rt_set_find(&delta, 100)->s);
	ASSERT(b->ivl.rt == &obs_rt_set_find(&delta, 200)->s);
	/* the run's counters stay cumulative (the metrics read them) */
	ASSERT_UEQ(a->rt->workers[0].rec.polls, 80);
	obs_host_free(&hcur);
	obs_host_free(&hprev);
	obs_rt_set_free(&delta);
	obs_rt_set_free(&cur);
	obs_rt_set_free(&prev);
	obs_snapshot_free(&s);
}

int main(void)
{
	return tap_run();
}
