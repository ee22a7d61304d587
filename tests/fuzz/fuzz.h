/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what every harness in tests/fuzz/ defines, and what it may use.
 *
 * Each fuzz_*.c defines LLVMFuzzerTestOneInput only, so that one file
 * builds two ways (mk/fuzz.mk): with clang's libFuzzer and sanitizers
 * (make fuzz), and with gcc and replay_main.c, which feeds it a corpus
 * once (make all; tests/integ/fuzz_replay.t).
 *
 * A harness keeps to libFuzzer's rules: no exit, no state that changes what
 * a later input does, everything it allocates freed.  A broken invariant
 * is FUZZ_CHECK, which aborts in both builds, so libFuzzer saves the input.
 */
#ifndef TBB_FUZZ_H
#define TBB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Structure-aware harnesses also define a custom mutator, which falls
 * back on libFuzzer's own; replay_main.c has a stand-in that never runs. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#endif
