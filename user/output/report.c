// SPDX-License-Identifier: MIT
/*
 * report.c - the human report: the verdict first (as the analysis stage
 * stored it), then header, runtime tier, per-thread table, per-role sums,
 * the worker run-queue delay histogram, contended futexes, notable spans;
 * and the two lines of an -i interval.  A consumer only: nothing here
 * computes a verdict.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/hist.h"
#include "common/syscalls.h"
#include "output/report.h"
#include "output/verdict.h"
#include "stacks/callsite.h"

#define REPORT_TOP_FUTEX 10
#define REPORT_TOP_PAIRS 4
#define REPORT_TOP_NOTABLE 10

/* Index of the largest and second largest off_by_sys entries (-1 if zero). */
static void top2_sys(const __u64 *by_sys, int *first, int *second)
{
	int i;

	*first = *second = -1;
	for (i = 0; i < OBS_SYS__COUNT; i++) {
		if (!by_sys[i])
			continue;
		if (*first < 0 || by_sys[i] > by_sys[*first]) {
			*second = *first;
			*first = i;
		} else if (*second < 0 || by_sys[i] > by_sys[*second]) {
			*second = i;
		}
	}
}

/* A slot's upper bound can exceed the largest span seen: show the smaller.
 * The kernel tier's histograms have OBS_MAX_SLOTS, the runtime's
 * RT_PROBE_HIST_SLOTS (rt_pctl). */
static uint64_t pctl(const __u64 *hist, double pct, uint64_t max)
{
	return obs_hist_percentile_max(hist, OBS_MAX_SLOTS, pct, max);
}

static uint64_t rt_pctl(const __u64 *hist, double pct, uint64_t max)
{
	return obs_hist_percentile_max(hist, RT_PROBE_HIST_SLOTS, pct, max);
}

static double pct_of(uint64_t ns, double secs)
{
	return secs > 0 ? ns / (secs * 1e9) * 100.0 : 0;
}

static void print_header(FILE *f, const struct obs_run *run)
{
	int i;

	if (run->scope) {	/* one of several: the host report said the rest */
		fprintf(f, "observe: pid %d (%s), one of several processes\n",
			run->pid, run->comm[0] ? run->comm : "?");
		obs_report_counts(f, run->snap);
		return;
	}
	fprintf(f, "observe: %s pid %d (%s)", run->launched ? "launched" :
		"attached to", run->pid, run->comm[0] ? run->comm : "?");
	if (run->launched) {
		fprintf(f, ":");
		for (i = 0; i < run->argc; i++)
			fprintf(f, " %s", run->argv[i]);
	}
	fprintf(f, "\nkernel %s, duration %.3f s", run->kernel, run->duration_s);
	if (run->has_exit)
		fprintf(f, ", exit status %d", run->exit_status);
	fprintf(f, "\n");
	obs_report_counts(f, run->snap);
}

void obs_report_counts(FILE *f, const struct obs_snapshot *s)
{
	fprintf(f, "drops: ringbuf %llu, threads_full %llu, futex_full %llu, "
		"other_full %llu%s\n",
		(unsigned long long)s->drops[OBS_DROP_RINGBUF],
		(unsigned long long)s->drops[OBS_DROP_THREADS],
		(unsigned long long)s->drops[OBS_DROP_FUTEX],
		(unsigned long long)s->drops[OBS_DROP_OTHER],
		s->drops[OBS_DROP_RINGBUF] + s->drops[OBS_DROP_THREADS] +
		s->drops[OBS_DROP_FUTEX] + s->drops[OBS_DROP_OTHER] ?
		"  (INCOMPLETE: see docs/observe.md, map bounds)" : "");
	fprintf(f, "threads: %llu seen, %llu exited\n",
		(unsigned long long)obs_snapshot_threads_seen(s),
		(unsigned long long)obs_snapshot_threads_exited(s));
	if (s->missed_wakeups)
		fprintf(f, "missed wakeups: %llu (blocked spans closed at "
			"switch-in; their run-queue part counts as off-CPU)\n",
			(unsigned long long)s->missed_wakeups);
}

static void print_threads(FILE *f, const struct obs_run *run)
{
	const struct obs_snapshot *s = run->snap;
	char b[6][32], top[64], tid[16], mark[48];
	size_t i;
	int a, b2;

	fprintf(f, "\n%7s %-16s %-8s %6s %9s %9s %9s %9s  %-40s %s\n", "TID",
		"COMM", "ROLE", "CPU%", "RQ p50", "RQ p99", "RQ total",
		"OFF-CPU", "OFF-CPU top syscalls", "FUTEX waits/time");
	for (i = 0; i < s->nthreads; i++) {
		const struct obs_thread *k = &s->threads[i].k;
		unsigned int folded = s->threads[i].folded;

		/* a folded row has no tid of its own (tiers/exited.h) */
		snprintf(tid, sizeof(tid), folded ? "-" : "%u", k->tid);
		snprintf(mark, sizeof(mark), folded ? "  (%u exited, summed)" :
			 k->exited ? "  (exited)" : "", folded);
		top2_sys(k->off_by_sys, &a, &b2);
		top[0] = '\0';
		if (a >= 0)
			snprintf(top, sizeof(top), "%s %s%s%s%s",
				 obs_sys_class_name(a),
				 obs_fmt_ns(b[4], 32, k->off_by_sys[a]),
				 b2 >= 0 ? ", " : "",
				 b2 >= 0 ? obs_sys_class_name(b2) : "",
				 b2 >= 0 ? " " : "");
		if (b2 >= 0)
			strncat(top, obs_fmt_ns(b[5], 32, k->off_by_sys[b2]),
				sizeof(top) - strlen(top) - 1);
		fprintf(f, "%7s %-16s %-8s %6.1f %9s %9s %9s %9s  %-40s %llu/%s%s\n",
			tid, k->comm, obs_role_name(s->threads[i].role),
			pct_of(k->on_cpu_ns, run->duration_s),
			obs_fmt_ns(b[0], 32, pctl(k->rq_hist, 50, k->rq_max_ns)),
			obs_fmt_ns(b[1], 32, pctl(k->rq_hist, 99, k->rq_max_ns)),
			obs_fmt_ns(b[2], 32, k->rq_total_ns),
			obs_fmt_ns(b[3], 32, k->off_cpu_ns), top[0] ? top : "-",
			(unsigned long long)k->futex_waits,
			obs_fmt_ns(b[4], 32, k->futex_wait_ns), mark);
	}
	if (!s->nthreads)
		fprintf(f, "    (no thread of the target was seen)\n");
}

static void print_roles(FILE *f, const struct obs_run *run)
{
	const struct obs_snapshot *s = run->snap;
	char b[8][32];
	int r, a, a2;

	fprintf(f, "\nper role:\n");
	for (r = 0; r < OBS_ROLE__COUNT; r++) {
		const struct obs_role_sum *rs = &s->roles[r];

		if (!rs->threads)
			continue;
		top2_sys(rs->off_by_sys, &a, &a2);
		fprintf(f, "  %-8s %3u threads  on-CPU %s (%.1f%% of a CPU)  "
			"rq delay %s (p50 %s p99 %s, %llu waits)  off-CPU %s%s%s%s  "
			"futex wait %s\n",
			obs_role_name(r), rs->threads,
			obs_fmt_ns(b[0], 32, rs->on_cpu_ns),
			pct_of(rs->on_cpu_ns, run->duration_s),
			obs_fmt_ns(b[1], 32, rs->rq_delay_ns),
			obs_fmt_ns(b[2], 32, pctl(rs->rq_hist, 50, rs->rq_max_ns)),
			obs_fmt_ns(b[3], 32, pctl(rs->rq_hist, 99, rs->rq_max_ns)),
			(unsigned long long)rs->rq_count,
			obs_fmt_ns(b[4], 32, rs->off_cpu_ns),
			a >= 0 ? " (top: " : "",
			a >= 0 ? obs_sys_class_name(a) : "",
			a >= 0 ? ")" : "",
			obs_fmt_ns(b[5], 32, rs->futex_wait_ns));
	}
}

/* One line per process: how many threads of each role, and what decided
 * them (analysis/roles.h). */
static void print_role_sources(FILE *f, const struct obs_snapshot *s)
{
	unsigned int n[OBS_ROLE__COUNT][OBS_ROLE_BY__COUNT];
	size_t i = 0, j;

	if (s->nthreads)
		fprintf(f, "  decided by (epoll: waits in epoll, an event loop; "
			"idle_queue: idles with others on a futex that other "
			"threads wake, a pool):\n");
	while (i < s->nthreads) {
		uint32_t tgid = s->threads[i].k.tgid;

		memset(n, 0, sizeof(n));
		for (j = i; j < s->nthreads && s->threads[j].k.tgid == tgid; j++)
			n[s->threads[j].role][s->threads[j].role_by]++;
		fprintf(f, "    pid %u (%s):", tgid,
			obs_snapshot_process_comm(s, tgid));
		for (int r = 0, roles = 0; r < OBS_ROLE__COUNT; r++) {
			unsigned int all = 0, shown = 0;

			for (int b = 0; b < OBS_ROLE_BY__COUNT; b++)
				all += n[r][b];
			if (!all)
				continue;
			fprintf(f, "%s %u %s", roles++ ? "," : "", all,
				obs_role_name(r));
			/* "2 worker (name)", "3 worker (1 epoll, 2 name)" */
			for (int b = OBS_ROLE_BY_NONE + 1; b < OBS_ROLE_BY__COUNT; b++) {
				if (!n[r][b])
					continue;
				fprintf(f, "%s", shown++ ? ", " : " (");
				if (n[r][b] < all)
					fprintf(f, "%u ", n[r][b]);
				fprintf(f, "%s", obs_role_by_name(b));
			}
			fprintf(f, "%s", shown ? ")" : "");
		}
		fprintf(f, "\n");
		i = j;
	}
}

static void print_futexes(FILE *f, const struct obs_run *run)
{
	const struct obs_snapshot *s = run->snap;
	char b[4][32];
	size_t i, j, shown;

	fprintf(f, "\ncontended futex addresses (most wait time first):\n");
	if (!s->nfutexes) {
		fprintf(f, "    (no futex wait blocked)\n");
		return;
	}
	for (i = 0; i < s->nfutexes && i < REPORT_TOP_FUTEX; i++) {
		const struct obs_futex_view *fx = &s->futexes[i];

		fprintf(f, "  0x%llx pid %u: %llu waits, %s blocked (max %s, "
			"p99 %s), then %s on a run queue\n",
			(unsigned long long)fx->key.uaddr,
			fx->key.tgid, (unsigned long long)fx->v.waits,
			obs_fmt_ns(b[0], 32, fx->v.wait_ns),
			obs_fmt_ns(b[1], 32, fx->v.max_ns),
			obs_fmt_ns(b[2], 32, pctl(fx->v.hist, 99, fx->v.max_ns)),
			obs_fmt_ns(b[3], 32, fx->v.rq_ns));
		for (int kind = OBS_PAIR_WAITER; kind <= OBS_PAIR_WAKER; kind++) {
			fprintf(f, "      %s:", kind == OBS_PAIR_WAITER ?
				"waiters" : "wakers ");
			shown = 0;
			for (j = 0; j < s->npairs; j++) {
				const struct obs_pair_view *p = &s->pairs[j];

				if (p->key.kind != (__u32)kind ||
				    p->key.tgid != fx->key.tgid ||
				    p->key.uaddr != fx->key.uaddr)
					continue;
				if (shown++ >= REPORT_TOP_PAIRS) {
					continue;
				}
				if (kind == OBS_PAIR_WAITER)
					fprintf(f, " %u(%s) %llu/%s", p->key.tid,
						obs_snapshot_comm(s, p->key.tid),
						(unsigned long long)p->v.count,
						obs_fmt_ns(b[3], 32, p->v.ns));
				else
					fprintf(f, " %u(%s) %llu", p->key.tid,
						obs_snapshot_comm(s, p->key.tid),
						(unsigned long long)p->v.count);
			}
			if (shown > REPORT_TOP_PAIRS)
				fprintf(f, " ... (%zu in all)", shown);
			else if (!shown)
				fprintf(f, " -");
			fprintf(f, "\n");
		}
	}
}

static void print_hist(FILE *f, const struct obs_run *run)
{
	const struct obs_snapshot *s = run->snap;
	__u64 all[OBS_MAX_SLOTS] = {};
	size_t i;
	int j;

	if (s->roles[OBS_ROLE_WORKER].threads) {
		fprintf(f, "\nrun-queue delay of worker threads:\n");
		obs_hist_print(f, s->roles[OBS_ROLE_WORKER].rq_hist,
			       OBS_MAX_SLOTS, "usecs");
		return;
	}
	for (i = 0; i < s->nthreads; i++)
		for (j = 0; j < OBS_MAX_SLOTS; j++)
			all[j] += s->threads[i].k.rq_hist[j];
	fprintf(f, "\nrun-queue delay of all threads (no worker thread "
		"matched the --workers globs):\n");
	obs_hist_print(f, all, OBS_MAX_SLOTS, "usecs");
}

static void print_notables(FILE *f, const struct obs_run *run)
{
	const struct obs_notables *nb = run->notables;
	const struct obs_ustack_frames *uf;
	char b[32];
	size_t i;

	if (!nb || !run->threshold_ms)
		return;
	fprintf(f, "\nspans over %lu ms: %llu (longest first)\n",
		run->threshold_ms, (unsigned long long)nb->seen);
	for (i = 0; i < nb->n && i < REPORT_TOP_NOTABLE; i++) {
		const struct obs_notable *n = &nb->items[i];

		fprintf(f, "  %7u %-16s %-8s %9s in %s", n->ev.tid, n->ev.comm,
			n->ev.kind == OBS_EV_OFF_CPU ? "off-CPU" :
			n->ev.kind == OBS_EV_CPU_RUN ? "cpu-run" : "rq-delay",
			obs_fmt_ns(b, sizeof(b), n->ev.ns),
			obs_sys_class_name(n->ev.sys_class));
		if (n->ev.uaddr)
			fprintf(f, " 0x%llx", (unsigned long long)n->ev.uaddr);
		uf = run->ustacks ? obs_ustacks_find(run->ustacks,
						     n->ev.ustack_copy) : NULL;
		if (uf && uf->nframes) {
			fprintf(f, "  from %s", uf->site);
		} else if (n->nframes) {
			fprintf(f, "  ustack 0x%llx",
				(unsigned long long)n->ustack[0]);
		}
		fprintf(f, "\n");
	}
}

/* Spans of one kind and role from one call site. */
struct site_group {
	char site[OBS_CALLSITE_LEN];
	__u32 kind;
	enum obs_role role;
	unsigned int n;
	uint64_t ns;
};

static int cmp_group_ns(const void *a, const void *b)
{
	const struct site_group *x = a, *y = b;

	return (x->ns < y->ns) - (x->ns > y->ns);
}

/* The kept spans with a stack, grouped by (kind, role, call site); returns
 * how many groups, most time first. */
static size_t group_sites(const struct obs_run *run, struct site_group *g)
{
	const struct obs_notables *nb = run->notables;
	size_t ng = 0, i, k;

	for (i = 0; i < nb->n; i++) {
		const struct obs_event *ev = &nb->items[i].ev;
		const struct obs_ustack_frames *uf =
			obs_ustacks_find(run->ustacks, ev->ustack_copy);
		const struct obs_thread_view *t =
			obs_snapshot_thread(run->snap, ev->tid);
		struct site_group cur = {
			.kind = ev->kind, .role = t ? t->role : OBS_ROLE_OTHER,
		};

		if (!uf || !uf->nframes || ev->kind == OBS_EV_RQ_DELAY)
			continue;
		snprintf(cur.site, sizeof(cur.site), "%s", uf->site);
		for (k = 0; k < ng; k++)
			if (g[k].kind == cur.kind && g[k].role == cur.role &&
			    !strcmp(g[k].site, cur.site))
				break;
		if (k == ng)
			g[ng++] = cur;
		g[k].n++;
		g[k].ns += ev->ns;
	}
	qsort(g, ng, sizeof(*g), cmp_group_ns);
	return ng;
}

/* "call sites": the notable spans by where they were (stacks/callsite.h). */
static void print_callsites(FILE *f, const struct obs_run *run)
{
	struct site_group *g;
	char b[32];
	size_t ng;

	if (!run->notables || !run->ustacks || !run->notables->n)
		return;
	g = calloc(run->notables->n, sizeof(*g));
	if (!g)
		return;
	ng = group_sites(run, g);
	fprintf(f, "\ncall sites of the spans over %lu ms (DWARF-unwound user "
		"stacks, most time first):\n", run->threshold_ms);
	if (run->snap->ustack_lost || run->ustacks->dropped)
		fprintf(f, "    (stacks lost: %llu copies the ring buffer had no "
			"room for, %llu not kept past %d)\n",
			(unsigned long long)run->snap->ustack_lost,
			(unsigned long long)run->ustacks->dropped,
			OBS_USTACKS_MAX);
	if (!ng)
		fprintf(f, "    (no span with a user stack)\n");
	for (size_t k = 0; k < ng && k < REPORT_TOP_NOTABLE; k++)
		fprintf(f, "  %5u %-8s %9s  on %-8s from %s\n", g[k].n,
			g[k].kind == OBS_EV_CPU_RUN ? "cpu-run" : "off-CPU",
			obs_fmt_ns(b, sizeof(b), g[k].ns),
			obs_role_name(g[k].role), g[k].site);
	free(g);
}

/* ---- runtime tier ---------------------------------------------------------- */

/* "poll of task 17 took 48.0ms: 2.0ms on-CPU, 46.0ms off-CPU (46.0ms in
 * clock_nanosleep)", and the run-queue part if any. */
static void poll_sentence(char *buf, size_t len, const struct obs_poll_event *e)
{
	char a[32], b[32], c[32], d[32];
	int n;

	n = snprintf(buf, len, "poll of task %llu took %s: %s on-CPU",
		     (unsigned long long)e->task_id, obs_fmt_ns(a, 32, e->ns),
		     obs_fmt_ns(b, 32, e->on_cpu_ns));
	if (n > 0 && (size_t)n < len && e->off_cpu_ns)
		n += snprintf(buf + n, len - n, ", %s off-CPU (%s in %s)",
			      obs_fmt_ns(c, 32, e->off_cpu_ns),
			      obs_fmt_ns(d, 32, e->off_class_ns),
			      obs_sys_class_name(e->off_class));
	if (n > 0 && (size_t)n < len && e->rq_ns)
		snprintf(buf + n, len - n, ", %s waiting for a CPU",
			 obs_fmt_ns(c, 32, e->rq_ns));
}

/* Which runtime tier ran, how, and what it cost. */
static void print_rt_tier(FILE *f, const struct obs_run *run)
{
	const struct obs_rt_snapshot *rs = run->rt;

	fprintf(f, "\nruntime tier: %s in %s, %zu workers\n", rs->tier.kind,
		run->rt_binary, rs->nworkers);
	if (rs->tier.mode)
		fprintf(f, "  mode: %s\n", rs->tier.mode);
	if (rs->tier.nprobes) {
		char b[32];

		fprintf(f, "  cost: %u uprobes attached in %s; %llu hits (%.0f/s)\n",
			rs->tier.nprobes, obs_fmt_ns(b, sizeof(b), rs->tier.attach_ns),
			(unsigned long long)rs->tier.probe_hits,
			run->duration_s > 0 ? rs->tier.probe_hits / run->duration_s : 0);
	}
	if (rs->tier.roles_untold)
		fprintf(f, "  %u worker-named threads were neither seen polling "
			"a task nor parking as a worker: roles from their names\n",
			rs->tier.roles_untold);
	if (!rs->nworkers)
		fprintf(f, "(no worker seen: an rt worker announces itself at its "
			"next scheduler tick, a Tokio worker when it polls or "
			"parks)\n");
}

/* "-" for a figure the tier did not measure. */
static const char *ns_or_dash(char *buf, bool measured, uint64_t ns)
{
	return measured ? obs_fmt_ns(buf, 32, ns) : "-";
}

static void print_rt_worker(FILE *f, const struct obs_run *run,
			    const struct obs_rt_worker *w)
{
	const struct rt_probe_worker *r = &w->rec;
	int top = obs_hist_top(r->poll_hist, RT_PROBE_HIST_SLOTS);
	char b[4][32], parked[16] = "-";

	if (!w->has_record) {
		fprintf(f, "%-16.16s (record not readable)\n", w->comm);
		return;
	}
	if (run->rt->tier.parks_measured)
		snprintf(parked, sizeof(parked), "%.1f%%",
			 pct_of(r->parked_ns, run->duration_s));
	fprintf(f, "%-16.16s %9llu %5.1f%% %7s %9s %9s %6llu %6llu %9s %9s\n",
		w->comm, (unsigned long long)r->polls,
		pct_of(r->poll_ns, run->duration_s), parked,
		obs_fmt_ns(b[0], 32, rt_pctl(r->poll_hist, 99, 0)),
		top < 0 ? "-" : obs_fmt_ns(b[1], 32, obs_hist_hi_ns(top)),
		(unsigned long long)w->slow.slow,
		(unsigned long long)w->slow.over_10ms,
		ns_or_dash(b[2], r->sched_count, rt_pctl(r->sched_hist, 99, 0)),
		ns_or_dash(b[3], r->timer_fires, rt_pctl(r->timer_late_hist, 99,
							 r->timer_late_max_ns)));
}

/* All workers summed: only the figures the tier measured. */
static void print_rt_sum(FILE *f, const struct obs_run *run)
{
	struct obs_rt_sum sum;
	char b[4][32];

	obs_rt_sum(run->rt, &sum);
	fprintf(f, "all: %llu polls, %s in polls", (unsigned long long)sum.polls,
		obs_fmt_ns(b[0], 32, sum.poll_ns));
	if (run->rt->tier.parks_measured)
		fprintf(f, "; parked %s (%llu parks)",
			obs_fmt_ns(b[1], 32, sum.parked_ns),
			(unsigned long long)sum.parks);
	if (sum.sched_count)
		fprintf(f, "; wake->poll %llu measured, p50 %s p99 %s",
			(unsigned long long)sum.sched_count,
			obs_fmt_ns(b[2], 32, rt_pctl(sum.sched_hist, 50, 0)),
			obs_fmt_ns(b[3], 32, rt_pctl(sum.sched_hist, 99, 0)));
	if (sum.timer_fires)
		fprintf(f, "; timers %llu fired, late p50 %s p99 %s max %s",
			(unsigned long long)sum.timer_fires,
			obs_fmt_ns(b[0], 32, rt_pctl(sum.timer_late_hist, 50,
						     sum.timer_late_max_ns)),
			obs_fmt_ns(b[1], 32, rt_pctl(sum.timer_late_hist, 99,
						     sum.timer_late_max_ns)),
			obs_fmt_ns(b[2], 32, sum.timer_late_max_ns));
	fprintf(f, "\n(BUSY%%: in polls, PARKED%%: idle, of the run; the rest is "
		"the scheduler and the driver; percentiles are log2 slot "
		"bounds; -: not measured by this tier)\n");
}

static void print_rt_workers(FILE *f, const struct obs_run *run)
{
	const struct obs_rt_snapshot *rs = run->rt;

	print_rt_tier(f, run);
	if (!rs->nworkers)
		return;
	fprintf(f, "%-16s %9s %6s %7s %9s %9s %6s %6s %9s %9s\n", "WORKER",
		"POLLS", "BUSY%", "PARKED%", "POLL_P99", "POLL_MAX", ">1MS",
		">10MS", "SCHED_P99", "TIMER_P99");
	for (size_t i = 0; i < rs->nworkers; i++)
		print_rt_worker(f, run, &rs->workers[i]);
	print_rt_sum(f, run);
}

/* "rt-worker-1" for a worker's tid, else "tid N" (a static buffer). */
static const char *worker_name(const struct obs_rt_snapshot *rs, uint32_t tid)
{
	static char buf[32];

	for (size_t i = 0; i < rs->nworkers; i++)
		if (rs->workers[i].tid == tid)
			return rs->workers[i].comm;
	snprintf(buf, sizeof(buf), "tid %u", tid);
	return buf;
}

/* What the kernel saw during the slow polls, and the longest ones. */
static void print_rt_polls(FILE *f, const struct obs_run *run)
{
	struct obs_rt_sum sum;
	char b[3][32], line[256];
	int top, second;

	obs_rt_sum(run->rt, &sum);
	if (!sum.slow.slow)
		return;
	top2_sys(sum.slow.off_by_sys, &top, &second);
	fprintf(f, "\nslow polls: %llu over 1 ms (%s), %llu over 10 ms (%s); "
		"of their time %.1f%% on-CPU, %.1f%% runnable, %.1f%% off-CPU",
		(unsigned long long)sum.slow.slow,
		obs_fmt_ns(b[0], 32, sum.slow.slow_ns),
		(unsigned long long)sum.slow.over_10ms,
		obs_fmt_ns(b[1], 32, sum.slow.over_10ms_ns),
		100.0 * sum.slow.on_cpu_ns / sum.slow.slow_ns,
		100.0 * sum.slow.rq_ns / sum.slow.slow_ns,
		100.0 * sum.slow.off_cpu_ns / sum.slow.slow_ns);
	if (top >= 0)
		fprintf(f, " (%.1f%% in %s)",
			100.0 * sum.slow.off_by_sys[top] / sum.slow.slow_ns,
			obs_sys_class_name(top));
	fprintf(f, "\n");
	for (size_t i = 0; run->longest && i < run->longest->n; i++) {
		const struct obs_poll_event *e = &run->longest->items[i];

		poll_sentence(line, sizeof(line), e);
		fprintf(f, "  %s [%s]\n", line, worker_name(run->rt, e->tid));
	}
	if (run->longest && run->longest->seen > run->longest->n)
		fprintf(f, "  (the %zu longest of %llu)\n", run->longest->n,
			(unsigned long long)run->longest->seen);
}

static void print_rt_locks(FILE *f, const struct obs_run *run)
{
	const struct obs_rt_snapshot *rs = run->rt;
	const struct obs_blocking *bl = &rs->blocking;
	char b[6][32];
	size_t i;

	if (rs->nlocks) {
		fprintf(f, "\n%-18s %-5s %8s %8s %9s %9s %9s %9s %6s %6s\n",
			"LOCK", "KIND", "ACQ", "WAITED", "WAIT_TOT", "WAIT_P99",
			"HOLD_TOT", "HOLD_P99", "SUSP%", "RQ%");
		for (i = 0; i < rs->nlocks && i < OBS_TOP_FUTEX; i++) {
			const struct obs_lock *l = &rs->locks[i].v;
			uint64_t run_ns = l->held_running_ns < l->hold_ns ?
					  l->held_running_ns : l->hold_ns;

			fprintf(f, "0x%-16llx %-5s %8llu %8llu %9s %9s %9s %9s "
				"%5.1f%% %5.1f%%\n",
				(unsigned long long)rs->locks[i].key.addr,
				l->async ? "async" : "sync",
				(unsigned long long)l->acquisitions,
				(unsigned long long)l->contended,
				obs_fmt_ns(b[0], 32, l->wait_ns),
				obs_fmt_ns(b[1], 32, pctl(l->wait_hist, 99,
							  l->wait_max_ns)),
				obs_fmt_ns(b[2], 32, l->hold_ns),
				obs_fmt_ns(b[3], 32, pctl(l->hold_hist, 99,
							  l->hold_max_ns)),
				l->hold_ns ? 100.0 * (l->hold_ns - run_ns) /
					     l->hold_ns : 0,
				l->hold_ns ? 100.0 * l->hold_rq_ns / l->hold_ns : 0);
		}
		fprintf(f, "(SUSP%%: held while the holder was suspended, in no "
			"poll (async); RQ%%: the holder on a run queue (sync))\n");
	}
	if (bl->jobs)
		fprintf(f, "\nblocking pool: %llu jobs started, queued p50 %s "
			"p99 %s max %s\n", (unsigned long long)bl->jobs,
			obs_fmt_ns(b[4], 32, pctl(bl->queue_hist, 50,
						  bl->queue_max_ns)),
			obs_fmt_ns(b[5], 32, pctl(bl->queue_hist, 99,
						  bl->queue_max_ns)),
			obs_fmt_ns(b[0], 32, bl->queue_max_ns));
}

static void print_runtime(FILE *f, const struct obs_run *run)
{
	if (!run->rt) {
		if (run->rt_off && run->rt_off[0])
			fprintf(f, "\nruntime tier: off (%s)\n", run->rt_off);
		else
			fprintf(f, "\nruntime tier: off\n");
		return;
	}
	print_rt_workers(f, run);
	print_rt_polls(f, run);
	print_rt_locks(f, run);
}

/* The verdict first, in words, then the evidence tables. */
static void print_verdict(FILE *f, const struct obs_run *run)
{
	if (run->diag_err)
		fprintf(f, "verdict: unavailable (%s)\n", strerror(-run->diag_err));
	else
		obs_verdict_print(f, &run->diag);
	fprintf(f, "\n");
}

/*
 * "observing cost: 0.61% of a CPU: BPF 0.45% (...), observe 0.16%" and the
 * busiest programs; the BPF part is timed in windows (tiers/cost.h).
 * Nothing for NULL (one process of several: the host report prints it).
 */
void obs_report_cost(FILE *f, const struct obs_cost_result *c)
{
	int i;

	if (!c)
		return;
	if (!c->measured) {
		/* bpf_enable_stats() is CAP_SYS_ADMIN's alone */
		fprintf(f, "\nobserving cost: observe %.2f%% of a CPU; BPF not "
			"timed (%s)\n", c->self_cpu * 100,
			c->err == -EPERM ? "its run-time statistics need "
					   "CAP_SYS_ADMIN" :
			c->err ? strerror(-c->err) : "the run was too short");
		return;
	}
	fprintf(f, "\nobserving cost: %.2f%% of a CPU: BPF %.2f%%, observe "
		"%.2f%% (BPF timed over %.1f s of %.1f s)\n",
		(c->bpf_cpu + c->self_cpu) * 100, c->bpf_cpu * 100,
		c->self_cpu * 100, c->measured_s, c->wall_s);
	for (i = 0; i < c->nprogs && i < 5; i++)
		fprintf(f, "  %-22s %7.0f ns/run  %10.0f runs/s\n",
			c->progs[i].name, c->progs[i].ns_per_run,
			c->progs[i].runs_per_s);
	if (c->misses)
		fprintf(f, "  runs the kernel skipped (another BPF program was "
			"running on the CPU): %llu\n",
			(unsigned long long)c->misses);
	for (i = 0; i < c->nshed; i++)
		fprintf(f, "  over the budget of %.2f%%: shed %s at %.1f s "
			"(cost %.2f%%)\n", c->budget * 100, c->shed[i].what,
			c->shed[i].at_s, c->shed[i].cpu * 100);
	if (c->over)
		fprintf(f, "  still over the budget of %.2f%%, with nothing "
			"left to shed\n", c->budget * 100);
}

void obs_report_print(FILE *f, const struct obs_run *run)
{
	print_verdict(f, run);
	print_header(f, run);
	print_runtime(f, run);
	print_threads(f, run);
	print_roles(f, run);
	print_role_sources(f, run->snap);
	print_hist(f, run);
	print_futexes(f, run);
	print_notables(f, run);
	print_callsites(f, run);
	obs_report_cost(f, run->cost);
	fflush(f);
}

/* "[   2.00s] worker: cpu 12.0% rq ... | other: ... | futex top: ..." */
static void print_interval_figures(FILE *f, const struct obs_interval *ivl)
{
	const struct obs_futex_view *best;
	__u64 by_sys[OBS_SYS__COUNT] = {};
	uint64_t best_ns, best_waits;
	char b[4][32];
	int r, a, a2;

	fprintf(f, "[%8.2fs]", ivl->t_s);
	for (r = 0; r < OBS_ROLE__COUNT; r++) {
		const struct obs_role_sum *c = &ivl->cur->roles[r];
		const struct obs_role_sum *p = &ivl->prev->roles[r];
		uint64_t rq = c->rq_delay_ns - p->rq_delay_ns;
		uint64_t n = c->rq_count - p->rq_count;

		if (!c->threads)
			continue;
		for (int j = 0; j < OBS_SYS__COUNT; j++)
			by_sys[j] = c->off_by_sys[j] - p->off_by_sys[j];
		top2_sys(by_sys, &a, &a2);
		fprintf(f, " %s: cpu %.1f%% rq %s (avg %s) off %s%s%s |",
			obs_role_name(r),
			pct_of(c->on_cpu_ns - p->on_cpu_ns, ivl->dt_s),
			obs_fmt_ns(b[0], 32, rq),
			obs_fmt_ns(b[1], 32, n ? rq / n : 0),
			a >= 0 ? obs_sys_class_name(a) : "-", a >= 0 ? " " : "",
			a >= 0 ? obs_fmt_ns(b[2], 32, by_sys[a]) : "");
	}
	best = obs_snapshot_top_futex(ivl->cur, ivl->prev, &best_ns, &best_waits);
	if (best)
		fprintf(f, " futex top: 0x%llx %llu waits %s\n",
			(unsigned long long)best->key.uaddr,
			(unsigned long long)best_waits,
			obs_fmt_ns(b[3], 32, best_ns));
	else
		fprintf(f, " futex top: -\n");
}

void obs_report_interval(FILE *f, const struct obs_interval *ivl)
{
	print_interval_figures(f, ivl);
	if (ivl->diag_err)
		fprintf(f, "[%8.2fs] verdict: unavailable (%s)\n", ivl->t_s,
			strerror(-ivl->diag_err));
	else
		obs_verdict_print_line(f, ivl->t_s, &ivl->diag);
	fflush(f);
}
