// SPDX-License-Identifier: MIT
/*
 * trace.c - the Chrome Trace Event file of a run's document (trace.h).
 * Times: the document's ns from the run's start; the format's us.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <jansson.h>
#include "output/trace.h"

/* The kernel track of thread tid: a tid no thread has (pid_max <= 2^22). */
#define KERNEL_TRACK(tid)	((tid) | 0x40000000)

struct tr {
	json_t *events;
	json_int_t pid;
	json_int_t next_id;	/* async slices: one id each */
};

static double us(json_int_t ns)
{
	return ns / 1000.0;
}

static void meta(struct tr *tr, const char *what, json_int_t tid,
		 json_t *args)
{
	json_array_append_new(tr->events, json_pack("{s:s,s:s,s:I,s:I,s:o}",
		"ph", "M", "name", what, "pid", tr->pid, "tid", tid,
		"args", args));
}

/* A track per thread, named "comm tid (role)", workers first. */
static void thread_tracks(struct tr *tr, const json_t *doc)
{
	const json_t *t;
	size_t i;
	char name[96];

	meta(tr, "process_name", 0, json_pack("{s:s}", "name",
	     json_string_value(json_object_get(json_object_get(doc, "target"),
					       "comm")) ?: "?"));
	json_array_foreach(json_object_get(doc, "threads"), i, t) {
		json_int_t tid = json_integer_value(json_object_get(t, "tid"));
		const char *comm = json_string_value(json_object_get(t, "comm"));
		const char *role = json_string_value(json_object_get(t, "role"));
		int order = role && !strcmp(role, "worker") ? 0 :
			    role && !strcmp(role, "blocking") ? 1 : 2;

		snprintf(name, sizeof(name), "%s %lld (%s)", comm ?: "?",
			 (long long)tid, role ?: "?");
		meta(tr, "thread_name", tid, json_pack("{s:s}", "name", name));
		meta(tr, "thread_sort_index", tid, json_pack("{s:I}",
		     "sort_index", (json_int_t)(order * 100000 + 2 * i)));
		snprintf(name, sizeof(name), "%s %lld kernel", comm ?: "?",
			 (long long)tid);
		meta(tr, "thread_name", KERNEL_TRACK(tid),
		     json_pack("{s:s}", "name", name));
		meta(tr, "thread_sort_index", KERNEL_TRACK(tid), json_pack(
		     "{s:I}", "sort_index",
		     (json_int_t)(order * 100000 + 2 * i + 1)));
	}
}

/* The slice's name: what a glance at the track should tell. */
static void span_name(const json_t *s, const char *kind, char *buf,
		      size_t len)
{
	const char *sys = json_string_value(json_object_get(s, "syscall"));
	const char *site = json_string_value(json_object_get(s, "site"));
	const char *lock = json_string_value(json_object_get(s, "lock"));
	json_int_t task = json_integer_value(json_object_get(s, "task_id"));

	if (!strcmp(kind, "poll"))
		snprintf(buf, len, "poll task %lld", (long long)task);
	else if (!strcmp(kind, "off_cpu"))
		snprintf(buf, len, "off-CPU %s%s%s", sys ?: "?",
			 site ? " at " : "", site ?: "");
	else if (!strcmp(kind, "rq_delay"))
		snprintf(buf, len, "run queue");
	else if (!strcmp(kind, "lock_hold"))
		snprintf(buf, len, "%s lock held", lock ?: "?");
	else if (!strcmp(kind, "lock_wait"))
		snprintf(buf, len, "%s lock wait", lock ?: "?");
	else if (!strcmp(kind, "timer_late"))
		snprintf(buf, len, "timer late (task %lld)", (long long)task);
	else if (!strcmp(kind, "late_wake"))
		snprintf(buf, len, "late wake-up (task %lld)", (long long)task);
	else if (!strcmp(kind, "cpu_run"))
		snprintf(buf, len, "CPU run%s%s", site ? " at " : "",
			 site ?: "");
	else
		snprintf(buf, len, "%s", kind);
}

/* The span's fields but its place, as args (an async hold also says how
 * much of it the holder was suspended). */
static json_t *span_args(const json_t *s)
{
	json_t *args = json_deep_copy(s), *run;

	json_object_del(args, "tid");
	json_object_del(args, "t_ns");
	run = json_object_get(s, "running_ns");
	if (run)
		json_object_set_new(args, "suspended_ns", json_integer(
			json_integer_value(json_object_get(s, "ns")) -
			json_integer_value(run)));
	return args;
}

static void span_event(struct tr *tr, const json_t *s)
{
	const char *kind = json_string_value(json_object_get(s, "kind"));
	json_int_t tid = json_integer_value(json_object_get(s, "tid"));
	json_int_t t = json_integer_value(json_object_get(s, "t_ns"));
	json_int_t ns = json_integer_value(json_object_get(s, "ns"));
	bool thread = kind && !strcmp(kind, "poll");
	bool kernel = kind && (!strcmp(kind, "off_cpu") ||
			       !strcmp(kind, "rq_delay"));
	char name[160];

	if (!kind)
		return;
	span_name(s, kind, name, sizeof(name));
	if (thread || kernel) {
		json_array_append_new(tr->events, json_pack(
			"{s:s,s:s,s:s,s:I,s:I,s:f,s:f,s:o}", "ph", "X",
			"name", name, "cat", kind, "pid", tr->pid,
			"tid", thread ? tid : KERNEL_TRACK(tid),
			"ts", us(t), "dur", us(ns), "args", span_args(s)));
		return;
	}
	tr->next_id++;
	json_array_append_new(tr->events, json_pack(
		"{s:s,s:s,s:s,s:I,s:I,s:I,s:f,s:o}", "ph", "b", "name", name,
		"cat", kind, "id", tr->next_id, "pid", tr->pid, "tid", tid,
		"ts", us(t), "args", span_args(s)));
	json_array_append_new(tr->events, json_pack(
		"{s:s,s:s,s:s,s:I,s:I,s:I,s:f}", "ph", "e", "name", name,
		"cat", kind, "id", tr->next_id, "pid", tr->pid, "tid", tid,
		"ts", us(t + ns)));
}

/* What the file holds and what it does not: the timeline's counts. */
static json_t *other_data(const json_t *doc, const json_t *tl)
{
	json_t *o = json_object();
	const char *keys[] = { "collected", "keep_ns", "kept_max",
			       "recent_max", "seen", "dropped" };

	json_object_set_new(o, "source", json_string("observe"));
	json_object_set(o, "target", json_object_get(doc, "target"));
	json_object_set(o, "duration_s", json_object_get(doc, "duration_s"));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set(o, keys[i], json_object_get(tl, keys[i]));
	json_object_set_new(o, "spans", json_integer(
		json_array_size(json_object_get(tl, "spans"))));
	json_object_set_new(o, "kept", json_string(
		"every span of keep_ns or more (up to kept_max), and the "
		"recent_max most recent shorter ones; dropped counts the rest"));
	return o;
}

int obs_trace_write(FILE *f, const json_t *doc)
{
	const json_t *tl = json_object_get(doc, "timeline"), *s;
	struct tr tr = { .events = json_array() };
	json_t *root;
	size_t i;
	int err = 0;

	if (!json_is_object(doc) || !json_is_object(tl)) {
		json_decref(tr.events);
		return -EINVAL;
	}
	tr.pid = json_integer_value(json_object_get(
		json_object_get(doc, "target"), "pid"));
	thread_tracks(&tr, doc);
	json_array_foreach(json_object_get(tl, "spans"), i, s)
		span_event(&tr, s);
	root = json_pack("{s:o,s:s,s:o}", "traceEvents", tr.events,
			 "displayTimeUnit", "ms", "otherData",
			 other_data(doc, tl));
	if (!root)
		return -ENOMEM;
	if (json_dumpf(root, f, JSON_COMPACT) || fputc('\n', f) == EOF ||
	    fflush(f))
		err = -EIO;
	json_decref(root);
	return err;
}
