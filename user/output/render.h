/* SPDX-License-Identifier: MIT */
/*
 * render.h - the visual outputs (--html, html.h; --trace, trace.h) of a
 * run, or of a saved --json document (observe report).  Both draw the JSON
 * document: a live run's is built in memory first, so a saved document
 * draws the very pages its run drew.
 */
#ifndef OBS_OUTPUT_RENDER_H
#define OBS_OUTPUT_RENDER_H

#include <stdio.h>
#include "run.h"

/* Writes the run's HTML to html and its trace to trace (either may be
 * NULL).  0 or -errno, printed. */
int obs_render_run(const struct obs_run *run, FILE *html, FILE *trace);

/* observe report PATH: the saved document's HTML to html_path and trace
 * to trace_path (either may be NULL); no root needed.  0 or -errno,
 * printed. */
int obs_render_saved(const char *path, const char *html_path,
		     const char *trace_path);

#endif
