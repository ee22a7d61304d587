// SPDX-License-Identifier: MIT
/*
 * html.c - the HTML report of a run's document (html.h).  Every string of
 * the document goes through obs_html_esc: a thread name or a command line
 * is whatever the target made it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "analysis/diagnose.h"
#include "common/hist.h"
#include "output/html.h"
#include "output/html_svg.h"

#define MAX_TIMELINES	64	/* threads drawn */
#define TOP_SITES	10

static const char page_css[] =
	"body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;"
	"max-width:1180px;padding:0 16px 40px;color:#222}"
	"h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;"
	"margin:26px 0 8px;border-bottom:1px solid #ddd}"
	".meta{color:#555;margin:0}.verdict{background:#fdf3e7;"
	"border-left:6px solid #f58518;padding:8px 16px;margin-top:14px}"
	".verdict.healthy{background:#eef7ee;border-color:#2ca02c}"
	".verdict h2{border:0;margin:6px 0}.remedy{font-weight:600}"
	"figure{margin:6px 0 14px}figcaption{font-weight:600;font-size:14px}"
	"svg{width:100%;height:auto;display:block}"
	".hists{display:flex;flex-wrap:wrap;gap:16px}"
	".hists figure{flex:1 1 420px;min-width:0}"
	".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;"
	"gap:4px 14px;font-size:13px}.sw{display:inline-block;width:12px;"
	"height:12px;margin-right:4px;vertical-align:middle}"
	".scroll{overflow-x:auto}table{border-collapse:collapse;"
	"font-size:14px}td,th{padding:3px 10px;border-bottom:1px solid #eee;"
	"text-align:right}td:first-child,th:first-child{text-align:left}"
	"code{font-size:13px}.none{color:#777}\n";

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_int_t jnum(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A time of the document (ns) in the one time format. */
static void put_ns(FILE *f, const json_t *v)
{
	char buf[32];

	if (json_is_integer(v))
		fputs(obs_fmt_ns(buf, sizeof(buf), json_integer_value(v)), f);
	else
		fputs("-", f);
}

static void head(FILE *f, const json_t *doc)
{
	const json_t *tg = json_object_get(doc, "target"), *a;
	const json_t *ex = json_object_get(doc, "exit_status");
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width,"
	      "initial-scale=1\"><title>observe: ", f);
	obs_html_esc(f, jstr(tg, "comm"));
	fputs("</title><style>", f);
	fputs(page_css, f);
	obs_svg_css(f);
	fputs("</style></head><body>\n<h1>observe: ", f);
	obs_html_esc(f, jstr(tg, "comm"));
	fprintf(f, " (pid %lld)</h1><p class=\"meta\">", (long long)jnum(tg, "pid"));
	json_array_foreach(json_object_get(tg, "argv"), i, a) {
		fputs(i ? " " : "<code>", f);
		obs_html_esc(f, json_string_value(a));
	}
	fputs(i ? "</code><br>" : "", f);
	fprintf(f, "%s mode, %.3f s, kernel ",
		jstr(tg, "mode") && !strcmp(jstr(tg, "mode"), "launch") ?
		"launch" : "attach",
		json_number_value(json_object_get(doc, "duration_s")));
	obs_html_esc(f, jstr(doc, "kernel"));
	if (json_is_integer(ex))
		fprintf(f, ", exit status %lld", (long long)json_integer_value(ex));
	fputs("</p>\n", f);
}

/* The shape's words (analysis/diagnose.h's), from its name. */
static const char *shape_words(const char *name)
{
	for (int s = 0; name && s < DIAG_SHAPE__COUNT; s++)
		if (!strcmp(diag_shape_name(s), name))
			return diag_shape_words(s);
	return name ? name : "no verdict";
}

static void finding(FILE *f, const json_t *x, const char *tag)
{
	const json_t *e;
	size_t i;

	fprintf(f, "<%s data-shape=\"", tag);
	obs_html_esc(f, jstr(x, "shape"));
	fputs("\">", f);
	obs_html_esc(f, shape_words(jstr(x, "shape")));
	fprintf(f, " <small>(confidence %s, %.2f)</small></%s><ul>",
		jstr(x, "confidence_level") ?: "?",
		json_number_value(json_object_get(x, "confidence")), tag);
	json_array_foreach(json_object_get(x, "evidence"), i, e) {
		fputs("<li>", f);
		obs_html_esc(f, json_string_value(e));
		fputs("</li>", f);
	}
	fputs("</ul><p class=\"remedy\">Remedy: ", f);
	obs_html_esc(f, jstr(x, "remedy"));
	fputs("</p>\n", f);
}

static void verdict(FILE *f, const json_t *doc)
{
	const json_t *v = json_object_get(doc, "verdict"), *x;
	const char *shape = jstr(v, "shape");
	size_t i;

	fprintf(f, "<section class=\"verdict%s\" id=\"verdict\">",
		shape && !strcmp(shape, "healthy") ? " healthy" : "");
	if (!json_is_object(v)) {
		fputs("<h2>No verdict</h2></section>\n", f);
		return;
	}
	finding(f, v, "h2");
	json_array_foreach(json_object_get(doc, "findings"), i, x)
		if (i > 0)
			finding(f, x, "h3");
	if (json_array_size(json_object_get(doc, "notes")))
		fputs("<p>Cannot see / cannot tell:</p><ul>", f);
	json_array_foreach(json_object_get(doc, "notes"), i, x) {
		fputs("<li>", f);
		obs_html_esc(f, json_string_value(x));
		fputs("</li>", f);
	}
	fputs(json_array_size(json_object_get(doc, "notes")) ? "</ul>" : "", f);
	fputs("</section>\n", f);
}

/* Workers first (pass 0), then the blocking pool (pass 1). */
static bool drawn(const json_t *t, int pass)
{
	const char *role = jstr(t, "role");

	return role && !strcmp(role, pass == 0 ? "worker" : "blocking");
}

static uint64_t run_ns(const json_t *doc)
{
	double s = json_number_value(json_object_get(doc, "duration_s"));

	return s > 0 ? (uint64_t)(s * 1e9) : 1;
}

static void timeline_of(FILE *f, const json_t *doc, const json_t *t)
{
	fputs("<figure><figcaption>", f);
	obs_html_esc(f, jstr(t, "comm"));
	fprintf(f, " %lld (", (long long)jnum(t, "tid"));
	obs_html_esc(f, jstr(t, "role") ?: "?");
	fputs(")</figcaption>", f);
	obs_svg_timeline(f, doc, t, run_ns(doc));
	fputs("</figure>\n", f);
}

/* One timeline per worker and blocking-pool thread; with neither known,
 * per thread. */
static void timelines(FILE *f, const json_t *doc)
{
	const json_t *threads = json_object_get(doc, "threads"), *t;
	const json_t *tl = json_object_get(doc, "timeline");
	int pass, n = 0;
	size_t i;

	fputs("<h2>Timeline</h2>", f);
	if (!json_is_true(json_object_get(tl, "collected")))
		fputs("<p class=\"none\">Only the notable spans and the longest "
		      "polls were kept in this run: record it with --html or "
		      "--trace for every poll.</p>", f);
	obs_svg_legend(f);
	for (pass = 0; pass < 2; pass++)
		json_array_foreach(threads, i, t)
			if (drawn(t, pass) && n < MAX_TIMELINES) {
				timeline_of(f, doc, t);
				n++;
			}
	json_array_foreach(threads, i, t)
		if (!n && i < MAX_TIMELINES)
			timeline_of(f, doc, t);
}

/* The run-queue delay of every thread, slot by slot (their hists share
 * the log2 slots). */
static json_t *rq_hist_all(const json_t *doc)
{
	json_t *sum = json_array(), *b, *o;
	const json_t *t;
	size_t i, j;

	json_array_foreach(json_object_get(doc, "threads"), i, t)
		json_array_foreach(json_object_get(t, "rq_hist"), j, b) {
			while (json_array_size(sum) <= j)
				json_array_append_new(sum, json_pack(
					"{s:O,s:O,s:I}", "lo",
					json_object_get(b, "lo"), "hi",
					json_object_get(b, "hi"), "count",
					(json_int_t)0));
			o = json_array_get(sum, j);
			json_object_set_new(o, "count", json_integer(
				jnum(o, "count") + jnum(b, "count")));
		}
	return sum;
}

static void histograms(FILE *f, const json_t *doc)
{
	json_t *rq = rq_hist_all(doc);
	const json_t *rt = json_object_get(doc, "runtime");

	fputs("<h2>Histograms</h2><div class=\"hists\">", f);
	obs_svg_hist(f, "Run-queue delay, every thread (waits per log2 bucket)",
		     rq);
	if (json_is_object(rt))
		obs_svg_hist(f, "Poll duration, every worker (polls per log2 "
			     "bucket)", json_object_get(json_object_get(rt,
				"polls"), "hist"));
	else
		fputs("<figure class=\"hist\"><figcaption>Poll duration"
		      "</figcaption><p class=\"none\">no runtime tier in this "
		      "run</p></figure>", f);
	fputs("</div>\n", f);
	json_decref(rq);
}

/* "comm tid" of the first of a futex's waiters or wakers, or "-". */
static void first_thread(FILE *f, const json_t *arr)
{
	const json_t *t = json_array_get(arr, 0);

	if (!t) {
		fputs("-", f);
		return;
	}
	obs_html_esc(f, jstr(t, "comm"));
	fprintf(f, " %lld", (long long)jnum(t, "tid"));
	if (json_array_size(arr) > 1)
		fprintf(f, " +%zu", json_array_size(arr) - 1);
}

static void futex_table(FILE *f, const json_t *doc)
{
	const json_t *fx = json_object_get(doc, "futex"), *x;
	size_t i;

	fputs("<h2>Futex waits</h2>", f);
	if (!json_array_size(fx)) {
		fputs("<p class=\"none\">no futex waits</p>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table><tr><th>address</th><th>waits</th>"
	      "<th>blocked</th><th>longest</th><th>run queue after wake</th>"
	      "<th>top waiter</th><th>top waker</th></tr>", f);
	json_array_foreach(fx, i, x) {
		fputs("<tr><td><code>", f);
		obs_html_esc(f, jstr(x, "uaddr"));
		fprintf(f, "</code></td><td>%lld</td><td>",
			(long long)jnum(x, "waits"));
		put_ns(f, json_object_get(x, "wait_ns"));
		fputs("</td><td>", f);
		put_ns(f, json_object_get(x, "max_ns"));
		fputs("</td><td>", f);
		put_ns(f, json_object_get(x, "rq_after_wake_ns"));
		fputs("</td><td>", f);
		first_thread(f, json_object_get(x, "waiters"));
		fputs("</td><td>", f);
		first_thread(f, json_object_get(x, "wakers"));
		fputs("</td></tr>", f);
	}
	fputs("</table></div>\n", f);
}

static void lock_table(FILE *f, const json_t *doc)
{
	const json_t *locks = json_object_get(json_object_get(doc, "runtime"),
					      "locks"), *l;
	const char *cols[] = { "wait_ns", "wait_p99", "hold_ns", "hold_p99",
			       "held_running_ns", "held_suspended_ns" };
	size_t i, c;

	fputs("<h2>Locks</h2>", f);
	if (!json_array_size(locks)) {
		fputs("<p class=\"none\">no runtime lock seen</p>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table><tr><th>address</th><th>kind</th>"
	      "<th>acquired</th><th>contended</th><th>waited</th>"
	      "<th>wait p99</th><th>held</th><th>hold p99</th>"
	      "<th>held running</th><th>held suspended</th></tr>", f);
	json_array_foreach(locks, i, l) {
		fputs("<tr><td><code>", f);
		obs_html_esc(f, jstr(l, "addr"));
		fputs("</code></td><td>", f);
		obs_html_esc(f, jstr(l, "kind"));
		fprintf(f, "</td><td>%lld</td><td>%lld</td>",
			(long long)jnum(l, "acquisitions"),
			(long long)jnum(l, "contended"));
		for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			fputs("<td>", f);
			put_ns(f, json_object_get(l, cols[c]));
			fputs("</td>", f);
		}
		fputs("</tr>", f);
	}
	fputs("</table></div>\n", f);
}

struct site_sum {
	const char *site;
	json_int_t n, ns, max;
};

static int cmp_site(const void *a, const void *b)
{
	const struct site_sum *x = a, *y = b;

	return (x->ns < y->ns) - (x->ns > y->ns);
}

/* The notable spans' call sites, by the time spent there. */
static void call_sites(FILE *f, const json_t *doc)
{
	const json_t *nb = json_object_get(doc, "notable"), *x;
	size_t i, j, n = 0, cap = json_array_size(nb);
	struct site_sum *sums = calloc(cap ? cap : 1, sizeof(*sums));
	char buf[32];

	fputs("<h2>Top call sites</h2>", f);
	json_array_foreach(nb, i, x) {
		const char *site = jstr(x, "site");

		if (!sums || !site || !*site)
			continue;
		for (j = 0; j < n && strcmp(sums[j].site, site); j++)
			;
		if (j == n)
			sums[n++].site = site;
		sums[j].n++;
		sums[j].ns += jnum(x, "ns");
		if (jnum(x, "ns") > sums[j].max)
			sums[j].max = jnum(x, "ns");
	}
	if (!n)
		fputs("<p class=\"none\">no user stacks in this run (no "
		      "notable span, or --no-ustacks)</p>\n", f);
	qsort(sums, n, sizeof(*sums), cmp_site);
	for (i = 0; i < n && i < TOP_SITES; i++) {
		fputs(i ? "" : "<div class=\"scroll\"><table><tr><th>site</th>"
		      "<th>notable spans</th><th>total</th><th>longest</th>"
		      "</tr>", f);
		fputs("<tr><td><code>", f);
		obs_html_esc(f, sums[i].site);
		fprintf(f, "</code></td><td>%lld</td><td>%s</td>",
			(long long)sums[i].n,
			obs_fmt_ns(buf, sizeof(buf), sums[i].ns));
		fprintf(f, "<td>%s</td></tr>",
			obs_fmt_ns(buf, sizeof(buf), sums[i].max));
	}
	fputs(n ? "</table></div>\n" : "", f);
	free(sums);
}

/* A percentage of one CPU, or "not measured". */
static void put_pct(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "%.3f%% of one CPU", json_number_value(v));
	else
		fputs("not measured", f);
}

static void cost(FILE *f, const json_t *doc)
{
	const json_t *c = json_object_get(doc, "cost"), *p;
	size_t i;

	fputs("<h2>What observing cost</h2>", f);
	if (!json_is_object(c)) {
		fputs("<p class=\"none\">not measured</p>\n", f);
		return;
	}
	fputs("<p>BPF programs: ", f);
	put_pct(f, json_object_get(c, "bpf_cpu_pct"));
	fputs("; observe itself: ", f);
	put_pct(f, json_object_get(c, "observe_cpu_pct"));
	fprintf(f, "; over %.3f s.</p><div class=\"scroll\"><table><tr>"
		"<th>program</th><th>runs/s</th><th>ns/run</th></tr>",
		json_number_value(json_object_get(c, "wall_s")));
	json_array_foreach(json_object_get(c, "programs"), i, p) {
		fputs("<tr><td><code>", f);
		obs_html_esc(f, jstr(p, "name"));
		fprintf(f, "</code></td><td>%.0f</td><td>%.0f</td></tr>",
			json_number_value(json_object_get(p, "runs_per_s")),
			json_number_value(json_object_get(p, "ns_per_run")));
	}
	fputs("</table></div>\n", f);
}

/* What the timeline kept and what it dropped: counted, never hidden. */
static void bounds(FILE *f, const json_t *doc)
{
	const json_t *tl = json_object_get(doc, "timeline");
	const json_t *d = json_object_get(tl, "dropped");
	char buf[32];

	fprintf(f, "<p class=\"meta\" id=\"timeline-bounds\">Timeline: %zu "
		"spans drawn of %lld collected; kept every span of %s or "
		"more (up to %lld) and the %lld most recent shorter ones; "
		"dropped: %lld (ring buffer full), %lld (out of the recent "
		"window), %lld (past the long spans' bound).</p>\n",
		json_array_size(json_object_get(tl, "spans")),
		(long long)jnum(tl, "seen"),
		obs_fmt_ns(buf, sizeof(buf), jnum(tl, "keep_ns")),
		(long long)jnum(tl, "kept_max"),
		(long long)jnum(tl, "recent_max"),
		(long long)jnum(d, "ringbuf"), (long long)jnum(d, "window"),
		(long long)jnum(d, "kept_full"));
}

int obs_html_write(FILE *f, const json_t *doc)
{
	if (!json_is_object(doc) || !json_is_object(json_object_get(doc,
								   "target")))
		return -EINVAL;
	head(f, doc);
	verdict(f, doc);
	timelines(f, doc);
	bounds(f, doc);
	histograms(f, doc);
	futex_table(f, doc);
	lock_table(f, doc);
	call_sites(f, doc);
	cost(f, doc);
	fputs("<p class=\"meta\">Written by observe; the same page comes "
	      "from the saved JSON document with <code>observe report "
	      "FILE.json --html OUT</code>.</p>\n</body></html>\n", f);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
