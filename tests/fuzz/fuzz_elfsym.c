// SPDX-License-Identifier: MIT
/*
 * fuzz_elfsym - user/common/elfsym.c on hostile files: the input is an ELF
 * file, opened by path as observe opens /proc/PID/exe, then searched with
 * crate-filtered patterns and with "*", which demangles every function
 * (libiberty, then the legacy-hash and v0-path rewrites).
 *
 * Names are the other half of the parsing, and byte mutations of a whole
 * file seldom reach them: an input that is not ELF (no "\x7fELF"; elfsym
 * refuses such a file at its first check anyway) is a list of symbol
 * names, one a line, written as the .symtab of a minimal executable
 * (write_names_elf), one function per name.  Then "*" must find each.
 *
 * The same file also goes through the rt tier's check of its USDT notes
 * (common/usdt.c), which reads section headers and notes itself: one of
 * its three answers, with a reason exactly when malformed.
 *
 * Checked beyond "no crash, no sanitizer report": the contract of
 * elfsym.h, i.e. open's documented errors only, every match inside the
 * file's bytes (what a uprobe is given), per pattern in address order and
 * without repeats, obs_elfsym_offset agreeing with the match, and a
 * callback's error returned as it is.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/mman.h>
#include "common/elfsym.h"
#include "common/usdt.h"
#include "fuzz.h"

/* Crate-filtered (only "tokio" symbols demangle), then unfiltered. */
static const char *const tokio_pats[] = {
	"tokio::runtime::task::raw::poll",
	"<tokio::sync::batch_semaphore::Acquire as core::future::future::Future>::poll",
	"tokio::runtime::task::harness::Harness<*>::poll",
};
static const char *const all_pats[] = { "*", "main", "std::*" };

#define NPAT_MAX 3
#define STOP_ERR (-ECANCELED)	/* a callback's error, as attach errors */

struct seen {
	uint64_t fsize;
	const struct obs_elfsym *es;
	unsigned int npat;
	uint64_t last[NPAT_MAX];	/* per pattern: the last address */
	bool any[NPAT_MAX];		/* ... if there was one */
	int calls;
	int stop_after;			/* > 0: fail the call after this many */
};

static int check_match(const struct obs_elfsym_match *m, void *ctx)
{
	struct seen *s = ctx;
	uint64_t off;

	FUZZ_CHECK(m->name && m->mangled && m->pattern < s->npat);
	FUZZ_CHECK(m->offset < s->fsize);
	FUZZ_CHECK(!obs_elfsym_offset(s->es, m->addr, &off) && off == m->offset);
	/* address order, one call per address and pattern */
	FUZZ_CHECK(!s->any[m->pattern] || m->addr > s->last[m->pattern]);
	s->last[m->pattern] = m->addr;
	s->any[m->pattern] = true;
	s->calls++;
	return s->stop_after && s->calls >= s->stop_after ? STOP_ERR : 0;
}

/* obs_elfsym_find, checked; the number of calls. */
static int find(struct obs_elfsym *es, uint64_t fsize,
		const char *const *pats, unsigned int npat, int stop_after)
{
	struct seen s = {
		.fsize = fsize, .es = es, .npat = npat, .stop_after = stop_after,
	};
	int n = obs_elfsym_find(es, pats, npat, check_match, &s);

	if (stop_after && s.calls >= stop_after)
		FUZZ_CHECK(n == STOP_ERR);
	else
		FUZZ_CHECK(n == s.calls);
	return s.calls;
}

/* The one memfd the inputs are written to, and its path. */
static int input_fd(const char **path)
{
	static char buf[32];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz_elfsym", MFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0);
		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
	}
	*path = buf;
	return fd;
}

static void put(int fd, const void *p, size_t len, uint64_t off)
{
	size_t done = 0;
	ssize_t w;

	while (done < len) {
		w = pwrite(fd, (const char *)p + done, len - done,
			   (off_t)(off + done));
		FUZZ_CHECK(w > 0);
		done += (size_t)w;
	}
}

/* ---- names: a minimal executable --------------------------------------- */

#define NAMES_MAX	256		/* functions */
#define NAMES_VADDR	0x400000	/* where the file is loaded */

/* Sections of the names executable, in file order after the headers. */
enum { SEC_NULL, SEC_TEXT, SEC_SYMTAB, SEC_STRTAB, SEC_SHSTRTAB, SEC_N };

static const char shstrtab[] = "\0.text\0.symtab\0.strtab\0.shstrtab";

static uint64_t align8(uint64_t x)
{
	return (x + 7) & ~(uint64_t)7;
}

/*
 * Writes an ET_EXEC with one PT_LOAD over the whole file and a .symtab of
 * one global function per name (a one-byte "ret" each, at distinct
 * addresses), as a linker would.  Lines are cut at '\n'; the names
 * themselves are any other bytes.  Returns how many are not empty.
 */
static size_t write_names_elf(int fd, const uint8_t *data, size_t size,
			      uint64_t *fsize)
{
	Elf64_Sym syms[NAMES_MAX + 1] = { 0 };
	Elf64_Shdr sh[SEC_N] = { 0 };
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	uint64_t text = sizeof(eh) + sizeof(ph), str = align8(text + NAMES_MAX);
	uint64_t off;
	size_t n = 0, nonempty = 0, strsz = 1, len;
	const uint8_t *p = data, *nl;
	uint8_t *img;

	/* one write: the largest file, zeroed ("" at .strtab's offset 0) */
	img = calloc(1, str + size + 1 + 8 + sizeof(syms) + 8 +
			sizeof(shstrtab) + 8 + sizeof(sh));
	FUZZ_CHECK(img);
	for (; p < data + size && n < NAMES_MAX; p += len + 1) {
		nl = memchr(p, '\n', (size_t)(data + size - p));
		len = nl ? (size_t)(nl - p) : (size_t)(data + size - p);
		memcpy(img + str + strsz, p, len);	/* NUL: calloc's */
		syms[n + 1] = (Elf64_Sym){
			.st_name = (uint32_t)strsz,
			.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
			.st_shndx = SEC_TEXT,
			.st_value = NAMES_VADDR + text + n,
			.st_size = 1,
		};
		n++;
		/* an embedded NUL shortens a name; "" is no function */
		nonempty += len && p[0];
		strsz += len + 1;
	}
	memset(img + text, 0xc3, n);
	sh[SEC_TEXT] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC | SHF_EXECINSTR,
		.sh_addr = NAMES_VADDR + text, .sh_offset = text,
		.sh_size = n, .sh_addralign = 1 };
	sh[SEC_STRTAB] = (Elf64_Shdr){ .sh_name = 15, .sh_type = SHT_STRTAB,
		.sh_offset = str, .sh_size = strsz, .sh_addralign = 1 };
	off = align8(str + strsz);
	memcpy(img + off, syms, (n + 1) * sizeof(syms[0]));
	sh[SEC_SYMTAB] = (Elf64_Shdr){ .sh_name = 7, .sh_type = SHT_SYMTAB,
		.sh_offset = off, .sh_size = (n + 1) * sizeof(syms[0]),
		.sh_link = SEC_STRTAB, .sh_info = 1, .sh_addralign = 8,
		.sh_entsize = sizeof(syms[0]) };
	off += (n + 1) * sizeof(syms[0]);
	memcpy(img + off, shstrtab, sizeof(shstrtab));
	sh[SEC_SHSTRTAB] = (Elf64_Shdr){ .sh_name = 25, .sh_type = SHT_STRTAB,
		.sh_offset = off, .sh_size = sizeof(shstrtab),
		.sh_addralign = 1 };
	off = align8(off + sizeof(shstrtab));
	memcpy(img + off, sh, sizeof(sh));
	*fsize = off + sizeof(sh);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = NAMES_VADDR + text;
	eh.e_phoff = sizeof(eh);
	eh.e_shoff = off;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	eh.e_shentsize = sizeof(sh[0]);
	eh.e_shnum = SEC_N;
	eh.e_shstrndx = SEC_SHSTRTAB;
	ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_vaddr = NAMES_VADDR, .p_paddr = NAMES_VADDR,
		.p_filesz = *fsize, .p_memsz = *fsize, .p_align = 0x1000 };
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	FUZZ_CHECK(!ftruncate(fd, 0));
	put(fd, img, *fsize, 0);
	free(img);
	return nonempty;
}

/* ---- the target ---------------------------------------------------------- */

static void check_usdt(const char *path)
{
	char why[128];
	int err = obs_usdt_check(path, "rt", "worker_start", why, sizeof(why));

	FUZZ_CHECK(err == 0 || err == -ENOENT || err == -EBADMSG);
	FUZZ_CHECK((err == -EBADMSG) == (why[0] != '\0'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obs_elfsym_stats st;
	struct obs_elfsym *es;
	const char *path;
	int fd = input_fd(&path), err, nstar;
	bool names = size < SELFMAG || memcmp(data, ELFMAG, SELFMAG);
	uint64_t fsize = size, off;
	size_t nnames = 0;

	if (names) {
		nnames = write_names_elf(fd, data, size, &fsize);
	} else {
		FUZZ_CHECK(!ftruncate(fd, 0));
		put(fd, data, size, 0);
	}
	check_usdt(path);
	err = obs_elfsym_open(path, &es);
	if (err) {
		FUZZ_CHECK(!es);
		FUZZ_CHECK(err == -ENOEXEC || err == -EBADMSG || err == -ENODATA ||
			   err == -ENOMEM);
		/* a well-formed file with a function has it */
		FUZZ_CHECK(!names || (err == -ENODATA && !nnames));
		return 0;
	}
	obs_elfsym_stats(es, &st);
	FUZZ_CHECK(st.nfuncs > 0 && st.ndemangled == 0);
	FUZZ_CHECK(!names || st.nfuncs == nnames);
	(void)obs_elfsym_stripped(es);
	find(es, fsize, tokio_pats, 3, 0);
	nstar = find(es, fsize, all_pats, 1, 0);
	/* one function per address: "*" reports each once */
	FUZZ_CHECK(!names || (size_t)nstar == nnames);
	/* again, over the names kept from the first pass; stopped early */
	find(es, fsize, all_pats, 3, 2);
	obs_elfsym_stats(es, &st);
	FUZZ_CHECK(st.ndemangled <= st.nfuncs);
	if (!obs_elfsym_offset(es, 0, &off))
		FUZZ_CHECK(off < fsize);
	if (!obs_elfsym_offset(es, UINT64_MAX, &off))
		FUZZ_CHECK(off < fsize);
	obs_elfsym_close(es);
	return 0;
}
