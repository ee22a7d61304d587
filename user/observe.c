// SPDX-License-Identifier: MIT
/*
 * observe.c - the command: observe [options] (-p PID | -- CMD [ARGS...]),
 * or observe --diagnose FILE.json.  main() is the list of the pipeline's
 * stages (docs/design.md):
 *
 *	parse -> prepare -> start the target -> load BPF -> attach the tiers
 *	-> release the target -> run (ring buffer, -i intervals) -> finish
 *	(stop, detach, reap, read the snapshot) -> analyse -> outputs
 *
 * Lifecycle, as retsnoop and runqlat: the exit flag is installed before
 * anything is attached; open -> set rodata -> load -> attach -> poll; one
 * cleanup that tolerates NULL; err = -errno right after the failing call,
 * so a failure can never exit 0.
 *
 * Exit status: launch mode, the child's (128+signal if it was killed), like
 * perf stat; attach mode and --diagnose, 0; 1 on any error of observe
 * itself; 2 bad usage; 127 command not found, 126 command not executable.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include "observe.h"
#include "observe.skel.h"
#include "cli.h"
#include "target.h"
#include "run.h"
#include "analysis/diag_fill.h"
#include "analysis/host.h"
#include "analysis/roles.h"
#include "analysis/diag_json.h"
#include "output/folded.h"
#include "output/host_report.h"
#include "output/json.h"
#include "output/metrics.h"
#include "output/metrics_http.h"
#include "output/render.h"
#include "output/report.h"
#include "output/verdict.h"
#include "common/hist.h"
#include "stacks/ustacks.h"
#include "tiers/cost.h"
#include "tiers/cpu_sampler.h"
#include "tiers/kernel.h"
#include "tiers/runtime.h"
#include "tiers/seed.h"
#include "scope.h"
#include "tiers/spans.h"

#define POLL_MS_MAX	100	/* how often duration and exit are checked */
#define KILL_GRACE_MS	2000	/* SIGTERM -> SIGKILL for a launched child */
#define COST_PERIOD_S	10.0	/* the BPF statistics: a window this often */
#define BUDGET_PERIOD_S	2.0	/* ... and under --budget */
#define REAP_PERIOD_S	1.0	/* dead threads out of the maps, at most */
#define METRICS_PERIOD_S 1.0	/* --prometheus without -i: fresh this often */

static struct obs_env env;
static volatile sig_atomic_t exiting;
static volatile sig_atomic_t child_pid;	/* launch mode: forward signals */

/* Everything one run holds, from start to cleanup. */
struct session {
	struct obs_target target;	/* one process: -p PID or -- CMD */
	struct obs_scope scope;		/* several: kind != OBS_SCOPE_ONE */
	struct observe_bpf *skel;
	struct ring_buffer *rb;
	struct obs_map_fds fds;
	struct obs_roles_cfg roles;
	struct obs_runtime runtime;
	bool late_attach_failed;	/* --cgroup's new members: said once */
	struct obs_exited exited;	/* rows reaped from the maps */
	double reaped_at;
	FILE *out;			/* the report or the JSON document */
	FILE *folded;			/* --folded FILE, or NULL */
	FILE *html, *trace;		/* --html, --trace FILE, or NULL */
	struct obs_spans spans;		/* the timeline's (tiers/spans.h) */
	double t0;			/* the run starts (after release) */
	bool timed_out;			/* -d expired */
	/* the ring buffer's: notable spans and slow polls (the run's and
	 * the current interval's) */
	struct obs_notables notables;
	struct obs_rt_longest_set longest;	/* by process (several) */
	/* the user stacks of notable spans, and the sampler of long CPU runs
	 * (both off without a threshold, or off x86_64) */
	struct obs_ustacks ustacks;
	struct obs_cpu_sampler sampler;
	/* the final snapshot */
	struct obs_snapshot snap;
	struct obs_rt_set rtset;
	struct obs_run run;
	struct obs_host host;		/* several processes: snap split */
	struct obs_metrics *metrics;	/* --prometheus */
	/* what observing costs, measured during the run */
	struct obs_cost cost;
	struct obs_cost_result cost_result;
};

/*
 * Ctrl-C at the terminal reaches the whole foreground process group, the
 * child included (si_code SI_KERNEL): forwarding it would deliver it twice.
 * A signal sent to observe alone (kill, timeout: si_code <= 0) is forwarded.
 */
static void sig_handler(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	exiting = sig;
	if (child_pid > 0 && (!si || si->si_code <= 0))
		kill(child_pid, sig);
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt,
			   va_list args)
{
	if ((level == LIBBPF_DEBUG || obs_libbpf_quiet) && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool multi(const struct session *s)
{
	return s->scope.kind != OBS_SCOPE_ONE;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;
	__u32 kind;

	if (len < sizeof(kind))
		return 0;
	memcpy(&kind, data, sizeof(kind));
	if (kind == OBS_EV_SLOW_POLL) {
		if (len >= sizeof(struct obs_poll_event)) {
			const struct obs_poll_event *e = data;

			/* no memory: the poll goes unlisted (still counted
			 * in its worker's slow polls) */
			obs_rt_longest_set_add(&s->longest, multi(s) ? e->tgid : 0, e);
		}
	} else if (len >= sizeof(struct obs_event)) {
		obs_notables_add(&s->notables, data, s->fds.stacks);
	}
	return 0;
}

/* Both tiers as of now_ns, open spans charged up to it; a failure is
 * printed. */
static int read_tiers(struct session *s, struct obs_snapshot *ks,
		      struct obs_rt_set *rs, uint64_t now_ns)
{
	int err = obs_snapshot_read(ks, &s->fds, &s->exited, &s->roles,
				    now_ns);

	/* roles from names; unless named ones were given, then from the
	 * runtime tier, then from behaviour */
	if (!err && !env.roles_given) {
		obs_runtime_roles(&s->runtime, ks);
		obs_roles_decide(ks);
	}
	if (!err)
		err = obs_runtime_read(&s->runtime, rs, ks);
	if (err)
		fprintf(stderr, "observe: cannot read BPF maps: %s\n",
			strerror(-err));
	return err;
}

/* ---- stages -------------------------------------------------------------- */

/* An output file, opened before anything is attached: a bad path is one
 * line and nothing to undo. */
static int open_output(const char *path, FILE **f)
{
	int err;

	*f = fopen(path, "we");
	if (*f)
		return 0;
	err = -errno;
	fprintf(stderr, "observe: cannot open %s: %s\n", path, strerror(-err));
	return err;
}

/* Root and BTF, libbpf's messages, the signals, the output files. */
static int prepare(struct session *s)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct sigaction sa = {
		.sa_sigaction = sig_handler,
		.sa_flags = SA_SIGINFO,
	};
	int err = obs_preflight();

	if (err)
		return err;
	libbpf_set_print(libbpf_print_fn);
	/* needed only before 5.11 (memcg accounting); harmless after */
	setrlimit(RLIMIT_MEMLOCK, &rl);
	/* installed before anything is attached or launched */
	sigemptyset(&sa.sa_mask);
	/* each ends the run with a report (SIGHUP: the terminal went away) */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL)) {
		err = -errno;
		fprintf(stderr, "observe: sigaction: %s\n", strerror(-err));
		return err;
	}
	if (env.output && (err = open_output(env.output, &s->out)))
		return err;
	if (env.folded && (err = open_output(env.folded, &s->folded)))
		return err;
	if (env.prometheus && (err = obs_metrics_start(&s->metrics, env.prometheus)))
		return err;
	if (env.html && (err = open_output(env.html, &s->html)))
		return err;
	if (env.trace && (err = open_output(env.trace, &s->trace)))
		return err;
	return 0;
}

/* Launch mode: the child forked and held; attach mode: the PID checked;
 * several processes: each PID, or the cgroup, checked. */
static int start_target(struct session *s)
{
	int err;

	if (multi(s))
		return obs_scope_open(&s->scope, s->scope.kind, env.pids,
				      env.npids, env.cgroup);
	err = env.argv ? obs_target_launch(&s->target, env.argv, env.keep_root) :
			 obs_target_attach(&s->target, env.pid);

	if (!err && s->target.launched)
		child_pid = s->target.pid;
	return err;
}

/* Open the BPF object, configure the kernel tier, load. */
static int load_bpf(struct session *s)
{
	struct obs_kernel_cfg cfg = {
		.tgid = s->target.pid, .follow_all = env.all,
		.follow_children = env.argv != NULL || env.cgroup != NULL,
		.threshold_ms = env.threshold_ms, .verbose = env.verbose,
		.ustacks = !env.no_ustacks,
	};
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .btf_custom_path = obs_kernel_btf_path());
	int err;

	s->skel = observe_bpf__open_opts(&opts);
	if (!s->skel) {
		err = -errno;
		fprintf(stderr, "observe: failed to open BPF object: %s\n",
			strerror(-err));
		return err;
	}
	obs_kernel_configure(s->skel, &cfg);
	obs_spans_configure(s->skel, env.html || env.trace);
	if (!env.no_runtime)
		obs_runtime_configure(s->skel);
	err = observe_bpf__load(s->skel);
	if (err)
		fprintf(stderr, "observe: failed to load BPF programs: %s "
			"(-v shows the verifier log)\n", strerror(-err));
	return err;
}

/* A full table of stacks keeps those of the spans kept so far. */
static bool span_wants_stack(void *ctx, uint64_t id)
{
	const struct obs_notables *nb = ctx;

	for (size_t i = 0; i < nb->n; i++)
		if (nb->items[i].ev.ustack_copy == id)
			return true;
	return false;
}

/*
 * The user stacks of notable spans: their ring buffer, and the CPU sampler
 * that copies the stacks of long CPU runs (at half the threshold, so that
 * a run of the threshold gets a sample).  Without the sampler the spans of
 * syscalls still get theirs.
 */
static int attach_ustacks(struct session *s)
{
	int err = obs_ustacks_init(&s->ustacks,
				   s->target.launched ? 0 : s->target.pid);

	s->ustacks.wanted = span_wants_stack;
	s->ustacks.wanted_ctx = &s->notables;
	if (!err)
		err = ring_buffer__add(s->rb, bpf_map__fd(s->skel->maps.ustacks),
				       obs_ustacks_add, &s->ustacks);
	if (err) {
		fprintf(stderr, "observe: cannot read user stacks: %s\n",
			strerror(-err));
		return err;
	}
	obs_cpu_sampler_attach(&s->sampler, s->skel->progs.obs_cpu_sample,
			       env.threshold_ms * NSEC_PER_MSEC / 2);
	return 0;
}

/* Several processes: the set into the filter, then the runtime tiers
 * tried on each one there now (followed first: the rt runtime announces its
 * workers once, right after its probes attach). */
static int attach_scope_runtimes(struct session *s)
{
	pid_t *pids = NULL;
	size_t n = 0;
	int err = obs_scope_follow(&s->scope, s->skel);

	if (!err && (err = obs_scope_list(&s->scope, &pids, &n)))
		fprintf(stderr, "observe: cannot list the processes: %s\n",
			strerror(-err));
	for (size_t i = 0; i < n && !err; i++)
		err = obs_runtime_attach(&s->runtime, s->skel, pids[i], NULL);
	free(pids);
	return err;
}

/* --cgroup: the runtime tiers tried on the members that entered it since
 * (a service restarted); a failure is printed once and the run goes on. */
static void attach_new_members(struct session *s)
{
	int err = 0;

	for (size_t i = 0; i < s->scope.nmembers && !err; i++)
		err = obs_runtime_attach(&s->runtime, s->skel,
					 s->scope.members[i], NULL);
	if (err && !s->late_attach_failed) {
		fprintf(stderr, "observe: cannot attach the runtime tiers to "
			"new members: %s\n", strerror(-err));
		s->late_attach_failed = true;
	}
}

/*
 * A runtime tier on each process one recognises, the kernel tier, and the
 * ring buffer.  The kernel tier goes last: a runtime tier's attach can take
 * a while (uprobes), and the kernel tier's time should start where the run
 * does (duration_s).
 */
static int attach_tiers(struct session *s)
{
	int err = 0;

	s->runtime.several = multi(s);
	if (multi(s))
		err = env.no_runtime ? obs_scope_follow(&s->scope, s->skel) :
				       attach_scope_runtimes(s);
	else if (!env.no_runtime)
		err = obs_runtime_attach(&s->runtime, s->skel, s->target.pid,
					 s->target.launched ? env.argv[0] : NULL);
	if (!err)
		err = obs_kernel_attach(s->skel, &s->fds);
	if (err)
		return err;
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event,
				 s, NULL);
	if (!s->rb) {
		err = -errno;
		fprintf(stderr, "observe: failed to create ring buffer: %s\n",
			strerror(-err));
		return err;
	}
	err = obs_spans_attach(&s->spans, s->skel, s->rb,
			       env.threshold_ms * NSEC_PER_MSEC);
	if (err)
		return err;
	return obs_kernel_ustacks(s->skel) ? attach_ustacks(s) : 0;
}

/* Several processes (followed since attach_tiers): their threads seeded
 * (none under -a: every process on the box would get rows). */
static int follow_scope(struct session *s)
{
	int err = obs_scope_seed(&s->scope, s->fds.threads, obs_now_ns());

	if (err < 0) {
		fprintf(stderr, "observe: cannot list threads: %s\n",
			strerror(-err));
		return err;
	}
	if (!env.json && s->out == stdout)
		fprintf(stderr, "observe: following %s; Ctrl-C to stop\n",
			env.all ? "every process" : env.cgroup ? s->scope.cgroup :
			"the processes");
	return 0;
}

/* Launch mode: the child execs; attach mode: the threads that exist are
 * seeded, so that those sleeping through the window still get a row. */
static int release_target(struct session *s, int *exit_code)
{
	struct obs_target *t = &s->target;
	int err;

	if (multi(s))
		return follow_scope(s);
	if (t->launched) {
		err = obs_target_release(t, env.argv[0]);
		if (err)
			*exit_code = err == -ENOENT ? 127 : 126;
		return err;
	}
	err = obs_seed_threads(s->fds.threads, t->pid, obs_now_ns());
	if (obs_target_exited(t)) {
		fprintf(stderr, "observe: process %d exited during attach\n",
			t->pid);
		return -ESRCH;
	}
	if (err < 0) {
		fprintf(stderr, "observe: cannot list threads of %d: %s\n",
			t->pid, strerror(-err));
		return err;
	}
	if (!env.json && s->out == stdout)
		fprintf(stderr, "observe: attached to pid %d; Ctrl-C to stop\n",
			t->pid);
	return 0;
}

/* The metrics of an interval (--prometheus): h's counters, verdicts and
 * ranks, the runtime tiers' polls, observe's own cost. */
static void publish_metrics(struct session *s, const struct obs_host *h,
			    const struct obs_snapshot *cur)
{
	struct obs_metrics_input in = {
		.host = h, .drops = cur->drops, .top = env.top,
		.bpf_measured = s->cost.measured_s > 0,
		.bpf_cpu = s->cost.last_bpf_frac,
	};

	obs_metrics_publish(s->metrics, &in);
}

/* One target's interval: printed, and its verdict the target's metric. */
static void target_interval(struct session *s, struct obs_interval *ivl,
			    const struct obs_rt_set *rcur)
{
	struct obs_host h;
	struct obs_process *p;

	obs_analyse_interval(ivl);
	if (env.interval_s && env.json)
		obs_json_interval_line(s->out, ivl);
	else if (env.interval_s)
		obs_report_interval(s->out, ivl);
	if (!s->metrics || obs_host_split(&h, ivl->cur, NULL, rcur, NULL))
		return;
	/* the verdict is the whole target's (its children's too) */
	p = (struct obs_process *)obs_host_find(&h, s->target.pid);
	if (p) {
		p->ivl.diag = ivl->diag;
		p->ivl.diag_err = ivl->diag_err;
	}
	publish_metrics(s, &h, ivl->cur);
	obs_host_free(&h);
}

/* Several processes' interval: each analysed against its previous
 * counters (rt: their delta), ranked, printed, published. */
static void host_interval(struct session *s, const struct obs_snapshot *prev,
			  const struct obs_snapshot *cur,
			  const struct obs_rt_set *rcur,
			  const struct obs_rt_set *rt, double t_s, double dt_s)
{
	struct obs_host hprev, hcur;

	if (obs_host_split(&hprev, prev, NULL, NULL, NULL))
		return;
	if (!obs_host_split(&hcur, cur, NULL, rcur, &s->longest)) {
		obs_host_analyse_interval(&hcur, &hprev, rt, t_s, dt_s);
		if (env.interval_s && env.json)
			obs_json_host_interval_line(s->out, &hcur, t_s, dt_s,
						    env.top);
		else if (env.interval_s)
			obs_host_report_interval(s->out, &hcur, t_s, env.top);
		if (s->metrics)
			publish_metrics(s, &hcur, cur);
		obs_host_free(&hcur);
	}
	obs_host_free(&hprev);
}

/* One -i interval (or --prometheus refresh): cur read, analysed, printed
 * and published, then it becomes prev. */
static int interval(struct session *s, struct obs_snapshot *prev,
		    struct obs_rt_set *rprev, double t_s, double dt_s)
{
	struct obs_snapshot cur = {};
	struct obs_rt_set rcur = {}, delta = {};
	struct obs_interval ivl = {
		.t_s = t_s, .dt_s = dt_s, .prev = prev, .cur = &cur,
	};
	const struct obs_rt_longest_of *l;
	int err = read_tiers(s, &cur, &rcur, obs_now_ns());

	if (err)
		return err;
	/* no delta (no memory): the interval goes without its runtime */
	obs_rt_set_delta(&delta, rprev, &rcur);
	if (multi(s)) {
		host_interval(s, prev, &cur, &rcur, &delta, t_s, dt_s);
	} else {
		if (delta.n && delta.procs[0].on)
			ivl.rt = &delta.procs[0].s;
		l = obs_rt_longest_set_find(&s->longest, 0);
		ivl.longest = l ? &l->ivl : NULL;
		target_interval(s, &ivl, &rcur);
	}
	obs_rt_set_free(&delta);
	obs_rt_longest_set_next(&s->longest);
	obs_snapshot_free(prev);
	obs_rt_set_free(rprev);
	*prev = cur;
	*rprev = rcur;
	return 0;
}

/*
 * --budget: over it, the next optional part goes, in obs_cost's order:
 * the waker attribution (sched_waking), then the notable spans with their
 * stack copies and the CPU-clock sampler, then the CPU runs (sys_exit,
 * where the registers tell the syscall).  The switch program stays: it is
 * the measurement.
 */
static void keep_budget(struct session *s, double now)
{
	switch (obs_cost_over(&s->cost)) {
	case OBS_SHED_WAKERS:
		bpf_link__destroy(s->skel->links.obs_sched_waking);
		s->skel->links.obs_sched_waking = NULL;
		break;
	case OBS_SHED_NOTABLE:
		s->skel->bss->shed_notable = true;
		obs_cpu_sampler_detach(&s->sampler);
		break;
	case OBS_SHED_CPU_RUNS:
		/* the last program on every syscall of the box goes */
		s->skel->bss->shed_cpu_runs = true;
		bpf_link__destroy(s->skel->links.obs_sys_exit);
		s->skel->links.obs_sys_exit = NULL;
		bpf_link__destroy(s->skel->links.obs_sys_exit_raw);
		s->skel->links.obs_sys_exit_raw = NULL;
		break;
	default:
		return;
	}
	obs_cost_shed(&s->cost, now);
}

/*
 * Moves the rows of dead threads out of the maps (tiers/exited.h) once BPF
 * has seen some die, at most every REAP_PERIOD_S: a target that churns
 * threads never fills them.  A failure is printed once; the run goes on.
 */
static void reap_dead(struct session *s, double now)
{
	__u64 dead = s->skel->bss->nr_dead;
	int err;

	if (dead == s->exited.dead_seen || now - s->reaped_at < REAP_PERIOD_S)
		return;
	s->exited.dead_seen = dead;	/* deaths during the reap: next time */
	s->reaped_at = now;
	err = obs_exited_reap(&s->exited, s->fds.threads, s->fds.pairs);
	if (err && !s->exited.reap_failed) {
		fprintf(stderr, "observe: cannot reap exited threads: %s\n",
			strerror(-err));
		s->exited.reap_failed = true;
	}
}

/* How long the next ring-buffer poll may wait: until the next deadline. */
static int poll_timeout_ms(double now, double deadline, double next_ivl)
{
	double ms = POLL_MS_MAX;

	if (deadline && (deadline - now) * 1000 < ms)
		ms = (deadline - now) * 1000;
	if (next_ivl && (next_ivl - now) * 1000 < ms)
		ms = (next_ivl - now) * 1000;
	return ms < 1 ? 1 : (int)ceil(ms);
}

/* The target has exited; several -p: all of them. */
static bool target_ended(struct session *s)
{
	return multi(s) ? obs_scope_ended(&s->scope) :
			  obs_target_exited(&s->target);
}

/*
 * Polls the ring buffer until the target exits, -d expires (s->timed_out)
 * or, in attach mode, a signal arrives; prints the -i lines.  In launch
 * mode signals were forwarded to the child, whose exit ends the run.
 */
static int run_loop(struct session *s)
{
	struct obs_snapshot prev = {};
	struct obs_rt_set rprev = {};
	/* --prometheus alone refreshes its metrics as -i would, silently */
	double ivl_s = env.interval_s ? env.interval_s :
		       env.prometheus ? METRICS_PERIOD_S : 0;
	double deadline = 0, next_ivl = 0, now;
	int err = 0;

	s->t0 = now_s();
	obs_cost_start(&s->cost, s->skel->obj, s->t0,
		       env.budget_pct ? BUDGET_PERIOD_S : COST_PERIOD_S,
		       env.budget_pct / 100,
		       /* sys_exit tells the syscall without regs_sys */
		       s->skel->rodata->regs_sys ? OBS_SHED_MAX : OBS_SHED_CPU_RUNS);
	if (env.duration_s > 0)
		deadline = s->t0 + env.duration_s;
	if (ivl_s > 0) {
		next_ivl = s->t0 + ivl_s;
		err = read_tiers(s, &prev, &rprev, obs_now_ns());
	}
	if (obs_kernel_small_maps())	/* a test: let the ring buffer fill */
		usleep(OBS_SMALL_MAPS_RING_DELAY_S * 1e6);
	while (!err && !(exiting && !s->target.launched) && !target_ended(s)) {
		now = now_s();
		if (deadline && now >= deadline) {
			s->timed_out = true;
			break;
		}
		if (next_ivl && now >= next_ivl) {
			err = interval(s, &prev, &rprev, now - s->t0,
				       now - next_ivl + ivl_s);
			next_ivl += ivl_s;
			if (next_ivl < now)
				next_ivl = now + ivl_s;
			continue;
		}
		obs_runtime_tick(&s->runtime);
		if (obs_scope_tick(&s->scope, s->skel, now) && !env.no_runtime)
			attach_new_members(s);
		reap_dead(s, now);
		if (obs_cost_tick(&s->cost, now))
			keep_budget(s, now);
		err = ring_buffer__poll(s->rb, poll_timeout_ms(now, deadline,
							       next_ivl));
		if (err == -EINTR || err > 0)
			err = 0;	/* a signal: the checks above decide */
		else if (err < 0)
			fprintf(stderr, "observe: ring buffer poll: %s\n",
				strerror(-err));
	}
	obs_snapshot_free(&prev);
	obs_rt_set_free(&rprev);
	return err;
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Stops a launched child at the end of -d: SIGTERM, then SIGKILL. */
static int stop_child(struct obs_target *t)
{
	int st;

	obs_target_kill(t, SIGTERM);
	st = obs_target_wait(t, KILL_GRACE_MS);
	if (st == -ETIMEDOUT) {
		obs_target_kill(t, SIGKILL);
		st = obs_target_wait(t, -1);
	}
	return st;
}

/* Launch mode: the child's exit status, once it is reaped. */
static int reap_child(struct session *s)
{
	int status = s->timed_out ? stop_child(&s->target) :
				    obs_target_wait(&s->target, -1);

	if (status < 0) {
		fprintf(stderr, "observe: waitpid %d: %s\n", s->target.pid,
			strerror(-status));
		return status;
	}
	s->run.has_exit = true;
	s->run.exit_status = exit_code_of(status);
	child_pid = 0;
	return 0;
}

/* What the run is about: the target, the command, the kernel. */
static void describe_run(struct session *s, double end_s)
{
	struct obs_run *run = &s->run;
	const struct obs_rt_longest_of *l;
	struct utsname uts;

	run->pid = s->target.pid;
	run->launched = s->target.launched;
	run->argv = env.argv;
	run->argc = env.argc;
	/* to the ms, as the JSON document says it: the verdict of the run and
	 * of its document (observe --diagnose) read the same duration */
	run->duration_s = round((end_s - s->t0) * 1000) / 1000;
	run->threshold_ms = env.threshold_ms;
	if (uname(&uts) == 0)
		snprintf(run->kernel, sizeof(run->kernel), "%s", uts.release);
	run->scope = multi(s) ? obs_scope_kind_name(s->scope.kind) : NULL;
	run->cgroup = s->scope.kind == OBS_SCOPE_CGROUP ? s->scope.cgroup : NULL;
	run->not_followed = s->scope.not_followed;
	run->top = env.top;
	for (size_t i = 0; i < s->snap.nthreads && s->target.pid; i++)
		if (s->snap.threads[i].k.tid == (__u32)s->target.pid)
			memcpy(run->comm, s->snap.threads[i].k.comm, OBS_COMM_LEN);
	if (!run->comm[0] && s->target.pid)
		obs_proc_comm(s->target.pid, run->comm, sizeof(run->comm));
	run->snap = &s->snap;
	run->notables = &s->notables;
	run->ustacks = s->ustacks.unwind ? &s->ustacks : NULL;
	/* one target: its entry; several: each process's (analysis/host.h) */
	if (!multi(s) && s->rtset.n) {
		const struct obs_rt_process *rp = &s->rtset.procs[0];

		run->rt = rp->on ? &rp->s : NULL;
		run->rt_binary = rp->binary;
		run->rt_off = rp->off;
	}
	if (!multi(s) && (l = obs_rt_longest_set_find(&s->longest, 0)))
		run->longest = &l->run;
	run->cost = &s->cost_result;
	run->spans = &s->spans;
}

/*
 * The end of the run: nothing counts from here on, the runtime's records
 * are read once more while the process lives, a launched child is reaped,
 * the programs are detached, and the final snapshot is read.
 */
static int finish(struct session *s)
{
	double t_end = now_s();
	/* open spans end here: detaching can take a while (RCU grace periods) */
	uint64_t end_ns = obs_now_ns();
	struct obs_snapshot ks = {};
	struct obs_rt_set rs = {};
	int err;

	s->skel->bss->stopped = true;
	obs_cost_end(&s->cost, t_end, &s->cost_result);
	obs_cpu_sampler_detach(&s->sampler);
	/* a child stopped at the end of -d, or a process attached to, leaves
	 * no rt:worker_stop copy: the runtime tier caches what it reads now */
	if (obs_runtime_on(&s->runtime) && !read_tiers(s, &ks, &rs, end_ns))
		obs_rt_set_free(&rs);
	obs_snapshot_free(&ks);
	obs_runtime_detach(&s->runtime);
	if (s->target.launched) {
		err = reap_child(s);
		if (err)
			return err;
	}
	/* the ring buffer and the maps are final once the programs are
	 * detached, and a held span cannot be both sent and read as held */
	observe_bpf__detach(s->skel);
	ring_buffer__consume(s->rb);
	obs_spans_finish(&s->spans, s->fds.drops);
	err = read_tiers(s, &s->snap, &s->rtset, end_ns);
	if (err)
		return err;
	obs_notables_add_pending(&s->notables, &s->snap);
	obs_notables_sort(&s->notables);
	describe_run(s, t_end);
	return multi(s) ? obs_host_split(&s->host, &s->snap, &s->notables,
					 &s->rtset, &s->longest) : 0;
}

/* The verdict: of the run, or of each process and their rank. */
static void analyse(struct session *s)
{
	if (multi(s))
		obs_host_analyse_run(&s->host, &s->run);
	else
		obs_analyse_run(&s->run);
}

/* The report or the JSON document of the analysed run. */
static int write_outputs(struct session *s)
{
	int err;

	if (s->folded && obs_folded_print(s->folded, &s->run)) {
		fprintf(stderr, "observe: cannot write %s\n", env.folded);
		return -EIO;
	}
	if ((s->html || s->trace) &&
	    (err = obs_render_run(&s->run, s->html, s->trace)))
		return err;
	if (multi(s) && !env.json) {
		obs_host_report_print(s->out, &s->run, &s->host);
		return ferror(s->out) ? -EIO : 0;
	}
	if (env.json) {
		/* with -i, the last of the JSON Lines: one line as well */
		err = multi(s) ? obs_json_host_print(s->out, &s->run, &s->host,
						     env.interval_s > 0) :
				 obs_json_print(s->out, &s->run, env.interval_s > 0);
		if (err)
			fprintf(stderr, "observe: cannot write JSON: %s\n",
				strerror(-err));
		return err;
	}
	obs_report_print(s->out, &s->run);
	if (ferror(s->out)) {
		fprintf(stderr, "observe: cannot write the report\n");
		return -EIO;
	}
	return 0;
}

/* Prints a diagnosis as JSON ({verdict, findings, notes}); 0 or -errno. */
static int print_verdict_json(FILE *f, const struct diag_result *res)
{
	json_t *j = obs_verdict_json(res);
	int err = j ? 0 : -ENOMEM;

	/* confidences are rounded: 10 digits print them as such */
	if (!err && (json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) ||
		     fputc('\n', f) == EOF))
		err = -EIO;
	json_decref(j);
	return err;
}

/* observe --diagnose FILE.json [--json]: the rules over a saved run, in
 * words or as the document's verdict/findings/notes; no root needed. */
static int diagnose_file(const char *path)
{
	struct diag_input *in = calloc(1, sizeof(*in));	/* ~240 KB */
	struct diag_result res;
	char why[256] = "";
	int err = in ? diag_json_load(path, in, why, sizeof(why)) : -ENOMEM;

	if (err)
		fprintf(stderr, "observe: %s: %s\n", path,
			why[0] ? why : strerror(-err));
	else if ((err = diag_run(in, &res)))
		fprintf(stderr, "observe: %s: cannot diagnose: %s\n", path,
			strerror(-err));
	else if (env.json && (err = print_verdict_json(stdout, &res)))
		fprintf(stderr, "observe: cannot write JSON: %s\n",
			strerror(-err));
	else if (!env.json)
		obs_verdict_print(stdout, &res);
	free(in);
	return err ? 1 : 0;
}

/* Detaches everything, closes the output; the exit status. */
static int cleanup(struct session *s, int err, int exit_code)
{
	ring_buffer__free(s->rb);
	obs_cpu_sampler_detach(&s->sampler);
	obs_ustacks_free(&s->ustacks);
	obs_runtime_free(&s->runtime);
	obs_rt_set_free(&s->rtset);
	observe_bpf__destroy(s->skel);
	child_pid = 0;
	obs_target_cleanup(&s->target);
	obs_snapshot_free(&s->snap);
	obs_host_free(&s->host);
	obs_scope_free(&s->scope);
	obs_metrics_stop(s->metrics);
	obs_exited_free(&s->exited);
	obs_spans_free(&s->spans);
	obs_rt_longest_set_free(&s->longest);
	if (s->folded && fclose(s->folded) && !err) {
		fprintf(stderr, "observe: cannot write %s\n", env.folded);
		err = -EIO;
	}
	if (s->html && fclose(s->html) && !err) {
		fprintf(stderr, "observe: cannot write %s\n", env.html);
		err = -EIO;
	}
	if (s->trace && fclose(s->trace) && !err) {
		fprintf(stderr, "observe: cannot write %s\n", env.trace);
		err = -EIO;
	}
	if (s->out && s->out != stdout && s->out != stderr &&
	    fclose(s->out) && !err) {
		fprintf(stderr, "observe: cannot write %s\n", env.output);
		err = -EIO;
	}
	if (err && exit_code == 0)
		exit_code = 1;
	return exit_code;
}

int main(int argc, char **argv)
{
	static struct session s;	/* large: the notable spans */
	int err, exit_code = 1;

	obs_cli_parse(argc, argv, &env);
	if (env.diagnose)
		return diagnose_file(env.diagnose);
	if (env.report_cmd)	/* a saved run drawn again: no root */
		return obs_render_saved(env.report, env.html, env.trace) ? 1 : 0;
	obs_target_init(&s.target);
	obs_exited_init(&s.exited);
	s.scope.kind = env.all ? OBS_SCOPE_ALL : env.cgroup ? OBS_SCOPE_CGROUP :
		       env.npids > 1 ? OBS_SCOPE_PIDS : OBS_SCOPE_ONE;
	/* launch mode: stderr, as perf stat and time do, so that CMD's own
	 * stdout stays CMD's (a command that prints JSON, a pipeline) */
	s.out = env.argv ? stderr : stdout;
	s.roles = (struct obs_roles_cfg){
		.worker = env.worker_globs, .nworker = env.nworker_globs,
		.blocking = env.blocking_globs, .nblocking = env.nblocking_globs,
		.given = env.roles_given,
	};

	err = prepare(&s);
	if (!err)
		err = start_target(&s);
	if (!err)
		err = load_bpf(&s);
	if (!err)
		err = attach_tiers(&s);
	if (!err)
		err = release_target(&s, &exit_code);
	if (!err)
		err = run_loop(&s);
	if (!err)
		err = finish(&s);
	if (!err) {
		analyse(&s);
		err = write_outputs(&s);
	}
	if (!err)
		exit_code = s.target.launched ? s.run.exit_status : 0;
	return cleanup(&s, err, exit_code);
}
