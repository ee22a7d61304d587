// SPDX-License-Identifier: MIT
/* test_rt_blocking.c - the blocking pool: jobs run on rt-blocking-N threads
 * in parallel up to the ceiling, queue delay when the ceiling is reached,
 * join outputs, idle threads exit after the keep-alive. */
#include <dirent.h>
#include <stdatomic.h>
#include <sys/prctl.h>

#include "../tap.h"
#include "rt.h"

#define MS ((uint64_t)1000000)

struct job {
	uint64_t queued, started, ended;
	char name[16];
	long in;
};

static void *job_fn(void *arg)
{
	struct job *j = arg;

	j->started = rt_now_ns();
	prctl(PR_GET_NAME, j->name, 0, 0, 0);
	usleep(40000); /* blocking work: 40 ms */
	j->ended = rt_now_ns();
	return (void *)(j->in * 3);
}

struct root {
	int pc, i, n;
	struct job jobs[4];
	rt_join_t *j[4];
	void *out[4];
};

static rt_poll_t root_fn(rt_cx_t *cx, void *st)
{
	struct root *r = st;

	RT_ASYNC_BEGIN(&r->pc);
	for (r->i = 0; r->i < r->n; r->i++) {
		r->jobs[r->i].in = r->i + 1;
		r->jobs[r->i].queued = rt_now_ns();
		if (rt_spawn_blocking(rt_cx_rt(cx), job_fn, &r->jobs[r->i],
				      &r->j[r->i]))
			TAP_FAIL("spawn_blocking");
	}
	for (r->i = 0; r->i < r->n; r->i++) {
		RT_AWAIT(&r->pc, rt_join_poll(r->j[r->i], cx, &r->out[r->i]));
		rt_join_free(r->j[r->i]);
	}
	RT_ASYNC_END(&r->pc);
}

static int count_threads(const char *prefix)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    strncmp(comm, prefix, strlen(prefix)) == 0)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

TEST(jobs_run_in_parallel_on_named_threads)
{
	rt_config_t cfg = { .workers = 2, .blocking_keep_alive_ns = 1000 * MS };
	static struct root r;
	uint64_t t0, wall;
	rt_t *rt;

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	r.n = 4;
	t0 = rt_now_ns();
	ASSERT_EQ(rt_block_on(rt, root_fn, &r), 0);
	wall = rt_now_ns() - t0;
	printf("# 4 x 40 ms jobs took %" PRIu64 " ms\n", wall / MS);
	for (int i = 0; i < 4; i++) {
		ASSERT(strncmp(r.jobs[i].name, "rt-blocking-", 12) == 0);
		ASSERT_EQ((long)r.out[i], 3 * (i + 1));
	}
	/* Four threads sleeping at once: well under 4 x 40 ms. */
	ASSERT_LT(wall, 120 * MS);
	ASSERT_EQ(count_threads("rt-blocking-"), 4);
	/* Idle threads exit after the keep-alive (1 s here; 10 s by default,
	 * which this would not see): allow up to 4 s on a loaded box. */
	for (int i = 0; i < 400 && count_threads("rt-blocking-"); i++)
		usleep(10000);
	ASSERT_EQ(count_threads("rt-blocking-"), 0);
	ASSERT_UGE(rt_now_ns() - t0, 1000 * MS);
	ASSERT_EQ(count_threads("rt-worker-"), 2);
	rt_free(rt);
}

TEST(ceiling_queues_jobs)
{
	rt_config_t cfg = { .workers = 2, .blocking_threads = 1 };
	static struct root r;
	rt_t *rt;

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	r.n = 3;
	ASSERT_EQ(rt_block_on(rt, root_fn, &r), 0);
	/* One thread: FIFO, each waits for the previous one. */
	for (int i = 1; i < 3; i++) {
		ASSERT_UGE(r.jobs[i].started, r.jobs[i - 1].ended);
		ASSERT(strcmp(r.jobs[i].name, r.jobs[0].name) == 0);
	}
	/* The third job queued behind two 40 ms jobs. */
	ASSERT_UGE(r.jobs[2].started - r.jobs[2].queued, 75 * MS);
	rt_free(rt);
}

static _Atomic int detached_ran;
static void *detached_fn(void *arg)
{
	(void)arg;
	usleep(20000);
	atomic_fetch_add(&detached_ran, 1);
	return NULL;
}

TEST(shutdown_runs_queued_jobs)
{
	rt_config_t cfg = { .workers = 1, .blocking_threads = 1 };
	rt_t *rt;

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(rt_spawn_blocking(rt, detached_fn, NULL, NULL), 0);
	rt_free(rt);
	ASSERT_EQ(atomic_load(&detached_ran), 3);
}

int main(void)
{
	return tap_run();
}
