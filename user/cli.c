// SPDX-License-Identifier: MIT
/*
 * cli.c - argp options of observe.  Everything after the first "--" is the
 * command to launch and is never parsed as options.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "version.h"	/* OBS_VERSION: git describe at build time */

#define EXIT_USAGE 2

/* observe -V: its own version, and the libbpf it runs with */
static void print_version(FILE *f, struct argp_state *state)
{
	(void)state;
	fprintf(f, "observe %s (libbpf %s)\n", OBS_VERSION,
		libbpf_version_string());
}

void (*argp_program_version_hook)(FILE *, struct argp_state *) = print_version;
error_t argp_err_exit_status = EXIT_USAGE;

static const char doc[] =
"observe: per-thread scheduling of a process (or of several, or of the whole\n"
"host), seen from the kernel and, when it carries the rt runtime's probes or\n"
"Tokio's symbols, from the runtime; and a verdict.\n"
"\n"
"Kernel tier (any process): on-CPU time, run-queue delay (after wakeups and\n"
"after preemptions), off-CPU time by the syscall each thread blocked in, and\n"
"futex waits per address with who woke whom.  Runtime tier (rt USDT probes):\n"
"polls, slow polls with what the kernel saw during them, scheduling delay,\n"
"timer lateness, lock hold time running vs suspended, blocking-pool queueing.\n"
"The report opens with the verdict: executor starvation, mutex convoy,\n"
"suspension convoy, CPU overload or healthy, with its evidence.\n"
"Needs root (CAP_BPF and CAP_PERFMON) and a kernel with BTF.\n"
"\n"
"EXAMPLES:\n"
"    observe -p 1234                 # attach until 1234 exits or Ctrl-C\n"
"    observe -d 5 -p 1234            # attach for 5 seconds\n"
"    observe -- ./demos/demo_convoy  # launch, report when it exits\n"
"    observe -i 1 -- ./server        # a summary line every second\n"
"    observe --json -o run.json -- ./demos/demo_starvation\n"
"    observe --workers 'my-pool-*' -p 1234   # name a foreign runtime's workers\n"
"    observe --diagnose run.json     # the verdict of a saved run, again\n"
"    observe -a -d 10                # every process: whose workers suffer?\n"
"    observe --cgroup system.slice/my.service -i 5\n"
"    observe -a --prometheus 127.0.0.1:9464   # live metrics to scrape\n"
"    observe --html run.html --trace run.trace.json -- ./demos/demo_convoy\n"
"    observe report run.json --html run.html   # draw a saved run again\n"
"\n"
"EXIT STATUS: launch mode, the command's (128+N if signal N killed it);\n"
"attach mode and --diagnose 0; 1 on an error of observe; 2 bad usage;\n"
"126 the command cannot be executed; 127 command not found.\n"
"See docs/observe.md.\n";

enum {
	OPT_JSON = 1000,
	OPT_WORKERS,
	OPT_BLOCKING,
	OPT_THRESHOLD,
	OPT_KEEP_ROOT,
	OPT_NO_RUNTIME,
	OPT_DIAGNOSE,
	OPT_FOLDED,
	OPT_NO_USTACKS,
	OPT_BUDGET,
	OPT_CGROUP,
	OPT_PROMETHEUS,
	OPT_TOP,
	OPT_TRACE,
	OPT_HTML,
};

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Attach to process PID (all its threads); "
	  "repeatable, or PID,PID,...: each process on its own", 0 },
	{ "all", 'a', NULL, 0, "Every user process on the host, ranked by how "
	  "badly their runtime suffers", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0, "The processes of cgroup PATH and of "
	  "its descendants (v2 or v1; relative: under /sys/fs/cgroup, or its "
	  "unified/)", 0 },
	{ "top", OPT_TOP, "K", 0, "With several processes: rank and export the "
	  "K worst (default 20)", 0 },
	{ "prometheus", OPT_PROMETHEUS, "ADDR:PORT", 0, "Serve live metrics in "
	  "Prometheus' text format at http://ADDR:PORT/metrics (docs/metrics.md)", 0 },
	{ "duration", 'd', "SECS", 0,
	  "Stop after SECS seconds (default: until the target exits or Ctrl-C)", 0 },
	{ "interval", 'i', "SECS", 0, "Print a summary line every SECS seconds", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print one JSON document at the end; with "
	  "-i, JSON Lines: one object per interval, then the run's", 0 },
	{ "output", 'o', "FILE", 0, "Write the report (or JSON) to FILE", 0 },
	{ "workers", OPT_WORKERS, "GLOB", 0,
	  "Worker threads by name, repeatable (default: rt-worker-* tokio-runtime-w*)", 0 },
	{ "blocking", OPT_BLOCKING, "GLOB", 0,
	  "Blocking-pool threads by name, repeatable (default: rt-blocking-*)", 0 },
	{ "threshold-ms", OPT_THRESHOLD, "MS", 0,
	  "Record single spans of at least MS ms as notable (default 10, 0: off)", 0 },
	{ "no-runtime", OPT_NO_RUNTIME, NULL, 0,
	  "Kernel tier only: do not attach the rt probes", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0,
	  "Also write the notable spans' stacks as folded stacks (flamegraph.pl, "
	  "speedscope), weights in us", 0 },
	{ "no-ustacks", OPT_NO_USTACKS, NULL, 0,
	  "Do not copy notable spans' user stacks for DWARF unwinding (their "
	  "frame-pointer stacks stay)", 0 },
	{ "budget", OPT_BUDGET, "PCT", 0,
	  "Keep observing under PCT% of one CPU: over it, shed waker "
	  "attribution, then notable spans, then CPU runs (docs/observe.md)", 0 },
	{ "diagnose", OPT_DIAGNOSE, "FILE", 0,
	  "Print the verdict of a saved --json document (no root needed; "
	  "with --json, as JSON)", 0 },
	{ "trace", OPT_TRACE, "FILE", 0,
	  "Also write a timeline as Chrome Trace Event JSON (Perfetto, "
	  "chrome://tracing): one track per thread", 0 },
	{ "html", OPT_HTML, "FILE", 0,
	  "Also write one self-contained HTML report: verdict, timelines, "
	  "histograms, tables", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug messages", 0 },
	{ "keep-root", OPT_KEEP_ROOT, NULL, 0,
	  "Run the launched command as root even under sudo", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{ 0 },
};

/* Bad usage: its one line on stderr; EINVAL, which ends argp_parse. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "observe: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	return EINVAL;
}

static FILE *hint_sink(void)
{
	static char buf[256];
	static FILE *sink;

	if (!sink)
		sink = fmemopen(buf, sizeof(buf), "w");
	return sink ? sink : stderr;
}

/* A real number in (0, max] into *v, else a usage error that says what is
 * wanted. */
static int parse_real(const char *opt, const char *arg, const char *want,
		      double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(arg, &end);
	if (errno || end == arg || *end || !(*v > 0) || *v > max)
		return usage_error("invalid %s '%s': want %s", opt, arg, want);
	return 0;
}

static int parse_secs(const char *opt, const char *arg, double *v)
{
	return parse_real(opt, arg, "seconds > 0", 1e7, v);
}

/* An unsigned decimal in [min, max] (no sign) into *v, else a usage error. */
static int parse_ulong(const char *what, const char *arg, unsigned long min,
		       unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || *v < min || *v > max)
		return usage_error("invalid %s '%s'", what, arg);
	return 0;
}

/* -p PID or -p PID,PID,...: each into env->pids. */
static int parse_pids(const char *arg, struct obs_env *env)
{
	char buf[256], *tok, *save = NULL;
	unsigned long ul;
	int err;

	if (strlen(arg) >= sizeof(buf))
		return usage_error("invalid PID list '%.32s...'", arg);
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if ((err = parse_ulong("PID", tok, 1, INT_MAX, &ul)))
			return err;
		if (env->npids >= OBS_CLI_MAX_PIDS)
			return usage_error("too many -p (at most %d; -a or "
					   "--cgroup follow more)", OBS_CLI_MAX_PIDS);
		env->pids[env->npids++] = (pid_t)ul;
	}
	if (!env->npids)
		return usage_error("invalid PID '%s'", arg);
	return 0;
}

/* ADDR:PORT, [ADDR6]:PORT or :PORT (every address); the address itself is
 * resolved when observe listens. */
static int check_listen_addr(const char *arg)
{
	const char *colon = strrchr(arg, ':');
	unsigned long port;
	char *end;

	if (!colon)
		return usage_error("invalid --prometheus '%s': want ADDR:PORT", arg);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535)
		return usage_error("invalid --prometheus port in '%s' (0-65535)",
				   arg);
	return 0;
}

/* The options that choose what is followed, and --prometheus;
 * ARGP_ERR_UNKNOWN for any other. */
static error_t parse_scope_arg(int key, char *arg, struct obs_env *env)
{
	switch (key) {
	case 'p':
		return parse_pids(arg, env);
	case 'a':
		env->all = true;
		return 0;
	case OPT_CGROUP:
		if (!*arg)
			return usage_error("empty --cgroup path");
		env->cgroup = arg;
		return 0;
	case OPT_TOP:
		return parse_ulong("--top", arg, 1, 10000, &env->top);
	case OPT_PROMETHEUS:
		env->prometheus = arg;
		return check_listen_addr(arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* --trace FILE, --html FILE; ARGP_ERR_UNKNOWN for any other key. */
static int parse_drawing(int key, const char *arg, struct obs_env *env)
{
	if (key != OPT_TRACE && key != OPT_HTML)
		return ARGP_ERR_UNKNOWN;
	if (!*arg)
		return usage_error("empty --%s file name",
				   key == OPT_TRACE ? "trace" : "html");
	*(key == OPT_TRACE ? &env->trace : &env->html) = arg;
	return 0;
}

/* A word before "--": only observe report FILE.json has any. */
static int parse_word(unsigned int nth, const char *arg, struct obs_env *env)
{
	if (nth == 0 && strcmp(arg, "report") == 0) {
		env->report_cmd = true;
		return 0;
	}
	if (nth == 1 && env->report_cmd) {
		env->report = arg;
		return 0;
	}
	return usage_error("unexpected argument '%s' (put the command "
			   "after --)", arg);
}

/* Every error is a usage error (its line printed): argp_parse stops and
 * returns it, and obs_cli_parse exits EXIT_USAGE. */
static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct obs_env *env = state->input;
	unsigned long ul = 0;
	int err = 0;

	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case 'd':
		err = parse_secs("duration", arg, &env->duration_s);
		break;
	case 'i':
		err = parse_secs("interval", arg, &env->interval_s);
		break;
	case OPT_JSON:
		env->json = true;
		break;
	case 'o':
		if (!*arg)
			return usage_error("empty output file name");
		env->output = arg;
		break;
	case OPT_WORKERS:
		if (env->nworker_globs >= OBS_MAX_GLOBS)
			return usage_error("too many --workers globs");
		env->worker_globs[env->nworker_globs++] = arg;
		break;
	case OPT_BLOCKING:
		if (env->nblocking_globs >= OBS_MAX_GLOBS)
			return usage_error("too many --blocking globs");
		env->blocking_globs[env->nblocking_globs++] = arg;
		break;
	case OPT_THRESHOLD:
		err = parse_ulong("--threshold-ms", arg, 0, 3600 * 1000UL, &ul);
		env->threshold_ms = ul;
		break;
	case 'v':
		env->verbose = true;
		break;
	case OPT_KEEP_ROOT:
		env->keep_root = true;
		break;
	case OPT_NO_RUNTIME:
		env->no_runtime = true;
		break;
	case OPT_DIAGNOSE:
		env->diagnose = arg;
		break;
	case OPT_NO_USTACKS:
		env->no_ustacks = true;
		break;
	case OPT_BUDGET:
		err = parse_real("--budget", arg,
				 "a percentage of one CPU, > 0 and <= 100", 100,
				 &env->budget_pct);
		break;
	case OPT_FOLDED:
		if (!*arg)
			return usage_error("empty --folded file name");
		env->folded = arg;
		break;
	case ARGP_KEY_INIT:
		/*
		 * getopt already printed one line for a bad option; argp's
		 * "Try --help" hint after it goes to a sink, so that bad usage
		 * is one line on stderr.
		 */
		state->err_stream = hint_sink();
		break;
	case ARGP_KEY_ARG:
		return parse_word(state->arg_num, arg, env);
	default:
		err = parse_scope_arg(key, arg, env);
		return err == ARGP_ERR_UNKNOWN ? parse_drawing(key, arg, env) : err;
	}
	return err;
}

/* The settings argp_parse cannot check: which go together, and defaults.
 * 0 or a usage error. */
static int check_env(struct obs_env *env)
{
	if (env->report_cmd && (!env->report || env->argv || env->npids ||
				env->all || env->cgroup || env->prometheus ||
				env->interval_s || env->duration_s ||
				env->output || env->json || env->diagnose ||
				env->folded))
		return usage_error("report FILE.json draws a saved run: only "
				   "--html and --trace go with it");
	if (env->report_cmd && !env->html && !env->trace)
		return usage_error("report FILE.json: --html FILE or --trace "
				   "FILE says what to write");
	if (env->report_cmd)
		return 0;
	if (obs_env_multi(env) && (env->html || env->trace))
		return usage_error("--html and --trace draw one process's run: "
				   "with several processes, -p PID one of them");
	if (env->diagnose && (env->html || env->trace))
		return usage_error("--diagnose FILE prints a verdict: draw a "
				   "saved run with observe report FILE");
	if (env->diagnose && (env->argv || env->npids || env->all ||
			      env->cgroup || env->interval_s ||
			      env->duration_s || env->output || env->prometheus))
		return usage_error("--diagnose FILE reads a saved run: only "
				   "--json goes with it");
	if (env->diagnose)
		return 0;
	if (env->all && (env->npids || env->cgroup))
		return usage_error("-a follows every process: no -p or --cgroup");
	if (env->cgroup && env->npids)
		return usage_error("--cgroup PATH and -p PID are mutually exclusive");
	if (env->argv && (env->npids || env->all || env->cgroup))
		return usage_error("%s and -- CMD are mutually exclusive",
				   env->all ? "-a" : env->cgroup ? "--cgroup" : "-p PID");
	if (env->argv && env->argc == 0)
		return usage_error("no command after --");
	if (!env->argv && !env->npids && !env->all && !env->cgroup)
		return usage_error("need -p PID, -a, --cgroup PATH or -- CMD "
				   "[ARGS...] (see --help)");
	if (env->top && !obs_env_multi(env))
		return usage_error("--top ranks several processes: with -a, "
				   "--cgroup or several -p");
	env->pid = env->npids == 1 ? env->pids[0] : 0;
	if (!env->top)
		env->top = 20;
	env->roles_given = env->nworker_globs || env->nblocking_globs;
	if (env->folded && (!env->threshold_ms || env->no_ustacks))
		return usage_error("--folded needs the spans' user stacks (no "
				   "--threshold-ms 0, no --no-ustacks)");
	if (!env->nworker_globs) {
		env->worker_globs[env->nworker_globs++] = "rt-worker-*";
		env->worker_globs[env->nworker_globs++] = "tokio-runtime-w*";
	}
	if (!env->nblocking_globs)
		env->blocking_globs[env->nblocking_globs++] = "rt-blocking-*";
	return 0;
}

bool obs_env_multi(const struct obs_env *env)
{
	return env->all || env->cgroup || env->npids > 1;
}

int obs_cli_parse_flags(int argc, char **argv, struct obs_env *env,
			unsigned int argp_flags)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse_arg,
		.args_doc = "-p PID | -a | --cgroup PATH | -- CMD [ARGS...] | "
			    "--diagnose FILE.json\n"
			    "report FILE.json (--html FILE | --trace FILE)",
		.doc = doc,
	};
	int i, nopts = argc;

	memset(env, 0, sizeof(*env));
	argv[0] = (char *)"observe";	/* getopt names argv[0] in its errors */
	env->threshold_ms = 10;

	/* Split at the first "--": what follows is the command, verbatim. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			nopts = i;
			env->argv = &argv[i + 1];
			env->argc = argc - i - 1;
			break;
		}
	}
	/* argp's own errors exit unless ARGP_NO_EXIT; its error then, or
	 * ours, whose line parse_arg printed */
	if (argp_parse(&argp, nopts, argv, argp_flags, NULL, env))
		return -EINVAL;
	return check_env(env) ? -EINVAL : 0;
}

void obs_cli_parse(int argc, char **argv, struct obs_env *env)
{
	if (obs_cli_parse_flags(argc, argv, env, 0))
		exit(EXIT_USAGE);
}
