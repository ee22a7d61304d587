// SPDX-License-Identifier: MIT
/*
 * fuzz_cli - observe's command line (user/cli.c) on hostile arguments: the
 * input split at NUL bytes is argv[1..], parsed by obs_cli_parse_flags as
 * obs_cli_parse parses it, but with ARGP_NO_EXIT, so that bad usage
 * returns instead of exiting the fuzzer.  And ARGP_NO_HELP: argp's own
 * hidden --HANG (any unique prefix, "--H") sleeps an hour, and its
 * --program-name keeps a pointer into argv, which this harness frees.
 *
 * Checked beyond "no crash, no sanitizer report": what a successful parse
 * promises main() (cli.h), i.e. --diagnose alone or exactly one of -p and
 * "-- CMD" with a NULL-terminated command for execvp, values in their
 * documented ranges, and the default role globs.
 */
#include <argp.h>
#include <string.h>
#include "cli.h"
#include "fuzz.h"

#define ARGS_MAX 64

static void check_env(const struct obs_env *env)
{
	FUZZ_CHECK(env->threshold_ms <= 3600 * 1000UL);
	FUZZ_CHECK(env->duration_s >= 0 && env->duration_s <= 1e7);
	FUZZ_CHECK(env->interval_s >= 0 && env->interval_s <= 1e7);
	FUZZ_CHECK(env->budget_pct >= 0 && env->budget_pct <= 100);
	if (env->diagnose) {
		FUZZ_CHECK(!env->argv && !env->pid && !env->output);
		return;
	}
	FUZZ_CHECK(!env->argv != !env->pid);
	FUZZ_CHECK(env->pid >= 0);
	if (env->argv)
		FUZZ_CHECK(env->argc > 0 && env->argv[0] &&
			   !env->argv[env->argc]);
	FUZZ_CHECK(env->nworker_globs >= 1 &&
		   env->nworker_globs <= OBS_MAX_GLOBS);
	FUZZ_CHECK(env->nblocking_globs >= 1 &&
		   env->nblocking_globs <= OBS_MAX_GLOBS);
	FUZZ_CHECK(!env->folded || (env->threshold_ms && !env->no_ustacks));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[ARGS_MAX + 1], *p, *end;
	struct obs_env env;
	int argc = 1;

	/* NUL-terminated, so that the last argument ends too */
	buf = malloc(size + 1);
	FUZZ_CHECK(buf);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"observe";
	end = buf + size;
	for (p = buf; p < end && argc < ARGS_MAX; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	if (!obs_cli_parse_flags(argc, argv, &env, ARGP_NO_EXIT | ARGP_NO_HELP))
		check_env(&env);
	free(buf);
	return 0;
}
