// SPDX-License-Identifier: MIT
/*
 * metrics.c - the Prometheus text exposition of an interval (metrics.h).
 * Each family's HELP and TYPE once, then its samples for every exported
 * process; times in seconds, as Prometheus' conventions want.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/resource.h>
#include "output/metrics.h"
#include "common/hist.h"
#include "common/syscalls.h"

/* The labels of one process (and role): comm escaped as the format says. */
static void labels(FILE *f, const struct obs_process *p, int role)
{
	fprintf(f, "{pid=\"%u\",comm=\"", p->tgid);
	for (const char *c = p->comm; *c; c++) {
		if (*c == '\\' || *c == '"')
			fputc('\\', f);
		if (*c == '\n')
			fputs("\\n", f);
		else
			fputc(*c, f);
	}
	fputc('"', f);
	if (role >= 0)
		fprintf(f, ",role=\"%s\"", obs_role_name(role));
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static double secs(uint64_t ns)
{
	return ns / 1e9;
}

/* Is p exported: alive, with workers, in the top of the rank. */
static size_t exported(const struct obs_metrics_input *in,
		       const struct obs_process **out)
{
	const struct obs_host *h = in->host;
	size_t n = 0;

	for (size_t i = 0; i < h->n && n < in->top; i++)
		if (h->rank[i]->alive && obs_process_workers(h->rank[i]))
			out[n++] = h->rank[i];
	return n;
}

/* A per-role value of every exported process (roles without threads
 * skipped). */
#define EACH_ROLE(p, n, r) \
	for (size_t i_ = 0; i_ < (n); i_++) \
		for (int r = 0; r < OBS_ROLE__COUNT; r++) \
			if ((p)[i_]->snap.roles[r].threads)

/* The per-role families of one number each: threads, then times in s. */
static const struct {
	const char *name, *type, *help;
	size_t off;			/* of its field in struct obs_role_sum */
	bool ns;			/* a time in ns, printed in s */
} role_families[] = {
	{ "observe_threads", "gauge", "Threads seen, by role.",
	  offsetof(struct obs_role_sum, threads), false },
	{ "observe_cpu_seconds_total", "counter", "Time on a CPU, by role.",
	  offsetof(struct obs_role_sum, on_cpu_ns), true },
	{ "observe_futex_wait_seconds_total", "counter",
	  "Time blocked in futex waits, by role.",
	  offsetof(struct obs_role_sum, futex_wait_ns), true },
};

static void role_counters(FILE *f, const struct obs_process **p, size_t n)
{
	for (size_t k = 0; k < sizeof(role_families) / sizeof(role_families[0]); k++) {
		family(f, role_families[k].name, role_families[k].type,
		       role_families[k].help);
		EACH_ROLE(p, n, r) {
			const char *field = (const char *)&p[i_]->snap.roles[r] +
					    role_families[k].off;

			fprintf(f, "%s", role_families[k].name);
			labels(f, p[i_], r);
			if (role_families[k].ns)
				fprintf(f, "} %.9f\n", secs(*(const uint64_t *)field));
			else
				fprintf(f, "} %u\n", *(const unsigned int *)field);
		}
	}
	family(f, "observe_offcpu_seconds_total", "counter",
	       "Time blocked off a CPU, by role and the syscall blocked in.");
	EACH_ROLE(p, n, r) {
		const struct obs_role_sum *rs = &p[i_]->snap.roles[r];

		for (int c = 0; c < OBS_SYS__COUNT; c++) {
			if (!rs->off_by_sys[c])
				continue;
			fprintf(f, "observe_offcpu_seconds_total");
			labels(f, p[i_], r);
			fprintf(f, ",syscall=\"%s\"} %.9f\n",
				obs_sys_class_name(c), secs(rs->off_by_sys[c]));
		}
	}
}

/* The log2 slots as cumulative le buckets; the last slot is open. */
static void rq_histograms(FILE *f, const struct obs_process **p, size_t n)
{
	family(f, "observe_runqueue_delay_seconds", "histogram",
	       "Run-queue delay (runnable, not on a CPU) per wait, by role.");
	EACH_ROLE(p, n, r) {
		const struct obs_role_sum *rs = &p[i_]->snap.roles[r];
		uint64_t cum = 0;

		for (unsigned int k = 0; k + 1 < OBS_MAX_SLOTS; k++) {
			cum += rs->rq_hist[k];
			fprintf(f, "observe_runqueue_delay_seconds_bucket");
			labels(f, p[i_], r);
			fprintf(f, ",le=\"%g\"} %llu\n", secs(obs_hist_hi_ns(k)),
				(unsigned long long)cum);
		}
		cum += rs->rq_hist[OBS_MAX_SLOTS - 1];
		fprintf(f, "observe_runqueue_delay_seconds_bucket");
		labels(f, p[i_], r);
		fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		fprintf(f, "observe_runqueue_delay_seconds_sum");
		labels(f, p[i_], r);
		fprintf(f, "} %.9f\n", secs(rs->rq_delay_ns));
		fprintf(f, "observe_runqueue_delay_seconds_count");
		labels(f, p[i_], r);
		fprintf(f, "} %llu\n", (unsigned long long)cum);
	}
}

static void verdicts(FILE *f, const struct obs_process **p, size_t n)
{
	family(f, "observe_verdict", "gauge", "The last interval's verdict: "
	       "its shape as a label, its confidence (0..1) as the value.");
	for (size_t i = 0; i < n; i++) {
		const struct diag_result *d = obs_process_diag(p[i], true);

		if (!d || !d->nfindings)
			continue;
		fprintf(f, "observe_verdict");
		labels(f, p[i], -1);
		fprintf(f, ",shape=\"%s\"} %.2f\n",
			diag_shape_name(d->findings[0].shape),
			d->findings[0].confidence);
	}
}

/* A runtime snapshot's polls (slow: of 1 ms or more), all workers. */
static uint64_t rt_polls(const struct obs_rt_snapshot *rt, bool slow)
{
	uint64_t n = 0;

	for (size_t w = 0; w < rt->nworkers; w++)
		n += slow ? rt->workers[w].slow.slow :
		     rt->workers[w].has_record ? rt->workers[w].rec.polls : 0;
	return n;
}

/* Polls and slow polls, of each process a runtime tier follows. */
static void polls(FILE *f, const struct obs_process **p, size_t n)
{
	static const char *const names[2] = {
		"observe_polls_total", "observe_slow_polls_total",
	};
	static const char *const helps[2] = {
		"Task polls the runtime tier counted.", "Polls of 1 ms or more.",
	};
	size_t i;

	for (i = 0; i < n && !p[i]->rt; i++)
		;
	if (i == n)
		return;
	for (int slow = 0; slow < 2; slow++) {
		family(f, names[slow], "counter", helps[slow]);
		for (i = 0; i < n; i++) {
			if (!p[i]->rt)
				continue;
			fprintf(f, "%s", names[slow]);
			labels(f, p[i], -1);
			fprintf(f, "} %llu\n", (unsigned long long)
				rt_polls(p[i]->rt, slow));
		}
	}
}

/* observe's own: processes, drops, CPU. */
static void self(FILE *f, const struct obs_metrics_input *in)
{
	static const char *const drop_names[OBS_DROP__COUNT] = {
		[OBS_DROP_RINGBUF] = "ringbuf",
		[OBS_DROP_THREADS] = "threads_full",
		[OBS_DROP_FUTEX] = "futex_full",
		[OBS_DROP_OTHER] = "other_full",
	};
	const struct obs_host *h = in->host;
	struct rusage ru;

	family(f, "observe_processes", "gauge", "Processes followed and seen.");
	fprintf(f, "observe_processes %zu\n", h->n);
	family(f, "observe_drops_total", "counter",
	       "Events lost to full maps or ring buffer (the data is incomplete).");
	for (int k = 0; k < OBS_DROP__COUNT; k++)
		if (drop_names[k])
			fprintf(f, "observe_drops_total{kind=\"%s\"} %llu\n",
				drop_names[k], (unsigned long long)in->drops[k]);
	if (!getrusage(RUSAGE_SELF, &ru)) {
		family(f, "observe_self_cpu_seconds_total", "counter",
		       "CPU time of observe's own process.");
		fprintf(f, "observe_self_cpu_seconds_total %.6f\n",
			ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
			(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	if (in->bpf_measured) {
		family(f, "observe_bpf_cpu_ratio", "gauge",
		       "CPU of observe's BPF programs, fraction of one CPU, "
		       "over the last measured window.");
		fprintf(f, "observe_bpf_cpu_ratio %.6f\n", in->bpf_cpu);
	}
}

int obs_metrics_render(FILE *f, const struct obs_metrics_input *in)
{
	const struct obs_process **p = calloc(in->host->n + 1, sizeof(*p));
	size_t n;

	if (!p)
		return -ENOMEM;
	n = exported(in, p);
	role_counters(f, p, n);
	rq_histograms(f, p, n);
	verdicts(f, p, n);
	polls(f, p, n);
	self(f, in);
	free(p);
	return ferror(f) ? -EIO : 0;
}
