/* SPDX-License-Identifier: MIT */
/*
 * roles.h - a thread's role from what it does, names only as a hint
 * (docs/observe.md, "Roles").  The kernel tier names roles from the default
 * globs and a runtime tier from what it saw; this decides the rest from the
 * kernel's own facts:
 *
 *	epoll wait                  -> worker   (an event loop or I/O driver)
 *	idle on a pool's idle queue -> blocking (a pool; diagnose.h's
 *	                               diag_idle_queue)
 *
 * Only threads the names decided, or nothing decided, are changed: given
 * globs (--workers, --blocking) and a runtime tier's roles stay.
 */
#ifndef OBS_ANALYSIS_ROLES_H
#define OBS_ANALYSIS_ROLES_H

#include "tiers/kernel.h"

/* Decides the roles of s's threads in place, and sums them again. */
void obs_roles_decide(struct obs_snapshot *s);

#endif
