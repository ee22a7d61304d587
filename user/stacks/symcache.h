/* SPDX-License-Identifier: MIT */
/*
 * symcache.h - what code addresses are, for the unwinder (unwind.c): per
 * module, known by its build id (else its path), the function, file:line
 * and CFI coverage of each address asked about, looked up once with
 * libdwfl; and the strings handed out, interned so that they outlive every
 * cache but this one.
 *
 * A module's addresses are ELF addresses (pc - load bias), so one entry
 * serves every process that maps the file, wherever it is loaded.
 */
#ifndef OBS_SYMCACHE_H
#define OBS_SYMCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <elfutils/libdwfl.h>

#define OBS_SYMCACHE_MODULES	4096		/* modules known */
#define OBS_SYMCACHE_PCS	(1u << 16)	/* addresses per module */
#define OBS_SYMCACHE_BYTES	(64u << 20)	/* interned strings */

struct obs_symcache;
struct obs_symmod;

/* What an address is: pointers into the interned strings, NULL if unknown. */
struct obs_sym {
	const char *name;	/* demangled, Rust hash removed */
	uint64_t start;		/* its ELF address, if name */
	const char *file;
	int line;		/* 0 without file */
	bool cfi;		/* .eh_frame or .debug_frame covers it */
};

struct obs_symcache *obs_symcache_new(void);
void obs_symcache_free(struct obs_symcache *sc);

/*
 * s, stored once until obs_symcache_free; NULL without memory or once
 * OBS_SYMCACHE_BYTES are interned (names are then left out, not wrong).
 */
const char *obs_symcache_intern(struct obs_symcache *sc, const char *s);

/*
 * The entry of dm, a process's module whose ELF libdwfl has loaded (an
 * image mapped without a descriptor: symcache.c shares it), mapped from
 * path; NULL without memory, past OBS_SYMCACHE_MODULES, or when the image
 * cannot be shared.
 */
struct obs_symmod *obs_symcache_module(struct obs_symcache *sc,
				       Dwfl_Module *dm, const char *path);
const char *obs_symmod_build_id(const struct obs_symmod *m);	/* hex */

/*
 * What the ELF address addr of m is, looked up on its first use.  Never
 * fails: what is unknown is NULL (false for cfi).
 */
void obs_symmod_lookup(struct obs_symcache *sc, struct obs_symmod *m,
		       uint64_t addr, struct obs_sym *out);

/* m has no .symtab, in its file or a debug file: functions not exported
 * have no name. */
bool obs_symmod_stripped(struct obs_symmod *m);

#endif
