// SPDX-License-Identifier: MIT
/* cli.c - common demo options, see cli.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

/* The runtime caps nothing; this only keeps a typo from spawning 1e6 threads. */
#define CLI_MAX_WORKERS 256
#define CLI_MAX_SECS 3600.0

struct cli_env cli_env;

enum {
	OPT_WORKERS = 0x100,
	OPT_SECS,
	OPT_FIXED,
	OPT_JSON,
};

static const struct argp_option cli_options[] = {
	{ "workers", OPT_WORKERS, "N", 0, "Worker threads (default: online CPUs)", 0 },
	{ "secs", OPT_SECS, "S", 0, "Run for S seconds (fractions allowed)", 0 },
	{ "fixed", OPT_FIXED, NULL, 0, "Apply the standard remedy", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print one JSON object on stdout at exit", 0 },
	{},
};

long cli_long(struct argp_state *state, const char *name, const char *arg,
	      long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max)
		argp_failure(state, 2, 0,
			     "invalid value for --%s: '%s' (want an integer in [%ld, %ld])",
			     name, arg, min, max);
	return v;
}

double cli_double(struct argp_state *state, const char *name, const char *arg,
		  double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < min || v > max)
		argp_failure(state, 2, 0,
			     "invalid value for --%s: '%s' (want a number in [%g, %g])",
			     name, arg, min, max);
	return v;
}

static error_t cli_parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_WORKERS:
		cli_env.workers = (int)cli_long(state, "workers", arg, 1,
						CLI_MAX_WORKERS);
		break;
	case OPT_SECS:
		cli_env.secs = cli_double(state, "secs", arg, 0.001, CLI_MAX_SECS);
		break;
	case OPT_FIXED:
		cli_env.fixed = true;
		break;
	case OPT_JSON:
		cli_env.json = true;
		break;
	case ARGP_KEY_ARG:
		argp_failure(state, 2, 0, "unexpected argument: '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp cli_argp = {
	.options = cli_options,
	.parser = cli_parse_opt,
};

void cli_parse(struct argp *demo, int argc, char **argv, double default_secs)
{
	struct argp_child children[] = {
		{ &cli_argp, 0, "Common options:", -1 },
		{},
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	cli_env.workers = ncpu > 0 ? (int)ncpu : 1;
	cli_env.secs = default_secs;
	cli_env.fixed = false;
	cli_env.json = false;

	/* argp exits 64 on usage errors by default; the project uses 2. */
	argp_err_exit_status = 2;
	demo->children = children;
	err = argp_parse(demo, argc, argv, 0, NULL, NULL);
	demo->children = NULL;
	if (err) {
		fprintf(stderr, "%s: bad command line\n", argv[0]);
		exit(2);
	}
}

uint64_t cli_secs_ns(void)
{
	return (uint64_t)(cli_env.secs * 1e9);
}
