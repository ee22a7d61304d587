// SPDX-License-Identifier: MIT
/*
 * kernel.c - the kernel tier (kernel.h): its settings before the BPF
 * object loads, its programs attached to the target, and the maps read into
 * a snapshot.  Maps are only read, never deleted from, so an increment
 * landing during a read is never lost: at worst it shows in the next
 * snapshot.
 */
#include <errno.h>
#include <unistd.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "observe.skel.h"
#include "common/hist.h"
#include "common/syscalls.h"
#include "tiers/kernel.h"

/* ---- configure and attach ------------------------------------------------- */

/* Does the kernel's BTF (NULL: none) have the tracepoint's (tp_btf)? */
static bool have_btf_tracepoint(const struct btf *vmlinux, const char *name)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "btf_trace_%s", name);
	return vmlinux &&
	       btf__find_by_name_kind(vmlinux, buf, BTF_KIND_TYPEDEF) > 0;
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

/* Does struct NAME in vmlinux's BTF have a member MEMBER? */
static bool btf_has_member(const struct btf *btf, const char *name,
			   const char *member)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return true;
	return false;
}

/*
 * Can switch-in read when a thread became runnable from the kernel's own
 * sched_info (CONFIG_SCHED_INFO: last_queued) and its run queue's clock
 * (through se.cfs_rq->rq, CONFIG_FAIR_GROUP_SCHED)?  Then the sched_wakeup
 * programs are not loaded, and rq delay is schedstat's run_delay exactly.
 * OBSERVE_WAKEUP=1 forces the wakeup programs (tests compare the two).
 */
static bool use_kclock(const struct btf *vmlinux)
{
	const char *force = getenv("OBSERVE_WAKEUP");

	if (force && *force && strcmp(force, "0"))
		return false;
	return vmlinux &&
	       btf_has_member(vmlinux, "sched_info", "last_queued") &&
	       btf_has_member(vmlinux, "sched_entity", "cfs_rq") &&
	       btf_has_member(vmlinux, "cfs_rq", "rq");
}

bool obs_kernel_small_maps(void)
{
	const char *on = getenv("OBSERVE_SMALL_MAPS");

	return on && *on && strcmp(on, "0");
}

/* Never smaller than a page for the ring buffer, which the kernel needs. */
static void shrink_maps(struct observe_bpf *skel)
{
	if (!obs_kernel_small_maps())
		return;
	bpf_map__set_max_entries(skel->maps.threads, 16);
	bpf_map__set_max_entries(skel->maps.rt_polls, 16);
	bpf_map__set_max_entries(skel->maps.futexes, 4);
	bpf_map__set_max_entries(skel->maps.pairs, 8);
	bpf_map__set_max_entries(skel->maps.locks, 1);
	bpf_map__set_max_entries(skel->maps.tk_requests, 2);
	bpf_map__set_max_entries(skel->maps.tk_holds, 2);
	bpf_map__set_max_entries(skel->maps.events, 4096);
}

const char *obs_kernel_btf_path(void)
{
	const char *path = getenv("OBSERVE_BTF");

	return path && *path ? path : OBS_VMLINUX_BTF;
}

void obs_kernel_configure(struct observe_bpf *skel,
			  const struct obs_kernel_cfg *cfg)
{
	/* parsed once: each load is ~14 ms here */
	struct btf *vmlinux = btf__parse(obs_kernel_btf_path(), NULL);
	struct obs_futex_nrs nrs;
	bool btf_sys = have_btf_tracepoint(vmlinux, "sys_enter") &&
		       have_btf_tracepoint(vmlinux, "sys_exit");
	bool regs = use_regs_sys(), kclock = use_kclock(vmlinux);

	btf__free(vmlinux);

	obs_futex_nrs(&nrs);
	skel->rodata->targ_tgid = (__u32)cfg->tgid;
	skel->rodata->follow_children = cfg->follow_children;
	skel->rodata->follow_all = cfg->follow_all;
	skel->rodata->self_tgid = (__u32)getpid();
	skel->rodata->threshold_ns = cfg->threshold_ms * NSEC_PER_MSEC;
	skel->rodata->futex_nr = nrs.futex;
	skel->rodata->futex_waitv_nr = nrs.futex_waitv;
	skel->rodata->futex2_wait_nr = nrs.futex_wait;
	skel->rodata->futex2_wake_nr = nrs.futex_wake;
	obs_sys_class_table((uint8_t *)skel->rodata->sys_class,
			    OBS_SYSCALL_NRS);
	skel->rodata->regs_sys = regs;
	skel->rodata->kclock = kclock;
	bpf_program__set_autoload(skel->progs.obs_sched_wakeup, !kclock);
	bpf_program__set_autoload(skel->progs.obs_sched_wakeup_new, !kclock);
	/* the copy reads the saved user registers as regs_sys does */
	skel->rodata->ustack_on = regs && cfg->ustacks && cfg->threshold_ms;
	bpf_program__set_autoload(skel->progs.obs_cpu_sample,
				  skel->rodata->ustack_on);

	/*
	 * tp_btf where the kernel has it, else the raw_tp twin (same code);
	 * no sys_enter at all when the registers tell the syscall.
	 */
	bpf_program__set_autoload(skel->progs.obs_sys_enter, btf_sys && !regs);
	bpf_program__set_autoload(skel->progs.obs_sys_exit, btf_sys);
	bpf_program__set_autoload(skel->progs.obs_sys_enter_raw,
				  !btf_sys && !regs);
	bpf_program__set_autoload(skel->progs.obs_sys_exit_raw, !btf_sys);
	shrink_maps(skel);
	if (cfg->verbose) {
		if (!btf_sys)
			fprintf(stderr, "observe: no BTF for raw_syscalls, using raw_tp\n");
		fprintf(stderr, "observe: syscalls from %s\n",
			regs ? "saved user registers" : "sys_enter");
		fprintf(stderr, "observe: wakeups from %s\n",
			kclock ? "sched_info" : "sched_wakeup");
	}
}

bool obs_kernel_ustacks(const struct observe_bpf *skel)
{
	return skel->rodata->ustack_on;
}

int obs_kernel_follow(struct observe_bpf *skel, pid_t tgid)
{
	__u32 key = (__u32)tgid;
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.tgids), &key, &one,
				BPF_ANY))
		return -errno;
	/* nonzero is what the programs test: the fork handler adds too */
	__atomic_add_fetch(&skel->bss->nr_tgids, 1, __ATOMIC_RELAXED);
	return 0;
}

int obs_kernel_unfollow(struct observe_bpf *skel, pid_t tgid)
{
	__u32 key = (__u32)tgid;

	return bpf_map_delete_elem(bpf_map__fd(skel->maps.tgids), &key) ?
	       -errno : 0;
}

int obs_kernel_attach(struct observe_bpf *skel, struct obs_map_fds *fds)
{
	int err;

	/* the tracepoints; the runtime tiers attach their own programs */
	err = observe_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "observe: failed to attach BPF programs: %s\n",
			strerror(-err));
		return err;
	}
	*fds = (struct obs_map_fds){
		.threads = bpf_map__fd(skel->maps.threads),
		.futexes = bpf_map__fd(skel->maps.futexes),
		.pairs = bpf_map__fd(skel->maps.pairs),
		.drops = bpf_map__fd(skel->maps.drops),
		.stacks = bpf_map__fd(skel->maps.stacks),
		.oncpu = bpf_map__fd(skel->maps.oncpu),
	};
	return 0;
}

/* ---- snapshot ---------------------------------------------------------------- */

static const char *const role_names[OBS_ROLE__COUNT] = {
	[OBS_ROLE_WORKER] = "worker",
	[OBS_ROLE_BLOCKING] = "blocking",
	[OBS_ROLE_OTHER] = "other",
};

const char *obs_role_name(enum obs_role role)
{
	return role < OBS_ROLE__COUNT ? role_names[role] : "other";
}

static const char *const role_by_names[OBS_ROLE_BY__COUNT] = {
	[OBS_ROLE_BY_NONE] = "none",
	[OBS_ROLE_BY_GLOB] = "glob",
	[OBS_ROLE_BY_RUNTIME] = "runtime",
	[OBS_ROLE_BY_EPOLL] = "epoll",
	[OBS_ROLE_BY_QUEUE] = "idle_queue",
	[OBS_ROLE_BY_NAME] = "name",
};

const char *obs_role_by_name(enum obs_role_by by)
{
	return by < OBS_ROLE_BY__COUNT ? role_by_names[by] : "none";
}

enum obs_role obs_role_of(const struct obs_roles_cfg *cfg, const char *comm)
{
	int i;

	for (i = 0; i < cfg->nworker; i++)
		if (fnmatch(cfg->worker[i], comm, 0) == 0)
			return OBS_ROLE_WORKER;
	for (i = 0; i < cfg->nblocking; i++)
		if (fnmatch(cfg->blocking[i], comm, 0) == 0)
			return OBS_ROLE_BLOCKING;
	return OBS_ROLE_OTHER;
}

int obs_read_hash(int fd, size_t key_size, size_t val_off, size_t rec_size,
		  size_t max, void **out, size_t *n)
{
	unsigned char key[64], next[64];
	unsigned char *arr = NULL, *rec, *grown;
	size_t cnt = 0, cap = 0;
	void *prev = NULL;
	int err;

	*out = NULL;
	*n = 0;
	/* grown as entries come: the bound (16384 threads of ~1.5 KB) would be
	 * 24 MB to zero at every read */
	while (cnt < max) {
		err = bpf_map_get_next_key(fd, prev, next);
		if (err) {
			if (errno == ENOENT)
				break;
			err = -errno;
			free(arr);
			return err;
		}
		if (cnt == cap) {
			cap = cap ? (cap * 2 < max ? cap * 2 : max) : 64;
			grown = realloc(arr, cap * rec_size);
			if (!grown) {
				free(arr);
				return -ENOMEM;
			}
			arr = grown;
		}
		rec = arr + cnt * rec_size;
		memset(rec, 0, rec_size);
		memcpy(rec, next, key_size);
		/* a key deleted in between is skipped, not an error */
		if (!bpf_map_lookup_elem(fd, next, rec + val_off))
			cnt++;
		memcpy(key, next, key_size);
		prev = key;
	}
	*out = arr ? arr : calloc(1, rec_size);	/* callers free it */
	if (!*out)
		return -ENOMEM;
	*n = cnt;
	return 0;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct obs_thread_view *x = a, *y = b;

	if (x->k.tgid != y->k.tgid)
		return x->k.tgid < y->k.tgid ? -1 : 1;
	return (x->k.tid > y->k.tid) - (x->k.tid < y->k.tid);
}

static int cmp_futex_wait(const void *a, const void *b)
{
	const struct obs_futex_view *x = a, *y = b;

	if (x->v.wait_ns != y->v.wait_ns)
		return x->v.wait_ns > y->v.wait_ns ? -1 : 1;
	return (x->key.uaddr > y->key.uaddr) - (x->key.uaddr < y->key.uaddr);
}

void obs_snapshot_sum_roles(struct obs_snapshot *s)
{
	size_t i;
	int j;

	memset(s->roles, 0, sizeof(s->roles));
	for (i = 0; i < s->nthreads; i++) {
		const struct obs_thread *k = &s->threads[i].k;
		struct obs_role_sum *r = &s->roles[s->threads[i].role];

		r->threads++;
		r->on_cpu_ns += k->on_cpu_ns;
		r->rq_delay_ns += k->rq_total_ns;
		r->rq_count += k->rq_count;
		if (k->rq_max_ns > r->rq_max_ns)
			r->rq_max_ns = k->rq_max_ns;
		r->off_cpu_ns += k->off_cpu_ns;
		r->futex_wait_ns += k->futex_wait_ns;
		for (j = 0; j < OBS_MAX_SLOTS; j++)
			r->rq_hist[j] += k->rq_hist[j];
		for (j = 0; j < OBS_SYS__COUNT; j++)
			r->off_by_sys[j] += k->off_by_sys[j];
	}
}

/*
 * Spans still open at now_ns are charged to the totals (not to counts other
 * than futex_waits and long CPU runs, nor to histograms): a thread running,
 * or blocked, through the whole window must not read as idle.  The dead
 * never run again.
 */
static void add_in_progress(struct obs_thread *k, uint64_t now_ns)
{
	uint64_t d;
	__u32 cls;

	if (k->ts_in && now_ns > k->ts_in)
		k->on_cpu_ns += now_ns - k->ts_in;
	/* a CPU run not ended yet: a poll still spinning is a long run now */
	if (k->run.ok && k->on_cpu_ns > k->run.base) {
		d = k->on_cpu_ns - k->run.base;
		if (d >= OBS_CPU_RUN_LONG_NS) {
			k->cpu_runs_long++;
			k->cpu_run_long_ns += d;
		}
		if (d > k->cpu_run_max_ns)
			k->cpu_run_max_ns = d;
	}
	if (!k->ts_in && k->ts_off && now_ns > k->ts_off) {
		d = now_ns - k->ts_off;
		cls = k->off_class < OBS_SYS__COUNT ? k->off_class : OBS_SYS_OTHER;
		k->off_cpu_ns += d;
		k->off_by_sys[cls] += d;
		if (k->off_uaddr) {
			k->futex_waits++;
			k->futex_wait_ns += d;
		}
	}
}

uint64_t obs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The threads running on a CPU right now keep their CPU run in the per-CPU
 * obs_oncpu entry (bpf/observe.h), not in their obs_thread.  *out gets one
 * entry per possible CPU (tid 0: none); 0 or -errno.
 */
static int read_oncpu(int fd, struct obs_oncpu **out, int *ncpus)
{
	__u32 zero = 0;

	*ncpus = libbpf_num_possible_cpus();
	if (*ncpus <= 0)
		return *ncpus ? *ncpus : -EINVAL;
	*out = calloc(*ncpus, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, *out)) {
		free(*out);
		*out = NULL;
		return -errno;
	}
	return 0;
}

/* A row of the snapshot: a thread, or the sum of folded exited threads. */
static void add_row(struct obs_snapshot *s, const struct obs_thread *k,
		    unsigned int folded, const struct obs_roles_cfg *cfg)
{
	struct obs_thread_view *tv = &s->threads[s->nthreads++];

	tv->k = *k;
	tv->k.comm[OBS_COMM_LEN - 1] = '\0';
	tv->folded = folded;
	tv->role = obs_role_of(cfg, tv->k.comm);
	tv->role_by = tv->role == OBS_ROLE_OTHER ? OBS_ROLE_BY_NONE :
		      cfg->given ? OBS_ROLE_BY_GLOB : OBS_ROLE_BY_NAME;
}

/*
 * The threads map and the reaped rows, sorted by (tgid, tid), with roles
 * and per-role sums.
 */
static int read_threads(struct obs_snapshot *s, const struct obs_map_fds *fds,
			const struct obs_exited *x,
			const struct obs_roles_cfg *cfg, uint64_t now_ns)
{
	size_t nx = x ? x->nkept + x->nfolds : 0;
	struct obs_thread_rec *tv = NULL;
	struct obs_oncpu *oncpu;
	int err, ncpus;
	size_t i, n;

	err = read_oncpu(fds->oncpu, &oncpu, &ncpus);
	if (err)
		return err;
	err = obs_read_hash(fds->threads, sizeof(__u32),
			    offsetof(struct obs_thread_rec, k), sizeof(*tv),
			    OBS_MAX_THREADS, (void **)&tv, &n);
	if (!err && !(s->threads = calloc(n + nx ? n + nx : 1,
					  sizeof(*s->threads))))
		err = -ENOMEM;
	if (err) {
		free(oncpu);
		free(tv);
		return err;
	}
	for (i = 0; i < n; i++) {
		struct obs_thread *k = &tv[i].k;

		for (int c = 0; c < ncpus; c++)
			if (oncpu[c].tid == k->tid)
				k->run = oncpu[c].run;
		if (now_ns && !k->exited)
			add_in_progress(k, now_ns);
		add_row(s, k, 0, cfg);
	}
	for (i = 0; x && i < x->nkept; i++)
		add_row(s, &x->kept[i], 0, cfg);
	for (i = 0; x && i < x->nfolds; i++)
		add_row(s, &x->folds[i], x->nfolded[i], cfg);
	free(oncpu);
	free(tv);
	qsort(s->threads, s->nthreads, sizeof(*s->threads), cmp_thread);
	obs_snapshot_sum_roles(s);
	return 0;
}

int obs_read_percpu(int fd, __u32 key, uint64_t *sum)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	__u64 *percpu;

	*sum = 0;
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, percpu))
		err = -errno;
	for (int c = 0; c < ncpus && !err; c++)
		*sum += percpu[c];
	free(percpu);
	return err;
}

/* The per-CPU drop counters, summed. */
static int read_drops(struct obs_snapshot *s, int fd)
{
	uint64_t sum;
	int err = 0;

	for (__u32 k = 0; k < OBS_COUNTERS__COUNT && !err; k++) {
		err = obs_read_percpu(fd, k, &sum);
		if (k < OBS_DROP__COUNT)
			s->drops[k] = sum;
		else if (k == OBS_DIAG_MISSED_WAKEUP)
			s->missed_wakeups = sum;
		else if (k == OBS_DIAG_USTACK_LOST)
			s->ustack_lost = sum;
	}
	return err;
}

/* The pairs of reaped threads, after those of the map. */
static int add_exited_pairs(struct obs_snapshot *s, const struct obs_exited *x)
{
	struct obs_pair_view *p;

	if (!x || !x->npairs)
		return 0;
	p = realloc(s->pairs, (s->npairs + x->npairs) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->pairs = p;
	for (size_t i = 0; i < x->npairs; i++) {
		p[s->npairs].key = x->pairs[i]->key;
		p[s->npairs++].v = x->pairs[i]->v;
	}
	return 0;
}

int obs_snapshot_read(struct obs_snapshot *s, const struct obs_map_fds *fds,
		      const struct obs_exited *x,
		      const struct obs_roles_cfg *cfg, uint64_t now_ns)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = read_threads(s, fds, x, cfg, now_ns);
	if (!err)
		err = obs_read_hash(fds->futexes, sizeof(struct obs_futex_key),
				    offsetof(struct obs_futex_view, v),
				    sizeof(struct obs_futex_view), OBS_MAX_FUTEX,
				    (void **)&s->futexes, &s->nfutexes);
	if (!err) {
		qsort(s->futexes, s->nfutexes, sizeof(*s->futexes),
		      cmp_futex_wait);
		err = obs_read_hash(fds->pairs, sizeof(struct obs_pair_key),
				    offsetof(struct obs_pair_view, v),
				    sizeof(struct obs_pair_view), OBS_MAX_PAIRS,
				    (void **)&s->pairs, &s->npairs);
	}
	if (!err)
		err = add_exited_pairs(s, x);
	if (!err)
		err = read_drops(s, fds->drops);
	if (!err && x)
		s->drops[OBS_DROP_FUTEX] += x->pairs_lost;
	if (err)
		obs_snapshot_free(s);
	return err;
}

int obs_pair_key_cmp(const struct obs_pair_key *x, const struct obs_pair_key *y)
{
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->uaddr != y->uaddr)
		return x->uaddr < y->uaddr ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

uint64_t obs_snapshot_threads_seen(const struct obs_snapshot *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->nthreads; i++)
		n += s->threads[i].folded ? s->threads[i].folded : 1;
	return n;
}

uint64_t obs_snapshot_threads_exited(const struct obs_snapshot *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].k.exited)
			n += s->threads[i].folded ? s->threads[i].folded : 1;
	return n;
}

void obs_snapshot_free(struct obs_snapshot *s)
{
	free(s->threads);
	free(s->futexes);
	free(s->pairs);
	memset(s, 0, sizeof(*s));
}

const struct obs_futex_view *obs_snapshot_futex(const struct obs_snapshot *s,
						uint32_t tgid, uint64_t uaddr)
{
	size_t i;

	for (i = 0; i < s->nfutexes; i++)
		if (s->futexes[i].key.tgid == tgid &&
		    s->futexes[i].key.uaddr == uaddr)
			return &s->futexes[i];
	return NULL;
}

const struct obs_thread_view *obs_snapshot_thread(const struct obs_snapshot *s,
						  uint32_t tid)
{
	size_t i;

	for (i = 0; i < s->nthreads; i++)
		if (s->threads[i].k.tid == tid)
			return &s->threads[i];
	return NULL;
}

const struct obs_futex_view *obs_snapshot_top_futex(const struct obs_snapshot *cur,
						    const struct obs_snapshot *prev,
						    uint64_t *ns_out, uint64_t *waits_out)
{
	const struct obs_futex_view *best = NULL, *old;

	*ns_out = *waits_out = 0;
	for (size_t i = 0; i < cur->nfutexes; i++) {
		const struct obs_futex_view *fx = &cur->futexes[i];
		uint64_t ns = fx->v.wait_ns, waits = fx->v.waits;

		old = obs_snapshot_futex(prev, fx->key.tgid, fx->key.uaddr);
		if (old) {
			ns -= old->v.wait_ns;
			waits -= old->v.waits;
		}
		if (ns > *ns_out) {
			*ns_out = ns;
			*waits_out = waits;
			best = fx;
		}
	}
	return best;
}

const char *obs_snapshot_comm(const struct obs_snapshot *s, uint32_t tid)
{
	const struct obs_thread_view *t = obs_snapshot_thread(s, tid);

	return t ? t->k.comm : "?";
}

const char *obs_snapshot_process_comm(const struct obs_snapshot *s,
				      uint32_t tgid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].k.tgid == tgid)
			return s->threads[i].k.leader_comm[0] ?
			       s->threads[i].k.leader_comm : s->threads[i].k.comm;
	return "?";
}

void obs_notables_add(struct obs_notables *nb, const struct obs_event *ev,
		      int stack_fd)
{
	struct obs_notable *slot;
	__u32 id;
	size_t i, min = 0;

	nb->seen++;
	if (nb->n < OBS_NOTABLE_MAX) {
		slot = &nb->items[nb->n++];
	} else {
		/* full: replace the shortest span if this one is longer */
		for (i = 1; i < nb->n; i++)
			if (nb->items[i].ev.ns < nb->items[min].ev.ns)
				min = i;
		if (nb->items[min].ev.ns >= ev->ns)
			return;
		slot = &nb->items[min];
	}
	memset(slot, 0, sizeof(*slot));
	slot->ev = *ev;
	slot->ev.comm[OBS_COMM_LEN - 1] = '\0';
	if (stack_fd < 0 || ev->ustack_id < 0)
		return;
	/* the stack is read now: the BPF side may reuse its id later */
	id = (__u32)ev->ustack_id;
	if (bpf_map_lookup_elem(stack_fd, &id, slot->ustack))
		return;
	while (slot->nframes < OBS_STACK_DEPTH && slot->ustack[slot->nframes])
		slot->nframes++;
}

void obs_notables_add_pending(struct obs_notables *nb,
			      const struct obs_snapshot *s)
{
	const struct obs_thread *k;
	struct obs_event ev;
	size_t i;
	__u32 j;

	for (i = 0; i < s->nthreads; i++) {
		k = &s->threads[i].k;
		for (j = 0; j < k->npend && j < OBS_PENDING_MAX; j++) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = k->pend[j].kind;
			ev.tid = k->tid;
			ev.tgid = k->tgid;
			ev.sys_class = k->pend[j].sys_class;
			ev.ns = k->pend[j].ns;
			ev.end_ns = k->pend[j].end_ns;
			ev.uaddr = k->pend[j].uaddr;
			ev.ustack_id = -1;
			memcpy(ev.comm, k->comm, sizeof(ev.comm));
			obs_notables_add(nb, &ev, -1);
		}
	}
}

static int cmp_notable(const void *a, const void *b)
{
	const struct obs_notable *x = a, *y = b;

	return (x->ev.ns < y->ev.ns) - (x->ev.ns > y->ev.ns);
}

void obs_notables_sort(struct obs_notables *nb)
{
	qsort(nb->items, nb->n, sizeof(nb->items[0]), cmp_notable);
}
