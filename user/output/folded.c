// SPDX-License-Identifier: MIT
/*
 * folded.c - folded stacks of the notable spans (folded.h).  A consumer
 * only: the frames are the ones the run unwound.
 */
#include <errno.h>
#include <string.h>
#include "output/folded.h"
#include "stacks/callsite.h"

/* A frame's name with the format's separators (';', and the space before
 * the weight at the end of the line is found from the right) made safe. */
static void print_frame(FILE *f, const struct obs_frame *fr)
{
	char name[OBS_CALLSITE_LEN];

	obs_frame_name(fr, name, sizeof(name));
	for (char *p = name; *p; p++)
		if (*p == ';' || *p == '\n')
			*p = ':';
	fprintf(f, ";%s", name);
}

int obs_folded_print(FILE *f, const struct obs_run *run)
{
	const struct obs_notables *nb = run->notables;

	for (size_t i = 0; nb && run->ustacks && i < nb->n; i++) {
		const struct obs_event *ev = &nb->items[i].ev;
		const struct obs_ustack_frames *uf =
			obs_ustacks_find(run->ustacks, ev->ustack_copy);
		const struct obs_thread_view *t =
			obs_snapshot_thread(run->snap, ev->tid);

		if (!uf || !uf->nframes || ev->kind == OBS_EV_RQ_DELAY)
			continue;
		fprintf(f, "%s/%s;[%s]", obs_role_name(t ? t->role : OBS_ROLE_OTHER),
			ev->comm, ev->kind == OBS_EV_CPU_RUN ? "cpu-run" : "off-cpu");
		for (int j = uf->nframes - 1; j >= 0; j--)
			print_frame(f, &uf->frames[j]);
		fprintf(f, " %llu\n", (unsigned long long)(ev->ns + 500) / 1000);
	}
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
