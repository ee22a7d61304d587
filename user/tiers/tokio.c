// SPDX-License-Identifier: MIT
/*
 * tokio.c - the Tokio tier (tokio.h): Tokio's own functions found by
 * demangled symbol name in the target's binary, the programs of
 * bpf/tokio.bpf.h attached to them as uprobes, and the runtime snapshot
 * read from what they counted (docs/tokio-tier.md).
 *
 * Invariants:
 *  1. raw::poll is the tier: without it (no Tokio, or a stripped binary)
 *     attach returns -ENOENT and nothing stays attached.  Every other
 *     symbol is optional: its absence costs one figure and one line.
 *  2. Every link is kept in links[], so detach drops them all, whatever
 *     failed half way.
 *  3. The park probe only marks idle workers: in attach mode it stays for
 *     TK_PARK_WINDOW_MS and is then dropped, since it fires at every park.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "observe.skel.h"
#include "common/elfsym.h"
#include "tiers/tokio.h"

#define TK_MAX_LINKS		8192	/* uprobes: raw::poll instances x 2 + a few */
#define TK_PARK_WINDOW_MS	1000	/* attach mode: idle workers park by then */

/* The functions the tier probes (demangled, without the hash). */
enum tk_sym {
	TK_RAW_POLL = 0,
	TK_WORKER_RUN,
	TK_PARK,
	TK_SEM_ACQUIRE,
	TK_ACQUIRE_POLL,
	TK_SEM_RELEASE,
	TK_SYM__COUNT,
};

static const char *const tk_patterns[TK_SYM__COUNT] = {
	[TK_RAW_POLL] = "tokio::runtime::task::raw::poll",
	[TK_WORKER_RUN] = "tokio::runtime::scheduler::multi_thread::worker::run",
	[TK_PARK] = "tokio::runtime::scheduler::multi_thread::worker::Context::park_timeout",
	[TK_SEM_ACQUIRE] = "tokio::sync::batch_semaphore::Semaphore::acquire",
	[TK_ACQUIRE_POLL] = "<tokio::sync::batch_semaphore::Acquire as "
			    "core::future::future::Future>::poll",
	[TK_SEM_RELEASE] = "tokio::sync::batch_semaphore::Semaphore::release",
};

/* What each symbol's absence costs (said in one line with the others). */
static const char *const tk_costs[TK_SYM__COUNT] = {
	[TK_WORKER_RUN] = "workers that never poll look like the pool's",
	[TK_PARK] = "workers that never poll look like the pool's",
	[TK_SEM_ACQUIRE] = "no tokio::sync lock figures",
	[TK_ACQUIRE_POLL] = "no tokio::sync lock figures",
	[TK_SEM_RELEASE] = "no tokio::sync lock figures",
};

struct tk_tier {
	pid_t pid;
	struct observe_bpf *skel;
	struct obs_rt_maps maps;
	int workers_fd, hits_fd;
	struct bpf_link *links[TK_MAX_LINKS];
	size_t nlinks;
	struct bpf_link *park_links[8];	/* dropped after the window */
	size_t npark;
	uint64_t park_until_ns;		/* 0: kept (launch mode: none) */
	unsigned int nsyms[TK_SYM__COUNT];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int add_link(struct tk_tier *tk, struct bpf_program *prog, bool ret,
		    const char *binary, uint64_t offset, bool park)
{
	struct bpf_link *link;

	if (tk->nlinks == TK_MAX_LINKS)
		return -E2BIG;
	link = bpf_program__attach_uprobe(prog, ret, tk->pid, binary,
					  (size_t)offset);
	if (!link)
		return -errno;
	if (park && tk->npark < sizeof(tk->park_links) / sizeof(tk->park_links[0]))
		tk->park_links[tk->npark++] = link;
	else
		tk->links[tk->nlinks++] = link;
	return 0;
}

/* The program(s) of one symbol: entry, return, or both. */
static int attach_sym(struct tk_tier *tk, enum tk_sym sym, const char *binary,
		      uint64_t offset)
{
	struct observe_bpf *sk = tk->skel;

	switch (sym) {
	case TK_RAW_POLL: {
		int err = add_link(tk, sk->progs.tk_poll_enter, false, binary,
				   offset, false);

		return err ? err : add_link(tk, sk->progs.tk_poll_exit, true,
					    binary, offset, false);
	}
	case TK_WORKER_RUN:
		return add_link(tk, sk->progs.tk_worker_mark, false, binary,
				offset, false);
	case TK_PARK:
		return add_link(tk, sk->progs.tk_worker_mark, false, binary,
				offset, true);
	case TK_SEM_ACQUIRE:
		return add_link(tk, sk->progs.tk_sem_acquire, false, binary,
				offset, false);
	case TK_ACQUIRE_POLL:
		return add_link(tk, sk->progs.tk_acquire_ret, true, binary,
				offset, false);
	case TK_SEM_RELEASE:
		return add_link(tk, sk->progs.tk_sem_release, false, binary,
				offset, false);
	default:
		return -EINVAL;
	}
}

struct attach_ctx {
	struct tk_tier *tk;
	const char *binary;
	int err;
};

static int on_symbol(const struct obs_elfsym_match *hit, void *arg)
{
	struct attach_ctx *cx = arg;
	int err;

	/* the lock probes need all three: checked after the scan */
	err = attach_sym(cx->tk, (enum tk_sym)hit->pattern, cx->binary,
			 hit->offset);
	if (err) {
		cx->err = err;
		return err;
	}
	cx->tk->nsyms[hit->pattern]++;
	return 0;
}

static void tk_detach(void *state)
{
	struct tk_tier *tk = state;

	for (size_t i = 0; i < tk->nlinks; i++)
		bpf_link__destroy(tk->links[i]);
	for (size_t i = 0; i < tk->npark; i++)
		bpf_link__destroy(tk->park_links[i]);
	tk->nlinks = tk->npark = 0;
}

/* Appends ", what" to line (of size len, used n) unless it is there. */
static size_t append_once(char *line, size_t len, size_t n, const char *what)
{
	if (n < len && !strstr(line, what))
		n += snprintf(line + n, len - n, "%s%s", n ? ", " : "", what);
	return n < len ? n : len;
}

/* One line for the optional symbols absent: which, and what the run will
 * lack (a program that uses no tokio::sync lock has none of their code). */
static void say_missing(const struct tk_tier *tk, const char *binary)
{
	char syms[512] = "", costs[256] = "";
	size_t ns = 0, nc = 0;

	for (int i = 1; i < TK_SYM__COUNT; i++) {
		if (tk->nsyms[i])
			continue;
		ns = append_once(syms, sizeof(syms), ns, tk_patterns[i]);
		nc = append_once(costs, sizeof(costs), nc, tk_costs[i]);
	}
	if (ns)
		fprintf(stderr, "observe: Tokio tier on %s: no %s (inlined or "
			"unused): %s\n", binary, syms, costs);
}

/*
 * The Tokio functions of one file, attached.  0 (none there is fine),
 * -ENODATA (stripped), or -errno (printed).
 */
static int attach_file(struct tk_tier *tk, const char *path)
{
	struct attach_ctx cx = { tk, path, 0 };
	struct obs_elfsym *es = NULL;
	int n;

	n = obs_elfsym_open(path, &es);
	if (!n)
		n = obs_elfsym_find(es, tk_patterns, TK_SYM__COUNT, on_symbol,
				    &cx);
	obs_elfsym_close(es);
	if (n == -ENODATA || n == -ENOEXEC)
		return n == -ENODATA ? n : 0;	/* not an ELF: no Tokio */
	if (n < 0) {
		fprintf(stderr, "observe: cannot attach the Tokio tier to %s: "
			"%s\n", path, strerror(-n));
		return n;
	}
	return 0;
}

/*
 * Every file that may hold a copy of Tokio: launch mode, the binary the
 * child will exec; attach mode, each executable file the process maps
 * (the binary, and a cdylib with its own Tokio).
 */
static int attach_files(struct tk_tier *tk, const char *binary, bool launched,
			bool *stripped)
{
	struct obs_elfsym_mapping *maps = NULL;
	struct stat st = {};
	size_t n = 0;
	int err;

	stat(binary, &st);
	err = attach_file(tk, binary);
	*stripped = err == -ENODATA;
	/* a held child still maps observe's own files */
	if ((err && err != -ENODATA) || launched ||
	    obs_elfsym_maps(tk->pid, &maps, &n))
		return err == -ENODATA ? 0 : err;
	for (size_t i = 0; i < n && !err; i++) {
		if (maps[i].inode == st.st_ino)
			continue;	/* the binary, done */
		if (maps[i].readable && !maps[i].deleted)
			err = attach_file(tk, maps[i].open_path);
		if (err == -ENODATA)
			err = 0;	/* a stripped library: libc, ... */
	}
	obs_elfsym_maps_free(maps, n);
	return err;
}

static int tk_attach(void *state, struct observe_bpf *skel, pid_t pid,
		     const char *binary, bool launched)
{
	struct tk_tier *tk = state;
	bool stripped;
	int err;

	tk->pid = pid;
	tk->skel = skel;
	obs_rt_maps_of(skel, &tk->maps);
	tk->workers_fd = bpf_map__fd(skel->maps.tk_workers);
	tk->hits_fd = bpf_map__fd(skel->maps.tk_hits);
	err = attach_files(tk, binary, launched, &stripped);
	if (err)
		return err;	/* the caller frees the tier */
	if (!tk->nsyms[TK_RAW_POLL])
		return stripped ? -ENODATA : -ENOENT;
	tk->park_until_ns = mono_ns() + TK_PARK_WINDOW_MS * 1000000ULL;
	say_missing(tk, binary);
	return 0;
}

/* Past the window, the park probe has marked the idle workers: drop it. */
static void tk_tick(void *state)
{
	struct tk_tier *tk = state;

	if (!tk->npark || mono_ns() < tk->park_until_ns)
		return;
	for (size_t i = 0; i < tk->npark; i++)
		bpf_link__destroy(tk->park_links[i]);
	tk->npark = 0;
}

/* The per-CPU hit counters, summed. */
static uint64_t read_hits(int fd)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t sum = 0, *percpu;
	__u32 k;

	if (ncpus <= 0 || !(percpu = calloc(ncpus, sizeof(*percpu))))
		return 0;
	for (k = 0; k < OBS_TK_HIT__COUNT; k++) {
		if (bpf_map_lookup_elem(fd, &k, percpu))
			continue;
		for (int c = 0; c < ncpus; c++)
			/* a poll hit is two traps: entry and return */
			sum += percpu[c] * (k == OBS_TK_HIT_POLL ? 2 : 1);
	}
	free(percpu);
	return sum;
}

static bool worker_named(const char *comm)
{
	return !strncmp(comm, "tokio-runtime-w", 15);
}

static int tk_read(void *state, struct obs_rt_snapshot *s,
		   const struct obs_snapshot *ks)
{
	struct tk_tier *tk = state;
	size_t i, n = 0;

	s->mode = "uprobes on every task poll (raw::poll entry and return)";
	s->probe_hits = read_hits(tk->hits_fd);
	for (i = 0; i < ks->nthreads; i++) {
		const struct obs_thread *k = &ks->threads[i].k;

		n += k->tk_role == OBS_TK_WORKER;
		s->roles_untold += k->tk_role == OBS_TK_UNKNOWN &&
				   worker_named(k->comm);
	}
	s->workers = calloc(n ? n : 1, sizeof(*s->workers));
	if (!s->workers)
		return -ENOMEM;
	for (i = 0; i < ks->nthreads; i++) {
		const struct obs_thread *k = &ks->threads[i].k;
		struct obs_rt_worker *w;

		if (k->tk_role != OBS_TK_WORKER)
			continue;
		w = obs_rt_add_worker(s, k);
		w->idx = (uint32_t)(s->nworkers - 1);
		/* absent: the worker has not finished a poll yet */
		w->has_record = !bpf_map_lookup_elem(tk->workers_fd, &w->tid,
						     &w->rec);
	}
	return obs_rt_read_maps(s, &tk->maps);
}

/* The threads the tier saw poll or park: workers and the blocking pool. */
static void tk_roles(void *state, struct obs_snapshot *ks)
{
	(void)state;
	for (size_t i = 0; i < ks->nthreads; i++) {
		struct obs_thread_view *t = &ks->threads[i];

		if (t->k.tk_role == OBS_TK_WORKER)
			t->role = OBS_ROLE_WORKER;
		else if (t->k.tk_role == OBS_TK_BLOCKING)
			t->role = OBS_ROLE_BLOCKING;
	}
}

static void tk_free(void *state)
{
	tk_detach(state);
}

const struct obs_runtime_tier obs_tokio_tier = {
	.kind = "tokio",
	.state_size = sizeof(struct tk_tier),
	.attach = tk_attach,
	.read = tk_read,
	.roles = tk_roles,
	.tick = tk_tick,
	.detach = tk_detach,
	.free = tk_free,
};
