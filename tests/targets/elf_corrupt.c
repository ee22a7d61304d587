// SPDX-License-Identifier: MIT
/*
 * elf_corrupt - a copy of an ELF executable with one section-level field
 * corrupted, for tests/integ/observe_badbin.t: the copy still runs (the
 * kernel reads only the ELF header and the program headers), but what
 * observe reads to find a runtime (the rt USDT notes, the symbol table)
 * is malformed.
 *
 *	elf_corrupt CASE IN OUT
 *	elf_corrupt -l                   the cases, one per line
 *
 * Cases on the rt:worker_start note of .note.stapsdt (IN must have the rt
 * provider's notes: demos/demo_*):
 *	note-descsz    its descsz runs past the end of the section
 *	note-namesz    its namesz runs past the end of the section
 *	note-cut       the section ends in the middle of it (sh_size cut)
 *	note-pc        its probe address lies outside every segment
 *	note-sema      its semaphore address lies outside every segment
 *	note-sema-exec its semaphore address is in the text segment
 *	note-base      its .stapsdt.base address is bogus (the prelink
 *	               adjustment moves the probe out of the text)
 *	note-pc-later  rt:slow_poll's probe address outside every segment
 *	               (rt:worker_start is fine: a later attach fails)
 *	notes-type     .note.stapsdt is not SHT_NOTE
 *	notes-eof      .note.stapsdt's sh_offset past the end of the file
 *	notes-size     .note.stapsdt's sh_size past the end of the file
 * Cases on the section headers and the symbol table (any IN with .symtab):
 *	shoff-eof      e_shoff past the end of the file
 *	shnum-big      e_shnum so large the table runs past the end
 *	shstrndx-bad   e_shstrndx out of range (no section names)
 *	symtab-eof     .symtab's sh_offset past the end of the file
 *	symtab-size    .symtab's sh_size past the end of the file
 *	strtab-eof     .strtab's sh_offset past the end of the file
 *	symtab-link    .symtab's sh_link out of range
 *	symtab-link-self .symtab's sh_link names .symtab itself (not strings)
 *	symtab-names   every symbol's st_name past the end of .strtab
 *
 * Only 64-bit little-endian files (x86_64, arm64).  A case that does not
 * apply to IN (no such section or note) or bad input: one line on stderr,
 * exit 2.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOGUS_ADDR	0x7ff0deadb000ULL	/* in no segment of any binary */
#define FAR		0x40000000ULL		/* 1 GiB past the end of IN */

static const char *prog = "elf_corrupt";

struct elf {
	unsigned char *b;
	uint64_t size;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static int copy(const char *in, const char *out)
{
	char buf[65536];
	ssize_t n;
	int fi, fo;

	fi = open(in, O_RDONLY | O_CLOEXEC);
	if (fi < 0)
		die("%s: cannot open", in);
	unlink(out);
	fo = open(out, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fo < 0)
		die("%s: cannot create", out);
	while ((n = read(fi, buf, sizeof(buf))) > 0)
		if (write(fo, buf, (size_t)n) != n)
			die("%s: short write", out);
	if (n < 0)
		die("%s: read error", in);
	close(fi);
	return fo;
}

static Elf64_Shdr *section(struct elf *e, const char *name)
{
	const Elf64_Shdr *str = &e->sh[e->eh->e_shstrndx];

	for (int i = 0; i < e->eh->e_shnum; i++)
		if (e->sh[i].sh_name < str->sh_size &&
		    !strcmp((char *)e->b + str->sh_offset + e->sh[i].sh_name,
			    name))
			return &e->sh[i];
	die("no %s section", name);
	return NULL;
}

static uint32_t align4(uint32_t n)
{
	return (n + 3) & ~3U;
}

/* The stapsdt note of rt:NAME: its header; *desc its descriptor (pc,
 * base, semaphore, then the strings). */
static Elf64_Nhdr *rt_note(struct elf *e, const char *name, uint64_t **desc)
{
	Elf64_Shdr *ns = section(e, ".note.stapsdt");
	uint64_t off = 0;

	while (off + sizeof(Elf64_Nhdr) <= ns->sh_size) {
		Elf64_Nhdr *nh = (Elf64_Nhdr *)(e->b + ns->sh_offset + off);
		char *d = (char *)(nh + 1) + align4(nh->n_namesz);

		if (nh->n_type == 3 && nh->n_descsz > 24 &&
		    !strcmp(d + 24, "rt") && !strcmp(d + 27, name)) {
			*desc = (uint64_t *)d;
			return nh;
		}
		off += sizeof(*nh) + align4(nh->n_namesz) +
		       align4(nh->n_descsz);
	}
	die("no rt:%s note", name);
	return NULL;
}

/* The first executable PT_LOAD's address: inside the text. */
static uint64_t text_addr(struct elf *e)
{
	Elf64_Phdr *ph = (Elf64_Phdr *)(e->b + e->eh->e_phoff);

	for (int i = 0; i < e->eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X))
			return ph[i].p_vaddr;
	die("%s", "no executable segment");
	return 0;
}

static const char *const cases[] = {
	"note-descsz", "note-namesz", "note-cut", "note-pc", "note-sema",
	"note-sema-exec", "note-base", "note-pc-later", "notes-type",
	"notes-eof", "notes-size", "shoff-eof", "shnum-big", "shstrndx-bad",
	"symtab-eof", "symtab-size", "strtab-eof", "symtab-link",
	"symtab-link-self", "symtab-names",
};

static void corrupt(struct elf *e, const char *c)
{
	Elf64_Shdr *s;
	uint64_t *desc;

	if (!strcmp(c, "note-descsz")) {
		rt_note(e, "worker_start", &desc)->n_descsz = 0x7fffffff;
	} else if (!strcmp(c, "note-namesz")) {
		rt_note(e, "worker_start", &desc)->n_namesz = 0x7fffffff;
	} else if (!strcmp(c, "note-cut")) {
		/* the header and the name, then 10 bytes of the descriptor */
		rt_note(e, "worker_start", &desc);
		s = section(e, ".note.stapsdt");
		s->sh_size = (uint64_t)((unsigned char *)desc + 10 -
					(e->b + s->sh_offset));
	} else if (!strcmp(c, "note-pc")) {
		rt_note(e, "worker_start", &desc);
		desc[0] = BOGUS_ADDR;
	} else if (!strcmp(c, "note-sema")) {
		rt_note(e, "worker_start", &desc);
		desc[2] = BOGUS_ADDR;
	} else if (!strcmp(c, "note-sema-exec")) {
		rt_note(e, "worker_start", &desc);
		desc[2] = text_addr(e);
	} else if (!strcmp(c, "note-base")) {
		rt_note(e, "worker_start", &desc);
		desc[1] = BOGUS_ADDR;
	} else if (!strcmp(c, "note-pc-later")) {
		rt_note(e, "slow_poll", &desc);
		desc[0] = BOGUS_ADDR;
	} else if (!strcmp(c, "notes-type")) {
		section(e, ".note.stapsdt")->sh_type = SHT_PROGBITS;
	} else if (!strcmp(c, "notes-eof")) {
		section(e, ".note.stapsdt")->sh_offset = e->size + FAR;
	} else if (!strcmp(c, "notes-size")) {
		section(e, ".note.stapsdt")->sh_size = e->size + FAR;
	} else if (!strcmp(c, "shoff-eof")) {
		e->eh->e_shoff = e->size + FAR;
	} else if (!strcmp(c, "shnum-big")) {
		e->eh->e_shnum = 0xfeff;
	} else if (!strcmp(c, "shstrndx-bad")) {
		e->eh->e_shstrndx = 0xfeff;
	} else if (!strcmp(c, "symtab-eof")) {
		section(e, ".symtab")->sh_offset = e->size + FAR;
	} else if (!strcmp(c, "symtab-size")) {
		section(e, ".symtab")->sh_size = (e->size + FAR) / 24 * 24;
	} else if (!strcmp(c, "strtab-eof")) {
		section(e, ".strtab")->sh_offset = e->size + FAR;
	} else if (!strcmp(c, "symtab-link")) {
		section(e, ".symtab")->sh_link = 0xfeff;
	} else if (!strcmp(c, "symtab-link-self")) {
		s = section(e, ".symtab");
		s->sh_link = (uint32_t)(s - e->sh);
	} else if (!strcmp(c, "symtab-names")) {
		s = section(e, ".symtab");
		for (uint64_t i = 1; i < s->sh_size / sizeof(Elf64_Sym); i++)
			((Elf64_Sym *)(e->b + s->sh_offset))[i].st_name =
				0x7ffffff0;
	} else {
		die("unknown case '%s' (-l lists them)", c);
	}
}

int main(int argc, char **argv)
{
	struct elf e;
	struct stat st;
	int fd;

	if (argc == 2 && !strcmp(argv[1], "-l")) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			puts(cases[i]);
		return 0;
	}
	if (argc != 4)
		die("%s", "usage: elf_corrupt CASE IN OUT | elf_corrupt -l");
	fd = copy(argv[2], argv[3]);
	if (fstat(fd, &st))
		die("%s: cannot stat", argv[3]);
	e.size = (uint64_t)st.st_size;
	e.b = mmap(NULL, e.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (e.b == MAP_FAILED)
		die("%s: cannot map", argv[3]);
	e.eh = (Elf64_Ehdr *)e.b;
	if (e.size < sizeof(*e.eh) || memcmp(e.b, ELFMAG, SELFMAG) ||
	    e.b[EI_CLASS] != ELFCLASS64 || e.b[EI_DATA] != ELFDATA2LSB ||
	    e.eh->e_shoff + (uint64_t)e.eh->e_shnum * sizeof(Elf64_Shdr) > e.size ||
	    e.eh->e_shstrndx >= e.eh->e_shnum)
		die("%s: not a 64-bit little-endian ELF with section headers",
		    argv[2]);
	e.sh = (Elf64_Shdr *)(e.b + e.eh->e_shoff);
	corrupt(&e, argv[1]);
	if (munmap(e.b, e.size) || close(fd))
		die("%s: cannot write", argv[3]);
	return 0;
}
