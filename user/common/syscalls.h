/* SPDX-License-Identifier: MIT */
/*
 * syscalls.h - syscall classes of off-CPU time: names, and the table that
 * maps this architecture's syscall numbers to classes for the BPF side.
 */
#ifndef OBS_SYSCALLS_H
#define OBS_SYSCALLS_H

#include <stddef.h>
#include <stdint.h>

/* The kernel's name of class cls ("futex", ..., "other", "none"). */
const char *obs_sys_class_name(unsigned int cls);

/* Fills table[nr] = class for every nr < n (OBS_SYS_OTHER when unlisted). */
void obs_sys_class_table(uint8_t *table, size_t n);

/* Syscall numbers the BPF side decodes; -1 when this arch has none. */
struct obs_futex_nrs {
	int futex, futex_waitv, futex_wait, futex_wake;
};
void obs_futex_nrs(struct obs_futex_nrs *nrs);

#endif
