// SPDX-License-Identifier: MIT
/*
 * html_svg.c - the HTML report's pictures (html_svg.h).
 *
 * A timeline is 1000 units wide, whatever the run's length; the page
 * scales it to its width.  Spans come sorted by start (timeline.h), so a
 * colour's rectangles come in order and neighbours closer than MERGE_GAP
 * units are drawn as one.
 */
#include <string.h>
#include <jansson.h>
#include "common/hist.h"
#include "output/html_svg.h"

#define TL_W		1000.0	/* picture units */
#define TL_X0		58.0	/* the lanes' names on the left */
#define MERGE_GAP	0.4
#define LANES		4

/* lane y and height: polls, kernel, locks, late events */
static const double lane_y[LANES] = { 4, 24, 38, 50 };
static const double lane_h[LANES] = { 16, 10, 8, 8 };
static const char *const lane_name[LANES] = { "polls", "kernel", "locks",
					       "late" };
#define TL_AXIS_Y	62.0
#define TL_H		76.0

/* The colours: a class, its lane, its legend. */
enum colour {
	C_POLL, C_POLL_1MS, C_POLL_10MS,
	C_FUTEX, C_PARK, C_SLEEP, C_IO, C_OFF_OTHER, C_RQ,
	C_HOLD_SYNC, C_HOLD_RUN, C_HOLD_SUSP, C_LOCK_WAIT,
	C_TIMER, C_WAKE, C_CPU_RUN,
	C__COUNT,
};

static const struct {
	const char *cls, *rgb, *what;
	int lane;
} colours[C__COUNT] = {
	[C_POLL] = { "p0", "#4c78a8", "poll < 1 ms", 0 },
	[C_POLL_1MS] = { "p1", "#f58518", "poll 1-10 ms", 0 },
	[C_POLL_10MS] = { "p2", "#d62728", "poll >= 10 ms", 0 },
	[C_FUTEX] = { "kf", "#9467bd", "off-CPU in futex", 1 },
	[C_PARK] = { "kp", "#c7c7c7", "off-CPU in epoll/poll/select", 1 },
	[C_SLEEP] = { "ks", "#8c564b", "off-CPU in a sleep", 1 },
	[C_IO] = { "ki", "#17becf", "off-CPU in read/write/socket I/O", 1 },
	[C_OFF_OTHER] = { "ko", "#7f7f7f", "off-CPU elsewhere", 1 },
	[C_RQ] = { "kr", "#ff9896", "run queue (runnable, not running)", 1 },
	[C_HOLD_SYNC] = { "ls", "#2ca02c", "sync lock held", 2 },
	[C_HOLD_RUN] = { "lr", "#98df8a", "async lock held, mostly running", 2 },
	[C_HOLD_SUSP] = { "la", "#e7ba52", "async lock held, mostly suspended", 2 },
	[C_LOCK_WAIT] = { "lw", "#e377c2", "lock wait", 2 },
	[C_TIMER] = { "tl", "#bcbd22", "timer lateness", 3 },
	[C_WAKE] = { "tw", "#ad494a", "late wake-up (woken -> polled)", 3 },
	[C_CPU_RUN] = { "tc", "#393b79", "long CPU run (no syscall)", 3 },
};

void obs_svg_css(FILE *f)
{
	for (int i = 0; i < C__COUNT; i++)
		fprintf(f, ".%s{fill:%s}", colours[i].cls, colours[i].rgb);
	fputs("svg text{font:9px sans-serif;fill:#444}"
	      "svg .lane{fill:#f4f4f4}svg .tick{stroke:#999;stroke-width:.5}"
	      "svg .bar{fill:#4c78a8}\n", f);
}

void obs_html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

void obs_svg_legend(FILE *f)
{
	fputs("<ul class=\"legend\">", f);
	for (int i = 0; i < C__COUNT; i++)
		fprintf(f, "<li><span class=\"sw\" style=\"background:%s\">"
			"</span>%s</li>", colours[i].rgb, colours[i].what);
	fputs("</ul>\n", f);
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_int_t jnum(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The colour of an off-CPU span, by the syscall it blocked in. */
static enum colour off_colour(const char *sys)
{
	static const char *const park[] = { "epoll_wait", "epoll_pwait",
		"epoll_pwait2", "poll", "ppoll", "select", "pselect6" };
	static const char *const io[] = { "read", "pread64", "readv", "write",
		"pwrite64", "writev", "fsync", "fdatasync", "accept",
		"accept4", "connect", "recvfrom", "recvmsg", "sendto",
		"sendmsg" };
	size_t i;

	if (!sys)
		return C_OFF_OTHER;
	if (!strncmp(sys, "futex", 5))
		return C_FUTEX;
	if (strstr(sys, "sleep"))
		return C_SLEEP;
	for (i = 0; i < sizeof(park) / sizeof(park[0]); i++)
		if (!strcmp(sys, park[i]))
			return C_PARK;
	for (i = 0; i < sizeof(io) / sizeof(io[0]); i++)
		if (!strcmp(sys, io[i]))
			return C_IO;
	return C_OFF_OTHER;
}

/* A span's colour, or -1 for a kind the timeline does not draw. */
static int span_colour(const json_t *s)
{
	const char *kind = jstr(s, "kind");
	json_int_t ns = jnum(s, "ns");

	if (!kind)
		return -1;
	if (!strcmp(kind, "poll"))
		return ns >= 10000000 ? C_POLL_10MS : ns >= 1000000 ?
		       C_POLL_1MS : C_POLL;
	if (!strcmp(kind, "off_cpu"))
		return off_colour(jstr(s, "syscall"));
	if (!strcmp(kind, "rq_delay"))
		return C_RQ;
	if (!strcmp(kind, "lock_hold")) {
		if (!json_object_get(s, "running_ns"))
			return C_HOLD_SYNC;
		return 2 * jnum(s, "running_ns") >= ns ? C_HOLD_RUN :
		       C_HOLD_SUSP;
	}
	if (!strcmp(kind, "lock_wait"))
		return C_LOCK_WAIT;
	if (!strcmp(kind, "timer_late"))
		return C_TIMER;
	if (!strcmp(kind, "late_wake"))
		return C_WAKE;
	if (!strcmp(kind, "cpu_run"))
		return C_CPU_RUN;
	return -1;
}

/* The rectangle being grown, per colour. */
struct pend {
	double x0, x1;
	unsigned long n;
	uint64_t ns;
};

static void flush(FILE *f, int c, struct pend *p)
{
	char buf[32];
	int lane = colours[c].lane;

	if (!p->n)
		return;
	fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
		"height=\"%.0f\"><title>%lu x %s, %s</title></rect>",
		colours[c].cls, p->x0, lane_y[lane],
		p->x1 - p->x0 < 0.3 ? 0.3 : p->x1 - p->x0, lane_h[lane], p->n,
		colours[c].what, obs_fmt_ns(buf, sizeof(buf), p->ns));
	p->n = 0;
}

/* A tick every 1, 2 or 5 times a power of ten: 4 to 10 of them. */
static uint64_t tick_step(uint64_t span_ns)
{
	uint64_t p = 1;

	while (p * 10 <= span_ns)
		p *= 10;
	if (span_ns / p >= 5 || p < 10)
		return p;
	return span_ns / p >= 2 ? p / 2 : p / 5;
}

static void axis(FILE *f, uint64_t span_ns)
{
	uint64_t step = tick_step(span_ns), t;
	double w = TL_W - TL_X0, x;
	char buf[32];

	for (int i = 0; i < LANES; i++)
		fprintf(f, "<rect class=\"lane\" x=\"%.0f\" y=\"%.0f\" "
			"width=\"%.0f\" height=\"%.0f\"/><text x=\"0\" "
			"y=\"%.0f\">%s</text>", TL_X0, lane_y[i], w,
			lane_h[i], lane_y[i] + lane_h[i] - 1, lane_name[i]);
	for (t = 0; t <= span_ns; t += step) {
		x = TL_X0 + w * t / span_ns;
		fprintf(f, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" "
			"y1=\"%.0f\" y2=\"%.0f\"/><text x=\"%.1f\" "
			"y=\"%.0f\" text-anchor=\"%s\">%s</text>", x, x,
			lane_y[0], TL_AXIS_Y, x, TL_AXIS_Y + 10,
			t == 0 ? "start" : x > TL_W - 30 ? "end" : "middle",
			obs_fmt_ns(buf, sizeof(buf), t));
	}
}

void obs_svg_timeline(FILE *f, const json_t *doc, const json_t *thread,
		      uint64_t span_ns)
{
	const json_t *spans = json_object_get(json_object_get(doc, "timeline"),
					      "spans"), *s;
	json_int_t tid = jnum(thread, "tid");
	struct pend pend[C__COUNT] = {};
	double scale = (TL_W - TL_X0) / (span_ns ? span_ns : 1);
	size_t i;
	int c;

	fprintf(f, "<svg class=\"timeline\" data-tid=\"%lld\" data-role=\"",
		(long long)tid);
	obs_html_esc(f, jstr(thread, "role"));
	fprintf(f, "\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">", TL_W, TL_H);
	axis(f, span_ns);
	json_array_foreach(spans, i, s) {
		json_int_t t = jnum(s, "t_ns"), ns = jnum(s, "ns");
		double x0, x1;

		if (jnum(s, "tid") != tid || (c = span_colour(s)) < 0)
			continue;
		if (t < 0) {
			ns += t;
			t = 0;
		}
		if (ns < 0 || (uint64_t)t >= span_ns)
			continue;
		x0 = TL_X0 + t * scale;
		x1 = TL_X0 + ((uint64_t)(t + ns) > span_ns ? span_ns :
			      (uint64_t)(t + ns)) * scale;
		if (pend[c].n && x0 > pend[c].x1 + MERGE_GAP)
			flush(f, c, &pend[c]);
		if (!pend[c].n)
			pend[c].x0 = x0;
		if (!pend[c].n || x1 > pend[c].x1)
			pend[c].x1 = x1;
		pend[c].n++;
		pend[c].ns += ns;
	}
	for (c = 0; c < C__COUNT; c++)
		flush(f, c, &pend[c]);
	fputs("</svg>\n", f);
}

void obs_svg_hist(FILE *f, const char *title, const json_t *hist)
{
	const double w = 600, h = 150, top = 14, base = 126;
	const json_t *b;
	json_int_t max = 0;
	size_t i, n = json_array_size(hist);
	char buf[32];

	json_array_foreach(hist, i, b)
		if (jnum(b, "count") > max)
			max = jnum(b, "count");
	fputs("<figure class=\"hist\"><figcaption>", f);
	obs_html_esc(f, title);
	fputs("</figcaption>", f);
	if (!max) {
		fputs("<p class=\"none\">nothing measured</p></figure>\n", f);
		return;
	}
	fprintf(f, "<svg class=\"hist\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\">", w, h);
	json_array_foreach(hist, i, b) {
		double bw = w / n, x = i * bw;
		json_int_t cnt = jnum(b, "count");
		double bh = (base - top) * cnt / max;

		fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\"><title>%lld</title>"
			"</rect>", x + 1, base - bh, bw - 2, bh, (long long)cnt);
		if (cnt)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" "
				"text-anchor=\"middle\">%lld</text>",
				x + bw / 2, base - bh - 2, (long long)cnt);
		if (i % (n > 12 ? 2 : 1) == 0)
			fprintf(f, "<text x=\"%.1f\" y=\"%.0f\">%s</text>",
				x + 1, base + 12, obs_fmt_ns(buf, sizeof(buf),
					(uint64_t)jnum(b, "lo")));
	}
	fputs("</svg></figure>\n", f);
}
