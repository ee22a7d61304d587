/* SPDX-License-Identifier: MIT */
/*
 * json.h - the JSON document of a run (docs/observe-json.md).
 */
#ifndef OBS_OUTPUT_JSON_H
#define OBS_OUTPUT_JSON_H

#include <stdio.h>
#include "run.h"

/* The whole document, verdict included; 0 or -errno. */
int obs_json_print(FILE *f, const struct obs_run *run);

#endif
