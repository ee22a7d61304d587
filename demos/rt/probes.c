// SPDX-License-Identifier: MIT
/* probes.c - the USDT semaphores, one per probe, in the .probes section where
 * uprobe attach finds and increments them. */
#include "probes.h"

#define RT__PROBE_SEM_DEF(name)                                          \
	volatile unsigned short rt_##name##_semaphore                    \
		__attribute__((unused, section(".probes")));
RT__PROBE_LIST(RT__PROBE_SEM_DEF)
