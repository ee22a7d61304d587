// SPDX-License-Identifier: MIT
/*
 * diag_json.c - the converter (diag_json.h): a saved observe --json
 * document (docs/observe-json.md) -> struct diag_input, for observe
 * --diagnose and the tests.
 *
 * Invariants:
 *  1. Every field is read as analysis/diag_fill.c fills it from the
 *     snapshot, with the same bounds, caps and spans kept: a document's
 *     verdict here is the verdict observe printed when it wrote the
 *     document (test_diag_json checks it on recorded runs).
 *  2. Only the document's shape is trusted, not its values: a missing or
 *     mistyped field reads as 0 (or ""), never as an error; the document is
 *     refused only when it is not observe's (no duration_s, a "runtime"
 *     that is neither an object with "workers" nor null).
 *  3. Every array stays within its DIAG_MAX_* bound.  observe lists the
 *     futex addresses, spans and locks already selected as the live path
 *     selects them, so the first are kept; it lists every thread, so past
 *     DIAG_MAX_THREADS those with most observed time are kept, as the live
 *     path keeps them (diag_fill.h), with the role counts of all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analysis/diag_json.h"
#include "common/hist.h"

/* Why a document is refused, for diag_json_load's message. */
#define NOT_OBSERVE "not an observe JSON document: "

static uint64_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static void copy_name(char *dst, json_t *s)
{
	snprintf(dst, DIAG_NAME_LEN, "%s",
		 json_is_string(s) ? json_string_value(s) : "");
}

/* Addresses are strings, "0x55f0...". */
static uint64_t jaddr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? strtoull(json_string_value(v), NULL, 16) : 0;
}

/* Seconds as nanoseconds; 0 (none) when negative or past 2^64 ns (584
 * years), which the cast would make undefined. */
static uint64_t secs_to_ns(double s)
{
	double ns = s * (double)NSEC_PER_SEC;

	return ns >= 0 && ns < 0x1p64 ? (uint64_t)ns : 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- kernel tier --------------------------------------------------------- */

static enum diag_role role_of(json_t *thread)
{
	const char *role = json_string_value(json_object_get(thread, "role"));

	return role && !strcmp(role, "worker") ? DIAG_ROLE_WORKER :
	       role && !strcmp(role, "blocking") ? DIAG_ROLE_BLOCKING :
						  DIAG_ROLE_OTHER;
}

static void read_thread(struct diag_thread *t, json_t *o)
{
	json_t *rq = json_object_get(o, "rq_delay_ns");
	json_t *off = json_object_get(o, "off_cpu_ns");
	json_t *runs;
	const char *k;
	json_t *v;

	t->tid = (uint32_t)jint(o, "tid");
	copy_name(t->comm, json_object_get(o, "comm"));
	t->role = role_of(o);
	t->on_cpu_ns = jint(o, "on_cpu_ns");
	t->rq_wakeup_ns = jint(rq, "wakeup");
	t->rq_preempt_ns = jint(rq, "preempt");
	t->rq_p99_ns = jint(rq, "p99");
	t->off_cpu_ns = jint(off, "total");
	json_object_foreach(json_object_get(off, "by_syscall"), k, v) {
		if (t->noff == DIAG_MAX_SYSCALLS)
			break;
		snprintf(t->off_by_sys[t->noff].name, DIAG_NAME_LEN, "%s", k);
		t->off_by_sys[t->noff++].ns = (uint64_t)json_integer_value(v);
	}
	t->futex_waits = jint(o, "futex_waits");
	t->futex_wait_ns = jint(o, "futex_wait_ns");
	runs = json_object_get(o, "cpu_runs");	/* absent in older documents */
	t->cpu_runs_long = jint(runs, "long");
	t->cpu_run_long_ns = jint(runs, "long_ns");
	t->cpu_run_max_ns = jint(runs, "max_ns");
}

/*
 * Every thread, or past DIAG_MAX_THREADS those with most observed time
 * (on-CPU + run-queue + blocked) in the document's order, with the role
 * counts of all: as the live path keeps them.  0 or -ENOMEM.
 */
static int read_threads(struct diag_input *in, json_t *root)
{
	json_t *arr = json_object_get(root, "threads"), *o;
	size_t i, n = json_array_size(arr), keep;
	struct diag_thread_rank *rank;

	rank = calloc(n ? n : 1, sizeof(*rank));
	if (!rank)
		return -ENOMEM;
	json_array_foreach(arr, i, o) {
		rank[i].idx = i;
		rank[i].wall = jint(o, "on_cpu_ns") +
			jint(json_object_get(o, "rq_delay_ns"), "total") +
			jint(json_object_get(o, "off_cpu_ns"), "total");
	}
	keep = diag_keep_busiest(rank, n);
	if (keep < n) {
		json_array_foreach(arr, i, o)
			in->nthreads_by_role[role_of(o)]++;
		in->truncated = true;
	}
	for (i = 0; i < keep; i++)
		read_thread(&in->threads[in->nthreads++],
			    json_array_get(arr, rank[i].idx));
	free(rank);
	return 0;
}

static void read_futex(struct diag_futex *fx, json_t *o)
{
	json_t *w;
	size_t j;

	fx->uaddr = jaddr(o, "uaddr");
	fx->pid = (uint32_t)jint(o, "pid");
	fx->waits = jint(o, "waits");
	fx->wait_ns = jint(o, "wait_ns");
	fx->max_ns = jint(o, "max_ns");
	fx->rq_after_wake_ns = jint(o, "rq_after_wake_ns");
	json_array_foreach(json_object_get(o, "waiters"), j, w) {
		if (fx->nwaiters == DIAG_MAX_FUTEX_TIDS)
			break;
		fx->waiters[fx->nwaiters].tid = (uint32_t)jint(w, "tid");
		fx->waiters[fx->nwaiters].n = jint(w, "waits");
		fx->waiters[fx->nwaiters++].wait_ns = jint(w, "wait_ns");
	}
	json_array_foreach(json_object_get(o, "wakers"), j, w) {
		if (fx->nwakers == DIAG_MAX_FUTEX_TIDS)
			break;
		fx->wakers[fx->nwakers].tid = (uint32_t)jint(w, "tid");
		fx->wakers[fx->nwakers++].n = jint(w, "wakes");
	}
}

/* Notable span i of the document; whether its thread is a worker.  Old
 * documents have no "pid": the tid alone then. */
static bool json_span(void *ctx, size_t i, struct diag_span *s)
{
	json_t *root = ctx, *t, *v;
	json_t *o = json_array_get(json_object_get(root, "notable"), i);
	const char *kind = json_string_value(json_object_get(o, "kind"));
	uint64_t pid = jint(o, "pid");
	size_t j;

	s->tid = (uint32_t)jint(o, "tid");
	s->kind = !kind ? DIAG_SPAN_OFF_CPU :
		  !strcmp(kind, "rq_delay") ? DIAG_SPAN_RQ_DELAY :
		  !strcmp(kind, "cpu_run") ? DIAG_SPAN_CPU_RUN : DIAG_SPAN_OFF_CPU;
	copy_name(s->syscall, json_object_get(o, "syscall"));
	s->ns = jint(o, "ns");
	v = json_object_get(o, "site");
	if (json_is_string(v))
		snprintf(s->site, sizeof(s->site), "%s", json_string_value(v));
	json_array_foreach(json_object_get(root, "threads"), j, t) {
		const char *role = json_string_value(json_object_get(t, "role"));

		if (jint(t, "tid") == jint(o, "tid") &&
		    (!pid || jint(t, "pid") == pid))
			return role && !strcmp(role, "worker");
	}
	return false;
}

/* The kernel tier: everything but "runtime".  0 or -EINVAL, *why set. */
static int read_kernel(struct diag_input *in, json_t *root, const char **why)
{
	json_t *v, *o;
	const char *k;
	size_t i;

	v = json_object_get(root, "duration_s");
	if (!json_is_number(v)) {
		*why = NOT_OBSERVE "no duration_s";
		return -EINVAL;
	}
	/* out of range: 0, which diag_run refuses as it refuses no duration */
	in->duration_ns = secs_to_ns(json_number_value(v));
	v = json_object_get(root, "ncpus");
	in->ncpus = json_is_integer(v) ? (unsigned int)json_integer_value(v)
				       : (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	json_object_foreach(json_object_get(root, "drops"), k, v)
		in->drops += json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
	if (read_threads(in, root)) {
		*why = "out of memory";
		return -ENOMEM;
	}
	/* documents from before CPU runs have none: the rules then do without */
	in->has_cpu_runs = json_object_get(json_array_get(
		json_object_get(root, "threads"), 0), "cpu_runs") != NULL;
	json_array_foreach(json_object_get(root, "futex"), i, o) {
		if (in->nfutex == DIAG_MAX_FUTEX)
			break;
		read_futex(&in->futex[in->nfutex++], o);
	}
	/* observe's default --threshold-ms; the document does not say */
	in->span_threshold_ns = 10 * NSEC_PER_MSEC;
	diag_pick_spans(in, json_array_size(json_object_get(root, "notable")),
			json_span, root);
	return 0;
}

/* ---- runtime tier: as diag_fill.c's fill_runtime ------------------------- */

static void read_polls(struct diag_runtime *r, json_t *rt)
{
	json_t *polls = json_object_get(rt, "polls"), *o, *v;
	size_t i;

	v = json_object_get(rt, "coverage");
	/* absent (older documents): measured over the whole run */
	r->coverage = json_is_number(v) ? json_number_value(v) : 1.0;
	r->polls = diag_scaled(jint(polls, "count"), r->coverage);
	r->polls_over_1ms = diag_scaled(jint(polls, "over_1ms"), r->coverage);
	r->polls_over_10ms = diag_scaled(jint(polls, "over_10ms"), r->coverage);
	r->poll_ns_over_10ms = diag_scaled(jint(polls, "over_10ms_ns"),
					   r->coverage);
	/* hist[] lists the slots from 0 up to the highest non-empty one */
	json_array_foreach(json_object_get(polls, "hist"), i, o)
		if (i < DIAG_HIST_SLOTS)
			r->poll_hist[i] = jint(o, "count");
	json_array_foreach(json_object_get(rt, "longest_polls"), i, o) {
		struct diag_poll *p;

		if (r->nlongest == DIAG_MAX_POLLS)
			break;
		p = &r->longest[r->nlongest++];
		p->task_id = jint(o, "task_id");
		p->tid = (uint32_t)jint(o, "tid");
		p->ns = jint(o, "ns");
		p->on_cpu_ns = jint(o, "on_cpu_ns");
		p->rq_ns = jint(o, "rq_ns");
		p->off_cpu_ns = jint(o, "off_cpu_ns");
		/* null when the poll never blocked */
		v = json_object_get(o, "off_syscall");
		if (p->off_cpu_ns && json_is_string(v))
			copy_name(p->off_syscall, v);
	}
}

static void read_lock(struct diag_lock *l, json_t *o)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));

	l->addr = jaddr(o, "addr");
	l->async = kind && !strcmp(kind, "async");
	l->acquisitions = jint(o, "acquisitions");
	l->contended = jint(o, "contended");
	l->hold_ns = jint(o, "hold_ns");
	l->held_running_ns = jint(o, "held_running_ns");
	l->held_suspended_ns = jint(o, "held_suspended_ns");
	/* the kernel's view of a sync holder; unknown (0) for async */
	if (!l->async) {
		l->hold_rq_ns = jint(o, "hold_rq_ns");
		l->hold_on_cpu_ns = jint(o, "hold_on_cpu_ns");
	}
	l->hold_p99_ns = jint(o, "hold_p99");	/* capped by max */
	l->wait_ns = jint(o, "wait_ns");
	l->wait_p99_ns = jint(o, "wait_p99");
}

/* Most wait first; a whole run has no idle lock, an interval may. */
static void read_locks(struct diag_input *in, json_t *rt)
{
	struct diag_runtime *r = &in->rt;
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(rt, "locks"), i, o) {
		if (!jint(o, "acquisitions") && !jint(o, "hold_ns"))
			continue;
		if (r->nlocks == DIAG_MAX_LOCKS) {
			in->truncated = true;
			break;
		}
		read_lock(&r->locks[r->nlocks++], o);
	}
}

/* The "runtime" object: has_runtime, nworkers, rt.  null: the kernel tier
 * alone.  0 or -EINVAL, *why set. */
static int read_runtime(struct diag_input *in, json_t *rt, const char **why)
{
	struct diag_runtime *r = &in->rt;
	json_t *workers = json_object_get(rt, "workers"), *timers, *pool;

	if (!rt || json_is_null(rt))
		return 0;
	if (!json_is_object(rt) || !json_is_array(workers)) {
		*why = NOT_OBSERVE "runtime is neither null nor an object "
		       "with workers";
		return -EINVAL;
	}
	in->has_runtime = true;
	in->nworkers = (unsigned int)json_array_size(workers);
	read_polls(r, rt);

	timers = json_object_get(rt, "timers");
	r->timer_fires = jint(timers, "fires");
	r->timer_late_max_ns = jint(timers, "late_max");
	/* fill_runtime caps by the max even when it is 0; the JSON only
	 * when it is known */
	r->timer_late_p50_ns = min_u64(jint(timers, "late_p50"),
				       r->timer_late_max_ns);
	r->timer_late_p99_ns = min_u64(jint(timers, "late_p99"),
				       r->timer_late_max_ns);
	read_locks(in, rt);

	pool = json_object_get(rt, "blocking_pool");
	r->blocking_jobs = jint(pool, "jobs");
	r->blocking_queue_max_ns = jint(pool, "queue_max");
	r->blocking_queue_p99_ns = min_u64(jint(pool, "queue_p99"),
					   r->blocking_queue_max_ns);
	return 0;
}

/* ---- entry points -------------------------------------------------------- */

static int fill(struct diag_input *in, json_t *root, bool with_runtime,
		const char **why)
{
	int err;

	if (!in)
		return -EINVAL;
	memset(in, 0, sizeof(*in));
	err = read_kernel(in, root, why);
	if (!err && with_runtime)
		err = read_runtime(in, json_object_get(root, "runtime"), why);
	return err;
}

int diag_json_fill(struct diag_input *in, json_t *root, bool with_runtime)
{
	const char *why;

	return fill(in, root, with_runtime, &why);
}

int diag_json_load(const char *path, struct diag_input *in, char *err,
		   size_t errlen)
{
	const char *why = "";
	json_error_t jerr;
	json_t *root;
	FILE *f;
	int ret;

	if (errlen)
		err[0] = '\0';
	/* opened here, not by jansson: its errno is the file's */
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	errno = 0;
	root = json_loadf(f, 0, &jerr);
	ret = !root && ferror(f) ? -(errno ? errno : EIO) : 0;
	fclose(f);
	if (ret) {
		snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	if (!root) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	ret = fill(in, root, true, &why);
	if (ret)
		snprintf(err, errlen, "%s", why);
	json_decref(root);
	return ret;
}
