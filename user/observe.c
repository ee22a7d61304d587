// SPDX-License-Identifier: MIT
/*
 * observe.c - the loader: observe [options] (-p PID | -- CMD [ARGS...]).
 *
 * Lifecycle, as retsnoop and runqlat: the exit flag is installed before
 * anything is attached; open -> set rodata -> load -> attach -> poll; one
 * cleanup label that tolerates NULL; err = -errno right after the failing
 * call, so a failure can never exit 0.
 *
 * Exit status: launch mode, the child's (128+signal if it was killed), like
 * perf stat; attach mode, 0; 1 on any error of observe itself; 2 bad usage;
 * 127 command not found, 126 command not executable.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "observe.h"
#include "observe.skel.h"
#include "tiers/kernel.h"
#include "cli.h"
#include "analysis/diag_fill.h"
#include "output/report.h"
#include "tiers/runtime.h"
#include "tiers/seed.h"
#include "common/syscalls.h"
#include "target.h"

#define POLL_MS_MAX	100	/* how often duration and exit are checked */
#define KILL_GRACE_MS	2000	/* SIGTERM -> SIGKILL for a launched child */

static struct obs_env env;
static volatile sig_atomic_t exiting;
static volatile sig_atomic_t child_pid;	/* launch mode: forward signals */

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

/* Does this kernel have BTF for the raw_syscalls tracepoints (tp_btf)? */
static bool have_btf_tracepoint(const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	char buf[128];
	bool ok;

	if (!vmlinux)
		return false;
	snprintf(buf, sizeof(buf), "btf_trace_%s", name);
	ok = btf__find_by_name_kind(vmlinux, buf, BTF_KIND_TYPEDEF) > 0;
	btf__free(vmlinux);
	return ok;
}

/* The ring buffer's consumer context: where spans and slow polls go (the
 * run's and the current interval's), and the stack map. */
struct event_ctx {
	struct obs_notables *nb;
	struct obs_rt_longest *longest;
	struct obs_rt_longest *ivl_longest;
	int stack_fd;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct event_ctx *ec = ctx;
	__u32 kind;

	if (len < sizeof(kind))
		return 0;
	memcpy(&kind, data, sizeof(kind));
	if (kind == OBS_EV_SLOW_POLL) {
		if (len >= sizeof(struct obs_poll_event)) {
			obs_rt_longest_add(ec->longest, data);
			obs_rt_longest_add(ec->ivl_longest, data);
		}
	} else if (len >= sizeof(struct obs_event)) {
		obs_notables_add(ec->nb, data, ec->stack_fd);
	}
	return 0;
}

/*
 * The runtime tier, if the target's binary carries the rt probes; without
 * them one line says so and the kernel tier goes on.  0 or -errno.
 */
static int attach_runtime(struct obs_rt_tier *rt, struct observe_bpf *skel,
			  const struct obs_target *target, char *binary,
			  size_t len)
{
	int err;

	if (env.no_runtime)
		return 0;
	if (target->launched) {
		/* not there: the exec fails and says so, after the release */
		if (obs_rt_resolve_cmd(env.argv[0], binary, len))
			return 0;
	} else {
		/* the path for the message; /proc/PID/exe if it is not ours
		 * to open (another mount namespace, a deleted binary) */
		char proc[64];
		ssize_t n;

		snprintf(proc, sizeof(proc), "/proc/%d/exe", target->pid);
		n = readlink(proc, binary, len - 1);
		if (n > 0)
			binary[n] = '\0';
		if (n <= 0 || access(binary, R_OK))
			snprintf(binary, len, "%s", proc);
	}
	err = obs_rt_attach(rt, skel, target->pid, binary);
	if (err == -ENOENT) {
		fprintf(stderr, "observe: no rt probes in %s: runtime tier off, "
			"kernel tier only\n", binary);
		return 0;
	}
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

/*
 * Can the programs read a blocked thread's syscall from its saved user
 * registers (bpf_task_pt_regs, 5.15+; the orig_ax/ax test is x86_64's)?
 * Then sys_enter is not loaded at all.  OBSERVE_SYS_ENTER=1 forces the
 * sys_enter fallback (tests compare the two).
 */
static bool use_regs_sys(void)
{
#if defined(__x86_64__)
	const char *force = getenv("OBSERVE_SYS_ENTER");

	if (force && *force && strcmp(force, "0"))
		return false;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE,
				       BPF_FUNC_task_pt_regs, NULL) == 1;
#else
	return false;
#endif
}

static int set_rodata(struct observe_bpf *skel, pid_t tgid)
{
	struct obs_futex_nrs nrs;
	bool btf_sys = have_btf_tracepoint("sys_enter") &&
		       have_btf_tracepoint("sys_exit");
	bool regs = use_regs_sys();

	obs_futex_nrs(&nrs);
	skel->rodata->targ_tgid = (__u32)tgid;
	skel->rodata->follow_children = env.argv != NULL;
	skel->rodata->threshold_ns = env.threshold_ms * 1000000ULL;
	skel->rodata->futex_nr = nrs.futex;
	skel->rodata->futex_waitv_nr = nrs.futex_waitv;
	skel->rodata->futex2_wait_nr = nrs.futex_wait;
	skel->rodata->futex2_wake_nr = nrs.futex_wake;
	obs_sys_class_table((uint8_t *)skel->rodata->sys_class,
			    OBS_SYSCALL_NRS);

	skel->rodata->regs_sys = regs;

	/*
	 * tp_btf where the kernel has it, else the raw_tp twin (same code);
	 * no sys_enter at all when the registers tell the syscall.
	 */
	bpf_program__set_autoload(skel->progs.obs_sys_enter, btf_sys && !regs);
	bpf_program__set_autoload(skel->progs.obs_sys_exit, btf_sys);
	bpf_program__set_autoload(skel->progs.obs_sys_enter_raw,
				  !btf_sys && !regs);
	bpf_program__set_autoload(skel->progs.obs_sys_exit_raw, !btf_sys);
	if (env.verbose) {
		if (!btf_sys)
			fprintf(stderr, "observe: no BTF for raw_syscalls, using raw_tp\n");
		fprintf(stderr, "observe: syscalls from %s\n",
			regs ? "saved user registers" : "sys_enter");
	}
	return 0;
}

/* Reads the kernel and runtime snapshots, open spans charged up to now_ns. */
static int read_both(struct obs_snapshot *ks, struct obs_rt_snapshot *rs,
		     const struct obs_map_fds *fds,
		     const struct obs_roles_cfg *roles, struct obs_rt_tier *rt,
		     uint64_t now_ns)
{
	int err = obs_snapshot_read(ks, fds, roles, now_ns);

	return err ? err : obs_rt_snapshot_read(rs, rt, ks);
}

/* One -i interval: its summary line and its verdict. */
static void print_interval(FILE *f, double t_s, double dt_s,
			   const struct obs_snapshot *prev,
			   const struct obs_snapshot *cur,
			   const struct obs_rt_snapshot *rprev,
			   const struct obs_rt_snapshot *rcur,
			   struct obs_rt_tier *rt, struct obs_rt_longest *longest)
{
	struct obs_rt_snapshot delta = {};
	struct diag_rt_view view = { NULL, longest };

	obs_report_interval(f, t_s, dt_s, prev, cur);
	if (rt->attached && !obs_rt_snapshot_delta(&delta, rprev, rcur))
		view.rt = &delta;
	diag_print_interval(f, t_s, dt_s, prev, cur, &view);
	obs_rt_snapshot_free(&delta);
	memset(longest, 0, sizeof(*longest));
}

/*
 * Polls the ring buffer until the target exits, -d expires (*timed_out) or,
 * in attach mode, a signal arrives; prints the -i lines.  In launch mode
 * signals were forwarded to the child, whose exit ends the run.
 */
static int poll_until_done(struct ring_buffer *rb, struct obs_target *target,
			   const struct obs_map_fds *fds,
			   const struct obs_roles_cfg *roles,
			   struct obs_rt_tier *rt,
			   struct obs_rt_longest *ivl_longest, FILE *ivl_out,
			   double t0, bool *timed_out)
{
	struct obs_snapshot prev = {}, cur = {};
	struct obs_rt_snapshot rprev = {}, rcur = {};
	double next_ivl = 0, deadline = 0, now;
	int err = 0, timeout;

	if (env.duration_s > 0)
		deadline = t0 + env.duration_s;
	if (env.interval_s > 0) {
		next_ivl = t0 + env.interval_s;
		err = read_both(&prev, &rprev, fds, roles, rt, obs_now_ns());
		if (err)
			goto read_failed;
		memset(ivl_longest, 0, sizeof(*ivl_longest));
	}
	for (;;) {
		if (exiting && !target->launched)
			break;
		if (obs_target_exited(target))
			break;
		now = now_s();
		if (deadline && now >= deadline) {
			*timed_out = true;
			break;
		}
		if (next_ivl && now >= next_ivl) {
			err = read_both(&cur, &rcur, fds, roles, rt, obs_now_ns());
			if (err)
				goto read_failed;
			print_interval(ivl_out, now - t0, now - next_ivl +
				       env.interval_s, &prev, &cur, &rprev,
				       &rcur, rt, ivl_longest);
			obs_snapshot_free(&prev);
			obs_rt_snapshot_free(&rprev);
			prev = cur;
			rprev = rcur;
			memset(&cur, 0, sizeof(cur));
			memset(&rcur, 0, sizeof(rcur));
			next_ivl += env.interval_s;
			if (next_ivl < now)
				next_ivl = now + env.interval_s;
		}
		timeout = POLL_MS_MAX;
		if (deadline && (deadline - now) * 1000 < timeout)
			timeout = (int)ceil((deadline - now) * 1000);
		if (next_ivl && (next_ivl - now) * 1000 < timeout)
			timeout = (int)ceil((next_ivl - now) * 1000);
		err = ring_buffer__poll(rb, timeout < 1 ? 1 : timeout);
		if (err == -EINTR)
			continue;	/* a signal: the checks above decide */
		if (err < 0) {
			fprintf(stderr, "observe: ring buffer poll: %s\n",
				strerror(-err));
			goto cleanup;
		}
	}
	err = 0;
	goto cleanup;

read_failed:
	fprintf(stderr, "observe: cannot read BPF maps: %s\n", strerror(-err));
cleanup:
	obs_snapshot_free(&prev);
	obs_snapshot_free(&cur);
	obs_rt_snapshot_free(&rprev);
	obs_rt_snapshot_free(&rcur);
	return err;
}

/*
 * Reads the live workers' records once more while the process still runs
 * (the runtime caches them): a child stopped at the end of -d, or a process
 * attached to, leaves no rt:worker_stop copy.
 */
static void cache_rt_records(const struct obs_map_fds *fds,
			     const struct obs_roles_cfg *roles,
			     struct obs_rt_tier *rt)
{
	struct obs_snapshot ks = {};
	struct obs_rt_snapshot rs = {};

	if (rt->attached && !read_both(&ks, &rs, fds, roles, rt, obs_now_ns()))
		obs_rt_snapshot_free(&rs);
	obs_snapshot_free(&ks);
}

int main(int argc, char **argv)
{
	struct observe_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct obs_target target;
	struct obs_snapshot snap = {};
	static struct obs_notables notables;
	static struct obs_rt_longest longest, ivl_longest;
	struct event_ctx ectx = {
		.nb = &notables, .longest = &longest,
		.ivl_longest = &ivl_longest, .stack_fd = -1,
	};
	struct obs_rt_tier rtier = {};
	struct obs_rt_snapshot rtsnap = {};
	char rt_binary[PATH_MAX] = "";
	struct obs_roles_cfg roles;
	struct obs_map_fds fds;
	struct obs_run run = {};
	struct utsname uts;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct sigaction sa = {
		.sa_sigaction = sig_handler,
		.sa_flags = SA_SIGINFO,
	};
	FILE *out = stdout, *ivl_out;
	double t0, t_end;
	uint64_t end_ns;
	bool timed_out = false;
	int err = 0, exit_code = 1, status;
	__u8 one = 1;
	__u32 key;

	obs_cli_parse(argc, argv, &env);
	obs_target_init(&target);
	roles = (struct obs_roles_cfg){
		.worker = env.worker_globs, .nworker = env.nworker_globs,
		.blocking = env.blocking_globs, .nblocking = env.nblocking_globs,
	};

	err = obs_preflight();
	if (err)
		goto cleanup;
	libbpf_set_print(libbpf_print_fn);
	/* needed only before 5.11 (memcg accounting); harmless after */
	setrlimit(RLIMIT_MEMLOCK, &rl);

	/* Installed before anything is attached or launched. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		err = -errno;
		fprintf(stderr, "observe: sigaction: %s\n", strerror(-err));
		goto cleanup;
	}

	if (env.output) {
		out = fopen(env.output, "we");
		if (!out) {
			err = -errno;
			fprintf(stderr, "observe: cannot open %s: %s\n",
				env.output, strerror(-err));
			out = stdout;
			goto cleanup;
		}
	}
	/* -i lines never go into the JSON document: it must parse alone */
	ivl_out = env.json ? stderr : out;

	if (env.argv)
		err = obs_target_launch(&target, env.argv, env.keep_root);
	else
		err = obs_target_attach(&target, env.pid);
	if (err)
		goto cleanup;
	if (target.launched)
		child_pid = target.pid;

	skel = observe_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "observe: failed to open BPF object: %s\n",
			strerror(-err));
		goto cleanup;
	}
	err = set_rodata(skel, target.pid);
	if (err)
		goto cleanup;
	err = observe_bpf__load(skel);
	if (err) {
		fprintf(stderr, "observe: failed to load BPF programs: %s "
			"(-v shows the verifier log)\n", strerror(-err));
		goto cleanup;
	}
	key = (__u32)target.pid;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.tgids), &key, &one,
				BPF_ANY)) {
		err = -errno;
		fprintf(stderr, "observe: cannot add pid %d to the filter: %s\n",
			target.pid, strerror(-err));
		goto cleanup;
	}
	err = observe_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "observe: failed to attach BPF programs: %s\n",
			strerror(-err));
		goto cleanup;
	}
	err = attach_runtime(&rtier, skel, &target, rt_binary,
			     sizeof(rt_binary));
	if (err)
		goto cleanup;
	ectx.stack_fd = bpf_map__fd(skel->maps.stacks);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &ectx,
			      NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "observe: failed to create ring buffer: %s\n",
			strerror(-err));
		goto cleanup;
	}
	fds = (struct obs_map_fds){
		.threads = bpf_map__fd(skel->maps.threads),
		.futexes = bpf_map__fd(skel->maps.futexes),
		.pairs = bpf_map__fd(skel->maps.pairs),
		.drops = bpf_map__fd(skel->maps.drops),
	};

	if (target.launched) {
		err = obs_target_release(&target, env.argv[0]);
		if (err) {
			exit_code = err == -ENOENT ? 127 : 126;
			goto cleanup;
		}
	} else {
		/* threads that sleep through the window still get a row */
		err = obs_seed_threads(fds.threads, target.pid, obs_now_ns());
		if (err < 0 && !obs_target_exited(&target)) {
			fprintf(stderr, "observe: cannot list threads of %d: %s\n",
				target.pid, strerror(-err));
			goto cleanup;
		}
		err = 0;
		if (obs_target_exited(&target)) {
			err = -ESRCH;
			fprintf(stderr, "observe: process %d exited during "
				"attach\n", target.pid);
			goto cleanup;
		}
	}
	t0 = now_s();
	if (!target.launched && !env.json && out == stdout)
		fprintf(stderr, "observe: attached to pid %d; Ctrl-C to stop\n",
			target.pid);

	err = poll_until_done(rb, &target, &fds, &roles, &rtier, &ivl_longest,
			      ivl_out, t0, &timed_out);
	if (err)
		goto cleanup;
	t_end = now_s();
	/* open spans end here: detaching can take a while (RCU grace periods) */
	end_ns = obs_now_ns();
	/* nothing counts past the end: detaching takes ~1 s */
	skel->bss->stopped = true;
	cache_rt_records(&fds, &roles, &rtier);
	obs_rt_detach(&rtier);

	if (target.launched) {
		status = timed_out ? stop_child(&target) :
				     obs_target_wait(&target, -1);
		if (status < 0) {
			err = status;
			fprintf(stderr, "observe: waitpid %d: %s\n", target.pid,
				strerror(-err));
			goto cleanup;
		}
		run.has_exit = true;
		run.exit_status = exit_code_of(status);
		child_pid = 0;
	}
	/*
	 * Stop the programs first: the ring buffer and the maps read below are
	 * then final, and a held span cannot be both sent and read as held.
	 */
	observe_bpf__detach(skel);
	ring_buffer__consume(rb);
	err = read_both(&snap, &rtsnap, &fds, &roles, &rtier, end_ns);
	if (err)
		goto read_failed;
	obs_notables_add_pending(&notables, &snap);
	obs_notables_sort(&notables);

	run.pid = target.pid;
	run.launched = target.launched;
	run.argv = env.argv;
	run.argc = env.argc;
	run.duration_s = t_end - t0;
	run.threshold_ms = env.threshold_ms;
	run.snap = &snap;
	run.notables = &notables;
	run.rt = rtier.attached ? &rtsnap : NULL;
	run.longest = &longest;
	run.rt_binary = rt_binary;
	if (uname(&uts) == 0)
		snprintf(run.kernel, sizeof(run.kernel), "%s", uts.release);
	for (size_t i = 0; i < snap.nthreads; i++)
		if (snap.threads[i].k.tid == (__u32)target.pid)
			memcpy(run.comm, snap.threads[i].k.comm, OBS_COMM_LEN);
	if (!run.comm[0])
		obs_proc_comm(target.pid, run.comm, sizeof(run.comm));

	if (env.json) {
		err = obs_json_print(out, &run);
		if (err) {
			fprintf(stderr, "observe: cannot write JSON: %s\n",
				strerror(-err));
			goto cleanup;
		}
	} else {
		obs_report_print(out, &run);
		if (ferror(out)) {
			err = -EIO;
			fprintf(stderr, "observe: cannot write the report\n");
			goto cleanup;
		}
	}
	exit_code = target.launched ? run.exit_status : 0;
	goto cleanup;

read_failed:
	fprintf(stderr, "observe: cannot read BPF maps: %s\n", strerror(-err));
cleanup:
	ring_buffer__free(rb);
	obs_rt_free(&rtier);
	obs_rt_snapshot_free(&rtsnap);
	observe_bpf__destroy(skel);
	child_pid = 0;
	obs_target_cleanup(&target);
	obs_snapshot_free(&snap);
	if (out != stdout && fclose(out) && !err) {
		fprintf(stderr, "observe: cannot write %s\n", env.output);
		err = -EIO;
	}
	if (err && exit_code == 0)
		exit_code = 1;
	return exit_code;
}
