// SPDX-License-Identifier: MIT
/*
 * block.c - the blocking calls the demos inject on purpose.
 */
#include <errno.h>
#include <time.h>

#include "block.h"

void demo_sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ULL),
		.tv_nsec = (long)(ns % 1000000000ULL),
	};

	/* clock_nanosleep returns the error number; &ts gets the remainder. */
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}
