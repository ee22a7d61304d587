/* SPDX-License-Identifier: MIT */
/*
 * diag_fixtures.h - the recorded runs of tests/unit/fixtures/diag (real
 * `observe --json` documents), for the tests that read them.  Include after
 * tap.h.
 */
#ifndef TEST_DIAG_FIXTURES_H
#define TEST_DIAG_FIXTURES_H

#include <jansson.h>
#include <libgen.h>
#include <stdio.h>

/* The fixtures' folder, found from this header's own path. */
static const char *fixture_dir(void)
{
	static char dir[4096];
	char src[] = __FILE__;

	snprintf(dir, sizeof(dir), "%s/fixtures/diag", dirname(src));
	return dir;
}

/* The fixture NAME.json, parsed; a failure fails the test. */
static json_t *load_json(const char *name)
{
	json_error_t jerr;
	char path[4200];
	json_t *root;

	snprintf(path, sizeof(path), "%s/%s.json", fixture_dir(), name);
	root = json_load_file(path, 0, &jerr);
	if (!root)
		TAP_FAIL("%s: %s (line %d)", path, jerr.text, jerr.line);
	return root;
}

#endif
