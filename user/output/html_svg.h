/* SPDX-License-Identifier: MIT */
/*
 * html_svg.h - the pictures of the HTML report (html.h), inline SVG drawn
 * from a run's JSON document: a thread's timeline and a log2 histogram.
 * Their colours are CSS classes (obs_svg_css) from the one table the
 * legend is drawn from too, so that a picture and its legend agree.
 */
#ifndef OBS_OUTPUT_HTML_SVG_H
#define OBS_OUTPUT_HTML_SVG_H

#include <stdio.h>
#include <stdint.h>

struct json_t;

/* The style sheet of the pictures' classes, for the page's <style>. */
void obs_svg_css(FILE *f);

/* s with & < > " escaped for HTML text and attributes. */
void obs_html_esc(FILE *f, const char *s);

/* The legend of the timelines' colours, as HTML. */
void obs_svg_legend(FILE *f);

/*
 * One <svg class="timeline" data-tid data-role> of thread (an element of
 * the document's threads[]): its polls, kernel states, locks, and late
 * events, over [0, span_ns) of the run.  Spans under a unit of the
 * picture's width are merged with their neighbours of the same colour
 * (the title says how many).
 */
void obs_svg_timeline(FILE *f, const struct json_t *doc,
		      const struct json_t *thread, uint64_t span_ns);

/* A bar chart of hist ([{lo, hi, count}], log2 slots) with its title;
 * nothing drawn for an empty one but a line that says so. */
void obs_svg_hist(FILE *f, const char *title, const struct json_t *hist);

#endif
