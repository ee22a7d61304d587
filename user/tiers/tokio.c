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
 *  3. Above TK_EVENT_BUDGET hits/s the per-event probes (raw::poll and
 *     the park marker) are sampled (struct tk_sampler); tk_epoch changes
 *     at every switch, so that no poll is measured across a pause.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "observe.skel.h"
#include "common/elfsym.h"
#include "tiers/tokio.h"

#define TK_MAX_LINKS		8192	/* perf uprobes: one per symbol instance */

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
	/* park_timeout until 1.48, park_yield/park_internal from 1.49 */
	[TK_PARK] = "tokio::runtime::scheduler::multi_thread::worker::Context::park*",
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

/* The programs of each symbol: entry or return probes. */
static const struct tk_probe {
	enum tk_sym sym;
	const char *prog;	/* in bpf/tokio.bpf.h */
	bool ret;
} tk_probes[] = {
	{ TK_RAW_POLL, "tk_poll_enter", false },
	{ TK_WORKER_RUN, "tk_worker_mark", false },
	{ TK_PARK, "tk_worker_mark", false },
	{ TK_SEM_ACQUIRE, "tk_sem_acquire", false },
	{ TK_ACQUIRE_POLL, "tk_acquire_ret", true },
	{ TK_SEM_RELEASE, "tk_sem_release", false },
};

#define TK_NPROBES	(sizeof(tk_probes) / sizeof(tk_probes[0]))

/*
 * uprobe_multi (Linux 6.6, commit 89ae89f53d20 "bpf: Add multi uprobe
 * link"): one link holds every offset of one program in one file, and its
 * detach waits for one grace period, where a perf uprobe waits for one
 * each (~100 ms: 2,050 of them took 215 s to detach here).  libbpf 1.1
 * predates it, so the attr is built here, laid out as union bpf_attr's
 * link_create.uprobe_multi.
 */
#define TK_TRACE_UPROBE_MULTI	48	/* BPF_TRACE_UPROBE_MULTI */
#define TK_UPROBE_MULTI_RETURN	1	/* BPF_F_UPROBE_MULTI_RETURN */

struct tk_link_create {
	__u32 prog_fd, target_fd, attach_type, flags;
	__u64 path, offsets, ref_ctr_offsets, cookies;
	__u32 cnt, multi_flags, pid, pad;
};

/* A link: a libbpf perf uprobe, or a uprobe_multi fd. */
struct tk_link {
	struct bpf_link *link;
	int fd;
	enum tk_sym sym;	/* per-event ones go between sampling windows */
};

/* The probes that fire per poll (the sampled ones): raw::poll, and the
 * park marker, which fires between polls too (maintenance, yields). */
static bool per_event(enum tk_sym sym)
{
	return sym == TK_RAW_POLL || sym == TK_PARK;
}

/* A file's offsets of the per-event symbols, to attach again after a
 * pause. */
struct tk_polls_file {
	char *path;
	pid_t pid;			/* the process its links follow */
	uint64_t *off[TK_SYM__COUNT];	/* per_event() ones only */
	size_t n[TK_SYM__COUNT];
};

/*
 * Sampling (invariant 1 of bpf/tokio.bpf.h): a per-event probe hit costs
 * ~1.3 us (the trap and its program), so above TK_EVENT_BUDGET hits/s
 * (polls and parks) they are on for windows of at least TK_WINDOW_MS and
 * off in between, long enough that the hits stay within the budget.
 * coverage = on / (on + off).  At 10,000 the tier cost 3.2% of a
 * 46k-polls/s worker's throughput (bench-observer -S tokio): too close to
 * the 3% it must stay under.
 */
#define TK_EVENT_BUDGET	6000	/* per-event hits/s: < 1% of one CPU */
#define TK_STR(x)	TK_STR_(x)
#define TK_STR_(x)	#x
#define TK_WINDOW_MS	100

struct tk_sampler {
	bool off;			/* the per-event probes are detached */
	uint64_t since;			/* this window (on or off) began */
	uint64_t hits_at;		/* per-event hits when it began */
	uint64_t off_until;
	uint64_t on_ns, off_ns;		/* closed windows */
	unsigned int epoch;
};

struct tk_tier {
	struct observe_bpf *skel;
	struct obs_rt_maps maps;
	int workers_fd, hits_fd;
	struct tk_link links[TK_MAX_LINKS];
	size_t nlinks;
	unsigned int nprobes;		/* uprobes, counted once per offset */
	bool multi;			/* as uprobe_multi links (tk_configure) */
	unsigned int nsyms[TK_SYM__COUNT];	/* the process being attached */
	uint64_t attach_ns;		/* symbols found and uprobes attached,
					 * every process */
	struct tk_polls_file *polls;	/* for re-attaching, one per file */
	size_t npolls;
	struct tk_sampler sampler;
};

/* One file's offsets of each symbol, gathered before attaching. */
struct tk_offsets {
	uint64_t *off[TK_SYM__COUNT];
	size_t n[TK_SYM__COUNT], cap[TK_SYM__COUNT];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool uses_multi(const struct bpf_program *prog)
{
	return bpf_program__expected_attach_type(prog) ==
	       (enum bpf_attach_type)TK_TRACE_UPROBE_MULTI;
}

static int multi_link(const struct bpf_program *prog, const char *path,
		      const uint64_t *off, size_t n, bool ret, pid_t pid)
{
	struct tk_link_create attr = {
		.prog_fd = (__u32)bpf_program__fd(prog),
		.attach_type = TK_TRACE_UPROBE_MULTI,
		.path = (__u64)(uintptr_t)path,
		.offsets = (__u64)(uintptr_t)off,
		.cnt = (__u32)n,
		.multi_flags = ret ? TK_UPROBE_MULTI_RETURN : 0,
		.pid = (__u32)pid,
	};
	long fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));

	return fd < 0 ? -errno : (int)fd;
}

/* Attaches prog to the n offsets of path in pid: one uprobe_multi link,
 * or one perf uprobe each. */
static int attach_offsets(struct tk_tier *tk, const struct tk_probe *pr,
			  pid_t pid, const char *path, const uint64_t *off,
			  size_t n)
{
	struct bpf_program *prog =
		bpf_object__find_program_by_name(tk->skel->obj, pr->prog);
	bool multi = prog && uses_multi(prog);
	size_t i;

	if (!prog)
		return -ENOENT;
	tk->multi = multi;
	for (i = 0; i < (multi ? 1 : n); i++) {
		struct tk_link *l = &tk->links[tk->nlinks];

		if (tk->nlinks == TK_MAX_LINKS)
			return -E2BIG;
		l->sym = pr->sym;
		l->link = NULL;
		l->fd = -1;
		if (multi)
			l->fd = multi_link(prog, path, off, n, pr->ret, pid);
		else
			l->link = bpf_program__attach_uprobe(prog, pr->ret,
							     pid, path,
							     (size_t)off[i]);
		if (multi ? l->fd < 0 : !l->link)
			return multi ? l->fd : -errno;
		tk->nlinks++;
	}
	return 0;
}

static int on_symbol(const struct obs_elfsym_match *hit, void *arg)
{
	struct tk_offsets *o = arg;
	unsigned int s = hit->pattern;

	if (o->n[s] == o->cap[s]) {
		size_t cap = o->cap[s] ? 2 * o->cap[s] : 16;
		uint64_t *p = realloc(o->off[s], cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		o->off[s] = p;
		o->cap[s] = cap;
	}
	o->off[s][o->n[s]++] = hit->offset;
	return 0;
}

static void close_link(struct tk_link *l)
{
	if (l->link)
		bpf_link__destroy(l->link);
	else if (l->fd >= 0)
		close(l->fd);
}

/* Drops the per-event links (between sampling windows), or all. */
static void drop_links(struct tk_tier *tk, bool per_event_only)
{
	size_t i, kept = 0;

	for (i = 0; i < tk->nlinks; i++) {
		struct tk_link *l = &tk->links[i];

		if (per_event_only && !per_event(l->sym)) {
			tk->links[kept++] = *l;
			continue;
		}
		close_link(l);
	}
	tk->nlinks = kept;
}

static void tk_detach(void *state)
{
	drop_links(state, false);
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

/* Keeps a file's per-event offsets (taken from o) for the sampler. */
static int keep_polls(struct tk_tier *tk, pid_t pid, const char *path,
		      struct tk_offsets *o)
{
	struct tk_polls_file *p;

	p = realloc(tk->polls, (tk->npolls + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	tk->polls = p;
	p = &tk->polls[tk->npolls];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->path = strdup(path);
	if (!p->path)
		return -ENOMEM;
	for (int i = 0; i < TK_SYM__COUNT; i++) {
		if (!per_event(i))
			continue;
		p->off[i] = o->off[i];
		p->n[i] = o->n[i];
		o->off[i] = NULL;
	}
	tk->npolls++;
	return 0;
}

/*
 * The Tokio functions of one file, attached.  0 (none there is fine),
 * -ENODATA (stripped), or, with the reason in why, -EBADMSG (malformed),
 * -EACCES or -EPERM (not permitted); other -errno: printed.
 */
static int attach_file(struct tk_tier *tk, pid_t pid, const char *path,
		       char *why, size_t len)
{
	struct tk_offsets o = {};
	struct obs_elfsym *es = NULL;
	size_t i;
	int n;

	n = obs_elfsym_open(path, &es);
	if (n == -EBADMSG)
		snprintf(why, len, "malformed ELF file %s (symbol table or "
			 "headers out of bounds)", path);
	else if (n == -EACCES || n == -EPERM)
		snprintf(why, len, "cannot read %s (%s)", path, strerror(-n));
	if (!n)
		n = obs_elfsym_find(es, tk_patterns, TK_SYM__COUNT, on_symbol, &o);
	obs_elfsym_close(es);
	if (n == -ENOEXEC || n == -ENOENT)
		n = 0;	/* not an ELF, or gone with its process: no Tokio */
	for (i = 0; i < TK_NPROBES && n >= 0; i++) {
		const struct tk_probe *pr = &tk_probes[i];

		if (!o.n[pr->sym])
			continue;
		/* a process attached during a pause: its per-event probes
		 * come with the others' (reattach_polls) */
		if (tk->sampler.off && per_event(pr->sym))
			continue;
		n = attach_offsets(tk, pr, pid, path, o.off[pr->sym],
				   o.n[pr->sym]);
		tk->nprobes += (unsigned int)o.n[pr->sym];
		if (n == -EACCES || n == -EPERM)
			snprintf(why, len, "cannot attach the Tokio tier to %s "
				 "(%s)", path, strerror(-n));
	}
	if (n >= 0 && o.n[TK_RAW_POLL])
		n = keep_polls(tk, pid, path, &o);
	for (i = 0; i < TK_SYM__COUNT; i++) {
		tk->nsyms[i] += (unsigned int)o.n[i];
		free(o.off[i]);
	}
	if (n < 0 && n != -ENODATA && n != -EBADMSG && n != -EACCES &&
	    n != -EPERM)
		fprintf(stderr, "observe: cannot attach the Tokio tier to %s: "
			"%s\n", path, strerror(-n));
	return n < 0 ? n : 0;
}

/*
 * Every file that may hold a copy of Tokio: launch mode, the binary the
 * child will exec; attach mode, each executable file the process maps
 * (the binary, and a cdylib with its own Tokio).
 */
static int attach_files(struct tk_tier *tk, pid_t pid, const char *binary,
			bool launched, bool *stripped, char *why, size_t len)
{
	struct obs_elfsym_mapping *maps = NULL;
	struct stat st = {};
	size_t n = 0;
	int err;

	stat(binary, &st);
	err = attach_file(tk, pid, binary, why, len);
	*stripped = err == -ENODATA;
	/* a held child still maps observe's own files */
	if ((err && err != -ENODATA) || launched ||
	    obs_elfsym_maps(pid, &maps, &n))
		return err == -ENODATA ? 0 : err;
	for (size_t i = 0; i < n && !err; i++) {
		if (maps[i].inode == st.st_ino)
			continue;	/* the binary, done */
		if (maps[i].readable && !maps[i].deleted)
			err = attach_file(tk, pid, maps[i].open_path, why, len);
		/* a stripped library (libc, ...), or a malformed one whose
		 * own copy of Tokio, if any, goes unprobed */
		if (err == -ENODATA || err == -EBADMSG)
			err = 0;
	}
	obs_elfsym_maps_free(maps, n);
	return err;
}

/* Undoes a failed process's attach: its links and files, from the marks. */
static void undo_attach(struct tk_tier *tk, size_t nlinks, size_t npolls,
			unsigned int nprobes)
{
	while (tk->nlinks > nlinks)
		close_link(&tk->links[--tk->nlinks]);
	while (tk->npolls > npolls) {
		struct tk_polls_file *p = &tk->polls[--tk->npolls];

		free(p->path);
		for (int j = 0; j < TK_SYM__COUNT; j++)
			free(p->off[j]);
	}
	tk->nprobes = nprobes;
}

static int tk_attach(void *state, struct observe_bpf *skel, pid_t pid,
		     const char *binary, unsigned int flags, char *why,
		     size_t len)
{
	struct tk_tier *tk = state;
	size_t nlinks = tk->nlinks, npolls = tk->npolls;
	unsigned int nprobes = tk->nprobes;
	uint64_t t0 = mono_ns();
	bool stripped;
	int err;

	tk->skel = skel;
	obs_rt_maps_of(skel, &tk->maps);
	tk->workers_fd = bpf_map__fd(skel->maps.tk_workers);
	tk->hits_fd = bpf_map__fd(skel->maps.tk_hits);
	memset(tk->nsyms, 0, sizeof(tk->nsyms));
	err = attach_files(tk, pid, binary, flags & OBS_RT_LAUNCHED, &stripped,
			   why, len);
	if (!err && !tk->nsyms[TK_RAW_POLL])
		err = stripped ? -ENODATA : -ENOENT;
	if (err) {
		undo_attach(tk, nlinks, npolls, nprobes);
		return err;
	}
	tk->attach_ns += mono_ns() - t0;
	if (!npolls)	/* the first process: sampling starts */
		tk->sampler.since = mono_ns();
	if (!(flags & OBS_RT_QUIET))
		say_missing(tk, binary);
	return 0;
}

/* Does this kernel have uprobe_multi links (6.6+)? */
static bool kernel_has_uprobe_multi(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 6);
}

/* Before load: the programs as uprobe_multi ones where the kernel has
 * them (the expected attach type is fixed at load). */
static void tk_configure(struct observe_bpf *skel)
{
	if (!kernel_has_uprobe_multi() || getenv("OBSERVE_PERF_UPROBES"))
		return;
	for (size_t i = 0; i < TK_NPROBES; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(
			skel->obj, tk_probes[i].prog);

		if (prog)
			bpf_program__set_expected_attach_type(prog,
				(enum bpf_attach_type)TK_TRACE_UPROBE_MULTI);
	}
}

/* One per-CPU hit counter (obs_tk_hit), summed; 0 if unreadable. */
static uint64_t read_hit(int fd, __u32 which)
{
	uint64_t sum;

	return obs_read_percpu(fd, which, &sum) ? 0 : sum;
}

/* The uprobe hits, all programs. */
static uint64_t read_hits(int fd)
{
	return read_hit(fd, OBS_TK_HIT_EVENT) + read_hit(fd, OBS_TK_HIT_LOCK);
}

static uint64_t event_hits(const struct tk_tier *tk)
{
	return read_hit(tk->hits_fd, OBS_TK_HIT_EVENT);
}

/* The raw::poll probes again, in a new sampling window. */
static int reattach_polls(struct tk_tier *tk)
{
	int err = 0;

	tk->skel->bss->tk_epoch = ++tk->sampler.epoch;
	for (size_t f = 0; f < tk->npolls && !err; f++) {
		const struct tk_polls_file *p = &tk->polls[f];

		for (size_t i = 0; i < TK_NPROBES && !err; i++) {
			enum tk_sym sym = tk_probes[i].sym;

			if (per_event(sym) && p->n[sym])
				err = attach_offsets(tk, &tk_probes[i], p->pid,
						     p->path, p->off[sym],
						     p->n[sym]);
		}
	}
	return err;
}

/*
 * Every ~100 ms: past a sampling window, the raw::poll probes go off if
 * polls came faster than the budget, and come back after a pause that
 * keeps the average within it.
 */
static void tk_tick(void *state)
{
	struct tk_tier *tk = state;
	struct tk_sampler *sm = &tk->sampler;
	uint64_t now = mono_ns(), hits, dt = now - sm->since;
	double rate;

	if (sm->off) {
		if (now < sm->off_until)
			return;
		sm->off_ns += dt;
		sm->off = false;
		sm->since = now;
		sm->hits_at = event_hits(tk);
		if (reattach_polls(tk))
			fprintf(stderr, "observe: Tokio tier: raw::poll probes "
				"not attached again: poll figures stop here\n");
		return;
	}
	if (dt < TK_WINDOW_MS * 1000000ULL)
		return;
	hits = event_hits(tk);
	rate = (hits - sm->hits_at) * 1e9 / dt;
	sm->on_ns += dt;
	sm->since = now;
	sm->hits_at = hits;
	if (rate <= TK_EVENT_BUDGET)
		return;
	drop_links(tk, true);
	tk->skel->bss->tk_epoch = ++sm->epoch;
	sm->off = true;
	sm->off_until = now + (uint64_t)(dt * (rate / TK_EVENT_BUDGET - 1));
}

/* The share of the run the raw::poll probes were on. */
static double coverage(const struct tk_sampler *sm)
{
	uint64_t on = sm->on_ns, off = sm->off_ns, open = mono_ns() - sm->since;

	if (sm->off)
		off += open;
	else
		on += open;
	/* 4 decimals: the JSON prints it exactly, so that a saved run scales
	 * its counts as the live one did */
	return on + off ? round((double)on / (on + off) * 1e4) / 1e4 : 1.0;
}

static bool worker_named(const char *comm)
{
	return !strncmp(comm, "tokio-runtime-w", 15);
}

static int tk_read(void *state, struct obs_rt_snapshot *s,
		   const struct obs_snapshot *ks, uint32_t tgid)
{
	struct tk_tier *tk = state;
	size_t i, n = 0;

	static const char *const modes[2][2] = {
		{ "perf uprobes on every task poll (raw::poll entry)",
		  "perf uprobes on task polls, sampled: off between windows "
		  "while polls and parks came faster than "
		  TK_STR(TK_EVENT_BUDGET) "/s" },
		{ "uprobe_multi links on every task poll (raw::poll entry)",
		  "uprobe_multi links on task polls, sampled: off between "
		  "windows while polls and parks came faster than "
		  TK_STR(TK_EVENT_BUDGET) "/s" },
	};

	s->tier.mode = modes[tk->multi][tk->sampler.off || tk->sampler.off_ns];
	s->tier.coverage = coverage(&tk->sampler);
	s->tier.probe_hits = read_hits(tk->hits_fd);
	s->tier.nprobes = tk->nprobes;
	s->tier.attach_ns = tk->attach_ns;
	for (i = 0; i < ks->nthreads; i++) {
		const struct obs_thread *k = &ks->threads[i].k;

		if (!obs_rt_of_tgid(k, tgid))
			continue;
		n += k->tk_role == OBS_TK_WORKER;
		s->tier.roles_untold += k->tk_role == OBS_TK_UNKNOWN &&
				   worker_named(k->comm);
	}
	s->workers = calloc(n ? n : 1, sizeof(*s->workers));
	if (!s->workers)
		return -ENOMEM;
	for (i = 0; i < ks->nthreads; i++) {
		const struct obs_thread *k = &ks->threads[i].k;
		struct obs_rt_worker *w;

		if (k->tk_role != OBS_TK_WORKER || !obs_rt_of_tgid(k, tgid))
			continue;
		w = obs_rt_add_worker(s, k);
		w->idx = (uint32_t)(s->nworkers - 1);
		/* absent: the worker has not finished a poll yet */
		w->has_record = !bpf_map_lookup_elem(tk->workers_fd, &w->tid,
						     &w->rec);
	}
	return obs_rt_read_maps(s, &tk->maps, tgid);
}

/* The threads the tier saw poll or park: workers and the blocking pool. */
static void tk_roles(void *state, struct obs_snapshot *ks)
{
	(void)state;
	for (size_t i = 0; i < ks->nthreads; i++) {
		struct obs_thread_view *t = &ks->threads[i];

		if (t->k.tk_role == OBS_TK_UNKNOWN)
			continue;
		t->role = t->k.tk_role == OBS_TK_WORKER ? OBS_ROLE_WORKER :
							  OBS_ROLE_BLOCKING;
		t->role_by = OBS_ROLE_BY_RUNTIME;
	}
}

static void tk_free(void *state)
{
	struct tk_tier *tk = state;

	undo_attach(tk, 0, 0, 0);
	free(tk->polls);
	tk->polls = NULL;
}

const struct obs_runtime_tier obs_tokio_tier = {
	.kind = "tokio",
	.state_size = sizeof(struct tk_tier),
	.configure = tk_configure,
	.attach = tk_attach,
	.read = tk_read,
	.roles = tk_roles,
	.tick = tk_tick,
	.detach = tk_detach,
	.free = tk_free,
};
