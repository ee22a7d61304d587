// SPDX-License-Identifier: MIT
/*
 * ustacks.c - the run's unwound user stacks (ustacks.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "observe.h"
#include "stacks/ustacks.h"

int obs_ustacks_init(struct obs_ustacks *us, pid_t tgid)
{
	memset(us, 0, sizeof(*us));
	us->unwind = obs_unwind_new();
	us->items = calloc(OBS_USTACKS_MAX, sizeof(*us->items));
	if (!us->unwind || !us->items) {
		obs_ustacks_free(us);
		return -ENOMEM;
	}
	if (tgid)
		obs_unwind_note_process(us->unwind, tgid);
	return 0;
}

/* Keeps the wanted stacks only, in their order. */
static void make_room(struct obs_ustacks *us)
{
	size_t keep = 0;

	if (!us->wanted)
		return;
	for (size_t i = 0; i < us->n; i++) {
		if (!us->wanted(us->wanted_ctx, us->items[i].id)) {
			us->dropped++;
			continue;
		}
		if (keep != i)
			us->items[keep] = us->items[i];
		keep++;
	}
	us->n = keep;
}

int obs_ustacks_add(void *ctx, void *data, size_t len)
{
	struct obs_ustacks *us = ctx;
	const struct obs_ustack *rec = data;
	struct obs_ustack_sample sample;
	struct obs_ustack_frames *f;

	if (len < sizeof(*rec) || rec->len > OBS_USTACK_BYTES) {
		us->dropped++;
		return 0;
	}
	if (us->n == OBS_USTACKS_MAX)
		make_room(us);
	if (us->n == OBS_USTACKS_MAX) {
		us->dropped++;
		return 0;
	}
	f = &us->items[us->n++];
	sample = (struct obs_ustack_sample){
		.tgid = rec->tgid, .tid = rec->tid,
		.stack = rec->stack, .stack_len = rec->len,
	};
	memcpy(sample.regs, rec->regs, sizeof(sample.regs));
	f->id = rec->id;
	f->tgid = rec->tgid;
	f->tid = rec->tid;
	f->kind = rec->kind;
	/* a process not noted yet, or a pc in no module: the unwinder reads
	 * the mappings again itself */
	f->nframes = obs_unwind_sample(us->unwind, &sample, f->frames,
				       OBS_USTACK_FRAMES, &f->why);
	if (f->nframes < 0)
		f->nframes = 0;
	obs_callsite(f->frames, f->nframes, f->site, sizeof(f->site));
	return 0;
}

const struct obs_ustack_frames *obs_ustacks_find(const struct obs_ustacks *us,
						 uint64_t id)
{
	/* ids grow in submission order; arrival is close to it */
	for (size_t i = 0; id && i < us->n; i++)
		if (us->items[i].id == id)
			return &us->items[i];
	return NULL;
}

void obs_ustacks_free(struct obs_ustacks *us)
{
	if (us->unwind)
		obs_unwind_free(us->unwind);
	free(us->items);
	memset(us, 0, sizeof(*us));
}
