/* SPDX-License-Identifier: MIT */
/*
 * verdict.h - a diagnosis (analysis/diagnose.h) as the outputs show it: in
 * words for the report, as the JSON document's verdict/findings/notes, and
 * as the one line of an -i interval.  Printers only: the diagnosis is
 * computed once, by the analysis stage.
 */
#ifndef OBS_OUTPUT_VERDICT_H
#define OBS_OUTPUT_VERDICT_H

#include <stdio.h>
#include "analysis/diagnose.h"

/* The verdict in plain words, its evidence and remedy, then the other
 * findings and the notes. */
void obs_verdict_print(FILE *f, const struct diag_result *res);

/* "[   2.00s] verdict: SHAPE LEVEL (CONF) [also ...]: first evidence" */
void obs_verdict_print_line(FILE *f, double t_s, const struct diag_result *res);

/*
 * {"verdict": {shape, confidence, confidence_level, evidence[], remedy},
 *  "findings": [same form, ranked], "notes": [...]}; a new reference
 * (json_decref it), NULL on allocation failure or an empty result.
 * confidence is rounded to 2 decimals: dump with JSON_REAL_PRECISION(10)
 * or it prints as 0.90000000000000002.
 */
struct json_t;
struct json_t *obs_verdict_json(const struct diag_result *res);

#endif
