/* SPDX-License-Identifier: MIT */
/*
 * maps.bpf.h - small BPF-side helpers: lookup-or-insert and log2 slots.
 */
#ifndef OBS_MAPS_BPF_H
#define OBS_MAPS_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "observe.h"	/* OBS_MAX_SLOTS */

#ifndef EEXIST
#define EEXIST 17
#endif
#ifndef BPF_NOEXIST
#define BPF_NOEXIST 1
#endif

/*
 * Returns the value for key, inserting init first if it is absent.  NULL
 * means the map is full (the caller counts a drop); a concurrent insert of
 * the same key (-EEXIST) is not a failure.
 */
static __always_inline void *obs_lookup_or_init(void *map, const void *key,
						const void *init, bool *created)
{
	void *val;
	long err;

	*created = false;
	val = bpf_map_lookup_elem(map, key);
	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return NULL;
	*created = !err;
	return bpf_map_lookup_elem(map, key);
}

/* Adds one to counter key of a per-CPU array (drops, hits). */
static __always_inline void obs_percpu_inc(void *map, __u32 key)
{
	__u64 *cnt = bpf_map_lookup_elem(map, &key);

	if (cnt)
		(*cnt)++;
}

/* floor(log2(v)) for v > 0, 0 for v == 0. */
static __always_inline __u32 obs_log2(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* Histogram slot of a span: log2 of microseconds, clamped to the last slot. */
static __always_inline __u32 obs_slot(__u64 ns)
{
	__u32 slot = obs_log2(ns / 1000);

	return slot < OBS_MAX_SLOTS ? slot : OBS_MAX_SLOTS - 1;
}

#endif /* OBS_MAPS_BPF_H */
