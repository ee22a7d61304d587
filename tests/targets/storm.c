// SPDX-License-Identifier: MIT
/*
 * storm - a context-switch storm spread over many processes, for the cost of
 * observing a whole host (scripts/bench-observer.sh -S host).
 *
 *	storm [-P NPROC] [-t THREADS_PER_PROC] [-s SECS] [-w SECS] [-m pipe|futex]
 *
 * Forks NPROC processes (default 8); each runs THREADS_PER_PROC / 2
 * ping-pong pairs of threads (default 2 threads: one pair) that bounce a
 * token, over a pair of pipes (-m pipe, the default: pingpong's round trip)
 * or through a futex word (-m futex), so that every round trip is two
 * blocking waits and two wakeups, in every process at once.
 *
 * With -w the children are forked first and then sleep before creating
 * their threads, so that a tool can attach meanwhile, to one child or to
 * the host, and see the whole measured run.  All children start and stop
 * at the same CLOCK_MONOTONIC instants.  At the end the parent prints one
 * JSON document on stdout, the workload's own ground truth:
 *	{"storm": {"nproc": N, "threads_per_proc": T, "mode": "pipe", ...},
 *	 "secs": S, "roundtrips": R, "roundtrips_per_s": R/S,
 *	 "switches_per_s": W, "cpu_ns_per_roundtrip": C,
 *	 "children": [{"pid": P, "roundtrips": R_P}, ...]}
 * S runs from the first child's start to the last child's stop; W and C are
 * the children's voluntary + involuntary switches and user + sys CPU time
 * over their measured runs (getrusage in each child), as pingpong's.
 *
 * Invariants:
 *  1. No child outlives the parent: each has PR_SET_PDEATHSIG(SIGKILL) (and
 *     checks that the parent did not die before it was set); SIGINT or
 *     SIGTERM to the parent kills and reaps every child, then exits 128+N.
 *  2. The parent handles signals synchronously (sigtimedwait on a blocked
 *     set): no handler, no flag.  Children unblock them and keep the
 *     default actions.
 *  3. A child's figures reach the parent through its own slot of a shared
 *     anonymous mapping, read only after waitpid() saw it exit 0.
 * Exit status: 0; 1 a child failed (its line on stderr); 2 bad usage;
 * 128+N on signal N.
 */
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "target.h"

#define STORM_MAX_PROCS		256	/* a few hundred processes is a busy host */
#define STORM_MAX_THREADS	64	/* per process: 32 pairs */

static const char *prog = "storm";

enum storm_mode { STORM_PIPE, STORM_FUTEX };

/* One child's figures, written by the child, read by the parent after the
 * child exited (invariant 3). */
struct storm_slot {
	uint64_t roundtrips;
	uint64_t t0_ns, t1_ns;	/* CLOCK_MONOTONIC: measured run */
	uint64_t switches;
	uint64_t cpu_ns;
};

/* One ping-pong pair of threads in a child.  turn: the futex word, 0 while
 * it is ping's turn, 1 pong's, 2 when ping has stopped (pong exits). */
struct storm_pair {
	int ab[2], ba[2];		/* pipe mode: ping -> pong, pong -> ping */
	_Atomic uint32_t turn;		/* futex mode */
	uint64_t roundtrips;		/* written by ping only */
	pthread_t ping, pong;
};

static enum storm_mode mode = STORM_PIPE;
static atomic_bool stop;

static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *pong_main(void *arg)
{
	struct storm_pair *p = arg;
	uint32_t t;
	char c;

	tgt_name("pong", 0);
	if (mode == STORM_PIPE) {
		while (read(p->ab[0], &c, 1) == 1) {
			if (write(p->ba[1], &c, 1) != 1)
				break;
		}
		return NULL;
	}
	for (;;) {
		while ((t = atomic_load(&p->turn)) == 0)
			futex_wait(&p->turn, 0);
		if (t == 2)
			return NULL;
		atomic_store(&p->turn, 0);
		futex_wake(&p->turn);
	}
}

static void *ping_main(void *arg)
{
	struct storm_pair *p = arg;
	char c = 'x';

	tgt_name("ping", 0);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (mode == STORM_PIPE) {
			if (write(p->ab[1], &c, 1) != 1 || read(p->ba[0], &c, 1) != 1)
				tgt_die(prog, "pipe: %s", strerror(errno));
		} else {
			atomic_store(&p->turn, 1);
			futex_wake(&p->turn);
			while (atomic_load(&p->turn) == 1)
				futex_wait(&p->turn, 1);
		}
		p->roundtrips++;
	}
	/* pong is waiting for its turn: tell it to exit */
	if (mode == STORM_PIPE) {
		close(p->ab[1]);
	} else {
		atomic_store(&p->turn, 2);
		futex_wake(&p->turn);
	}
	return NULL;
}

static void sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / TGT_NSEC_PER_SEC),
		.tv_nsec = (long)(deadline_ns % TGT_NSEC_PER_SEC),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A child: npairs pairs from start_ns to end_ns, figures into *slot. */
static void child_main(int npairs, uint64_t start_ns, uint64_t end_ns,
		       struct storm_slot *slot)
{
	struct storm_pair pairs[STORM_MAX_THREADS / 2] = { 0 };
	uint64_t sw0, sw1, cpu0, cpu1;
	int i, err;

	for (i = 0; i < npairs; i++) {
		if (mode == STORM_PIPE &&
		    (pipe2(pairs[i].ab, O_CLOEXEC) || pipe2(pairs[i].ba, O_CLOEXEC)))
			tgt_die(prog, "pipe: %s", strerror(errno));
	}
	sleep_until(start_ns);

	tgt_usage_now(&sw0, &cpu0);
	slot->t0_ns = tgt_now(CLOCK_MONOTONIC);
	for (i = 0; i < npairs; i++) {
		err = pthread_create(&pairs[i].pong, NULL, pong_main, &pairs[i]);
		if (!err)
			err = pthread_create(&pairs[i].ping, NULL, ping_main, &pairs[i]);
		if (err)
			tgt_die(prog, "pthread_create: %s", strerror(err));
	}
	sleep_until(end_ns);
	atomic_store(&stop, true);
	for (i = 0; i < npairs; i++)
		pthread_join(pairs[i].ping, NULL);
	slot->t1_ns = tgt_now(CLOCK_MONOTONIC);
	for (i = 0; i < npairs; i++) {
		pthread_join(pairs[i].pong, NULL);
		slot->roundtrips += pairs[i].roundtrips;
	}
	tgt_usage_now(&sw1, &cpu1);
	slot->switches = sw1 - sw0;
	slot->cpu_ns = cpu1 - cpu0;
}

/* Kills the children still alive (pid != 0) and reaps them. */
static void kill_children(pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	}
	for (i = 0; i < n; i++) {
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	}
}

/* Reaps the children that have exited; returns the number still running,
 * or -1 (with all the others killed) if one failed. */
static int reap(pid_t *pids, pid_t *done, int n)
{
	int i, st, left = 0;
	pid_t pid;

	for (i = 0; i < n; i++) {
		if (!pids[i])
			continue;
		pid = waitpid(pids[i], &st, WNOHANG);
		if (pid == 0) {
			left++;
			continue;
		}
		done[i] = pids[i];
		pids[i] = 0;
		if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "%s: child %d failed (%s %d)\n", prog,
				done[i], pid < 0 ? "waitpid" :
				WIFEXITED(st) ? "exit" : "signal",
				pid < 0 ? errno : WIFEXITED(st) ?
				WEXITSTATUS(st) : WTERMSIG(st));
			kill_children(pids, n);
			return -1;
		}
	}
	return left;
}

static void print_json(int nproc, int nthreads, const pid_t *pids,
		       const struct storm_slot *slots)
{
	uint64_t trips = 0, sw = 0, cpu = 0, t0 = UINT64_MAX, t1 = 0;
	double dt;
	int i;

	for (i = 0; i < nproc; i++) {
		trips += slots[i].roundtrips;
		sw += slots[i].switches;
		cpu += slots[i].cpu_ns;
		if (slots[i].t0_ns < t0)
			t0 = slots[i].t0_ns;
		if (slots[i].t1_ns > t1)
			t1 = slots[i].t1_ns;
	}
	dt = (double)(t1 - t0) / 1e9;
	printf("{\"storm\": {\"nproc\": %d, \"threads_per_proc\": %d, "
	       "\"mode\": \"%s\"},\n \"secs\": %.3f, \"roundtrips\": %" PRIu64
	       ", \"roundtrips_per_s\": %.0f, \"switches_per_s\": %.0f, "
	       "\"cpu_ns_per_roundtrip\": %.0f,\n \"children\": [",
	       nproc, nthreads, mode == STORM_PIPE ? "pipe" : "futex", dt,
	       trips, trips / dt, sw / dt, trips ? (double)cpu / trips : 0.0);
	for (i = 0; i < nproc; i++)
		printf("%s{\"pid\": %d, \"roundtrips\": %" PRIu64 "}",
		       i ? ", " : "", pids[i], slots[i].roundtrips);
	printf("]}\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [-P NPROC] [-t THREADS_PER_PROC] [-s SECS] "
		"[-w SECS] [-m pipe|futex]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	static pid_t pids[STORM_MAX_PROCS], done[STORM_MAX_PROCS];
	long nproc = 8, nthreads = 2, secs = 3, wait_s = 0;
	struct timespec tick = { .tv_nsec = 100 * TGT_NSEC_PER_MSEC };
	struct storm_slot *slots;
	uint64_t start_ns, end_ns;
	pid_t parent = getpid();
	sigset_t sigs;
	int opt, i, sig, left;

	while ((opt = getopt(argc, argv, "P:t:s:w:m:")) != -1) {
		switch (opt) {
		case 'P':
			nproc = tgt_arg_long(prog, "process count", optarg, 1,
					     STORM_MAX_PROCS);
			break;
		case 't':
			nthreads = tgt_arg_long(prog, "threads per process",
						optarg, 2, STORM_MAX_THREADS);
			if (nthreads % 2)
				tgt_die(prog, "threads per process must be even: %ld",
					nthreads);
			break;
		case 's':
			secs = tgt_arg_long(prog, "seconds", optarg, 1, 3600);
			break;
		case 'w':
			wait_s = tgt_arg_long(prog, "seconds", optarg, 0, 3600);
			break;
		case 'm':
			if (!strcmp(optarg, "pipe"))
				mode = STORM_PIPE;
			else if (!strcmp(optarg, "futex"))
				mode = STORM_FUTEX;
			else
				tgt_die(prog, "bad mode '%s' (want pipe or futex)", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		usage();

	slots = mmap(NULL, sizeof(*slots) * (size_t)nproc, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED)
		tgt_die(prog, "mmap: %s", strerror(errno));
	/* invariant 2: blocked before the first fork, so none is missed */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	/* The children fork first and wait: a tool attaching during -w sees
	 * every child's threads created. */
	start_ns = tgt_now(CLOCK_MONOTONIC) + (uint64_t)wait_s * TGT_NSEC_PER_SEC;
	end_ns = start_ns + (uint64_t)secs * TGT_NSEC_PER_SEC;
	fflush(NULL);
	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
			kill_children(pids, i);
			return 1;
		}
		if (pids[i] == 0) {
			/* invariant 1: dies with the parent, even if the
			 * parent died before prctl */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
				_exit(1);
			sigprocmask(SIG_UNBLOCK, &sigs, NULL);
			child_main((int)nthreads / 2, start_ns, end_ns, &slots[i]);
			exit(0);
		}
	}

	/* Wakes on a signal, or every tick to reap: SIGCHLD is only a hint
	 * (several exits can merge into one pending signal). */
	while ((left = reap(pids, done, (int)nproc)) > 0) {
		sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM) {
			kill_children(pids, (int)nproc);
			return 128 + sig;
		}
	}
	if (left < 0)
		return 1;
	print_json((int)nproc, (int)nthreads, done, slots);
	return 0;
}
