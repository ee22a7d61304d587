// SPDX-License-Identifier: MIT
/*
 * usdt.c - a binary's USDT notes checked before libbpf reads them (usdt.h).
 *
 * Invariants:
 *  1. Nothing is read outside the file: the section headers, the section
 *     names and .note.stapsdt are checked against its size before libelf
 *     is asked for them; libelf's gelf_getnote checks each note against
 *     the section.
 *  2. What is malformed for libbpf 1.1 (usdt.c) is malformed here: any note
 *     of .note.stapsdt that is not a well-formed stapsdt note
 *     (parse_usdt_note), and, for the provider's notes, a probe address
 *     (moved by the .stapsdt.base difference, the prelink compensation)
 *     in no executable PT_LOAD, or a semaphore in no non-executable one
 *     (collect_usdt_targets).
 *  3. 64-bit files only: the descriptor's three addresses are read as
 *     64-bit, and libbpf on a 64-bit host attaches to nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gelf.h>
#include "common/usdt.h"

#define NOTES_SEC	".note.stapsdt"
#define BASE_SEC	".stapsdt.base"
#define NOTE_NAME	"stapsdt"
#define NOTE_TYPE	3		/* NT_STAPSDT */

struct usdt_file {
	Elf *elf;
	uint64_t size;
	char *why;
	size_t len;
};

/* One stapsdt descriptor: pc, base, semaphore, then three strings. */
struct usdt_note {
	uint64_t pc, base, sema;
	const char *provider, *name;
};

static bool in_file(const struct usdt_file *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

__attribute__((format(printf, 2, 3)))
static int bad(struct usdt_file *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->why, f->len, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* The descriptor's fields; false when it is too short or a string runs
 * past its end (libbpf's parse_usdt_note). */
static bool parse_desc(const char *d, size_t len, struct usdt_note *n)
{
	const char *name, *args;

	if (len < 3 * sizeof(uint64_t) + 3)
		return false;
	memcpy(&n->pc, d, sizeof(n->pc));
	memcpy(&n->base, d + 8, sizeof(n->base));
	memcpy(&n->sema, d + 16, sizeof(n->sema));
	n->provider = d + 24;
	name = memchr(n->provider, '\0', len - 24);
	if (!name || ++name >= d + len || !*name)
		return false;
	args = memchr(name, '\0', (size_t)(d + len - name));
	if (!args || ++args >= d + len)
		return false;
	n->name = name;
	return true;
}

/* Is addr in a PT_LOAD segment, executable or not as wanted? */
static bool in_segment(Elf *elf, uint64_t addr, bool exec)
{
	GElf_Phdr ph;
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (addr >= ph.p_vaddr && addr - ph.p_vaddr < ph.p_memsz)
			return !!(ph.p_flags & PF_X) == exec;
	}
	return false;
}

/* .note.stapsdt (and .stapsdt.base's address, 0 if none) into *notes. */
static int find_notes(struct usdt_file *f, Elf_Scn **notes, uint64_t *base)
{
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf_Scn *scn = NULL;
	size_t n, strndx;
	const char *name;

	*notes = NULL;
	*base = 0;
	if (!gelf_getehdr(f->elf, &eh))
		return bad(f, "ELF header truncated");
	if (!eh.e_shoff)
		return -ENOENT;		/* no section headers (sstrip) */
	/* libelf counts only the headers that fit: e_shnum is checked too
	 * (0 when the count is in section 0's sh_size, over 65535) */
	if (eh.e_shentsize != gelf_fsize(f->elf, ELF_T_SHDR, 1, EV_CURRENT) ||
	    !in_file(f, eh.e_shoff, (uint64_t)eh.e_shentsize *
				    (eh.e_shnum ? eh.e_shnum : 1)) ||
	    elf_getshdrnum(f->elf, &n) ||
	    !in_file(f, eh.e_shoff, (uint64_t)n * eh.e_shentsize))
		return bad(f, "section headers past the end of the file");
	if (elf_getshdrstrndx(f->elf, &strndx) || strndx >= n)
		return bad(f, "section names: e_shstrndx out of range");
	if (!gelf_getshdr(elf_getscn(f->elf, strndx), &sh) ||
	    !in_file(f, sh.sh_offset, sh.sh_size))
		return bad(f, "section names past the end of the file");
	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return bad(f, "section headers unreadable");
		name = elf_strptr(f->elf, strndx, sh.sh_name);
		if (name && !strcmp(name, BASE_SEC))
			*base = sh.sh_addr;
		if (name && !strcmp(name, NOTES_SEC))
			*notes = scn;
	}
	if (!*notes)
		return -ENOENT;
	gelf_getshdr(*notes, &sh);
	if (sh.sh_type != SHT_NOTE)
		return bad(f, NOTES_SEC " is not a note section");
	if (!in_file(f, sh.sh_offset, sh.sh_size))
		return bad(f, NOTES_SEC " past the end of the file");
	return 0;
}

/* Each note of the section, checked; 0 if provider:probe is among them. */
static int check_notes(struct usdt_file *f, Elf_Scn *scn, uint64_t base,
		       const char *provider, const char *probe)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, next, name_off, desc_off;
	struct usdt_note n;
	GElf_Nhdr nh;
	bool found = false;
	uint64_t pc;

	if (!data)
		return bad(f, NOTES_SEC " unreadable");
	while ((next = gelf_getnote(data, off, &nh, &name_off, &desc_off))) {
		const char *d = data->d_buf;

		if (nh.n_type != NOTE_TYPE || nh.n_namesz != sizeof(NOTE_NAME) ||
		    memcmp(d + name_off, NOTE_NAME, sizeof(NOTE_NAME)) ||
		    !parse_desc(d + desc_off, nh.n_descsz, &n))
			return bad(f, "a note of " NOTES_SEC " at offset %zu "
				   "is not a stapsdt probe", off);
		off = next;
		if (strcmp(n.provider, provider))
			continue;
		found |= !strcmp(n.name, probe);
		pc = base ? n.pc + (base - n.base) : n.pc;
		if (!in_segment(f->elf, pc, true))
			return bad(f, "%s:%s at 0x%llx: in no executable "
				   "segment", provider, n.name,
				   (unsigned long long)pc);
		if (n.sema && !in_segment(f->elf, n.sema, false))
			return bad(f, "%s:%s's semaphore at 0x%llx: in no "
				   "data segment", provider, n.name,
				   (unsigned long long)n.sema);
	}
	/* gelf_getnote stops at a note that runs past the section's end */
	if (data->d_size - off >= sizeof(GElf_Nhdr))
		return bad(f, "the note at offset %zu runs past the end of "
			   NOTES_SEC, off);
	return found ? 0 : -ENOENT;
}

int obs_usdt_check(const char *path, const char *provider, const char *probe,
		   char *why, size_t len)
{
	struct usdt_file f = { .why = why, .len = len };
	struct stat st;
	Elf_Scn *notes;
	uint64_t base;
	int fd, err;

	if (len)
		why[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    elf_version(EV_CURRENT) == EV_NONE) {
		close(fd);
		return -ENOENT;
	}
	f.size = (uint64_t)st.st_size;
	f.elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	/* invariant 3 */
	if (!f.elf || elf_kind(f.elf) != ELF_K_ELF ||
	    gelf_getclass(f.elf) != ELFCLASS64)
		err = -ENOENT;
	else
		err = find_notes(&f, &notes, &base);
	if (!err)
		err = check_notes(&f, notes, base, provider, probe);
	elf_end(f.elf);
	close(fd);
	return err;
}
