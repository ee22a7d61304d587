/* SPDX-License-Identifier: MIT */
/*
 * scratch.h - a fresh directory for the files one test builds, and its
 * removal.  One per test process: tap.h runs each TEST in its own fork, so
 * the static template is filled once per test.
 */
#ifndef TESTS_UNIT_SCRATCH_H
#define TESTS_UNIT_SCRATCH_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include "../tap.h"

static inline char *scratch_dir(void)
{
	static char dir[] = "/tmp/obs_test.XXXXXX";

	ASSERT_NOT_NULL(mkdtemp(dir));
	return dir;
}

static inline void scratch_rm(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ASSERT_EQ(system(cmd), 0);
}

#endif
