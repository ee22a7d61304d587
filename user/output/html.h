/* SPDX-License-Identifier: MIT */
/*
 * html.h - a run as one self-contained HTML page, drawn from its JSON
 * document (docs/observe-json.md): the verdict, its evidence and remedy at
 * the top; a timeline per worker and blocking-pool thread (inline SVG);
 * the run-queue delay and poll duration histograms; the futex and lock
 * tables; the top call sites; what observing cost.  No script, no fetch:
 * style and pictures are inline, so the file opens anywhere, offline.
 */
#ifndef OBS_OUTPUT_HTML_H
#define OBS_OUTPUT_HTML_H

#include <stdio.h>

struct json_t;

/* 0 or -errno (-EINVAL: doc is not an observe document). */
int obs_html_write(FILE *f, const struct json_t *doc);

#endif
