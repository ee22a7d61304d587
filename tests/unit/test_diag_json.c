// SPDX-License-Identifier: MIT
/*
 * test_diag_json - the converter of a saved `observe --json` document
 * (user/analysis/diag_json.c), the input of `observe --diagnose FILE.json`.
 *
 * Its invariant: a document recorded with observe's own verdict (the rt_*
 * fixtures in tests/unit/fixtures/diag, made by record-rt.sh) gets the same
 * verdict, findings and notes again from the document alone, so the
 * converter and the live filling (analysis/diag_fill.c) agree.  Then its
 * own rules where the JSON and the live path differ, the spans it keeps
 * (diag_pick_spans, shared with the live path), and its errors.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <unistd.h>
#include "../tap.h"
#include "diag_fixtures.h"
#include "analysis/diag_json.h"
#include "analysis/diagnose.h"
#include "output/verdict.h"


/* JSON equality where a number is its value: a jq-trimmed fixture prints
 * the real 1.0 as 1. */
static bool json_same(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach(a, i, v)
			if (!json_same(v, json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach(a, k, v)
			if (!json_same(v, json_object_get(b, k)))
				return false;
		return true;
	}
	return json_equal(a, b);
}

/* How many of root's verdict keys the converter's verdict differs in, each
 * difference printed as a TAP diagnostic (stderr: unbuffered). */
static unsigned int verdict_differences(const char *name, json_t *root)
{
	static const char *const keys[] = { "verdict", "findings", "notes" };
	struct diag_input *in = calloc(1, sizeof(*in));
	struct diag_result r;
	unsigned int bad = 0;
	json_t *j;

	ASSERT_NOT_NULL(in);
	ASSERT_EQ(diag_json_fill(in, root, true), 0);
	ASSERT_EQ(diag_run(in, &r), 0);
	j = obs_verdict_json(&r);
	ASSERT_NOT_NULL(j);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		json_t *want = json_object_get(root, keys[k]);
		json_t *got = json_object_get(j, keys[k]);
		char *w, *g;

		if (want && got && json_same(want, got))
			continue;
		w = json_dumps(want, JSON_REAL_PRECISION(10));
		g = json_dumps(got, JSON_REAL_PRECISION(10));
		fprintf(stderr, "# %s: %s differs\n#   observe:   %s\n"
			"#   converter: %s\n", name, keys[k], w ? w : "?",
			g ? g : "?");
		free(w);
		free(g);
		bad++;
	}
	json_decref(j);
	free(in);
	return bad;
}

/*
 * Every fixture that kept observe's own verdict (the rt_* ones) gets the
 * same verdict, findings and notes from the converter as observe derived
 * from its snapshot.  A difference: the rules or a format changed since the
 * recording (fixtures/diag/record-rt.sh), or the two paths disagree.
 */
TEST(document_verdict_is_the_converters)
{
	DIR *dir = opendir(fixture_dir());
	unsigned int checked = 0, bad = 0;
	struct dirent *de;

	ASSERT_NOT_NULL(dir);
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		char name[256];
		json_t *root;

		if (len < 6 || len >= sizeof(name) ||
		    strcmp(de->d_name + len - 5, ".json"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
		root = load_json(name);
		if (json_object_get(root, "verdict")) {
			bad += verdict_differences(name, root);
			checked++;
		}
		json_decref(root);
	}
	closedir(dir);
	ASSERT_EQ(bad, 0);
	/* rt_susp, rt_susp_fixed, rt_starv, rt_convoy, rt_susp_kernel */
	ASSERT_GE(checked, 5);
}

/* A document of one second around a "runtime" object. */
static json_t *doc_with_runtime(json_t *rt)
{
	json_t *doc = json_pack("{s:f,s:i,s:o}", "duration_s", 1.0, "ncpus", 2,
				"runtime", rt);

	ASSERT_NOT_NULL(doc);
	return doc;
}

/* A runtime object with 17 busy locks after an idle one. */
static json_t *runtime_object(void)
{
	json_error_t jerr;
	json_t *rt, *locks;

	rt = json_loads("{\"probes\": \"rt\", \"workers\": [{}, {}, {}],"
		" \"polls\": {\"count\": 9, \"over_1ms\": 3, \"over_10ms\": 2,"
		"   \"over_10ms_ns\": 25000000, \"hist\": [{\"count\": 5},"
		"   {\"count\": 0}, {\"count\": 4}]},"
		" \"longest_polls\": [{\"task_id\": 7, \"tid\": 11, \"ns\": 5,"
		"   \"on_cpu_ns\": 5, \"off_cpu_ns\": 0, \"off_syscall\": null}],"
		" \"timers\": {\"fires\": 4, \"late_p50\": 2000, \"late_p99\": 2000,"
		"   \"late_max\": 0},"
		" \"locks\": [],"
		" \"blocking_pool\": {\"jobs\": 1, \"queue_p99\": 4000,"
		"   \"queue_max\": 3000}}", 0, &jerr);
	ASSERT_NOT_NULL(rt);
	locks = json_object_get(rt, "locks");
	/* an idle lock first (an interval's), then 17 busy ones */
	json_array_append_new(locks, json_pack("{s:s,s:s,s:i,s:i}", "addr",
					       "0x10", "kind", "sync",
					       "acquisitions", 0, "hold_ns", 0));
	for (int i = 0; i < DIAG_MAX_LOCKS + 1; i++)
		json_array_append_new(locks, json_pack(
			"{s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}",
			"addr", "0x20", "kind", i ? "sync" : "async",
			"acquisitions", 10, "hold_ns", 9000000,
			"hold_rq_ns", 1000, "hold_on_cpu_ns", 5000,
			/* capped by the max: the max's slot [8, 16) ms */
			"hold_p99", 9000000, "hold_max", 9000000,
			/* below the max: a slot bound, as is */
			"wait_p99", 4000, "wait_max", 9000));
	return rt;
}

/* The converter's own rules, where the JSON and fill_runtime differ. */
TEST(converter_reads_runtime_as_fill_runtime)
{
	struct diag_input *in = calloc(1, sizeof(*in));
	json_t *doc = doc_with_runtime(runtime_object());

	ASSERT_NOT_NULL(in);
	ASSERT_EQ(diag_json_fill(in, doc, true), 0);
	ASSERT(in->has_runtime);
	ASSERT_EQ(in->nworkers, 3);
	ASSERT_UEQ(in->rt.polls, 9);
	ASSERT_UEQ(in->rt.polls_over_1ms, 3);
	ASSERT_UEQ(in->rt.poll_ns_over_10ms, 25000000);
	ASSERT_UEQ(in->rt.poll_hist[0], 5);
	ASSERT_UEQ(in->rt.poll_hist[2], 4);
	ASSERT_EQ(in->rt.nlongest, 1);
	ASSERT_STR_EQ(in->rt.longest[0].off_syscall, "");
	/* fill_runtime caps the timer percentiles by a max of 0 too */
	ASSERT_UEQ(in->rt.timer_late_p99_ns, 0);
	ASSERT_UEQ(in->rt.blocking_queue_p99_ns, 3000);
	/* the idle lock skipped, the 17th busy one dropped and said */
	ASSERT_EQ(in->rt.nlocks, DIAG_MAX_LOCKS);
	ASSERT(in->truncated);
	ASSERT_UEQ(in->rt.locks[0].addr, 0x20);
	ASSERT(in->rt.locks[0].async);
	ASSERT_UEQ(in->rt.locks[0].hold_rq_ns, 0);	/* async: unknown */
	ASSERT(!in->rt.locks[1].async);
	ASSERT_UEQ(in->rt.locks[1].hold_rq_ns, 1000);
	ASSERT_UEQ(in->rt.locks[1].hold_on_cpu_ns, 5000);
	ASSERT_UEQ(in->rt.locks[1].hold_p99_ns, 9000000);	/* as printed */
	ASSERT_UEQ(in->rt.locks[1].wait_p99_ns, 4000);

	/* without the runtime tier: the object is not read at all */
	ASSERT_EQ(diag_json_fill(in, doc, false), 0);
	ASSERT(!in->has_runtime);
	ASSERT_EQ(in->rt.nlocks, 0);
	ASSERT(!in->truncated);

	/* null: no rt probes (or --no-runtime), the kernel tier alone */
	json_object_set_new(doc, "runtime", json_null());
	ASSERT_EQ(diag_json_fill(in, doc, true), 0);
	ASSERT(!in->has_runtime);
	ASSERT_UEQ(in->duration_ns, 1000000000);
	ASSERT_EQ(in->ncpus, 2);
	json_object_set_new(doc, "runtime", json_integer(1));
	ASSERT_EQ(diag_json_fill(in, doc, true), -EINVAL);
	json_object_set_new(doc, "runtime", json_object());	/* no workers */
	ASSERT_EQ(diag_json_fill(in, doc, true), -EINVAL);
	json_decref(doc);
	free(in);
}

/* One notable span as observe writes it. */
static json_t *span(int tid, const char *kind, const char *sys, int ms)
{
	return json_pack("{s:i,s:i,s:s,s:I,s:s}", "tid", tid, "pid", 1,
			 "kind", kind, "ns", (json_int_t)ms * 1000000, "syscall",
			 sys);
}

TEST(spans_blocking_a_worker_go_first)
{
	struct diag_input *in = calloc(1, sizeof(*in));
	json_t *doc, *nb;

	ASSERT_NOT_NULL(in);
	doc = json_pack("{s:f,s:[{s:i,s:i,s:s},{s:i,s:i,s:s}],s:[]}",
			"duration_s", 3.0,
			"threads", "tid", 10, "pid", 1, "role", "worker",
			"tid", 20, "pid", 1, "role", "other",
			"notable");
	ASSERT_NOT_NULL(doc);
	nb = json_object_get(doc, "notable");
	/* longest first: more other spans than fit, then a worker's parks,
	 * futex wait, run-queue wait, and its two blocking spans */
	for (int i = 0; i < DIAG_MAX_SPANS + 6; i++)
		json_array_append_new(nb, span(20, "off_cpu", "read", 1000 - i));
	json_array_append_new(nb, span(10, "off_cpu", "epoll_pwait2", 900));
	json_array_append_new(nb, span(10, "off_cpu", "futex", 900));
	json_array_append_new(nb, span(10, "rq_delay", "read", 900));
	json_array_append_new(nb, span(10, "off_cpu", "clock_nanosleep", 20));
	json_array_append_new(nb, span(10, "off_cpu", "read", 30));
	ASSERT_EQ(diag_json_fill(in, doc, true), 0);
	ASSERT_EQ(in->nspans, DIAG_MAX_SPANS);
	/* longest first: the others' first 62, then the worker's two */
	ASSERT_UEQ(in->spans[0].ns, 1000000000);
	ASSERT_UEQ(in->spans[DIAG_MAX_SPANS - 3].ns,
		   (uint64_t)(1000 - (DIAG_MAX_SPANS - 3)) * 1000000);
	ASSERT_EQ(in->spans[DIAG_MAX_SPANS - 2].tid, 10);
	ASSERT_STR_EQ(in->spans[DIAG_MAX_SPANS - 2].syscall, "read");
	ASSERT_EQ(in->spans[DIAG_MAX_SPANS - 1].tid, 10);
	ASSERT_STR_EQ(in->spans[DIAG_MAX_SPANS - 1].syscall, "clock_nanosleep");
	ASSERT(in->spans[DIAG_MAX_SPANS - 1].kind == DIAG_SPAN_OFF_CPU);
	json_decref(doc);
	free(in);
}

/* Writes text to a new temporary file; its path in path. */
static void temp_file(char *path, size_t len, const char *text)
{
	const char *tmp = getenv("TMPDIR");
	FILE *f;
	int fd;

	snprintf(path, len, "%s/test_diag_json.XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	f = fdopen(fd, "w");
	ASSERT_NOT_NULL(f);
	ASSERT_GE(fputs(text, f), 0);
	ASSERT_EQ(fclose(f), 0);
}

/* diag_json_load on text: its return, its message in err. */
static int load_text(const char *text, char *err, size_t errlen)
{
	struct diag_input *in = calloc(1, sizeof(*in));
	char path[4096];
	int ret;

	ASSERT_NOT_NULL(in);
	temp_file(path, sizeof(path), text);
	ret = diag_json_load(path, in, err, errlen);
	unlink(path);
	free(in);
	return ret;
}

TEST(load_refuses_what_is_not_a_document)
{
	struct diag_input *in = calloc(1, sizeof(*in));
	char err[256], path[4200];

	ASSERT_NOT_NULL(in);
	/* a missing file: the file's errno and words */
	snprintf(path, sizeof(path), "%s/no-such-run.json", fixture_dir());
	ASSERT_EQ(diag_json_load(path, in, err, sizeof(err)), -ENOENT);
	ASSERT(strstr(err, "No such file"));
	/* not JSON: where the parser stopped */
	ASSERT_EQ(load_text("{\"duration_s\": 1,\n  oops\n}\n", err,
			    sizeof(err)), -EINVAL);
	ASSERT(!strncmp(err, "line 2: ", 8));
	ASSERT_EQ(load_text("", err, sizeof(err)), -EINVAL);
	ASSERT(!strncmp(err, "line ", 5));
	/* JSON, but not observe's */
	ASSERT_EQ(load_text("{\"version\": 1}\n", err, sizeof(err)), -EINVAL);
	ASSERT_STR_EQ(err, "not an observe JSON document: no duration_s");
	ASSERT_EQ(load_text("[1, 2]\n", err, sizeof(err)), -EINVAL);
	ASSERT(strstr(err, "not an observe JSON document"));
	ASSERT_EQ(load_text("{\"duration_s\": 1, \"runtime\": 3}\n", err,
			    sizeof(err)), -EINVAL);
	ASSERT(strstr(err, "runtime"));
	/* errlen 0: no message, the same return */
	ASSERT_EQ(diag_json_load(path, in, NULL, 0), -ENOENT);
	free(in);
}

TEST(load_is_fill_with_the_runtime_tier)
{
	struct diag_input *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char err[256] = "x", path[4200];
	json_t *root = load_json("rt_susp");

	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	snprintf(path, sizeof(path), "%s/rt_susp.json", fixture_dir());
	ASSERT_EQ(diag_json_load(path, a, err, sizeof(err)), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(diag_json_fill(b, root, true), 0);
	ASSERT(a->has_runtime);
	ASSERT(!memcmp(a, b, sizeof(*a)));
	json_decref(root);
	free(a);
	free(b);
}

int main(void)
{
	return tap_run();
}
