// SPDX-License-Identifier: MIT
/*
 * symcache.c - what code addresses are, per module, and the interned
 * strings that carry their names (symcache.h).  libdwfl finds the symbol,
 * the line and the CFI; libiberty (through elfsym's obs_demangle)
 * demangles.
 *
 * Each module has a libdwfl session of its own, over the very ELF image a
 * process's session loaded (libelf counts the references): its symbols,
 * its DWARF and its debug file are read once for every process that maps
 * it (libc's debug file from libc6-dbg, 4 MB compressed, takes 40 ms and
 * 17 MB to load).
 *
 * Invariants:
 *  1. every string handed out is interned: stored once and freed only by
 *     obs_symcache_free, so an emptied table or a dropped process never
 *     leaves a caller holding a dangling name;
 *  2. a module is found by its interned key (the build id in hex, else
 *     "path:" and its path), so two keys are equal iff their pointers are;
 *  3. tables are open-addressed, a power of two in size and at most half
 *     full, so a probe always ends at a free slot;
 *  4. a module's address table that would pass OBS_SYMCACHE_PCS is emptied
 *     instead of grown: entries are cheap to redo, and their strings stay;
 *  5. a module in the table has its session, with its ELF loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include "common/elfsym.h"
#include "stacks/symcache.h"

#define BUILD_ID_MAX	64	/* bytes; GNU build ids are 20 */
#define TABLE_MIN	64

struct sym_ent {
	uint64_t key;		/* ELF address + 1; 0: a free slot */
	struct obs_sym sym;
};

struct obs_symmod {
	const char *key;	/* interned (invariant 2) */
	const char *build_id;	/* interned hex, NULL if none */
	Dwfl *dwfl;		/* its own session (invariant 5) */
	Dwfl_Module *dm;	/* its one module, where a process has it */
	GElf_Addr bias;		/* of dm */
	Elf *pending;		/* the shared ELF, until find_elf */
	struct sym_ent *ents;
	uint32_t cap, n;
	int stripped;		/* -1 until asked */
};

struct obs_symcache {
	const char **strs;
	uint32_t strs_cap, nstrs;
	size_t bytes;		/* interned: OBS_SYMCACHE_BYTES at most */
	struct obs_symmod **mods;	/* hashed by key pointer */
	uint32_t mods_cap, nmods;
};

/* ---- hashing ---------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

/* ---- interned strings ------------------------------------------------------- */

static int strs_grow(struct obs_symcache *sc)
{
	uint32_t cap = sc->strs_cap ? sc->strs_cap * 2 : TABLE_MIN, i, j;
	const char **t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < sc->strs_cap; i++) {
		if (!sc->strs[i])
			continue;
		j = hash_str(sc->strs[i]) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = sc->strs[i];
	}
	free(sc->strs);
	sc->strs = t;
	sc->strs_cap = cap;
	return 0;
}

const char *obs_symcache_intern(struct obs_symcache *sc, const char *s)
{
	size_t len;
	uint32_t i;
	char *d;

	if (!s)
		return NULL;
	if ((sc->nstrs + 1) * 2 > sc->strs_cap && strs_grow(sc))
		return NULL;
	i = hash_str(s) & (sc->strs_cap - 1);
	for (; sc->strs[i]; i = (i + 1) & (sc->strs_cap - 1))
		if (!strcmp(sc->strs[i], s))
			return sc->strs[i];
	len = strlen(s) + 1;
	if (sc->bytes + len > OBS_SYMCACHE_BYTES)
		return NULL;
	d = malloc(len);
	if (!d)
		return NULL;
	memcpy(d, s, len);
	sc->strs[i] = d;
	sc->nstrs++;
	sc->bytes += len;
	return d;
}

/* ---- modules ---------------------------------------------------------------- */

static uint32_t mod_slot(const struct obs_symcache *sc, const char *key)
{
	uint32_t i = mix64((uintptr_t)key) & (sc->mods_cap - 1);

	while (sc->mods[i] && sc->mods[i]->key != key)
		i = (i + 1) & (sc->mods_cap - 1);
	return i;
}

static int mods_grow(struct obs_symcache *sc)
{
	struct obs_symmod **old = sc->mods;
	uint32_t ocap = sc->mods_cap, i;

	sc->mods_cap = ocap ? ocap * 2 : TABLE_MIN;
	sc->mods = calloc(sc->mods_cap, sizeof(*sc->mods));
	if (!sc->mods) {
		sc->mods = old;
		sc->mods_cap = ocap;
		return -ENOMEM;
	}
	for (i = 0; i < ocap; i++)
		if (old[i])
			sc->mods[mod_slot(sc, old[i]->key)] = old[i];
	free(old);
	return 0;
}

/* dm's build id in hex into buf (2 * BUILD_ID_MAX + 1); false if none. */
static bool build_id_hex(Dwfl_Module *dm, char *buf)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len, i;

	len = dwfl_module_build_id(dm, &bits, &vaddr);
	if (len <= 0 || len > BUILD_ID_MAX)
		return false;
	for (i = 0; i < len; i++)
		sprintf(buf + 2 * i, "%02x", bits[i]);
	return true;
}

/* The interned key of dm (invariant 2). */
static const char *mod_key(struct obs_symcache *sc, Dwfl_Module *dm,
			   const char *path, bool *has_id)
{
	char hex[2 * BUILD_ID_MAX + 1], *p;
	const char *key;

	*has_id = build_id_hex(dm, hex);
	if (*has_id)
		return obs_symcache_intern(sc, hex);
	if (asprintf(&p, "path:%s", path) < 0)
		return NULL;
	key = obs_symcache_intern(sc, p);
	free(p);
	return key;
}

/* Gives libdwfl the ELF image shared with a process's session. */
static int sm_find_elf(Dwfl_Module *dm, void **userdata, const char *name,
		       Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct obs_symmod *m = *userdata;

	(void)dm, (void)base;
	if (!m || !m->pending)
		return -1;
	/* the name finds a debug file by .gnu_debuglink; the vDSO ("[vdso]")
	 * has no file */
	if (name[0] == '/') {
		*file_name = strdup(name);
		if (!*file_name)
			return -1;
	}
	*elfp = m->pending;
	m->pending = NULL;
	return -1;
}

/* dwfl_standard_find_debuginfo: unwind.c says what it looks for. */
static const Dwfl_Callbacks sm_callbacks = {
	.find_elf = sm_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

/* m's session over the ELF image that pdm, a process's module, loaded. */
static bool sm_open(struct obs_symmod *m, Dwfl_Module *pdm, const char *path)
{
	Dwarf_Addr lo, hi, bias;
	Elf *elf = dwfl_module_getelf(pdm, &bias);
	void **ud;

	if (!elf || !dwfl_module_info(pdm, NULL, &lo, &hi, NULL, NULL, NULL,
				      NULL))
		return false;
	m->dwfl = dwfl_begin(&sm_callbacks);
	if (!m->dwfl)
		return false;
	dwfl_report_begin(m->dwfl);
	m->dm = dwfl_report_module(m->dwfl, path, lo, hi);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->dm)
		return false;
	dwfl_module_info(m->dm, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	*ud = m;
	/*
	 * The same image: elf_begin with a reference counts one more user,
	 * which unwind.c's images (no descriptor) allow.  ELF_C_READ, which
	 * takes any image opened for reading; ELF_C_READ_MMAP_PRIVATE would
	 * refuse the vDSO's, which elf_memory opens with ELF_C_READ.
	 */
	m->pending = elf_begin(-1, ELF_C_READ, elf);
	if (!dwfl_module_getelf(m->dm, &m->bias)) {
		if (m->pending)
			elf_end(m->pending);
		m->pending = NULL;
		return false;
	}
	return true;
}

static void sm_free(struct obs_symmod *m)
{
	if (m->dwfl)
		dwfl_end(m->dwfl);	/* ends its reference to the ELF */
	free(m->ents);
	free(m);
}

struct obs_symmod *obs_symcache_module(struct obs_symcache *sc,
				       Dwfl_Module *dm, const char *path)
{
	struct obs_symmod *m;
	const char *key;
	bool has_id;
	uint32_t i;

	key = mod_key(sc, dm, path, &has_id);
	if (!key)
		return NULL;
	if (sc->mods_cap) {
		i = mod_slot(sc, key);
		if (sc->mods[i])
			return sc->mods[i];
	}
	if (sc->nmods >= OBS_SYMCACHE_MODULES ||
	    ((sc->nmods + 1) * 2 > sc->mods_cap && mods_grow(sc)))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->key = key;
	m->build_id = has_id ? key : NULL;
	m->stripped = -1;
	if (!sm_open(m, dm, path)) {
		sm_free(m);
		return NULL;
	}
	sc->mods[mod_slot(sc, key)] = m;
	sc->nmods++;
	return m;
}

const char *obs_symmod_build_id(const struct obs_symmod *m)
{
	return m->build_id;
}

/* ---- addresses -------------------------------------------------------------- */

static struct sym_ent *ent_slot(struct sym_ent *ents, uint32_t cap,
				uint64_t key)
{
	uint32_t i = mix64(key) & (cap - 1);

	while (ents[i].key && ents[i].key != key)
		i = (i + 1) & (cap - 1);
	return &ents[i];
}

/* Room for one more entry in m: grown, or emptied (invariant 4). */
static int ents_make_room(struct obs_symmod *m)
{
	struct sym_ent *t;
	uint32_t cap, i;

	if ((m->n + 1) * 2 <= m->cap)
		return 0;
	if (m->cap >= 2 * OBS_SYMCACHE_PCS) {
		memset(m->ents, 0, m->cap * sizeof(*m->ents));
		m->n = 0;
		return 0;
	}
	cap = m->cap ? m->cap * 2 : TABLE_MIN;
	t = calloc(cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->ents[i].key)
			*ent_slot(t, cap, m->ents[i].key) = m->ents[i];
	free(m->ents);
	m->ents = t;
	m->cap = cap;
	return 0;
}

/* Does dm's .eh_frame, else its .debug_frame, cover address pc (in the
 * process: each table has its own bias)? */
static bool cfi_covers(Dwfl_Module *dm, uint64_t pc)
{
	Dwarf_Frame *frame;
	Dwarf_Addr bias;
	Dwarf_CFI *cfi;

	cfi = dwfl_module_eh_cfi(dm, &bias);
	if (cfi && !dwarf_cfi_addrframe(cfi, pc - bias, &frame)) {
		free(frame);
		return true;
	}
	/* .debug_frame loads the module's debug file */
	cfi = dwfl_module_dwarf_cfi(dm, &bias);
	if (cfi && !dwarf_cfi_addrframe(cfi, pc - bias, &frame)) {
		free(frame);
		return true;
	}
	return false;
}

/* Asks libdwfl what the ELF address addr of m is. */
static void sym_find(struct obs_symcache *sc, const struct obs_symmod *m,
		     uint64_t addr, struct obs_sym *out)
{
	Dwfl_Module *dm = m->dm;
	uint64_t bias = m->bias;
	const char *name, *file, *at;
	char *d, *plain;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;

	*out = (struct obs_sym){ 0 };
	name = dwfl_module_addrinfo(dm, addr + bias, &off, &sym, NULL, NULL,
				    NULL);
	if (name) {
		/* a symbol version ("__libc_start_main@@GLIBC_2.34") is not
		 * part of the name, and would keep it from demangling */
		at = strchr(name, '@');
		plain = at && at != name ? strndup(name, (size_t)(at - name))
					 : NULL;
		name = plain ? plain : name;
		d = obs_demangle(name);
		out->name = obs_symcache_intern(sc, d ? d : name);
		out->start = addr - off;
		free(d);
		free(plain);
	}
	/* the module's DWARF, or a debug file's, loads on the first ask */
	line = dwfl_module_getsrc(dm, addr + bias);
	file = line ? dwfl_lineinfo(line, NULL, &out->line, NULL, NULL, NULL)
		    : NULL;
	out->file = obs_symcache_intern(sc, file);
	if (!out->file)
		out->line = 0;
	out->cfi = cfi_covers(dm, addr + bias);
}

void obs_symmod_lookup(struct obs_symcache *sc, struct obs_symmod *m,
		       uint64_t addr, struct obs_sym *out)
{
	struct sym_ent *e;

	if (ents_make_room(m)) {
		sym_find(sc, m, addr, out);	/* uncached */
		return;
	}
	e = ent_slot(m->ents, m->cap, addr + 1);
	if (!e->key) {
		sym_find(sc, m, addr, &e->sym);
		e->key = addr + 1;
		m->n++;
	}
	*out = e->sym;
}

static bool elf_has_symtab(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while (elf && (scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return true;
	return false;
}

bool obs_symmod_stripped(struct obs_symmod *m)
{
	const char *debugfile = NULL;
	GElf_Addr bias;

	if (m->stripped < 0) {
		/* libdwfl looks for a debug file when the main one has no
		 * .symtab; dwfl_module_info names the one it found */
		dwfl_module_getsymtab(m->dm);
		dwfl_module_info(m->dm, NULL, NULL, NULL, NULL, NULL, NULL,
				 &debugfile);
		m->stripped = !elf_has_symtab(dwfl_module_getelf(m->dm, &bias))
			      && !debugfile;
	}
	return m->stripped;
}

void obs_symcache_free(struct obs_symcache *sc)
{
	uint32_t i;

	if (!sc)
		return;
	for (i = 0; i < sc->mods_cap; i++)
		if (sc->mods[i])
			sm_free(sc->mods[i]);
	for (i = 0; i < sc->strs_cap; i++)
		free((char *)sc->strs[i]);
	free(sc->mods);
	free(sc->strs);
	free(sc);
}

struct obs_symcache *obs_symcache_new(void)
{
	return calloc(1, sizeof(struct obs_symcache));
}
