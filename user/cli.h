/* SPDX-License-Identifier: MIT */
/*
 * cli.h - observe's command line (argp) and the settings it produces.
 */
#ifndef OBS_CLI_H
#define OBS_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#define OBS_MAX_GLOBS 16

#define OBS_CLI_MAX_PIDS 64	/* -p, several (scope.h follows them) */

struct obs_env {
	pid_t pid;			/* -p given once: attach mode; 0 otherwise */
	pid_t pids[OBS_CLI_MAX_PIDS];	/* every -p PID (also "-p 1,2,3") */
	int npids;
	bool all;			/* -a: every user process */
	const char *cgroup;		/* --cgroup PATH */
	const char *prometheus;		/* --prometheus ADDR:PORT */
	unsigned long top;		/* --top K: processes ranked and exported */
	char **argv;			/* after --: launch mode, NULL otherwise */
	int argc;
	double duration_s;		/* -d, 0: until the target exits */
	double interval_s;		/* -i, 0: no interval reports */
	bool json;			/* --json */
	const char *output;		/* -o FILE, NULL: stdout */
	const char *folded;		/* --folded FILE, NULL: none */
	bool no_ustacks;		/* --no-ustacks: no DWARF stacks */
	double budget_pct;		/* --budget, 0: none */
	const char *worker_globs[OBS_MAX_GLOBS];	/* --workers */
	int nworker_globs;
	const char *blocking_globs[OBS_MAX_GLOBS];
	int nblocking_globs;
	bool roles_given;		/* --workers or --blocking: names win over
					 * a runtime tier's roles */
	unsigned long threshold_ms;	/* --threshold-ms */
	bool verbose;			/* -v */
	bool keep_root;			/* --keep-root */
	bool no_runtime;		/* --no-runtime: kernel tier only */
	const char *diagnose;		/* --diagnose FILE: no run at all */
	const char *trace;		/* --trace FILE: Chrome Trace Event JSON */
	const char *html;		/* --html FILE: the HTML report */
	bool report_cmd;		/* observe report FILE.json: no run */
	const char *report;		/* its FILE.json */
};

/* Several processes at once (-a, --cgroup, -p given twice or more): the
 * host report, per process. */
bool obs_env_multi(const struct obs_env *env);

/*
 * Parses argv into env.  Bad usage prints one line on stderr and exits 2
 * (argp's own errors add its "Try --help" hint); --help exits 0.
 */
void obs_cli_parse(int argc, char **argv, struct obs_env *env);

/*
 * obs_cli_parse without its own exit, for the fuzzer (tests/fuzz): 0 when
 * env is ready, -EINVAL after bad usage's line.  argp_flags go to
 * argp_parse; with ARGP_NO_EXIT argp's errors return too, and its --help
 * and --version print and go on.
 */
int obs_cli_parse_flags(int argc, char **argv, struct obs_env *env,
			unsigned int argp_flags);

#endif
