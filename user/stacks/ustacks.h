/* SPDX-License-Identifier: MIT */
/*
 * ustacks.h - the user stacks of a run's notable spans: every copy that the
 * ustacks ring buffer brings (bpf/ustack.bpf.h) is unwound on arrival,
 * with DWARF CFI (stacks/unwind.h), and found again by its id, which the
 * spans carry (obs_event.ustack_copy).  The two ring buffers do not keep
 * each other's order, so spans look their stack up once the run is over.
 *
 *	obs_ustacks_init(&us, pid);
 *	... ring buffer callback: obs_ustacks_add(&us, data, len) ...
 *	const struct obs_ustack_frames *f = obs_ustacks_find(&us, ev->ustack_copy);
 *	obs_ustacks_free(&us);
 */
#ifndef OBS_STACKS_USTACKS_H
#define OBS_STACKS_USTACKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "stacks/callsite.h"
#include "stacks/unwind.h"

#define OBS_USTACK_FRAMES	32	/* frames kept per stack */
#define OBS_USTACKS_MAX		4096	/* stacks kept per run; more are lost */

struct obs_ustack_frames {
	uint64_t id;
	uint32_t tgid, tid;
	uint32_t kind;			/* obs_ustack_kind */
	int nframes;			/* innermost first */
	struct obs_frame frames[OBS_USTACK_FRAMES];
	const char *why;		/* why the unwind stopped early, or NULL */
	char site[OBS_CALLSITE_LEN];	/* obs_callsite of the frames, "" if
					 * none: what every output groups
					 * spans by, computed once */
};

/* Which copies are still wanted (the spans kept so far), when the table
 * is full: the others make room. */
typedef bool obs_ustacks_wanted_fn(void *ctx, uint64_t id);

struct obs_ustacks {
	struct obs_unwind *unwind;
	struct obs_ustack_frames *items;	/* in arrival order */
	size_t n;
	obs_ustacks_wanted_fn *wanted;	/* NULL: a full table keeps all */
	void *wanted_ctx;
	uint64_t dropped;		/* not kept: the table full of wanted
					 * ones, unwanted when it filled up (a
					 * copy whose span came later), or a
					 * record too short to be one */
};

/*
 * 0 or -ENOMEM.  tgid: the target, whose mappings are read now, or 0 for a
 * command not started yet (its mappings are read at its first stack, after
 * its exec: read now, they would be observe's own).
 */
int obs_ustacks_init(struct obs_ustacks *us, pid_t tgid);

/* A ring buffer record (struct obs_ustack); always 0, so that polling
 * goes on: a stack that cannot be kept is counted instead.  A full table
 * first drops the stacks no longer wanted. */
int obs_ustacks_add(void *us, void *data, size_t len);

/* The stack of copy id, NULL if none arrived (or id is 0). */
const struct obs_ustack_frames *obs_ustacks_find(const struct obs_ustacks *us,
						 uint64_t id);

void obs_ustacks_free(struct obs_ustacks *us);

#endif
