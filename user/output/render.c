// SPDX-License-Identifier: MIT
/*
 * render.c - a run or a saved document to the visual outputs (render.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "output/html.h"
#include "output/json.h"
#include "output/render.h"
#include "output/trace.h"

/* Draws doc into html and trace (either may be NULL); prints a failure. */
static int draw(const json_t *doc, FILE *html, FILE *trace, const char *src)
{
	int err = 0;

	if (html && (err = obs_html_write(html, doc)))
		fprintf(stderr, "observe: cannot write the HTML of %s: %s\n",
			src, strerror(-err));
	if (!err && trace && (err = obs_trace_write(trace, doc)))
		fprintf(stderr, "observe: cannot write the trace of %s: %s\n",
			src, strerror(-err));
	return err;
}

int obs_render_run(const struct obs_run *run, FILE *html, FILE *trace)
{
	char *buf = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *doc = NULL;
	FILE *mem = open_memstream(&buf, &len);
	int err = mem ? obs_json_print(mem, run, false) : -errno;

	if (mem && fclose(mem) && !err)
		err = -ENOMEM;
	if (!err && !(doc = json_loadb(buf, len, 0, &jerr)))
		err = -ENOMEM;
	free(buf);
	if (err) {
		fprintf(stderr, "observe: cannot draw the run: %s\n",
			strerror(-err));
		return err;
	}
	err = draw(doc, html, trace, "the run");
	json_decref(doc);
	return err;
}

static int open_out(const char *path, FILE **f)
{
	int err;

	*f = path ? fopen(path, "we") : NULL;
	if (!path || *f)
		return 0;
	err = -errno;
	fprintf(stderr, "observe: cannot open %s: %s\n", path, strerror(-err));
	return err;
}

int obs_render_saved(const char *path, const char *html_path,
		     const char *trace_path)
{
	FILE *html = NULL, *trace = NULL;
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	int err = 0;

	if (!doc) {	/* jansson's line is -1 when the file is unreadable */
		if (jerr.line > 0)
			fprintf(stderr, "observe: %s: line %d: %s\n", path,
				jerr.line, jerr.text);
		else
			fprintf(stderr, "observe: %s: %s\n", path, jerr.text);
		return -EINVAL;
	}
	if (json_integer_value(json_object_get(doc, "version")) != 1 ||
	    !json_is_object(json_object_get(doc, "timeline"))) {
		fprintf(stderr, "observe: %s: not an observe --json document "
			"with a timeline (version 1)\n", path);
		err = -EINVAL;
	}
	if (!err)
		err = open_out(html_path, &html);
	if (!err)
		err = open_out(trace_path, &trace);
	if (!err)
		err = draw(doc, html, trace, path);
	if (html && fclose(html) && !err)
		err = -EIO;
	if (trace && fclose(trace) && !err)
		err = -EIO;
	json_decref(doc);
	return err;
}
