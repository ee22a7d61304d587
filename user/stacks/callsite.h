/* SPDX-License-Identifier: MIT */
/*
 * callsite.h - the line of code to blame in an unwound user stack: the
 * innermost frame that is the program's own code (not libc, not Rust's
 * std/core/alloc, not Tokio), what it called, and the frame that entered
 * the kernel:
 *
 *	tokio_starvation::blocker → std::thread::sleep → clock_nanosleep (src/bin/tokio_starvation.rs:142)
 *
 * Spans are grouped by this string (the report, the verdict's evidence, the
 * JSON's notable[].site): one function here, so that every output and
 * `observe --diagnose` group alike.
 */
#ifndef OBS_STACKS_CALLSITE_H
#define OBS_STACKS_CALLSITE_H

#include <stdbool.h>
#include <stddef.h>
#include "stacks/unwind.h"

#define OBS_CALLSITE_LEN	192

/* Is this frame a library's (libc, the dynamic loader, libgcc, libstdc++;
 * Rust's std, core, alloc; Tokio), not the program's own code? */
bool obs_frame_is_library(const struct obs_frame *f);

/*
 * Writes the call site of frames[0..n) (innermost first) into buf; "" when
 * n is 0.  Frames without a symbol show as module+offset ("?" without a
 * module).
 */
void obs_callsite(const struct obs_frame *frames, int n, char *buf,
		  size_t len);

/* One frame as text: "sym", "module+0xoff" or "0xpc". */
void obs_frame_name(const struct obs_frame *f, char *buf, size_t len);

#endif
