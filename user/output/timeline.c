// SPDX-License-Identifier: MIT
/*
 * timeline.c - the "timeline" of the JSON document (timeline.h).
 *
 * Invariant: a span is listed once.  A notable span ends at the same bpf
 * clock read as its collected twin (bpf/observe.bpf.c passes one `now` to
 * both), so they are matched exactly on (tid, kind, end).
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "common/syscalls.h"
#include "output/timeline.h"

struct tl_item {
	int64_t t;		/* start, from the run's start */
	uint64_t end;		/* bpf clock */
	uint32_t tid, kind;	/* obs_span_kind; 0: not a kernel span */
	json_t *j;
};

struct tl {
	const struct obs_run *run;
	struct tl_item *items;
	size_t n, cap;
	size_t npolls;
	int err;
};

static const char *const span_kind_names[OBS_SPAN__COUNT] = {
	[OBS_SPAN_POLL] = "poll",
	[OBS_SPAN_OFF_CPU] = "off_cpu",
	[OBS_SPAN_RQ] = "rq_delay",
	[OBS_SPAN_LOCK_HOLD] = "lock_hold",
	[OBS_SPAN_LOCK_WAIT] = "lock_wait",
	[OBS_SPAN_TIMER] = "timer_late",
	[OBS_SPAN_LATE_WAKE] = "late_wake",
};

int64_t obs_timeline_t(const struct obs_run *run, uint64_t ns)
{
	uint64_t start = run->spans ? run->spans->start_ns : 0;

	return (int64_t)(ns - start);
}

static json_t *jhex(uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

static void add(struct tl *tl, int64_t t, uint64_t end, uint32_t tid,
		uint32_t kind, json_t *j)
{
	struct tl_item *p;

	if (!j) {
		tl->err = -1;
		return;
	}
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? 2 * tl->cap : 1024;

		p = realloc(tl->items, cap * sizeof(*p));
		if (!p) {
			json_decref(j);
			tl->err = -1;
			return;
		}
		tl->items = p;
		tl->cap = cap;
	}
	tl->items[tl->n++] = (struct tl_item){ t, end, tid, kind, j };
}

/* The fields each kind has beyond kind, tid, t_ns and ns. */
static void span_fields(json_t *o, const struct obs_span *e)
{
	switch (e->kind) {
	case OBS_SPAN_POLL:
		json_object_set_new(o, "task_id", json_integer(e->id));
		json_object_set_new(o, "ready", json_boolean(e->aux));
		break;
	case OBS_SPAN_OFF_CPU:
		json_object_set_new(o, "syscall", json_string(
			obs_sys_class_name(e->sys_class)));
		if (e->id)
			json_object_set_new(o, "uaddr", jhex(e->id));
		break;
	case OBS_SPAN_LOCK_HOLD:
		/* async: the part of the hold the holder was in a poll */
		if (e->async)
			json_object_set_new(o, "running_ns",
					    json_integer(e->aux < e->ns ?
							 e->aux : e->ns));
		/* fall through */
	case OBS_SPAN_LOCK_WAIT:
		json_object_set_new(o, "addr", jhex(e->id));
		json_object_set_new(o, "lock", json_string(e->async ? "async" :
							  "sync"));
		break;
	case OBS_SPAN_TIMER:
	case OBS_SPAN_LATE_WAKE:
		json_object_set_new(o, "task_id", json_integer(e->id));
		break;
	}
}

static void add_span(const struct obs_span *e, void *ctx)
{
	struct tl *tl = ctx;
	json_t *o;

	if (e->kind >= OBS_SPAN__COUNT || !span_kind_names[e->kind])
		return;
	o = json_pack("{s:s,s:I,s:I,s:I}", "kind", span_kind_names[e->kind],
		      "tid", (json_int_t)e->tid,
		      "t_ns", (json_int_t)obs_timeline_t(tl->run, e->start_ns),
		      "ns", (json_int_t)e->ns);
	if (o)
		span_fields(o, e);
	tl->npolls += e->kind == OBS_SPAN_POLL;
	add(tl, obs_timeline_t(tl->run, e->start_ns), e->start_ns + e->ns,
	    e->tid, e->kind, o);
}

static uint32_t span_kind_of(uint32_t ev_kind)
{
	return ev_kind == OBS_EV_OFF_CPU ? OBS_SPAN_OFF_CPU :
	       ev_kind == OBS_EV_RQ_DELAY ? OBS_SPAN_RQ : 0;
}

/* The collected twin of a notable span among the first n items, or NULL. */
static struct tl_item *twin(struct tl *tl, const struct obs_event *ev,
			    size_t n)
{
	uint32_t kind = span_kind_of(ev->kind);

	for (size_t i = 0; kind && i < n; i++)
		if (tl->items[i].kind == kind && tl->items[i].tid == ev->tid &&
		    tl->items[i].end == ev->end_ns)
			return &tl->items[i];
	return NULL;
}

/* A notable span that was not collected, as a span of its own. */
static json_t *notable_span(const struct obs_run *run,
			    const struct obs_event *ev)
{
	json_t *o = json_pack("{s:s,s:I,s:I,s:I}", "kind",
		ev->kind == OBS_EV_OFF_CPU ? "off_cpu" :
		ev->kind == OBS_EV_CPU_RUN ? "cpu_run" : "rq_delay",
		"tid", (json_int_t)ev->tid,
		"t_ns", (json_int_t)obs_timeline_t(run, ev->end_ns - ev->ns),
		"ns", (json_int_t)ev->ns);

	if (o && ev->kind == OBS_EV_OFF_CPU)
		json_object_set_new(o, "syscall", json_string(
			obs_sys_class_name(ev->sys_class)));
	if (o && ev->uaddr)
		json_object_set_new(o, "uaddr", jhex(ev->uaddr));
	return o;
}

/* The notable spans: their sites on their collected twins, or added. */
static void add_notables(struct tl *tl)
{
	const struct obs_run *run = tl->run;
	const struct obs_notables *nb = run->notables;
	size_t i, ncollected = tl->n;

	for (i = 0; nb && i < nb->n && !tl->err; i++) {
		const struct obs_event *ev = &nb->items[i].ev;
		const struct obs_ustack_frames *uf = run->ustacks ?
			obs_ustacks_find(run->ustacks, ev->ustack_copy) : NULL;
		struct tl_item *tw;

		if (!ev->end_ns || ev->end_ns < ev->ns)
			continue;	/* no time: an older BPF object */
		tw = twin(tl, ev, ncollected);
		if (!tw) {
			add(tl, obs_timeline_t(run, ev->end_ns - ev->ns),
			    ev->end_ns, ev->tid, 0, notable_span(run, ev));
			if (tl->err)
				return;
			tw = &tl->items[tl->n - 1];
		}
		json_object_set_new(tw->j, "notable", json_true());
		if (uf && uf->site[0])
			json_object_set_new(tw->j, "site",
					    json_string(uf->site));
	}
}

/* Without collected polls, the longest slow polls stand for them. */
static void add_longest(struct tl *tl)
{
	const struct obs_rt_longest *l = tl->run->longest;

	for (size_t i = 0; l && !tl->npolls && i < l->n && !tl->err; i++) {
		const struct obs_poll_event *e = &l->items[i];
		int64_t t = obs_timeline_t(tl->run, e->start_ns);

		add(tl, t, e->start_ns + e->ns, e->tid, 0, json_pack(
			"{s:s,s:I,s:I,s:I,s:I,s:b}", "kind", "poll",
			"tid", (json_int_t)e->tid, "t_ns", (json_int_t)t,
			"ns", (json_int_t)e->ns,
			"task_id", (json_int_t)e->task_id, "notable", 1));
	}
}

static int cmp_item(const void *a, const void *b)
{
	const struct tl_item *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static json_t *dropped_json(const struct obs_spans *sp)
{
	return json_pack("{s:I,s:I,s:I}",
		"ringbuf", (json_int_t)(sp ? sp->lost : 0),
		"window", (json_int_t)(sp ? sp->evicted : 0),
		"kept_full", (json_int_t)(sp ? sp->kept_full : 0));
}

json_t *obs_timeline_json(const struct obs_run *run)
{
	const struct obs_spans *sp = run->spans;
	struct tl tl = { .run = run };
	json_t *spans = json_array(), *root;
	size_t i;

	if (sp && sp->on)
		obs_spans_each(sp, add_span, &tl);
	add_notables(&tl);
	add_longest(&tl);
	if (tl.n)
		qsort(tl.items, tl.n, sizeof(*tl.items), cmp_item);
	for (i = 0; i < tl.n; i++)
		if (json_array_append_new(spans, tl.items[i].j))
			tl.err = -1;
	free(tl.items);
	root = json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:o,s:o}",
		"collected", sp && sp->on,
		"start_ns", (json_int_t)(sp ? sp->start_ns : 0),
		"keep_ns", (json_int_t)(sp ? sp->keep_ns : 0),
		"kept_max", (json_int_t)OBS_SPANS_KEPT_MAX,
		"recent_max", (json_int_t)OBS_SPANS_RECENT_MAX,
		"seen", (json_int_t)(sp ? sp->seen : 0),
		"dropped", dropped_json(sp), "spans", spans);
	if (tl.err) {
		json_decref(root);
		return NULL;
	}
	return root;
}
