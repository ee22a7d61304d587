// SPDX-License-Identifier: MIT
/*
 * elfsym.c - functions of an ELF file by demangled name, and their file
 * offsets for uprobes (elfsym.h).  libelf reads the file, libiberty
 * demangles.
 *
 * Invariants:
 *  - every header, segment and section this code reads lies inside the file
 *    (checked against its size before libelf is asked), and every symbol
 *    name inside its string table, so a truncated or corrupt file is
 *    -EBADMSG, never a crash or a silent "stripped" (-ENOEXEC is for a
 *    file that is no ELF executable or library at all);
 *  - es->fns holds defined functions only, sorted by (address, mangled
 *    name), so aliases are neighbours and one pass deduplicates them;
 *  - a function is demangled at most once, and only when the crate filter
 *    lets it through; fn->name == fn->mangled when it does not demangle.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gelf.h>
#include <libiberty/demangle.h>
#include "common/elfsym.h"

struct elf_fn {
	const char *mangled;	/* in libelf's view of the string table */
	char *name;		/* demangled, hash stripped; NULL until needed */
	char *path;		/* v0 only: the legacy form of name, or NULL */
	uint64_t addr, size;
};

/* The file-backed part of a PT_LOAD segment. */
struct elf_load {
	uint64_t vaddr, filesz, offset;
};

struct obs_elfsym {
	int fd;
	Elf *elf;
	uint64_t fsize;
	struct elf_fn *fns;
	size_t nfns;
	struct elf_load *loads;
	size_t nloads;
	size_t ndemangled;
	bool stripped;
};

/* ---- reading the file ------------------------------------------------------ */

/* Does [off, off + len) lie inside the file? */
static bool in_file(const struct obs_elfsym *es, uint64_t off, uint64_t len)
{
	return off <= es->fsize && len <= es->fsize - off;
}

static int read_loads(struct obs_elfsym *es, const GElf_Ehdr *eh)
{
	GElf_Phdr ph;
	size_t n, i;

	if (elf_getphdrnum(es->elf, &n) || !n ||
	    eh->e_phentsize != gelf_fsize(es->elf, ELF_T_PHDR, 1, EV_CURRENT) ||
	    !in_file(es, eh->e_phoff, (uint64_t)n * eh->e_phentsize))
		return -EBADMSG;
	es->loads = calloc(n, sizeof(*es->loads));
	if (!es->loads)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(es->elf, (int)i, &ph))
			return -EBADMSG;
		if (ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		/* a segment past the end of the file: truncated */
		if (!in_file(es, ph.p_offset, ph.p_filesz))
			return -EBADMSG;
		es->loads[es->nloads++] = (struct elf_load){
			.vaddr = ph.p_vaddr, .filesz = ph.p_filesz,
			.offset = ph.p_offset,
		};
	}
	return es->nloads ? 0 : -EBADMSG;
}

/*
 * The symbol table to read: .symtab, else .dynsym (then es->stripped).
 * NULL when there is neither; -EBADMSG in *err for a corrupt header.
 */
static Elf_Scn *find_symtab(struct obs_elfsym *es, const GElf_Ehdr *eh,
			    GElf_Shdr *shp, int *err)
{
	Elf_Scn *scn = NULL, *dyn = NULL;
	GElf_Shdr sh, dynsh;
	size_t n;

	*err = 0;
	if (!eh->e_shoff)
		return NULL;	/* no section headers at all (sstrip) */
	/*
	 * Checked here, not left to libelf: it takes a table past the end of
	 * the file for "no sections", which would read as stripped.  (Over
	 * 65535 sections, e_shnum is 0 and the count is in section 0.)
	 */
	*err = -EBADMSG;
	if (eh->e_shentsize != gelf_fsize(es->elf, ELF_T_SHDR, 1, EV_CURRENT) ||
	    !in_file(es, eh->e_shoff, (uint64_t)eh->e_shentsize *
				      (eh->e_shnum ? eh->e_shnum : 1)) ||
	    elf_getshdrnum(es->elf, &n) ||
	    !in_file(es, eh->e_shoff, (uint64_t)n * eh->e_shentsize))
		return NULL;
	*err = 0;
	while ((scn = elf_nextscn(es->elf, scn))) {
		if (!gelf_getshdr(scn, &sh)) {
			*err = -EBADMSG;
			return NULL;
		}
		if (sh.sh_type == SHT_SYMTAB) {
			*shp = sh;
			return scn;
		}
		if (sh.sh_type == SHT_DYNSYM && !dyn) {
			dyn = scn;
			dynsh = sh;
		}
	}
	if (dyn) {
		es->stripped = true;
		*shp = dynsh;
	}
	return dyn;
}

static bool is_probe_fn(const GElf_Sym *sym)
{
	return GELF_ST_TYPE(sym->st_info) == STT_FUNC &&
	       sym->st_shndx != SHN_UNDEF && sym->st_shndx != SHN_ABS &&
	       sym->st_value;
}

static int cmp_fn(const void *a, const void *b)
{
	const struct elf_fn *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->mangled, y->mangled);
}

static int read_fns(struct obs_elfsym *es, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Scn *strscn = elf_getscn(es->elf, sh->sh_link);
	GElf_Shdr strsh;
	Elf_Data *data;
	GElf_Sym sym;
	const char *name;
	size_t n, i;

	if (sh->sh_entsize != gelf_fsize(es->elf, ELF_T_SYM, 1, EV_CURRENT) ||
	    !in_file(es, sh->sh_offset, sh->sh_size) ||
	    !strscn || !gelf_getshdr(strscn, &strsh) ||
	    strsh.sh_type != SHT_STRTAB ||
	    !in_file(es, strsh.sh_offset, strsh.sh_size))
		return -EBADMSG;
	data = elf_getdata(scn, NULL);
	if (!data)
		return -EBADMSG;
	n = sh->sh_size / sh->sh_entsize;
	es->fns = calloc(n ? n : 1, sizeof(*es->fns));
	if (!es->fns)
		return -ENOMEM;
	for (i = 1; i < n; i++) {	/* entry 0 is the null symbol */
		if (!gelf_getsym(data, (int)i, &sym))
			return -EBADMSG;
		if (!is_probe_fn(&sym))
			continue;
		/* libelf's NULL would read as "no name", then "stripped" */
		if (sym.st_name >= strsh.sh_size)
			return -EBADMSG;
		name = elf_strptr(es->elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		es->fns[es->nfns++] = (struct elf_fn){
			.mangled = name, .addr = sym.st_value,
			.size = sym.st_size,
		};
	}
	if (!es->nfns)
		return -ENODATA;
	qsort(es->fns, es->nfns, sizeof(*es->fns), cmp_fn);
	return 0;
}

static int elfsym_load(struct obs_elfsym *es)
{
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf_Scn *scn;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	es->elf = elf_begin(es->fd, ELF_C_READ_MMAP, NULL);
	if (!es->elf || elf_kind(es->elf) != ELF_K_ELF)
		return -ENOEXEC;
	if (!gelf_getehdr(es->elf, &eh))
		return -EBADMSG;	/* a truncated header */
	/* uprobes go into what the kernel maps: executables and libraries */
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return -ENOEXEC;
	err = read_loads(es, &eh);
	if (err)
		return err;
	scn = find_symtab(es, &eh, &sh, &err);
	if (!scn)
		return err ? err : -ENODATA;
	return read_fns(es, scn, &sh);
}

int obs_elfsym_open(const char *path, struct obs_elfsym **esp)
{
	struct obs_elfsym *es;
	struct stat st;
	int err;

	*esp = NULL;
	es = calloc(1, sizeof(*es));
	if (!es)
		return -ENOMEM;
	es->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (es->fd < 0) {
		err = -errno;
		free(es);
		return err;
	}
	if (fstat(es->fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -ENOEXEC;
		goto fail;
	}
	es->fsize = (uint64_t)st.st_size;
	err = elfsym_load(es);
	if (err)
		goto fail;
	*esp = es;
	return 0;
fail:
	obs_elfsym_close(es);
	return err;
}

void obs_elfsym_close(struct obs_elfsym *es)
{
	size_t i;

	if (!es)
		return;
	for (i = 0; i < es->nfns; i++) {
		if (es->fns[i].name != es->fns[i].mangled)
			free(es->fns[i].name);
		free(es->fns[i].path);
	}
	free(es->fns);
	free(es->loads);
	if (es->elf)
		elf_end(es->elf);
	if (es->fd >= 0)
		close(es->fd);
	free(es);
}

bool obs_elfsym_stripped(const struct obs_elfsym *es)
{
	return es->stripped;
}

void obs_elfsym_stats(const struct obs_elfsym *es, struct obs_elfsym_stats *st)
{
	st->nfuncs = es->nfns;
	st->ndemangled = es->ndemangled;
}

int obs_elfsym_offset(const struct obs_elfsym *es, uint64_t addr,
		      uint64_t *offset)
{
	const struct elf_load *l;
	size_t i;

	for (i = 0; i < es->nloads; i++) {
		l = &es->loads[i];
		if (addr >= l->vaddr && addr - l->vaddr < l->filesz) {
			*offset = addr - l->vaddr + l->offset;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- names ------------------------------------------------------------------ */

/* Cuts a Rust legacy hash "::h<16 hex>" off the end of name. */
static void strip_hash(char *name)
{
	size_t len = strlen(name), i;
	char *h;

	if (len < 19)
		return;
	h = name + len - 19;
	if (strncmp(h, "::h", 3))
		return;
	for (i = 3; i < 19; i++)
		if (!isxdigit((unsigned char)h[i]))
			return;
	*h = '\0';
}

/*
 * Where the '<' at s[open] closes, or 0; "->" (fn types) is no bracket.
 * Scans forward from open.
 */
static size_t close_angle(const char *s, size_t open)
{
	size_t i, depth = 0;

	for (i = open; s[i]; i++) {
		if (s[i] == '<') {
			depth++;
		} else if (s[i] == '>' && (i == 0 || s[i - 1] != '-')) {
			if (!--depth)
				return i;
		}
	}
	return 0;
}

/* Is " as " at bracket depth 0 of s[from, to)?  (a trait impl) */
static bool has_top_as(const char *s, size_t from, size_t to)
{
	size_t i, depth = 0;

	for (i = from; i < to; i++) {
		if (s[i] == '<')
			depth++;
		else if (s[i] == '>' && s[i - 1] != '-' && depth)
			depth--;
		else if (!depth && !strncmp(s + i, " as ", 4))
			return true;
	}
	return false;
}

/*
 * The legacy form of a v0 name's path (header comment): "<T>::f" -> "T::f",
 * "f::<A, B>" -> "f".  NULL when it is the same as name, or without memory
 * (then only name is matched).
 */
static char *v0_path(const char *name)
{
	size_t len = strlen(name), close, i, depth = 0;
	char *p;

	p = strdup(name);
	if (!p)
		return NULL;
	if (p[0] == '<' && (close = close_angle(p, 0)) &&
	    !strncmp(p + close + 1, "::", 2) && !has_top_as(p, 1, close)) {
		memmove(p + close, p + close + 1, len - close);
		memmove(p, p + 1, len);
		len -= 2;
	}
	/* trailing generic arguments: walk back to their '<' */
	if (len > 3 && p[len - 1] == '>') {
		for (i = len; i-- > 0;) {
			if (p[i] == '>' && (!i || p[i - 1] != '-'))
				depth++;
			else if (p[i] == '<' && !--depth)
				break;
		}
		if (i != (size_t)-1 && i >= 2 && !strncmp(p + i - 2, "::", 2))
			p[i - 2] = '\0';
	}
	if (!strcmp(p, name)) {
		free(p);
		return NULL;
	}
	return p;
}

char *obs_demangle(const char *mangled)
{
	char *d = cplus_demangle(mangled, DMGL_PARAMS | DMGL_AUTO);

	if (d)
		strip_hash(d);
	return d;
}

/*
 * Sets fn->name on first use.  libiberty's NULL means "not mangled" or "no
 * memory" alike: either way the mangled name is what there is to match.
 */
static void fn_demangle(struct obs_elfsym *es, struct elf_fn *fn)
{
	char *d;

	if (fn->name)
		return;
	d = obs_demangle(fn->mangled);
	es->ndemangled++;
	if (!d) {
		fn->name = (char *)fn->mangled;
		return;
	}
	fn->name = d;
	if (!strncmp(fn->mangled, "_R", 2))
		fn->path = v0_path(d);
}

/* ---- finding ---------------------------------------------------------------- */

#define CRATE_MAX 64

/* The crate names a symbol must contain to match any pattern (none: all). */
struct crate_filter {
	char (*crate)[CRATE_MAX];
	unsigned int n;
	bool all;
};

/*
 * The crate a pattern starts with ("tokio" of "<tokio::x as y>::z"), into
 * buf; false when it starts otherwise (a glob, "std::", a long name).
 */
static bool pattern_crate(const char *pat, char *buf)
{
	size_t len = 0;

	while (*pat == '<' || *pat == '&')
		pat++;
	while (isalnum((unsigned char)pat[len]) || pat[len] == '_')
		len++;
	if (!len || len >= CRATE_MAX || strncmp(pat + len, "::", 2))
		return false;
	/* C++ mangles std:: as "St": the name is not in the symbol */
	if (len == 3 && !strncmp(pat, "std", 3))
		return false;
	memcpy(buf, pat, len);
	buf[len] = '\0';
	return true;
}

static int filter_init(struct crate_filter *f, const char *const *patterns,
		       unsigned int npat)
{
	unsigned int i;

	*f = (struct crate_filter){ 0 };
	f->crate = calloc(npat, sizeof(*f->crate));
	if (!f->crate)
		return -ENOMEM;
	for (i = 0; i < npat; i++) {
		if (!pattern_crate(patterns[i], f->crate[f->n])) {
			f->all = true;
			return 0;
		}
		f->n++;
	}
	return 0;
}

static bool filter_pass(const struct crate_filter *f, const char *mangled)
{
	unsigned int i;

	if (f->all)
		return true;
	for (i = 0; i < f->n; i++)
		if (strstr(mangled, f->crate[i]))
			return true;
	return false;
}

static bool fn_matches(const struct elf_fn *fn, const char *pat)
{
	return !fnmatch(pat, fn->name, 0) ||
	       (fn->path && !fnmatch(pat, fn->path, 0));
}

int obs_elfsym_find(struct obs_elfsym *es, const char *const *patterns,
		    unsigned int npat, obs_elfsym_cb cb, void *ctx)
{
	struct obs_elfsym_match m;
	struct crate_filter filt;
	struct elf_fn *fn;
	uint64_t *last, off;	/* per pattern: the address last reported */
	unsigned int p;
	size_t i;
	int n = 0, err;

	if (!npat || !patterns || !cb)
		return -EINVAL;
	last = calloc(npat, sizeof(*last));
	err = last ? filter_init(&filt, patterns, npat) : -ENOMEM;
	if (err) {
		free(last);
		return err;
	}
	for (i = 0; i < es->nfns && !err; i++) {
		fn = &es->fns[i];
		if (!filter_pass(&filt, fn->mangled))
			continue;
		fn_demangle(es, fn);
		for (p = 0; p < npat && !err; p++) {
			/* addresses never repeat out of order: sorted */
			if (last[p] == fn->addr || !fn_matches(fn, patterns[p]))
				continue;
			if (obs_elfsym_offset(es, fn->addr, &off))
				continue;
			last[p] = fn->addr;
			m = (struct obs_elfsym_match){
				.name = fn->name, .mangled = fn->mangled,
				.addr = fn->addr, .size = fn->size,
				.offset = off, .pattern = p,
			};
			err = cb(&m, ctx);
			n++;
		}
	}
	free(filt.crate);
	free(last);
	return err ? err : n;
}

/* ---- the files a process maps ------------------------------------------------ */

struct maps_line {
	uint64_t start, end, pgoff, inode;
	unsigned int major, minor;
	char perms[5];
	char *path;		/* into the line; "" when anonymous */
};

static bool parse_maps_line(char *line, struct maps_line *ml)
{
	unsigned long long start, end, pgoff, inode;
	size_t len;
	int pos = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end,
		   ml->perms, &pgoff, &ml->major, &ml->minor, &inode,
		   &pos) < 7 || !pos)
		return false;
	ml->start = start;
	ml->end = end;
	ml->pgoff = pgoff;
	ml->inode = inode;
	ml->path = line + pos;
	len = strlen(ml->path);
	if (len && ml->path[len - 1] == '\n')
		ml->path[--len] = '\0';
	return true;
}

static bool maps_seen(const struct obs_elfsym_mapping *maps, size_t n,
		      const struct maps_line *ml)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (maps[i].inode == ml->inode &&
		    maps[i].dev_major == ml->major &&
		    maps[i].dev_minor == ml->minor)
			return true;
	return false;
}

/* Fills m from an executable file-backed line of pid's maps. */
static int mapping_init(struct obs_elfsym_mapping *m, pid_t pid,
			const struct maps_line *ml)
{
	static const char deleted[] = " (deleted)";
	size_t len = strlen(ml->path), dlen = sizeof(deleted) - 1, plen;
	char root[32];
	int fd;

	*m = (struct obs_elfsym_mapping){
		.start = ml->start, .end = ml->end, .pgoff = ml->pgoff,
		.inode = ml->inode, .dev_major = ml->major,
		.dev_minor = ml->minor,
	};
	if (len > dlen && !strcmp(ml->path + len - dlen, deleted)) {
		m->deleted = true;
		len -= dlen;
	}
	plen = (size_t)snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	/* one allocation: path, then open_path */
	m->path = malloc(len + 1 + plen + len + 1);
	if (!m->path)
		return -ENOMEM;
	memcpy(m->path, ml->path, len);
	m->path[len] = '\0';
	m->open_path = m->path + len + 1;
	memcpy(m->open_path, root, plen);
	memcpy(m->open_path + plen, m->path, len + 1);
	if (!m->deleted) {
		fd = open(m->open_path, O_RDONLY | O_CLOEXEC);
		m->readable = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

/* Adds ml to *mapsp if it is a new executable file. */
static int maps_add(struct obs_elfsym_mapping **mapsp, size_t *np,
		    size_t *cap, pid_t pid, const struct maps_line *ml)
{
	struct obs_elfsym_mapping *grown;

	/* anonymous, [vdso], [heap]: no file to read symbols from */
	if (ml->perms[2] != 'x' || !ml->inode || ml->path[0] != '/' ||
	    maps_seen(*mapsp, *np, ml))
		return 0;
	if (*np == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		grown = realloc(*mapsp, *cap * sizeof(**mapsp));
		if (!grown)
			return -ENOMEM;
		*mapsp = grown;
	}
	if (mapping_init(&(*mapsp)[*np], pid, ml))
		return -ENOMEM;
	(*np)++;
	return 0;
}

int obs_elfsym_maps(pid_t pid, struct obs_elfsym_mapping **mapsp, size_t *np)
{
	struct maps_line ml;
	char path[32], *line = NULL;
	size_t linecap = 0, cap = 0;
	FILE *f;
	int err = 0;

	*mapsp = NULL;
	*np = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && getline(&line, &linecap, f) > 0)
		if (parse_maps_line(line, &ml))
			err = maps_add(mapsp, np, &cap, pid, &ml);
	free(line);
	fclose(f);
	if (err) {
		obs_elfsym_maps_free(*mapsp, *np);
		*mapsp = NULL;
		*np = 0;
	}
	return err;
}

void obs_elfsym_maps_free(struct obs_elfsym_mapping *maps, size_t n)
{
	size_t i;

	for (i = 0; maps && i < n; i++)
		free(maps[i].path);
	free(maps);
}
