/* SPDX-License-Identifier: MIT */
/*
 * block.h - the blocking calls the demos inject on purpose.
 */
#ifndef DEMO_BLOCK_H
#define DEMO_BLOCK_H

#include <stdint.h>

/* Blocks the calling thread for ns in clock_nanosleep (CLOCK_MONOTONIC,
 * relative), resuming with the remainder after a signal. */
void demo_sleep_ns(uint64_t ns);

#endif /* DEMO_BLOCK_H */
