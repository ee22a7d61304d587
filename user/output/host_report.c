// SPDX-License-Identifier: MIT
/*
 * host_report.c - the report of several processes (host_report.h).
 */
#include <string.h>
#include "output/host_report.h"
#include "output/json.h"	/* OBS_HOST_DETAIL: the same few as detail[] */
#include "output/report.h"
#include "analysis/diagnose.h"

static void print_scope(FILE *f, const struct obs_run *run,
			const struct obs_host *h)
{
	size_t with_workers = 0;

	for (size_t i = 0; i < h->n; i++)
		with_workers += obs_process_workers(&h->procs[i]) > 0;
	fprintf(f, "observe: %s", !strcmp(run->scope, "all") ? "every process (-a)" :
		!strcmp(run->scope, "cgroup") ? "cgroup " : "processes (-p)");
	if (run->cgroup)
		fprintf(f, "%s", run->cgroup);
	fprintf(f, "\nkernel %s, duration %.3f s\n", run->kernel, run->duration_s);
	fprintf(f, "processes: %zu seen, %zu with worker threads", h->n,
		with_workers);
	if (run->not_followed)
		fprintf(f, ", %llu not followed (the filter was full: see "
			"docs/observe.md, map bounds)",
			(unsigned long long)run->not_followed);
	fprintf(f, "\n");
	obs_report_counts(f, run->snap);
}

/* One ranked process: its verdict and the first line of its evidence. */
static void print_rank_line(FILE *f, size_t rank, const struct obs_process *p)
{
	const struct diag_result *d = obs_process_diag(p, false);
	const struct diag_finding *top = d && d->nfindings ? &d->findings[0] : NULL;

	fprintf(f, "%4zu %7u %-16s %7u  ", rank, p->tgid, p->comm, obs_process_workers(p));
	if (!top) {
		fprintf(f, "%-20s %4s  %s\n", "-", "-", obs_process_workers(p) ?
			"no verdict" : "no worker threads");
		return;
	}
	fprintf(f, "%-20s %4.2f  %s\n", diag_shape_name(top->shape),
		top->confidence, top->nevidence ? top->evidence[0] : "");
}

void obs_host_report_print(FILE *f, const struct obs_run *run,
			   const struct obs_host *h)
{
	size_t i, shown = 0, detailed = 0;

	print_scope(f, run, h);
	fprintf(f, "\n%4s %7s %-16s %7s  %-20s %4s  %s\n", "RANK", "PID", "COMM",
		"WORKERS", "VERDICT", "CONF", "EVIDENCE");
	for (i = 0; i < h->n && i < run->top; i++) {
		if (!obs_process_workers(h->rank[i]))
			break;	/* ranked last: the rest have none either */
		print_rank_line(f, i + 1, h->rank[i]);
		shown++;
	}
	if (h->n > shown)
		fprintf(f, "(%zu more processes: %s)\n", h->n - shown,
			shown < run->top ? "no worker threads" :
			"below the --top cut");
	for (i = 0; i < shown && detailed < OBS_HOST_DETAIL; i++) {
		if (!obs_process_diag(h->rank[i], false))
			continue;
		fprintf(f, "\n==== %zu. pid %u (%s) ====\n", i + 1,
			h->rank[i]->tgid, h->rank[i]->comm);
		obs_report_print(f, &h->rank[i]->run);
		detailed++;
	}
	obs_report_cost(f, run->cost);
	fflush(f);
}

void obs_host_report_interval(FILE *f, const struct obs_host *h, double t_s,
			      unsigned long top)
{
	size_t i, n = top < OBS_HOST_LINE_TOP ? top : OBS_HOST_LINE_TOP;

	fprintf(f, "[%8.2fs] %zu processes:", t_s, h->n);
	for (i = 0; i < h->n && i < n && obs_process_workers(h->rank[i]); i++) {
		const struct diag_result *d = obs_process_diag(h->rank[i], true);

		fprintf(f, "%s %zu. %u %s ", i ? " |" : "", i + 1,
			h->rank[i]->tgid, h->rank[i]->comm);
		if (d && d->nfindings)
			fprintf(f, "%s %.2f", diag_shape_name(d->findings[0].shape),
				d->findings[0].confidence);
		else
			fprintf(f, "-");
	}
	fprintf(f, "%s\n", i ? "" : " none with worker threads");
	fflush(f);
}
