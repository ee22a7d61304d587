/* SPDX-License-Identifier: MIT */
/*
 * seed.h - attach mode: the threads that already exist when observe
 * attaches, entered in the threads map with the state /proc shows.
 */
#ifndef OBS_SEED_H
#define OBS_SEED_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Inserts an entry for every thread of tgid not yet in the threads map: its
 * name, and the span it is in at t0_ns (attach time, the BPF clock):
 * blocked (in which syscall, on which futex) or running.  Entries the BPF
 * side created first win (BPF_NOEXIST), so a thread that moved since is never
 * overwritten.  Returns the number of threads seeded or -errno.
 */
int obs_seed_threads(int threads_fd, pid_t tgid, uint64_t t0_ns);

#endif
