// SPDX-License-Identifier: MIT
/*
 * spans.c - the timeline's spans: BPF settings, the ring buffer callback,
 * the bounded store (spans.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "observe.skel.h"
#include "tiers/kernel.h"
#include "tiers/spans.h"

void obs_spans_configure(struct observe_bpf *skel, bool on)
{
	skel->rodata->see_spans = on;
	/* off: the per-poll probe stays off in the runtime (its semaphore),
	 * and the ring buffer takes one page */
	bpf_program__set_autoload(skel->progs.rt_poll_end, on);
	bpf_program__set_autoload(skel->progs.rt_timer_fire, on);
	if (!on)
		bpf_map__set_max_entries(skel->maps.spans, 4096);
}

static void keep(struct obs_spans *sp, const struct obs_span *e)
{
	if (e->ns >= sp->keep_ns && sp->keep_ns) {
		if (sp->nkept < OBS_SPANS_KEPT_MAX)
			sp->kept[sp->nkept++] = *e;
		else
			sp->kept_full++;
		return;
	}
	if (sp->nrecent < OBS_SPANS_RECENT_MAX) {
		sp->recent[(sp->head + sp->nrecent++) % OBS_SPANS_RECENT_MAX] = *e;
		return;
	}
	sp->recent[sp->head] = *e;	/* the oldest goes */
	sp->head = (sp->head + 1) % OBS_SPANS_RECENT_MAX;
	sp->evicted++;
}

static int on_span(void *ctx, void *data, size_t len)
{
	struct obs_spans *sp = ctx;
	struct obs_span e;

	if (len < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	sp->seen++;
	keep(sp, &e);
	return 0;
}

int obs_spans_attach(struct obs_spans *sp, struct observe_bpf *skel,
		     struct ring_buffer *rb, uint64_t keep_ns)
{
	int err;

	sp->on = skel->rodata->see_spans;
	sp->start_ns = obs_now_ns();
	sp->keep_ns = keep_ns;
	if (!sp->on)
		return 0;
	sp->kept = calloc(OBS_SPANS_KEPT_MAX, sizeof(*sp->kept));
	sp->recent = calloc(OBS_SPANS_RECENT_MAX, sizeof(*sp->recent));
	if (!sp->kept || !sp->recent)
		err = -ENOMEM;
	else
		err = ring_buffer__add(rb, bpf_map__fd(skel->maps.spans),
				       on_span, sp);
	if (err)
		fprintf(stderr, "observe: cannot read the timeline's spans: "
			"%s\n", strerror(-err));
	return err;
}

void obs_spans_finish(struct obs_spans *sp, int drops_fd)
{
	if (sp->on)
		obs_read_percpu(drops_fd, OBS_DIAG_SPANS_LOST, &sp->lost);
}

void obs_spans_each(const struct obs_spans *sp,
		    void (*fn)(const struct obs_span *, void *), void *ctx)
{
	size_t i;

	for (i = 0; i < sp->nkept; i++)
		fn(&sp->kept[i], ctx);
	for (i = 0; i < sp->nrecent; i++)
		fn(&sp->recent[(sp->head + i) % OBS_SPANS_RECENT_MAX], ctx);
}

void obs_spans_free(struct obs_spans *sp)
{
	free(sp->kept);
	free(sp->recent);
	memset(sp, 0, sizeof(*sp));
}
