/* SPDX-License-Identifier: MIT */
/*
 * diag_json.h - a saved `observe --json` document -> struct diag_input, so
 * that `observe --diagnose FILE.json` gives the rules (analysis/diagnose.h)
 * the same input observe gave them when it wrote the document, without
 * root and without the target.
 *
 *	struct diag_input *in = calloc(1, sizeof(*in));	(~240 KB: heap)
 *	char why[256];
 *	if (diag_json_load("run.json", in, why, sizeof(why)))
 *		... fprintf(stderr, "observe: run.json: %s\n", why) ...
 *	else if (!diag_run(in, &res))
 *		...
 *
 * The document's format: docs/observe-json.md.  The reading follows
 * analysis/diag_fill.c (the live path) field by field, with the same bounds
 * and the same spans kept (diag_pick_spans); test_diag_json checks that a
 * recorded document's own verdict is the one derived from it again.
 */
#ifndef OBS_DIAG_JSON_H
#define OBS_DIAG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "analysis/diagnose.h"

/*
 * Fills `in` (zeroed here) from a parsed document: the kernel tier, and with
 * with_runtime its "runtime" object too (null there: no runtime tier, the
 * kernel tier alone).  ncpus from the document's "ncpus", else this
 * machine's.  0, or -EINVAL when root is not an observe document (no
 * duration_s, "runtime" neither an object with "workers" nor null).
 */
int diag_json_fill(struct diag_input *in, json_t *root, bool with_runtime);

/*
 * Reads the document at path and fills `in` with both tiers.  0 or -errno:
 * the file's (-ENOENT, -EACCES, ...) when it cannot be read, -EINVAL when
 * it is not JSON or not an observe document.  On failure err (errlen > 0)
 * holds one line without the path, which the caller names:
 * "line 3: unexpected token near 'x'", "not an observe JSON document: no
 * duration_s", "No such file or directory".
 */
int diag_json_load(const char *path, struct diag_input *in, char *err,
		   size_t errlen);

#endif
