/* SPDX-License-Identifier: MIT */
/*
 * elfsym.h - the functions of an ELF file found by their demangled name,
 * with what a uprobe needs: the file offset.  For runtime tiers that probe
 * an unmodified binary (Rust/Tokio, legacy or v0 mangling; C++; C).  And the
 * executable files a process maps, each of which may hold its own copy of a
 * runtime (the binary and a cdylib): one obs_elfsym per file.
 *
 *	static const char *const pats[] = {
 *		"tokio::runtime::task::raw::poll",
 *		"<tokio::sync::batch_semaphore::Acquire as core::future::future::Future>::poll",
 *	};
 *	struct obs_elfsym *es;
 *	int n;
 *
 *	n = obs_elfsym_open("/proc/1234/exe", &es);	// -ENODATA: stripped
 *	if (!n)
 *		n = obs_elfsym_find(es, pats, 2, attach_one, ctx);
 *	obs_elfsym_close(es);				// NULL is fine
 *
 * Patterns are fnmatch(3) globs (flags 0: '*' also matches "::") on the
 * name a symbol demangles to (libiberty, with parameters for C++), the Rust
 * legacy hash "::h<16 hex>" removed; suffixes of the mangled name such as
 * ".llvm.1234" are ignored.  Names that do not demangle (C) are matched as
 * they are.  Examples:
 *
 *	"tokio::runtime::task::raw::poll"	every monomorphised instance
 *	"tokio::runtime::scheduler::multi_thread::worker::Context::park_timeout"
 *	"<tokio::sync::batch_semaphore::Acquire as core::future::future::Future>::poll"
 *	"tokio::runtime::task::harness::Harness<*>::poll"	any impl's params
 *	"tokio::sync::*"			a prefix
 *	"core::ptr::drop_in_place<\\[u8\\]>"	a literal '[' is escaped
 *
 * So that one pattern serves both Rust manglings, a v0 name also matches in
 * the legacy form of its path: trailing generic arguments "::<...>" dropped
 * and an inherent impl's "<Type>::f" written "Type::f".
 *
 * Demangling is the cost: when every pattern starts with a crate path
 * ("tokio::", "<tokio::"), only symbols whose mangled name contains one of
 * those crate names are demangled (a crate name appears verbatim in both
 * Rust manglings and in C++'s, except "std::", which C++ abbreviates and
 * which therefore turns the filter off).  Demangled names are kept, so a
 * second obs_elfsym_find on the same file costs little.
 */
#ifndef OBS_ELFSYM_H
#define OBS_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct obs_elfsym;

/*
 * Opens path (an ELF executable or shared object; for a running process
 * /proc/PID/exe or a mapping's open_path) and reads its function symbols:
 * .symtab, or .dynsym when there is none.  0 and *esp, or:
 *	-ENOENT, -EACCES, ...	the file cannot be opened
 *	-ENOEXEC		not ELF, or not an executable or shared object
 *	-EBADMSG		malformed: truncated, headers or sections
 *				pointing outside the file, symbol names
 *				outside their string table
 *	-ENODATA		no function symbols: stripped
 *	-ENOMEM
 */
int obs_elfsym_open(const char *path, struct obs_elfsym **esp);
void obs_elfsym_close(struct obs_elfsym *es);

/* No .symtab: the functions are .dynsym's (a stripped library's exports). */
bool obs_elfsym_stripped(const struct obs_elfsym *es);

struct obs_elfsym_stats {
	size_t nfuncs;		/* defined functions read, aliases included */
	size_t ndemangled;	/* of which demangled so far (the cost) */
};
void obs_elfsym_stats(const struct obs_elfsym *es, struct obs_elfsym_stats *st);

struct obs_elfsym_match {
	const char *name;	/* demangled, hash stripped; valid until close */
	const char *mangled;	/* as in the symbol table; valid until close */
	uint64_t addr;		/* st_value: the link-time virtual address */
	uint64_t size;		/* st_size, 0 when the symbol has none */
	uint64_t offset;	/* file offset: bpf_uprobe_opts.func_offset
				 * with func_name NULL */
	unsigned int pattern;	/* the index of the pattern it matched */
};

/* Called for each match; 0 goes on, anything else (-errno) stops the search
 * and is what obs_elfsym_find returns. */
typedef int (*obs_elfsym_cb)(const struct obs_elfsym_match *m, void *ctx);

/*
 * One pass over the functions for all npat patterns.  cb is called once per
 * pattern and address, in address order: aliases (two names at one address)
 * give one call, with the first matching name in mangled-name order.  Functions
 * outside the file's loadable bytes cannot be probed and are skipped.
 * Returns the number of calls, or cb's error, or -ENOMEM / -EINVAL.
 */
int obs_elfsym_find(struct obs_elfsym *es, const char *const *patterns,
		    unsigned int npat, obs_elfsym_cb cb, void *ctx);

/* The file offset of virtual address addr (the PT_LOAD holding it), as
 * libbpf and perf compute it; -ENOENT when no segment's file bytes hold it. */
int obs_elfsym_offset(const struct obs_elfsym *es, uint64_t addr,
		      uint64_t *offset);

/*
 * The name a symbol demangles to, as obs_elfsym_find matches it: libiberty
 * (DMGL_PARAMS | DMGL_AUTO: C++ with parameters, Rust legacy and v0), the
 * Rust legacy hash "::h<16 hex>" removed.  malloc'd; NULL when mangled is
 * not a mangled name (C) or without memory.
 */
char *obs_demangle(const char *mangled);

/* ---- the files a process executes -------------------------------------- */

struct obs_elfsym_mapping {
	char *path;		/* as the process sees it, " (deleted)" removed */
	char *open_path;	/* the same file from here: /proc/PID/root/PATH */
	uint64_t start, end;	/* its first executable mapping */
	uint64_t pgoff;		/* that mapping's file offset */
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	bool readable;		/* open_path opens for reading */
	bool deleted;		/* unlinked or replaced since mapped: not
				 * readable by name, so it cannot be probed */
};

/*
 * The distinct files (device and inode) that pid maps executable, in the
 * order of /proc/PID/maps.  Anonymous mappings and the kernel's ([vdso],
 * [vsyscall]) are left out; deleted files are listed, flagged, so that the
 * caller can say why it skips them.  0 with *mapsp (free it with
 * obs_elfsym_maps_free) and *np, or -errno (-ENOENT: no such process).
 */
int obs_elfsym_maps(pid_t pid, struct obs_elfsym_mapping **mapsp, size_t *np);
void obs_elfsym_maps_free(struct obs_elfsym_mapping *maps, size_t n);

#endif
