/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the demos' common command line (argp):
 *   --workers N  worker threads (default: online CPUs)
 *   --secs S     run length in seconds (fractions allowed)
 *   --fixed      apply the standard remedy
 *   --json       one JSON object on stdout at exit
 *
 * A demo defines its own struct argp (its options, parser and doc) and calls
 * cli_parse(), which adds the common options as an argp child and turns
 * usage errors into exit status 2.
 */
#ifndef DEMO_CLI_H
#define DEMO_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

struct cli_env {
	int workers;
	double secs;
	bool fixed;
	bool json;
};

/* Filled by cli_parse(); defaults apply to what the command line omits. */
extern struct cli_env cli_env;

/* Parses argv with `demo` (its children must be NULL: the common options are
 * attached here).  default_secs is the demo's run length.  Exits 2 with one
 * error line on a usage error. */
void cli_parse(struct argp *demo, int argc, char **argv, double default_secs);

/* For the demos' own parsers: strict numbers; on failure they report
 * "invalid value for --name: 'arg'" through argp and exit 2. */
long cli_long(struct argp_state *state, const char *name, const char *arg,
	      long min, long max);
double cli_double(struct argp_state *state, const char *name, const char *arg,
		  double min, double max);

/* Run length in nanoseconds. */
uint64_t cli_secs_ns(void);

#endif /* DEMO_CLI_H */
