/* SPDX-License-Identifier: MIT */
/*
 * unwind.h - user stacks from a copy: a thread's user registers and the
 * bytes of its stack above sp, taken by BPF (bpf/ustack.bpf.h), turned into
 * frames with DWARF CFI (elfutils' libdw), so that code built without frame
 * pointers (Rust release builds, Debian's glibc) still unwinds.  Frames are
 * named with the ELF symbol (demangled like elfsym.h's names) and, when the
 * module has DWARF, file:line.
 *
 *	struct obs_unwind *u = obs_unwind_new();
 *	struct obs_frame fr[64];
 *	const char *why;
 *	int n;
 *
 *	obs_unwind_note_process(u, tgid);		// at attach
 *	...
 *	n = obs_unwind_sample(u, &sample, fr, 64, &why);
 *	for (i = 0; i < n; i++)
 *		printf("%s+%#lx %s:%d\n", fr[i].sym, fr[i].sym_off,
 *		       fr[i].file, fr[i].line);
 *	if (why)
 *		printf("(%s)\n", why);		// "stack copy ended"
 *	obs_unwind_free(u);
 *
 * A process is known by a snapshot of its mappings (note_process), kept
 * with the files it executes, so that samples of a process that has
 * exited since still resolve.  A sample of a process never noted notes it
 * first; a sample with a frame in no module of the snapshot (a library
 * loaded since?) takes a new one and is unwound again, at most once per
 * OBS_UNWIND_RENOTE_MS per process (JIT code is never in a module, and
 * every one of its samples must not re-read /proc).
 *
 * Costs are bounded and paid once: one libdw session per process (at most
 * OBS_UNWIND_PROCS, the least recently used dropped) that loads a module's
 * .eh_frame on its first frame; per module, known by build id so that a
 * library that processes share counts once, its symbols, DWARF lines and
 * debug file loaded once, and each distinct pc named once.  A warm sample
 * is a few microseconds; a cold one is dominated by DWARF (libc's debug
 * file, from libc6-dbg: 40 ms, once).  Not thread-safe: one caller at a
 * time.
 */
#ifndef OBS_UNWIND_H
#define OBS_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "observe.h"

/*
 * x86_64 user registers in DWARF numbering (OBS_UREGS, bpf/observe.h: the
 * copy's): 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8..15
 * r8..r15, 16 rip (the return-address column, so libdw takes the pc from
 * it).
 */
#define OBS_UREG_SP	7
#define OBS_UREG_PC	16

#define OBS_UNWIND_FRAMES_MAX	256	/* frames one sample can give */
#define OBS_UNWIND_PROCS	64	/* processes kept, with their files */
#define OBS_UNWIND_RENOTE_MS	1000	/* between snapshots of a process */

struct obs_ustack_sample {
	uint32_t tgid, tid;
	uint64_t regs[OBS_UREGS];
	const uint8_t *stack;	/* copied from regs[OBS_UREG_SP] up */
	size_t stack_len;
};

/* Strings are the unwinder's and live until obs_unwind_free. */
struct obs_frame {
	uint64_t pc;		/* absolute address in the process */
	bool caller;		/* pc is a return address: sym, file
				 * and line are those of pc - 1, the
				 * call */
	const char *sym;	/* demangled function, NULL if unknown */
	uint64_t sym_off;	/* pc - the symbol's start */
	const char *module;	/* path of the mapped file, "[vdso]" for the
				 * vDSO, NULL if none */
	const char *build_id;	/* hex, NULL if the module has none */
	uint64_t offset;	/* pc in the module's ELF (pc - load bias):
				 * `addr2line -e MODULE` takes it (offset - 1
				 * for a caller); pc - the module's start when
				 * its file cannot be read, 0 without module */
	const char *file;	/* source file as DWARF names it, NULL
				 * without debug info */
	int line;		/* 0 without */
};

struct obs_unwind;

/* NULL without memory. */
struct obs_unwind *obs_unwind_new(void);

/*
 * Snapshots tgid's mappings: reads /proc/PID/maps now and maps the files
 * it executes (opened by /proc/PID/map_files, else /proc/PID/root/PATH;
 * no descriptor is kept), so that they resolve after the process is gone.
 * Replaces an earlier snapshot of tgid.  0, or -errno (-ENOENT: no such
 * process; -ENOMEM).
 */
int obs_unwind_note_process(struct obs_unwind *u, pid_t tgid);

/*
 * Unwinds one sample into out (innermost first, at most max frames, max
 * capped at OBS_UNWIND_FRAMES_MAX).  Returns the number of frames: >= 1
 * when max >= 1, the first being regs[OBS_UREG_PC] even when it is in no
 * module; -EINVAL for a NULL argument.  *why is NULL when the unwind
 * reached the outermost frame with every frame named, else the first of
 * (valid until obs_unwind_free):
 *	"no maps for the process"	never noted, and gone
 *	"no CFI for MODULE"		the last frame's module has no unwind
 *					table for its pc: the frames libdw
 *					would guess from frame pointers are
 *					left out
 *	"cannot read MODULE"		nor its file, at the snapshot
 *	"frame limit"			more than max frames
 *	"pc in no module"		a frame is JIT or unmapped code (the
 *					frames after it are libdw's
 *					frame-pointer guesses)
 *	"bad return address"		one outside user space
 *	"stack copy ended"		a return address lies past the copy
 *	libdw's message			another error
 *	"stripped: no symbols in MODULE"
 *					complete, but a frame has no name:
 *					its module has no .symtab
 */
int obs_unwind_sample(struct obs_unwind *u, const struct obs_ustack_sample *s,
		      struct obs_frame *out, int max, const char **why);

/* NULL is fine. */
void obs_unwind_free(struct obs_unwind *u);

#endif
