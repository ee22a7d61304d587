// SPDX-License-Identifier: MIT
/*
 * json.c - the observe JSON document, v1 (docs/observe-json.md), built with
 * jansson.  Every time is an integer of ns; addresses are "0x..." strings.
 * A consumer only: the verdict is the one the analysis stage stored.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "common/hist.h"
#include "common/syscalls.h"
#include "output/json.h"
#include "analysis/host.h"
#include "output/timeline.h"
#include "output/verdict.h"

#define JSON_VERSION 1

static json_t *jint(uint64_t v)
{
	/* counters are far below 2^63; clamp rather than wrap negative */
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *jaddr(uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

static json_t *jcomm(const char *comm)
{
	char buf[OBS_COMM_LEN + 1];
	size_t n = strnlen(comm, OBS_COMM_LEN);

	memcpy(buf, comm, n);
	buf[n] = '\0';
	/* comm is any bytes; jansson wants UTF-8 */
	return json_string(buf) ?: json_string("?");
}

/* [{lo, hi, count}] up to the highest non-empty slot of a log2-us hist. */
static json_t *hist_json(const __u64 *hist, unsigned int nslots)
{
	json_t *arr = json_array();
	int top = obs_hist_top(hist, nslots), i;

	for (i = 0; i <= top; i++)
		json_array_append_new(arr, json_pack("{s:o,s:o,s:o}",
			"lo", jint(obs_hist_lo_ns(i)), "hi", jint(obs_hist_hi_ns(i)),
			"count", jint(hist[i])));
	return arr;
}

static json_t *thread_json(const struct obs_thread_view *tv)
{
	const struct obs_thread *k = &tv->k;
	json_t *by_sys = json_object();
	int i;

	for (i = 0; i < OBS_SYS__COUNT; i++)
		if (k->off_by_sys[i])
			json_object_set_new(by_sys, obs_sys_class_name(i),
					    jint(k->off_by_sys[i]));
	__u64 wk_hist[OBS_MAX_SLOTS];
	uint64_t pre_count = 0;

	for (i = 0; i < OBS_MAX_SLOTS; i++) {
		/* the wakeup histogram is all minus the preemption one */
		wk_hist[i] = k->rq_hist[i] >= k->rq_hist_preempt[i] ?
			     k->rq_hist[i] - k->rq_hist_preempt[i] : 0;
		pre_count += k->rq_hist_preempt[i];
	}
	return json_pack("{s:I,s:I,s:o,s:s,s:s,s:b,s:I,s:o,s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
			 "s:o,s:o,s:o,s:o},s:o,s:{s:o,s:o},s:o,s:o,"
			 "s:{s:o,s:o,s:o,s:o,s:o}}",
		"tid", (json_int_t)k->tid, "pid", (json_int_t)k->tgid,
		"comm", jcomm(k->comm), "role", obs_role_name(tv->role),
		"role_by", obs_role_by_name(tv->role_by),
		"exited", (int)!!k->exited, "folded", (json_int_t)tv->folded,
		"on_cpu_ns", jint(k->on_cpu_ns),
		"rq_delay_ns",
		"total", jint(k->rq_total_ns), "wakeup", jint(k->rq_wakeup_ns),
		"preempt", jint(k->rq_preempt_ns), "count", jint(k->rq_count),
		"p50", jint(obs_hist_percentile(k->rq_hist, OBS_MAX_SLOTS, 50)),
		"p99", jint(obs_hist_percentile(k->rq_hist, OBS_MAX_SLOTS, 99)),
		"max", jint(k->rq_max_ns),
		"wakeup_count", jint(k->rq_count >= pre_count ?
				     k->rq_count - pre_count : 0),
		"preempt_count", jint(pre_count),
		"wakeup_p99", jint(obs_hist_percentile(wk_hist, OBS_MAX_SLOTS, 99)),
		"preempt_p99", jint(obs_hist_percentile(k->rq_hist_preempt,
							OBS_MAX_SLOTS, 99)),
		"rq_hist", hist_json(k->rq_hist, OBS_MAX_SLOTS),
		"off_cpu_ns", "total", jint(k->off_cpu_ns), "by_syscall", by_sys,
		"futex_waits", jint(k->futex_waits),
		"futex_wait_ns", jint(k->futex_wait_ns),
		"cpu_runs", "short", jint(k->run.runs_short),
			"long", jint(k->cpu_runs_long),
			"long_ns", jint(k->cpu_run_long_ns),
			"max_ns", jint(k->cpu_run_max_ns),
			"hist", hist_json(k->cpu_run_hist, OBS_MAX_SLOTS));
}

/* notable[].kind: the contract's names (analysis/diag_json.c reads them) */
static const char *event_kind_name(__u32 kind)
{
	return kind == OBS_EV_OFF_CPU ? "off_cpu" :
	       kind == OBS_EV_CPU_RUN ? "cpu_run" : "rq_delay";
}

/* Per role: the sums of s, or what they gained since prev (NULL: none). */
static json_t *roles_json(const struct obs_snapshot *s,
			  const struct obs_snapshot *prev)
{
	static const struct obs_role_sum zero;
	json_t *obj = json_object();
	int r;

	for (r = 0; r < OBS_ROLE__COUNT; r++) {
		const struct obs_role_sum *rs = &s->roles[r];
		const struct obs_role_sum *p = prev ? &prev->roles[r] : &zero;

		json_object_set_new(obj, obs_role_name(r), json_pack(
			"{s:I,s:o,s:o,s:o,s:o,s:o}", "threads", (json_int_t)rs->threads,
			"on_cpu_ns", jint(rs->on_cpu_ns - p->on_cpu_ns),
			"rq_delay_ns", jint(rs->rq_delay_ns - p->rq_delay_ns),
			"rq_count", jint(rs->rq_count - p->rq_count),
			"off_cpu_ns", jint(rs->off_cpu_ns - p->off_cpu_ns),
			"futex_wait_ns", jint(rs->futex_wait_ns - p->futex_wait_ns)));
	}
	return obj;
}

static int cmp_pair_desc(const void *a, const void *b)
{
	const struct obs_pair_view *const *x = a, *const *y = b;

	if ((*x)->v.ns != (*y)->v.ns)
		return (*x)->v.ns < (*y)->v.ns ? 1 : -1;
	if ((*x)->v.count != (*y)->v.count)
		return (*x)->v.count < (*y)->v.count ? 1 : -1;
	return ((*x)->key.tid > (*y)->key.tid) - ((*x)->key.tid < (*y)->key.tid);
}

static json_t *futex_json(const struct obs_snapshot *s)
{
	const struct obs_pair_view **sel;
	json_t *arr = json_array();
	size_t i, j, n;

	sel = calloc(s->npairs ? s->npairs : 1, sizeof(*sel));
	if (!sel)
		return arr;
	for (i = 0; i < s->nfutexes && i < OBS_TOP_FUTEX; i++) {
		const struct obs_futex_view *fx = &s->futexes[i];
		json_t *waiters = json_array(), *wakers = json_array();

		for (int kind = OBS_PAIR_WAITER; kind <= OBS_PAIR_WAKER; kind++) {
			n = 0;
			for (j = 0; j < s->npairs; j++) {
				const struct obs_pair_view *p = &s->pairs[j];

				if (p->key.kind == (__u32)kind &&
				    p->key.tgid == fx->key.tgid &&
				    p->key.uaddr == fx->key.uaddr)
					sel[n++] = p;
			}
			qsort(sel, n, sizeof(*sel), cmp_pair_desc);
			for (j = 0; j < n; j++) {
				const struct obs_pair_view *p = sel[j];

				if (kind == OBS_PAIR_WAITER)
					json_array_append_new(waiters, json_pack(
						"{s:I,s:o,s:o,s:o,s:o,s:o}",
						"tid", (json_int_t)p->key.tid,
						"comm", jcomm(obs_snapshot_comm(s, p->key.tid)),
						"waits", jint(p->v.count),
						"wait_ns", jint(p->v.ns),
						"max_ns", jint(p->v.max_ns),
						"rq_after_wake_ns", jint(p->v.rq_ns)));
				else
					json_array_append_new(wakers, json_pack(
						"{s:I,s:o,s:o}",
						"tid", (json_int_t)p->key.tid,
						"comm", jcomm(obs_snapshot_comm(s, p->key.tid)),
						"wakes", jint(p->v.count)));
			}
		}
		json_array_append_new(arr, json_pack(
			"{s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o}",
			"uaddr", jaddr(fx->key.uaddr),
			"pid", (json_int_t)fx->key.tgid,
			"waits", jint(fx->v.waits), "wait_ns", jint(fx->v.wait_ns),
			"max_ns", jint(fx->v.max_ns),
			"rq_after_wake_ns", jint(fx->v.rq_ns),
			"waiters", waiters, "wakers", wakers));
	}
	free(sel);
	return arr;
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* An unwound frame: what re-symbolizing elsewhere needs (build_id and
 * offset), and what was resolved here. */
static json_t *frame_json(const struct obs_frame *f)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		"pc", jaddr(f->pc), "sym", jstr_or_null(f->sym),
		"module", jstr_or_null(f->module),
		"build_id", jstr_or_null(f->build_id),
		"offset", jaddr(f->offset), "file", jstr_or_null(f->file),
		"line", f->file ? json_integer(f->line) : json_null());
}

/* The DWARF-unwound stack of a span: frames[], site (stacks/callsite.h),
 * and why the unwind stopped early, if it did. */
static void add_unwound(json_t *item, const struct obs_ustack_frames *uf)
{
	json_t *frames = json_array();

	for (int j = 0; j < uf->nframes; j++)
		json_array_append_new(frames, frame_json(&uf->frames[j]));
	json_object_set_new(item, "frames", frames);
	json_object_set_new(item, "site", json_string(uf->site));
	if (uf->why)
		json_object_set_new(item, "unwind_stopped", json_string(uf->why));
}

static json_t *notable_json(const struct obs_run *run)
{
	const struct obs_notables *nb = run->notables;
	const struct obs_ustacks *us = run->ustacks;
	json_t *arr = json_array(), *stack, *item;
	size_t i;
	unsigned int j;

	if (!nb)
		return arr;
	for (i = 0; i < nb->n; i++) {
		const struct obs_notable *n = &nb->items[i];
		const struct obs_ustack_frames *uf =
			us ? obs_ustacks_find(us, n->ev.ustack_copy) : NULL;

		stack = json_array();
		for (j = 0; j < n->nframes; j++)
			json_array_append_new(stack, jaddr(n->ustack[j]));
		item = json_pack("{s:I,s:I,s:s,s:o,s:s,s:o}",
			"tid", (json_int_t)n->ev.tid, "pid", (json_int_t)n->ev.tgid,
			"kind", event_kind_name(n->ev.kind),
			"ns", jint(n->ev.ns),
			"syscall", obs_sys_class_name(n->ev.sys_class),
			"ustack", stack);
		if (item && n->ev.uaddr)
			json_object_set_new(item, "uaddr", jaddr(n->ev.uaddr));
		if (item && n->ev.end_ns)	/* its start, from the run's */
			json_object_set_new(item, "t_ns", json_integer(
				obs_timeline_t(run, n->ev.end_ns - n->ev.ns)));
		if (item && uf && uf->nframes)
			add_unwound(item, uf);
		json_array_append_new(arr, item);
	}
	return arr;
}

/* ---- runtime tier ------------------------------------------------------------ */

/* A percentile as JSON: a log2 slot bound, capped by the largest value
 * seen when known. */
static json_t *jpctl(const __u64 *hist, unsigned int nslots, double pct,
		       uint64_t max)
{
	return jint(obs_hist_percentile_max(hist, nslots, pct, max));
}

static json_t *by_sys_json(const __u64 *by_sys)
{
	json_t *o = json_object();

	for (int i = 0; i < OBS_SYS__COUNT; i++)
		if (by_sys[i])
			json_object_set_new(o, obs_sys_class_name(i),
					    jint(by_sys[i]));
	return o;
}

/* A counter, or null when the tier does not measure it. */
static json_t *jint_if(bool measured, uint64_t v)
{
	return measured ? jint(v) : json_null();
}

static json_t *rt_worker_json(const struct obs_rt_worker *w, bool parks)
{
	const struct rt_probe_worker *r = &w->rec;

	return json_pack("{s:I,s:I,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
			 "s:o,s:o,s:o,s:o,s:o}",
		"tid", (json_int_t)w->tid, "worker_idx", (json_int_t)w->idx,
		"comm", jcomm(w->comm), "has_record", w->has_record,
		"polls", jint(r->polls), "poll_ns", jint(r->poll_ns),
		"parked_ns", jint_if(parks, r->parked_ns),
		"parks", jint_if(parks, r->parks),
		"polls_over_1ms", jint(w->slow.slow),
		"polls_over_10ms", jint(w->slow.over_10ms),
		"poll_p99", jpctl(r->poll_hist, RT_PROBE_HIST_SLOTS, 99, 0),
		"poll_hist", hist_json(r->poll_hist, RT_PROBE_HIST_SLOTS),
		"sched_count", jint(r->sched_count),
		"sched_p99", jpctl(r->sched_hist, RT_PROBE_HIST_SLOTS, 99, 0),
		"timer_fires", jint(r->timer_fires),
		"timer_late_p99", jpctl(r->timer_late_hist, RT_PROBE_HIST_SLOTS,
					  99, r->timer_late_max_ns),
		"timer_late_max", jint(r->timer_late_max_ns));
}

static json_t *rt_poll_json(const struct obs_poll_event *e)
{
	return json_pack("{s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:s?,s:o}",
		"task_id", jint(e->task_id), "tid", (json_int_t)e->tid,
		"start_ns", jint(e->start_ns), "ns", jint(e->ns),
		"on_cpu_ns", jint(e->on_cpu_ns), "rq_ns", jint(e->rq_ns),
		"off_cpu_ns", jint(e->off_cpu_ns),
		"off_syscall", e->off_cpu_ns ? obs_sys_class_name(e->off_class) :
					       NULL,
		"off_syscall_ns", jint(e->off_class_ns));
}

static json_t *rt_lock_json(const struct obs_lock_view *lv)
{
	const struct obs_lock *l = &lv->v;
	uint64_t run_ns = l->held_running_ns < l->hold_ns ? l->held_running_ns :
							   l->hold_ns;

	return json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
			 "s:o,s:o}",
		"addr", jaddr(lv->key.addr), "kind", l->async ? "async" : "sync",
		"acquisitions", jint(l->acquisitions),
		"contended", jint(l->contended), "wait_ns", jint(l->wait_ns),
		"wait_p99", jpctl(l->wait_hist, OBS_MAX_SLOTS, 99, l->wait_max_ns),
		"wait_max", jint(l->wait_max_ns), "hold_ns", jint(l->hold_ns),
		"hold_p99", jpctl(l->hold_hist, OBS_MAX_SLOTS, 99, l->hold_max_ns),
		"hold_max", jint(l->hold_max_ns),
		"held_running_ns", jint(run_ns),
		"held_suspended_ns", jint(l->hold_ns - run_ns),
		"hold_rq_ns", jint(l->hold_rq_ns),
		"hold_off_ns", jint(l->hold_off_ns),
		"hold_on_cpu_ns", l->async ? json_null() :
			jint(l->hold_ns > l->hold_rq_ns + l->hold_off_ns ?
			     l->hold_ns - l->hold_rq_ns - l->hold_off_ns : 0));
}

/* "runtime": the runtime tier's figures (docs/observe-json.md), or null. */
static json_t *runtime_json(const struct obs_run *run)
{
	const struct obs_rt_snapshot *rs = run->rt;
	const struct obs_blocking *bl;
	json_t *workers, *longest, *locks;
	struct obs_rt_sum sum;
	size_t i;

	if (!rs)
		return json_null();
	obs_rt_sum(rs, &sum);
	bl = &rs->blocking;
	workers = json_array();
	for (i = 0; i < rs->nworkers; i++)
		json_array_append_new(workers, rt_worker_json(&rs->workers[i],
							     rs->tier.parks_measured));
	longest = json_array();
	for (i = 0; run->longest && i < run->longest->n; i++)
		json_array_append_new(longest,
				      rt_poll_json(&run->longest->items[i]));
	locks = json_array();
	for (i = 0; i < rs->nlocks && i < OBS_TOP_FUTEX; i++)
		json_array_append_new(locks, rt_lock_json(&rs->locks[i]));

	return json_pack("{s:s,s:s,s:f,s:o,s:i,s:o,s:i,s:s,s:o,s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
			 "s:{s:o,s:o,s:o,s:o}},s:o,s:o,s:o,s:{s:o,s:o,s:o,s:o,s:o},"
			 "s:{s:o,s:o,s:o,s:o,s:o},s:o,s:{s:o,s:o,s:o,s:o,s:o}}",
		"kind", rs->tier.kind ? rs->tier.kind : "?",
		"mode", rs->tier.mode ? rs->tier.mode : "",
		"coverage", rs->tier.coverage,
		"probe_hits", jint(rs->tier.probe_hits),
		"probes_attached", (int)rs->tier.nprobes,
		"attach_ns", jint(rs->tier.attach_ns),
		"roles_untold", (int)rs->tier.roles_untold,
		"binary", run->rt_binary ? run->rt_binary : "",
		"workers", workers,
		"polls", "count", jint(sum.polls), "ns", jint(sum.poll_ns),
		"p50", jpctl(sum.poll_hist, RT_PROBE_HIST_SLOTS, 50, 0),
		"p99", jpctl(sum.poll_hist, RT_PROBE_HIST_SLOTS, 99, 0),
		"over_1ms", jint(sum.slow.slow),
		"over_1ms_ns", jint(sum.slow.slow_ns),
		"over_10ms", jint(sum.slow.over_10ms),
		"over_10ms_ns", jint(sum.slow.over_10ms_ns),
		"hist", hist_json(sum.poll_hist, RT_PROBE_HIST_SLOTS),
		"slow_attribution", "on_cpu_ns", jint(sum.slow.on_cpu_ns),
		"rq_ns", jint(sum.slow.rq_ns),
		"off_cpu_ns", jint(sum.slow.off_cpu_ns),
		"off_by_syscall", by_sys_json(sum.slow.off_by_sys),
		"longest_polls", longest,
		"longest_polls_seen", jint(run->longest ? run->longest->seen : 0),
		"parked_ns", jint_if(rs->tier.parks_measured, sum.parked_ns),
		"sched_delay", "count", jint(sum.sched_count),
		"ns", jint(sum.sched_ns),
		"p50", jpctl(sum.sched_hist, RT_PROBE_HIST_SLOTS, 50, 0),
		"p99", jpctl(sum.sched_hist, RT_PROBE_HIST_SLOTS, 99, 0),
		"over_1ms", jint(sum.slow.slow_schedules),
		"timers", "fires", jint(sum.timer_fires),
		"late_ns", jint(sum.timer_late_ns),
		"late_p50", jpctl(sum.timer_late_hist, RT_PROBE_HIST_SLOTS, 50,
				    sum.timer_late_max_ns),
		"late_p99", jpctl(sum.timer_late_hist, RT_PROBE_HIST_SLOTS, 99,
				    sum.timer_late_max_ns),
		"late_max", jint(sum.timer_late_max_ns),
		"locks", locks,
		"blocking_pool", "jobs", jint(bl->jobs),
		"queue_ns", jint(bl->queue_ns),
		"queue_p50", jpctl(bl->queue_hist, OBS_MAX_SLOTS, 50,
				     bl->queue_max_ns),
		"queue_p99", jpctl(bl->queue_hist, OBS_MAX_SLOTS, 99,
				     bl->queue_max_ns),
		"queue_max", jint(bl->queue_max_ns));
}

/*
 * verdict, findings[], notes[] (output/verdict.h) as the analysis stage
 * found them, and the CPU count it used, so that the document alone
 * reproduces the verdict (observe --diagnose).  0 or -errno.
 */
static int verdict_json(json_t *root, const struct obs_run *run)
{
	json_t *dj;
	int err;

	if (run->diag_err)
		return run->diag_err;
	dj = obs_verdict_json(&run->diag);
	err = dj && !json_object_update(root, dj) ? 0 : -ENOMEM;
	json_decref(dj);
	if (!err && json_object_set_new(root, "ncpus",
					json_integer(run->ncpus)))
		err = -ENOMEM;
	return err;
}

/* What observing cost (tiers/cost.h); null where nothing was measured. */
static json_t *cost_json(const struct obs_cost_result *c)
{
	json_t *progs, *shed;

	if (!c)
		return json_null();
	progs = json_array();
	for (int i = 0; i < c->nprogs; i++)
		json_array_append_new(progs, json_pack("{s:s,s:f,s:f,s:o}",
			"name", c->progs[i].name,
			"runs_per_s", round(c->progs[i].runs_per_s),
			"ns_per_run", round(c->progs[i].ns_per_run),
			"missed_runs", jint(c->progs[i].misses)));
	shed = json_array();
	for (int i = 0; i < c->nshed; i++)
		json_array_append_new(shed, json_pack("{s:s,s:f,s:f}",
			"what", c->shed[i].what,
			"at_s", round(c->shed[i].at_s * 1e3) / 1e3,
			"cpu_pct", round(c->shed[i].cpu * 1e5) / 1e3));
	return json_pack("{s:o,s:f,s:f,s:f,s:o,s:o,s:o,s:o,s:b}",
		"bpf_cpu_pct", c->measured ?
			json_real(round(c->bpf_cpu * 1e5) / 1e3) : json_null(),
		"observe_cpu_pct", round(c->self_cpu * 1e5) / 1e3,
		"bpf_measured_s", round(c->measured_s * 1e3) / 1e3,
		"wall_s", round(c->wall_s * 1e3) / 1e3,
		"missed_runs", jint(c->misses), "programs", progs,
		"budget_pct", c->budget ? json_real(c->budget * 100) : json_null(),
		"shed", shed, "over_budget", (int)c->over);
}

/* The run's document; NULL on allocation failure or without a verdict
 * (run->diag_err). */
static json_t *run_json(const struct obs_run *run)
{
	const struct obs_snapshot *s = run->snap;
	json_t *root, *argv, *threads;
	size_t i;
	int k;

	argv = json_array();
	for (k = 0; k < run->argc; k++)
		json_array_append_new(argv, json_string(run->argv[k]) ?:
				      json_string("?"));
	threads = json_array();
	for (i = 0; i < s->nthreads; i++)
		json_array_append_new(threads, thread_json(&s->threads[i]));

	root = json_pack("{s:i,s:{s:I,s:o,s:s,s:o},s:s,s:f,s:o,"
			 "s:{s:o,s:o,s:o,s:o},s:o,s:o,s:o,s:o}",
		"version", JSON_VERSION,
		"target", "pid", (json_int_t)run->pid, "comm", jcomm(run->comm),
		"mode", run->launched ? "launch" : "attach", "argv", argv,
		"kernel", run->kernel,
		"duration_s", run->duration_s,
		"exit_status", run->has_exit ? json_integer(run->exit_status) :
					      json_null(),
		"drops", "ringbuf", jint(s->drops[OBS_DROP_RINGBUF]),
		"threads_full", jint(s->drops[OBS_DROP_THREADS]),
		"futex_full", jint(s->drops[OBS_DROP_FUTEX]),
		"other_full", jint(s->drops[OBS_DROP_OTHER]),
		"threads", threads, "roles", roles_json(s, NULL),
		"futex", futex_json(s), "notable", notable_json(run));
	if (!root)
		return NULL;
	json_object_set_new(root, "diagnostics", json_pack("{s:o,s:o,s:o,s:o}",
			    "missed_wakeups", jint(s->missed_wakeups),
			    "ustack_copies_lost", jint(s->ustack_lost),
			    "ustacks_not_kept", jint(run->ustacks ?
						     run->ustacks->dropped : 0),
			    "notable_seen", jint(run->notables ?
						 run->notables->seen : 0)));
	json_object_set_new(root, "runtime", runtime_json(run));
	json_object_set_new(root, "cost", cost_json(run->cost));
	json_object_set_new(root, "timeline", obs_timeline_json(run));
	if (verdict_json(root, run)) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Writes j (its reference taken) as the document, or as one JSON Lines
 * line; 0 or -errno. */
static int dump(FILE *f, json_t *j, bool one_line)
{
	int err = 0;

	if (!j)
		return -ENOMEM;
	/* reals are rounded (duration_s to ms by the run, confidence to 2
	 * decimals): 10 digits print them as such, not as
	 * 0.90000000000000002 */
	if (json_dumpf(j, f, (one_line ? JSON_COMPACT : JSON_INDENT(2)) |
			     JSON_REAL_PRECISION(10)) ||
	    fputc('\n', f) == EOF || fflush(f))
		err = -EIO;
	json_decref(j);
	return err;
}

int obs_json_print(FILE *f, const struct obs_run *run, bool one_line)
{
	if (run->diag_err)
		return run->diag_err;
	return dump(f, run_json(run), one_line);
}

/* The interval's verdict: {verdict, findings, notes} or null. */
static json_t *ivl_verdict_json(int diag_err, const struct diag_result *d)
{
	json_t *j = diag_err ? NULL : obs_verdict_json(d);

	return j ? j : json_null();
}

/* The futex address with most wait in the interval, or null. */
static json_t *futex_top_json(const struct obs_snapshot *cur,
			      const struct obs_snapshot *prev)
{
	uint64_t best_ns, best_waits;
	const struct obs_futex_view *best =
		obs_snapshot_top_futex(cur, prev, &best_ns, &best_waits);

	if (!best)
		return json_null();
	return json_pack("{s:I,s:o,s:o,s:o}", "tgid", (json_int_t)best->key.tgid,
			 "uaddr", jaddr(best->key.uaddr), "waits", jint(best_waits),
			 "wait_ns", jint(best_ns));
}

int obs_json_interval_line(FILE *f, const struct obs_interval *ivl)
{
	return dump(f, json_pack("{s:s,s:f,s:f,s:o,s:o,s:o}", "type", "interval",
		"t_s", round(ivl->t_s * 1e3) / 1e3,
		"dt_s", round(ivl->dt_s * 1e3) / 1e3,
		"roles", roles_json(ivl->cur, ivl->prev),
		"futex_top", futex_top_json(ivl->cur, ivl->prev),
		"diagnosis", ivl_verdict_json(ivl->diag_err, &ivl->diag)), true);
}

/* ---- several processes (analysis/host.h) ---------------------------------- */

/* One ranked process: who, its runtime tier (null: none), its roles' sums
 * (since prev, NULL: the run) and its verdict (null: no workers, or
 * none). */
static json_t *process_json(const struct obs_process *p, size_t rank,
			    const struct obs_snapshot *prev, bool interval)
{
	const struct diag_result *d = obs_process_diag(p, interval);
	json_t *v = d ? obs_verdict_json(d) : NULL;

	return json_pack("{s:I,s:I,s:o,s:b,s:I,s:I,s:o,s:o,s:o}",
		"rank", (json_int_t)rank, "pid", (json_int_t)p->tgid,
		"comm", jcomm(p->comm), "alive", p->alive,
		"threads", (json_int_t)p->snap.nthreads,
		"workers", (json_int_t)obs_process_workers(p),
		"runtime", jstr_or_null(p->rt ? p->rt->tier.kind : NULL),
		"roles", roles_json(&p->snap, prev),
		"diagnosis", v ? v : json_null());
}

/* The top of h's ranking; interval: by the interval's verdicts. */
static json_t *ranked_json(const struct obs_host *h, unsigned long top,
			   bool interval)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < h->n && i < top; i++) {
		const struct obs_process *p = h->rank[i];

		json_array_append_new(arr, process_json(p, i + 1,
			interval ? p->ivl.prev : NULL, interval));
	}
	return arr;
}

int obs_json_host_interval_line(FILE *f, const struct obs_host *h, double t_s,
				double dt_s, unsigned long top)
{
	return dump(f, json_pack("{s:s,s:f,s:f,s:I,s:o}", "type", "interval",
		"t_s", round(t_s * 1e3) / 1e3, "dt_s", round(dt_s * 1e3) / 1e3,
		"processes_seen", (json_int_t)h->n,
		"processes", ranked_json(h, top, true)), true);
}

/* The scope: how the processes were chosen. */
static json_t *scope_json(const struct obs_run *run)
{
	return json_pack("{s:s,s:o,s:o}", "kind", run->scope,
		"cgroup", jstr_or_null(run->cgroup),
		"processes_not_followed", jint(run->not_followed));
}

int obs_json_host_print(FILE *f, const struct obs_run *run,
			const struct obs_host *h, bool one_line)
{
	const struct obs_snapshot *s = run->snap;
	json_t *root, *detail = json_array();

	/* the whole document of the worst few with a verdict */
	for (size_t i = 0, n = 0; i < h->n && n < OBS_HOST_DETAIL; i++) {
		json_t *j = h->rank[i]->run.diag_err || !obs_process_workers(h->rank[i]) ?
			    NULL : run_json(&h->rank[i]->run);

		if (j && !json_array_append_new(detail, j))
			n++;
	}
	root = json_pack("{s:i,s:s,s:o,s:s,s:f,s:{s:o,s:o,s:o,s:o},"
			 "s:o,s:o,s:I,s:o,s:o,s:o}",
		"version", JSON_VERSION, "type", "host", "scope", scope_json(run),
		"kernel", run->kernel, "duration_s", run->duration_s,
		"drops", "ringbuf", jint(s->drops[OBS_DROP_RINGBUF]),
		"threads_full", jint(s->drops[OBS_DROP_THREADS]),
		"futex_full", jint(s->drops[OBS_DROP_FUTEX]),
		"other_full", jint(s->drops[OBS_DROP_OTHER]),
		"threads_seen", jint(obs_snapshot_threads_seen(s)),
		"threads_exited", jint(obs_snapshot_threads_exited(s)),
		"processes_seen", (json_int_t)h->n,
		"processes", ranked_json(h, run->top, false),
		"detail", detail, "cost", cost_json(run->cost));
	return dump(f, root, one_line);
}
