// SPDX-License-Identifier: MIT
/*
 * test_diagnose - the diagnosis rules (user/analysis/diagnose.c) against
 * real runs: trimmed `observe --json` documents of every demo, its --fixed
 * variant, a CPU hog and the Tokio peers (tests/unit/fixtures/diag/NAME.json,
 * each with the command in `_source`), read by the product's converter
 * (analysis/diag_json.h, tested in test_diag_json), plus synthetic
 * runtime-tier inputs built from the demos' own measured figures
 * (docs/demos.md).
 *
 * The fixtures recorded with the runtime tier (rt_*.json) are whole
 * documents; older ones carry runtime figures measured with bpftrace before
 * observe had a runtime tier, under `_runtime_bpftrace` (not an observe
 * field), read here by diag_runtime_from_bpftrace.  The diagnosis of any
 * saved document: `observe --diagnose run.json`.
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include "../tap.h"
#include "diag_fixtures.h"
#include "analysis/diag_json.h"
#include "analysis/diagnose.h"
#include "output/verdict.h"

#define MS 1000000ULL

/* ---- fixtures ------------------------------------------------------------ */

static uint64_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static uint64_t jaddr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? strtoull(json_string_value(v), NULL, 16) : 0;
}

/*
 * The older fixtures' "_runtime_bpftrace" object: runtime-tier figures
 * measured with bpftrace on the rt probes before observe had a runtime
 * tier; the field names are those of struct diag_runtime / diag_lock.
 */
static void diag_runtime_from_bpftrace(json_t *rt, struct diag_input *in)
{
	json_t *o;
	size_t i;

	in->has_runtime = true;
	in->rt.polls = jint(rt, "polls");
	in->rt.polls_over_1ms = jint(rt, "polls_over_1ms");
	in->rt.polls_over_10ms = jint(rt, "polls_over_10ms");
	in->rt.poll_ns_over_10ms = jint(rt, "poll_ns_over_10ms");
	in->rt.timer_fires = jint(rt, "timer_fires");
	in->rt.timer_late_p50_ns = jint(rt, "timer_late_p50_ns");
	in->rt.timer_late_p99_ns = jint(rt, "timer_late_p99_ns");
	in->rt.timer_late_max_ns = jint(rt, "timer_late_max_ns");
	json_array_foreach(json_object_get(rt, "locks"), i, o) {
		struct diag_lock *l;

		if (in->rt.nlocks == DIAG_MAX_LOCKS)
			break;
		l = &in->rt.locks[in->rt.nlocks++];
		l->addr = jaddr(o, "addr");
		l->async = json_is_true(json_object_get(o, "async"));
		l->acquisitions = jint(o, "acquisitions");
		l->contended = jint(o, "contended");
		l->hold_ns = jint(o, "hold_ns");
		l->held_running_ns = jint(o, "held_running_ns");
		l->held_suspended_ns = jint(o, "held_suspended_ns");
		l->hold_on_cpu_ns = jint(o, "hold_on_cpu_ns");
		l->hold_rq_ns = jint(o, "hold_rq_ns");
		l->hold_p99_ns = jint(o, "hold_p99_ns");
		l->wait_ns = jint(o, "wait_ns");
		l->wait_p99_ns = jint(o, "wait_p99_ns");
	}
}


enum tier {
	TIER_KERNEL,	/* the kernel tier alone: "runtime" ignored */
	TIER_OBSERVE,	/* the whole document, observe's "runtime" too */
	TIER_BPFTRACE,	/* the kernel tier + "_runtime_bpftrace" */
};

static struct diag_input *load_tier(const char *name, enum tier tier)
{
	struct diag_input *in = calloc(1, sizeof(*in));
	json_t *root = load_json(name), *bt;

	ASSERT_NOT_NULL(in);
	switch (tier) {
	case TIER_KERNEL:
		ASSERT_EQ(diag_json_fill(in, root, false), 0);
		break;
	case TIER_OBSERVE:
		/* observe found the probes: the object is there */
		ASSERT(json_is_object(json_object_get(root, "runtime")));
		ASSERT_EQ(diag_json_fill(in, root, true), 0);
		ASSERT(in->has_runtime);
		break;
	case TIER_BPFTRACE:
		ASSERT_EQ(diag_json_fill(in, root, false), 0);
		bt = json_object_get(root, "_runtime_bpftrace");
		ASSERT(json_is_object(bt));
		diag_runtime_from_bpftrace(bt, in);
		break;
	}
	json_decref(root);
	return in;
}

/* The kernel tier alone (the runtime block, if any, is ignored). */
static struct diag_input *load(const char *name)
{
	return load_tier(name, TIER_KERNEL);
}

static const struct diag_finding *has(const struct diag_result *r,
				      enum diag_shape s)
{
	for (unsigned int i = 0; i < r->nfindings; i++)
		if (r->findings[i].shape == s)
			return &r->findings[i];
	return NULL;
}

static bool any_line(const char (*lines)[DIAG_LINE_LEN], unsigned int n,
		     const char *needle)
{
	for (unsigned int i = 0; i < n; i++)
		if (strstr(lines[i], needle))
			return true;
	return false;
}

#define ASSERT_SHAPE(r, s)                                                   \
	do {                                                                 \
		if ((r)->findings[0].shape != (s))                           \
			TAP_FAIL("verdict %s (%.2f), want %s",               \
				 diag_shape_name((r)->findings[0].shape),    \
				 (r)->findings[0].confidence,                \
				 diag_shape_name(s));                        \
	} while (0)

/* The invariants every result keeps. */
static void check_result(const struct diag_result *r)
{
	ASSERT_GE(r->nfindings, 1);
	for (unsigned int i = 0; i < r->nfindings; i++) {
		ASSERT_DBL_GE(r->findings[i].confidence, 0.0);
		ASSERT_DBL_LE(r->findings[i].confidence, 1.0);
		ASSERT_NOT_NULL(r->findings[i].remedy);
		ASSERT_GE(r->findings[i].nevidence, 1);
		if (i)
			ASSERT_DBL_LE(r->findings[i].confidence,
				      r->findings[i - 1].confidence);
		/* healthy never stands beside another shape */
		if (r->nfindings > 1)
			ASSERT_NE(r->findings[i].shape, DIAG_HEALTHY);
	}
}

/* Runs a fixture, kernel tier alone. */
static void run(const char *name, struct diag_input **inp,
		struct diag_result *r)
{
	struct diag_input *in = load(name);

	ASSERT_EQ(diag_run(in, r), 0);
	check_result(r);
	/* the kernel tier never claims what it cannot see, and says so */
	ASSERT_NULL(has(r, DIAG_SUSPENSION_CONVOY));
	ASSERT(any_line(r->notes, r->nnotes, "suspension convoy is invisible"));
	if (inp)
		*inp = in;
	else
		free(in);
}

/* ---- real runs: broken -> its shape, fixed -> healthy -------------------- */

TEST(starvation_sleep)
{
	struct diag_result r;
	const struct diag_finding *f;

	run("starv", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	f = &r.findings[0];
	ASSERT_STR_EQ(diag_confidence_level(f->confidence), "high");
	/* the evidence names the syscall and the workers */
	ASSERT(any_line(f->evidence, f->nevidence, "clock_nanosleep"));
	ASSERT(any_line(f->evidence, f->nevidence, "rt-worker-0"));
	ASSERT(any_line(f->evidence, f->nevidence, "rt-worker-1"));
	ASSERT(strstr(f->remedy, "blocking pool"));
}

TEST(starvation_io_and_one_blocker)
{
	struct diag_result r;

	run("starv_io", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence, "in read"));
	/* K < N: one worker blocks, the other is idle: still starvation */
	run("starv_k1", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	ASSERT_DBL_GE(r.findings[0].confidence, 0.75);
}

TEST(starvation_server_rare_blocks)
{
	struct diag_result r;

	/* 15 blocks of 20 ms in 3 s: a small share, but long spans */
	run("server", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	ASSERT_DBL_GE(r.findings[0].confidence, 0.75);
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"single blocking spans"));
	run("server_fixed", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);
}

TEST(starvation_spin_is_low_confidence)
{
	struct diag_result r;

	/* CPU-bound polls: the kernel cannot see poll boundaries */
	run("starv_spin", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	ASSERT_STR_EQ(diag_confidence_level(r.findings[0].confidence), "low");
	ASSERT(any_line(r.notes, r.nnotes, "poll lengths are unknown"));
}

TEST(fixed_and_idle_runs_are_healthy)
{
	static const char *const names[] = { "starv_fixed", "probe", "susp",
					     "susp_fixed", "tk_starv_fixed",
					     "tk_susp", "server_fixed" };
	struct diag_result r;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		run(names[i], NULL, &r);
		if (r.nfindings != 1 || r.findings[0].shape != DIAG_HEALTHY)
			TAP_FAIL("%s: verdict %s, %u findings", names[i],
				 diag_shape_name(r.findings[0].shape), r.nfindings);
	}
	/* the workers' futex time there is explained, not ignored */
	run("susp", NULL, &r);
	ASSERT(any_line(r.notes, r.nnotes, "read as parking"));
}

TEST(convoy_sync)
{
	struct diag_result r;
	const struct diag_finding *f;

	run("convoy", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_MUTEX_CONVOY);
	f = &r.findings[0];
	ASSERT_DBL_GE(f->confidence, 0.75);
	/* the lock's address (the demo's pthread mutex) and both workers */
	ASSERT(any_line(f->evidence, f->nevidence, "futex 0x56326b842638"));
	ASSERT(any_line(f->evidence, f->nevidence, "rt-worker-0"));
	ASSERT(any_line(f->evidence, f->nevidence, "queued another"));
	/* the pressure threads overload the box too: a second finding */
	ASSERT_NOT_NULL(has(&r, DIAG_CPU_OVERLOAD));
	ASSERT_NULL(has(&r, DIAG_EXECUTOR_STARVATION));
}

TEST(convoy_fixed_is_not_a_convoy)
{
	struct diag_result r;

	run("convoy_fixed", NULL, &r);
	ASSERT_NULL(has(&r, DIAG_MUTEX_CONVOY));
	if (r.findings[0].shape != DIAG_HEALTHY &&
	    r.findings[0].shape != DIAG_CPU_OVERLOAD)
		TAP_FAIL("verdict %s", diag_shape_name(r.findings[0].shape));
}

TEST(cpu_hog_is_overload_not_starvation)
{
	struct diag_result r;

	run("spin4", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_CPU_OVERLOAD);
	ASSERT_NULL(has(&r, DIAG_EXECUTOR_STARVATION));
	ASSERT_NULL(has(&r, DIAG_MUTEX_CONVOY));
	ASSERT_DBL_GE(r.findings[0].confidence, 0.75);
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"for 2 online CPUs"));
	ASSERT(any_line(r.notes, r.nnotes, "no worker threads found"));
}

TEST(overload_from_other_processes_is_low)
{
	struct diag_result r;
	struct diag_input *in;

	/* the same run on a 16-CPU box: the target no longer fills it */
	in = load("spin4");
	in->ncpus = 16;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_CPU_OVERLOAD);
	ASSERT_STR_EQ(diag_confidence_level(r.findings[0].confidence), "low");
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"other processes"));
	free(in);
}

TEST(tokio_peers)
{
	struct diag_result r;

	run("tk_starv", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	ASSERT_DBL_GE(r.findings[0].confidence, 0.75);
	run("tk_convoy", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_MUTEX_CONVOY);
	ASSERT_DBL_GE(r.findings[0].confidence, 0.75);
	run("tk_convoy_fixed", NULL, &r);
	ASSERT_NULL(has(&r, DIAG_MUTEX_CONVOY));
	if (r.findings[0].shape != DIAG_HEALTHY &&
	    r.findings[0].shape != DIAG_CPU_OVERLOAD)
		TAP_FAIL("verdict %s", diag_shape_name(r.findings[0].shape));
	/* spawn_blocking threads share the workers' name: said, not hidden */
	run("tk_starv_fixed", NULL, &r);
	ASSERT(any_line(r.notes, r.nnotes, "blocking-pool threads"));
}

TEST(tokio_pool_threads_counted_as_workers_when_told)
{
	struct diag_result r;
	struct diag_input *in = load("tk_starv_fixed");

	/* if the runtime says 4 workers, the sleeping threads are workers */
	in->nworkers = 4;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	free(in);
}

/* ---- the rules respond to the signal they claim -------------------------- */

TEST(removing_the_blocking_removes_starvation)
{
	struct diag_result r;
	struct diag_input *in = load("starv");

	for (unsigned int i = 0; i < in->nthreads; i++)
		for (unsigned int j = 0; j < in->threads[i].noff; j++)
			if (!strcmp(in->threads[i].off_by_sys[j].name,
				    "clock_nanosleep"))
				/* as if it were the runtime's park */
				strcpy(in->threads[i].off_by_sys[j].name,
				       "epoll_pwait2");
	in->nspans = 0;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);
	free(in);
}

TEST(convoy_needs_peer_wakes)
{
	struct diag_result r;
	struct diag_input *in = load("convoy");

	/* the same waits ended by timeouts (no waker) are a park */
	for (unsigned int i = 0; i < in->nfutex; i++)
		in->futex[i].nwakers = 0;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_NULL(has(&r, DIAG_MUTEX_CONVOY));
	free(in);

	/* one waiter: a worker's own condvar */
	in = load("convoy");
	for (unsigned int i = 0; i < in->nfutex; i++)
		if (in->futex[i].nwaiters > 1)
			in->futex[i].nwaiters = 1;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_NULL(has(&r, DIAG_MUTEX_CONVOY));
	free(in);
}

/* The uses of one futex address as observe measured them (3 s runs, tids
 * renamed): tokio_starvation --mode spin --fixed, the pool's condvar and
 * Tokio's shared timer park; tokio_convoy's lock; a startup address. */
TEST(idle_queue_measured)
{
	const struct diag_futex_use pool[] = {
		{ 1, 118, 0 }, { 2, 119, 0 }, { 3, 1, 106 }, { 4, 0, 129 },
		{ 5, 0, 3 },
	};
	const struct diag_futex_use timer_park[] = {
		{ 3, 739, 36 }, { 4, 878, 23 }, { 1, 0, 58 }, { 2, 0, 62 },
		{ 5, 0, 1 },
	};
	const struct diag_futex_use lock[] = {
		{ 1, 1167, 1192 }, { 2, 1259, 1224 }, { 3, 1146, 1207 },
		{ 4, 1232, 1181 },
	};
	const struct diag_futex_use startup[] = {
		{ 1, 2, 0 }, { 2, 2, 2 }, { 3, 2, 2 }, { 4, 1, 0 }, { 5, 0, 3 },
	};

	ASSERT_EQ(diag_idle_queue(pool, 5), 2);
	ASSERT_EQ(diag_idle_queue(timer_park, 5), 0);
	ASSERT_EQ(diag_idle_queue(lock, 4), 0);
	ASSERT_EQ(diag_idle_queue(startup, 5), 0);
	ASSERT_EQ(diag_idle_queue(pool, 0), 0);
}

/* Four workers; two wait on one address 100 times each, 2 s in all, woken
 * by waker_a and waker_b. */
static struct diag_input *handoff(uint32_t waker_a, uint32_t waker_b)
{
	struct diag_input *in = calloc(1, sizeof(*in));
	struct diag_futex *fx = &in->futex[0];

	in->duration_ns = 3000 * MS;
	in->ncpus = 4;
	in->has_cpu_runs = true;
	in->nthreads = 4;
	for (unsigned int i = 0; i < 4; i++) {
		struct diag_thread *t = &in->threads[i];

		t->tid = 100 + i;
		snprintf(t->comm, sizeof(t->comm), "w%u", i);
		t->role = DIAG_ROLE_WORKER;
		t->on_cpu_ns = 1000 * MS;
		t->off_cpu_ns = i < 2 ? 2000 * MS : 0;
		t->noff = i < 2;
		snprintf(t->off_by_sys[0].name, DIAG_NAME_LEN, "futex");
		t->off_by_sys[0].ns = t->off_cpu_ns;
	}
	in->nfutex = 1;
	fx->uaddr = 0x1000;
	fx->waits = 200;
	fx->wait_ns = 4000 * MS;
	fx->max_ns = 30 * MS;
	fx->nwaiters = 2;
	fx->waiters[0] = (struct diag_futex_tid){ 100, 100, 2000 * MS };
	fx->waiters[1] = (struct diag_futex_tid){ 101, 100, 2000 * MS };
	fx->nwakers = 2;
	fx->wakers[0] = (struct diag_futex_tid){ waker_a, 100, 0 };
	fx->wakers[1] = (struct diag_futex_tid){ waker_b, 100, 0 };
	return in;
}

TEST(convoy_skips_an_idle_queue)
{
	struct diag_result r;
	struct diag_input *in = handoff(100, 101);

	/* the waiters wake each other: a lock handed on */
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_MUTEX_CONVOY);
	free(in);

	/* the same waits ended by two other threads: a pool idling */
	in = handoff(102, 103);
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_NULL(has(&r, DIAG_MUTEX_CONVOY));
	ASSERT(any_line(r.notes, r.nnotes, "futex 0x1000 is a pool's idle queue"));
	free(in);
}

TEST(bad_input)
{
	struct diag_result r;
	struct diag_input *in = calloc(1, sizeof(*in));

	ASSERT_NOT_NULL(in);
	ASSERT_EQ(diag_run(NULL, &r), -EINVAL);
	ASSERT_EQ(diag_run(in, NULL), -EINVAL);
	ASSERT_EQ(diag_run(in, &r), -EINVAL); /* no duration */
	in->duration_ns = 1000 * MS;
	in->nthreads = DIAG_MAX_THREADS + 1;
	ASSERT_EQ(diag_run(in, &r), -EINVAL);
	in->nthreads = 0;
	/* nothing at all: healthy, with the notes of what is missing */
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);
	ASSERT(any_line(r.notes, r.nnotes, "CPU count is unknown"));
	free(in);
}

/* ---- runtime tier on bpftrace figures (fixtures' "_runtime_bpftrace") ---- */

/* The kernel tier and the older fixtures' bpftrace figures. */
static void run_rt(const char *name, struct diag_result *r)
{
	struct diag_input *in = load_tier(name, TIER_BPFTRACE);

	ASSERT_EQ(diag_run(in, r), 0);
	ASSERT_GE(r->nfindings, 1);
	ASSERT(!any_line(r->notes, r->nnotes, "invisible"));
	free(in);
}

TEST(runtime_fixture_suspension)
{
	struct diag_result r;

	run_rt("susp", &r);
	ASSERT_SHAPE(&r, DIAG_SUSPENSION_CONVOY);
	ASSERT_STR_EQ(diag_confidence_level(r.findings[0].confidence), "high");
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"100% of it while the holder was suspended"));
	run_rt("susp_fixed", &r);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);
	ASSERT_DBL_GE(r.findings[0].confidence, 0.75);
}

TEST(runtime_fixture_async_convoy)
{
	struct diag_result r;

	/* the async lock is held across a 100 us sleep: by the taxonomy a
	 * suspension convoy (the demo's fix drops the guard first) */
	run_rt("convoy_async", &r);
	ASSERT_SHAPE(&r, DIAG_SUSPENSION_CONVOY);
	run_rt("convoy_async_fixed", &r);
	ASSERT_NULL(has(&r, DIAG_SUSPENSION_CONVOY));
	ASSERT_NULL(has(&r, DIAG_MUTEX_CONVOY));
	/* kernel tier alone: never a suspension convoy */
	run("convoy_async", NULL, &r);
	ASSERT_NULL(has(&r, DIAG_SUSPENSION_CONVOY));
}

TEST(runtime_fixture_sync_convoy)
{
	struct diag_result r;

	run_rt("convoy", &r);
	ASSERT_SHAPE(&r, DIAG_MUTEX_CONVOY);
	/* both tiers' evidence in one finding */
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"futex 0x"));
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"sync lock 0x2"));
	/* its 12 preemption-stretched polls over 10 ms are not starvation */
	ASSERT_NULL(has(&r, DIAG_EXECUTOR_STARVATION));
	run_rt("convoy_fixed", &r);
	ASSERT_NULL(has(&r, DIAG_MUTEX_CONVOY));
	ASSERT_NULL(has(&r, DIAG_EXECUTOR_STARVATION));
}

TEST(runtime_fixture_spin_starvation)
{
	struct diag_result r;

	/* what the kernel only guessed (low), the runtime tier sees (high) */
	run_rt("starv_spin", &r);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	ASSERT_STR_EQ(diag_confidence_level(r.findings[0].confidence), "high");
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"237 polls longer than 10 ms"));
}

/* ---- runtime tier from observe itself (rt_*.json: real --json runs) ------ */

/* Runs a whole document (both tiers). */
static void run_doc(const char *name, struct diag_result *r)
{
	struct diag_input *in = load_tier(name, TIER_OBSERVE);

	ASSERT_EQ(diag_run(in, r), 0);
	check_result(r);
	/* the rt runtime announced both workers */
	ASSERT_EQ(in->nworkers, 2);
	/* with the runtime tier nothing is invisible any more */
	ASSERT(!any_line(r->notes, r->nnotes, "invisible"));
	free(in);
}

/* The fixture's runtime.locks[0].addr: the lock its verdict must name. */
static void first_lock(const char *name, const char *kind, char *addr,
		       size_t len)
{
	json_t *root = load_json(name);
	json_t *l = json_array_get(json_object_get(json_object_get(root,
						"runtime"), "locks"), 0);

	ASSERT_NOT_NULL(l);
	ASSERT_STR_EQ(json_string_value(json_object_get(l, "kind")), kind);
	snprintf(addr, len, "%s", json_string_value(json_object_get(l, "addr")));
	json_decref(root);
}

TEST(observe_runtime_suspension)
{
	struct diag_result r;
	const struct diag_finding *f;
	struct diag_input *in;
	char addr[32], line[64];
	json_t *root;

	/* the coordinator holds the async lock across a 20 ms sleep */
	run_doc("rt_susp", &r);
	ASSERT_SHAPE(&r, DIAG_SUSPENSION_CONVOY);
	f = &r.findings[0];
	ASSERT_STR_EQ(diag_confidence_level(f->confidence), "high");
	first_lock("rt_susp", "async", addr, sizeof(addr));
	snprintf(line, sizeof(line), "async lock %s:", addr);
	ASSERT(any_line(f->evidence, f->nevidence, line));
	ASSERT(any_line(f->evidence, f->nevidence,
			"while the holder was suspended"));
	ASSERT(strstr(f->remedy, "drop the guard"));
	/* the same run, kernel tier alone: healthy, and it says why */
	run("rt_susp", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);
	/* a run with --no-runtime: "runtime" is null, the whole document is
	 * the kernel tier (run() checks the note) */
	in = calloc(1, sizeof(*in));
	ASSERT_NOT_NULL(in);
	root = load_json("rt_susp_kernel");
	ASSERT(json_is_null(json_object_get(root, "runtime")));
	ASSERT_EQ(diag_json_fill(in, root, true), 0);
	ASSERT(!in->has_runtime);
	ASSERT_EQ(in->nworkers, 0);
	json_decref(root);
	free(in);
	run("rt_susp_kernel", NULL, &r);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);

	/* --fixed: the guard is dropped before the await */
	run_doc("rt_susp_fixed", &r);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);
	ASSERT_EQ(r.nfindings, 1);
	/* 0.9 with the runtime tier, 0.7 without */
	ASSERT_DBL_GE(r.findings[0].confidence, 0.75);
}

TEST(observe_runtime_starvation)
{
	struct diag_result r;
	const struct diag_finding *f;
	json_t *root = load_json("rt_starv");
	char line[64];

	run_doc("rt_starv", &r);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	f = &r.findings[0];
	ASSERT_STR_EQ(diag_confidence_level(f->confidence), "high");
	/* both tiers: the runtime's polls (all 20 ms sleeps: over 10 ms),
	 * tasks and timers; the kernel's syscall */
	snprintf(line, sizeof(line), "%llu polls longer than 10 ms",
		 (unsigned long long)jint(json_object_get(json_object_get(root,
				"runtime"), "polls"), "over_10ms"));
	ASSERT(any_line(f->evidence, f->nevidence, line));
	ASSERT(any_line(f->evidence, f->nevidence,
			"blocked in clock_nanosleep"));
	ASSERT(any_line(f->evidence, f->nevidence, "longest poll"));
	ASSERT(any_line(f->evidence, f->nevidence, "timers fired late"));
	ASSERT(strstr(f->remedy, "blocking pool"));
	json_decref(root);
}

TEST(observe_runtime_sync_convoy)
{
	struct diag_result r;
	const struct diag_finding *f;
	char addr[32], line[64];

	run_doc("rt_convoy", &r);
	ASSERT_SHAPE(&r, DIAG_MUTEX_CONVOY);
	f = &r.findings[0];
	ASSERT_STR_EQ(diag_confidence_level(f->confidence), "high");
	/* both tiers: the futex (the glibc word, 8 bytes into the rt lock)
	 * and the rt lock with its hold time against its work */
	ASSERT(any_line(f->evidence, f->nevidence, "futex 0x"));
	first_lock("rt_convoy", "sync", addr, sizeof(addr));
	snprintf(line, sizeof(line), "sync lock %s:", addr);
	ASSERT(any_line(f->evidence, f->nevidence, line));
	ASSERT(any_line(f->evidence, f->nevidence, "of CPU work per acquisition"));
	ASSERT_NULL(has(&r, DIAG_SUSPENSION_CONVOY));
}

/* ---- runtime tier (synthetic, from the demos' own figures) --------------- */

/* Two idle rt workers over 3 s: parked in epoll_pwait2 and futex. */
static struct diag_input *idle_runtime(void)
{
	struct diag_input *in = calloc(1, sizeof(*in));

	ASSERT_NOT_NULL(in);
	in->duration_ns = 3000 * MS;
	in->ncpus = 2;
	in->nworkers = 2;
	for (unsigned int i = 0; i < 2; i++) {
		struct diag_thread *t = &in->threads[in->nthreads++];

		t->tid = 100 + i;
		snprintf(t->comm, sizeof(t->comm), "rt-worker-%u", i);
		t->role = DIAG_ROLE_WORKER;
		t->on_cpu_ns = 40 * MS;
		t->rq_wakeup_ns = 50 * MS;
		t->off_cpu_ns = 2910 * MS;
		strcpy(t->off_by_sys[0].name, "epoll_pwait2");
		t->off_by_sys[0].ns = 1450 * MS;
		strcpy(t->off_by_sys[1].name, "futex");
		t->off_by_sys[1].ns = 1460 * MS;
		t->noff = 2;
	}
	in->has_runtime = true;
	in->rt.polls = 60000;
	in->rt.timer_fires = 2900;
	in->rt.timer_late_p50_ns = 25000;
	in->rt.timer_late_p99_ns = 900000;
	in->rt.timer_late_max_ns = 3 * MS;
	return in;
}

TEST(runtime_suspension_convoy)
{
	struct diag_result r;
	struct diag_input *in = idle_runtime();
	struct diag_lock *l = &in->rt.locks[in->rt.nlocks++];
	json_t *j, *v;

	/* demo_suspension: the coordinator holds 20 ms across a sleep, 150
	 * rounds in 3 s; 4 peers each wait ~19 ms per acquisition */
	l->addr = 0x5600aa00;
	l->async = true;
	l->acquisitions = 750;
	l->contended = 600;
	l->hold_ns = 150 * 20 * MS + 600 * 2000;
	l->held_suspended_ns = 150 * 20 * MS;
	l->held_running_ns = l->hold_ns - l->held_suspended_ns;
	l->hold_p99_ns = 20 * MS;
	l->wait_ns = 600 * 19 * MS;
	l->wait_p99_ns = 20 * MS;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_SUSPENSION_CONVOY);
	ASSERT_STR_EQ(diag_confidence_level(r.findings[0].confidence), "high");
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"0x5600aa00"));
	ASSERT(strstr(r.findings[0].remedy, "drop the guard"));
	ASSERT(!any_line(r.notes, r.nnotes, "invisible"));

	j = obs_verdict_json(&r);
	ASSERT_NOT_NULL(j);
	v = json_object_get(j, "verdict");
	ASSERT_STR_EQ(json_string_value(json_object_get(v, "shape")),
		      "suspension_convoy");
	ASSERT_STR_EQ(json_string_value(json_object_get(v, "confidence_level")),
		      "high");
	ASSERT(json_is_real(json_object_get(v, "confidence")));
	ASSERT(json_array_size(json_object_get(v, "evidence")) >= 2);
	ASSERT(json_is_string(json_object_get(v, "remedy")));
	ASSERT_EQ(json_array_size(json_object_get(j, "findings")), r.nfindings);
	ASSERT(json_is_array(json_object_get(j, "notes")));
	json_decref(j);

	/* --fixed: the guard is dropped before the await */
	l->held_suspended_ns = 0;
	l->hold_ns = l->held_running_ns;
	l->hold_p99_ns = 2000;
	l->wait_ns = 5 * MS;
	l->wait_p99_ns = 5000;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);
	ASSERT_DBL_GE(r.findings[0].confidence, 0.75);
	free(in);
}

TEST(runtime_suspended_lock_nobody_wants)
{
	struct diag_result r;
	struct diag_input *in = idle_runtime();
	struct diag_lock *l = &in->rt.locks[in->rt.nlocks++];

	/* held across awaits, but no one waits: costs nothing */
	l->async = true;
	l->acquisitions = 150;
	l->hold_ns = l->held_suspended_ns = 150 * 20 * MS;
	l->wait_ns = 0;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);
	free(in);
}

TEST(runtime_long_polls)
{
	struct diag_result r;
	struct diag_input *in = idle_runtime();

	/* demo_starvation --mode spin (bpftrace on the rt probes: 237 polls
	 * over 10 ms, 5.0 s in them), with no attribution yet */
	in->rt.polls = 915;
	in->rt.polls_over_10ms = 237;
	in->rt.polls_over_1ms = 237;
	in->rt.poll_ns_over_10ms = 4996 * MS;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	ASSERT_STR_EQ(diag_confidence_level(r.findings[0].confidence), "high");

	/* with attribution: three polls of 20 ms on a CPU */
	for (unsigned int i = 0; i < 3; i++) {
		struct diag_poll *p = &in->rt.longest[in->rt.nlongest++];

		p->task_id = 7 + i;
		p->tid = 100;
		p->ns = 21 * MS;
		p->on_cpu_ns = 20 * MS;
		p->rq_ns = 1 * MS;
	}
	in->rt.timer_late_p99_ns = 20 * MS;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_EXECUTOR_STARVATION);
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"task 7 on rt-worker-0"));
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"timers fired late"));

	/* the same long polls spent on a run queue: the CPU was taken from
	 * them (a convoy's pressure, overload), the tasks did not block */
	for (unsigned int i = 0; i < 3; i++) {
		in->rt.longest[i].on_cpu_ns = 1 * MS;
		in->rt.longest[i].rq_ns = 20 * MS;
	}
	in->rt.timer_late_p99_ns = 900000;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_NULL(has(&r, DIAG_EXECUTOR_STARVATION));

	/* the sync convoy's preemption-stretched polls, unattributed: 12
	 * polls over 10 ms, 192 ms (3.2% of worker time): not starvation */
	in->rt.nlongest = 0;
	in->rt.polls_over_10ms = 12;
	in->rt.poll_ns_over_10ms = 192 * MS;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_HEALTHY);
	free(in);
}

TEST(runtime_sync_lock_inflation)
{
	struct diag_result r;
	struct diag_input *in = idle_runtime();
	struct diag_lock *l = &in->rt.locks[in->rt.nlocks++];

	/* demo_convoy sync: 7000 holds of 200 us work stretched 20x */
	l->addr = 0x5600bb00;
	l->acquisitions = 7000;
	l->contended = 1400;
	l->hold_on_cpu_ns = 7000 * 200000ULL;
	l->hold_ns = l->held_running_ns = 2 * l->hold_on_cpu_ns;
	l->hold_p99_ns = 5 * MS;
	l->wait_ns = 1250 * MS;
	l->wait_p99_ns = 7 * MS;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_SHAPE(&r, DIAG_MUTEX_CONVOY);
	ASSERT(any_line(r.findings[0].evidence, r.findings[0].nevidence,
			"0x5600bb00"));
	ASSERT_NULL(has(&r, DIAG_SUSPENSION_CONVOY));
	/* the same waits with holds as long as the work: contention, not a
	 * convoy (no delay of the holder) */
	l->hold_p99_ns = 300000;
	ASSERT_EQ(diag_run(in, &r), 0);
	ASSERT_NULL(has(&r, DIAG_MUTEX_CONVOY));
	free(in);
}

TEST(print_puts_the_verdict_first)
{
	struct diag_result r;
	char buf[8192] = "";
	FILE *f;

	run("starv", NULL, &r);
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	ASSERT_NOT_NULL(f);
	obs_verdict_print(f, &r);
	fclose(f);
	ASSERT(!strncmp(buf, "verdict: executor starvation", 28));
	ASSERT(strstr(buf, "remedy: move blocking work"));
	ASSERT(strstr(buf, "cannot see"));
}

TEST(json_survives_any_thread_name)
{
	struct diag_result r;
	struct diag_input *in = load("starv");
	json_t *j, *ev;
	const char *line;

	/* a program may name its threads with any bytes, not only UTF-8 */
	for (unsigned int i = 0; i < in->nthreads; i++)
		if (!strcmp(in->threads[i].comm, "rt-worker-0"))
			strcpy(in->threads[i].comm, "rt-w\xff\xfe-0");
	ASSERT_EQ(diag_run(in, &r), 0);
	j = obs_verdict_json(&r);
	ASSERT_NOT_NULL(j);
	ev = json_object_get(json_object_get(j, "verdict"), "evidence");
	ASSERT_EQ(json_array_size(ev), r.findings[0].nevidence);
	line = json_string_value(json_array_get(ev, 1));
	ASSERT_NOT_NULL(line);
	ASSERT(strstr(line, "rt-w?" "?-0")); /* no trigraph */
	ASSERT(strstr(line, "clock_nanosleep"));
	json_decref(j);
	free(in);
}

int main(void)
{
	return tap_run();
}
