// SPDX-License-Identifier: MIT
/*
 * test_elfsym - functions by demangled name and their uprobe file offsets
 * (user/common/elfsym.c), against ground truth: `nm -C` counts the
 * instances, `readelf -lW` gives the segments, and for this test's own
 * binary and a library it maps, the bytes at the computed file offset are
 * the bytes running at the function's address (what a uprobe hits).
 *
 * The Tokio tests read $BUILD/tokio/release/tokio_suspension (skipped when
 * it is not built).  The synthetic test writes and links a table of
 * ELFSYM_SYMS functions (default 100000, ~0.6 s with gcc): Rust legacy and
 * v0 names of 520 tokio::runtime::task::raw::poll instances among fillers,
 * with aliases, ".llvm." suffixes and a same-named data object.  A larger
 * measurement, by hand:
 *
 *	ELFSYM_SYMS=2000000 TAP_ONLY=synthetic_table build/tests/test_elfsym
 */
#include <errno.h>
#include <fcntl.h>
#include <elf.h>
#include <limits.h>
#include <stdarg.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <gelf.h>
#include "../tap.h"
#include "scratch.h"
#include "common/elfsym.h"

#define RAW_POLL "tokio::runtime::task::raw::poll"
#define ACQUIRE_POLL \
	"<tokio::sync::batch_semaphore::Acquire as core::future::future::Future>::poll"
#define PARK_TIMEOUT \
	"tokio::runtime::scheduler::multi_thread::worker::Context::park_timeout"

/* ---- helpers --------------------------------------------------------------- */

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

static char *tokio_binary(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/tokio/release/tokio_suspension",
		 build_dir());
	if (access(path, R_OK))
		SKIP("%s not built (make tokio-demos)", path);
	return path;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct hits {
	struct obs_elfsym_match *m;
	size_t n, cap;
	int stop_with;		/* returned by the callback when non-zero */
};

static int collect(const struct obs_elfsym_match *m, void *ctx)
{
	struct hits *h = ctx;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->m = realloc(h->m, h->cap * sizeof(*h->m));
		ASSERT_NOT_NULL(h->m);
	}
	h->m[h->n++] = *m;
	return h->stop_with;
}

static size_t hits_of(const struct hits *h, unsigned int pattern)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		n += h->m[i].pattern == pattern;
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* How many distinct addresses `nm -C` shows a defined function `name` at. */
static size_t nm_count(const char *path, const char *name)
{
	char cmd[PATH_MAX + 64], line[4096], type, *sym;
	unsigned long long addr;
	uint64_t *addrs = NULL;
	size_t n = 0, cap = 0, distinct = 0, i;
	int pos;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm -C --defined-only '%s'", path);
	p = popen(cmd, "r");
	ASSERT_NOT_NULL(p);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		pos = 0;
		if (sscanf(line, "%llx %c %n", &addr, &type, &pos) < 2 || !pos)
			continue;
		sym = line + pos;
		if (!strchr("TtWw", type) || strcmp(sym, name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			addrs = realloc(addrs, cap * sizeof(*addrs));
			ASSERT_NOT_NULL(addrs);
		}
		addrs[n++] = addr;
	}
	ASSERT_EQ(pclose(p), 0);
	qsort(addrs, n, sizeof(*addrs), cmp_u64);
	for (i = 0; i < n; i++)
		distinct += !i || addrs[i] != addrs[i - 1];
	free(addrs);
	return distinct;
}

/* The LOAD segments `readelf -lW` shows. */
struct segs {
	uint64_t off[16], vaddr[16], filesz[16];
	int n;
};

static void readelf_loads(const char *path, struct segs *s)
{
	char cmd[PATH_MAX + 64], line[512];
	unsigned long long off, va, pa, fsz;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -lW '%s'", path);
	p = popen(cmd, "r");
	ASSERT_NOT_NULL(p);
	s->n = 0;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, " LOAD 0x%llx 0x%llx 0x%llx 0x%llx", &off,
			   &va, &pa, &fsz) == 4 && s->n < 16) {
			s->off[s->n] = off;
			s->vaddr[s->n] = va;
			s->filesz[s->n++] = fsz;
		}
	ASSERT_EQ(pclose(p), 0);
	ASSERT_GT(s->n, 0);
}

static uint64_t segs_offset(const struct segs *s, uint64_t addr)
{
	for (int i = 0; i < s->n; i++)
		if (addr >= s->vaddr[i] && addr < s->vaddr[i] + s->filesz[i])
			return addr - s->vaddr[i] + s->off[i];
	TAP_FAIL("address 0x%llx in no LOAD segment", (unsigned long long)addr);
}

/* Every match's offset is readelf's, and no pattern reports an address twice. */
static void check_offsets(const char *path, const struct hits *h)
{
	struct segs s;
	size_t i, j;

	readelf_loads(path, &s);
	for (i = 0; i < h->n; i++) {
		ASSERT_UEQ(h->m[i].offset, segs_offset(&s, h->m[i].addr));
		for (j = i + 1; j < h->n; j++)
			ASSERT(h->m[i].pattern != h->m[j].pattern ||
			       h->m[i].addr != h->m[j].addr);
	}
}

static void copy_file(const char *from, const char *to, off_t size)
{
	char buf[65536];
	ssize_t r;
	off_t done = 0;
	int in = open(from, O_RDONLY), out;

	ASSERT_GE(in, 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	ASSERT_GE(out, 0);
	while ((size < 0 || done < size) && (r = read(in, buf, sizeof(buf))) > 0) {
		if (size >= 0 && r > size - done)
			r = size - done;
		ASSERT_EQ(write(out, buf, r), r);
		done += r;
	}
	close(in);
	ASSERT_EQ(close(out), 0);
}

static int open_err(const char *path)
{
	struct obs_elfsym *es = NULL;
	int err = obs_elfsym_open(path, &es);

	if (!err)
		obs_elfsym_close(es);
	else
		ASSERT_NULL(es);
	return err;
}

/* ---- a real Tokio binary ------------------------------------------------------ */

TEST(tokio_raw_poll_instances)
{
	const char *path = tokio_binary();
	const char *pats[] = { RAW_POLL };
	struct obs_elfsym *es;
	struct hits h = { 0 };
	size_t expect = nm_count(path, RAW_POLL), i;
	int n;

	ASSERT_EQ(obs_elfsym_open(path, &es), 0);
	ASSERT(!obs_elfsym_stripped(es));
	n = obs_elfsym_find(es, pats, 1, collect, &h);
	NOTE("%s: %d instances of %s (nm -C: %zu)", path, n, RAW_POLL,
	     expect);
	ASSERT_GT(expect, 1);
	ASSERT_EQ(n, expect);
	ASSERT_EQ(h.n, expect);
	for (i = 0; i < h.n; i++) {
		ASSERT_STR_EQ(h.m[i].name, RAW_POLL);
		ASSERT_NOT_NULL(strstr(h.m[i].mangled, "tokio"));
		ASSERT_GT(h.m[i].size, 0);
	}
	check_offsets(path, &h);
	obs_elfsym_close(es);
	free(h.m);
}

TEST(tokio_named_functions)
{
	static const char *const pats[] = {
		"tokio::runtime::scheduler::multi_thread::worker::run",
		"tokio::runtime::blocking::pool::Inner::run",
		"tokio::sync::batch_semaphore::Semaphore::release",
		"tokio::sync::batch_semaphore::Semaphore::acquire",
		ACQUIRE_POLL,
		PARK_TIMEOUT,
		RAW_POLL,
	};
	const unsigned int npat = sizeof(pats) / sizeof(pats[0]);
	const char *path = tokio_binary();
	struct obs_elfsym_stats st;
	struct obs_elfsym *es;
	struct hits h = { 0 };
	double t0, t1;
	unsigned int p;

	t0 = now_ms();
	ASSERT_EQ(obs_elfsym_open(path, &es), 0);
	ASSERT_GT(obs_elfsym_find(es, pats, npat, collect, &h), 0);
	t1 = now_ms();
	for (p = 0; p < npat; p++) {
		NOTE("%zu x %s", hits_of(&h, p), pats[p]);
		ASSERT_GE(hits_of(&h, p), 1);
		ASSERT_EQ(hits_of(&h, p), nm_count(path, pats[p]));
	}
	check_offsets(path, &h);
	obs_elfsym_stats(es, &st);
	NOTE("open + find of %u patterns: %.1f ms; %zu functions, "
	     "%zu demangled", npat, t1 - t0, st.nfuncs, st.ndemangled);
	/* the crate filter: only names containing "tokio" were demangled */
	ASSERT_LT(st.ndemangled, st.nfuncs);
	obs_elfsym_close(es);
	free(h.m);
}

/* ---- the bytes a uprobe hits -------------------------------------------------- */

/*
 * The function fn (name in path's table) is running in this process: its
 * file offset holds the bytes at its address, and the mapping of fn's file
 * in /proc/self/maps puts that offset at that address.
 */
static void check_running(const char *path, const char *name, const void *fn,
			  bool stripped)
{
	const char *pats[] = { name };
	unsigned char file[32];
	struct obs_elfsym_mapping *maps;
	struct obs_elfsym *es;
	struct hits h = { 0 };
	uint64_t addr = (uintptr_t)fn;
	size_t n, i;
	int fd, found = 0;

	ASSERT_EQ(obs_elfsym_open(path, &es), 0);
	ASSERT_EQ(obs_elfsym_stripped(es), stripped);
	ASSERT_EQ(obs_elfsym_find(es, pats, 1, collect, &h), 1);
	ASSERT_STR_EQ(h.m[0].name, name);
	fd = open(path, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(pread(fd, file, sizeof(file), (off_t)h.m[0].offset),
		  sizeof(file));
	close(fd);
	ASSERT_EQ(memcmp(file, fn, sizeof(file)), 0);
	ASSERT_EQ(obs_elfsym_maps(getpid(), &maps, &n), 0);
	for (i = 0; i < n; i++) {
		if (addr < maps[i].start || addr >= maps[i].end)
			continue;
		ASSERT_UEQ(h.m[0].offset, addr - maps[i].start + maps[i].pgoff);
		found++;
	}
	ASSERT_EQ(found, 1);
	obs_elfsym_maps_free(maps, n);
	obs_elfsym_close(es);
	free(h.m);
}

TEST(self_offset_is_the_running_code)
{
	check_running("/proc/self/exe", "obs_elfsym_open",
		      (const void *)obs_elfsym_open, false);
}

/* libelf, which this test maps: Debian ships it stripped (.dynsym only). */
TEST(library_export_offset)
{
	struct obs_elfsym_mapping *maps;
	struct obs_elfsym *es;
	char path[PATH_MAX] = "";
	bool stripped;
	size_t n, i;

	ASSERT_EQ(obs_elfsym_maps(getpid(), &maps, &n), 0);
	for (i = 0; i < n; i++)
		if (strstr(maps[i].path, "/libelf"))
			snprintf(path, sizeof(path), "%s", maps[i].open_path);
	obs_elfsym_maps_free(maps, n);
	if (!*path)
		SKIP("libelf is not a shared library here");
	ASSERT_EQ(obs_elfsym_open(path, &es), 0);
	stripped = obs_elfsym_stripped(es);
	obs_elfsym_close(es);
	NOTE("%s: %s", path, stripped ? "stripped, .dynsym" : ".symtab");
	check_running(path, "elf_begin", (const void *)elf_begin, stripped);
}

/* ---- a huge synthetic table --------------------------------------------------- */

#define NPOLL		500	/* legacy raw::poll instances */
#define NPOLL_V0	20	/* v0 ones */

static void asm_fn(FILE *f, const char *name)
{
	fprintf(f, "\t.type \"%s\",@function\n\"%s\":\n\tret\n"
		"\t.size \"%s\",1\n", name, name, name);
}

static void asm_alias(FILE *f, const char *alias, const char *of)
{
	fprintf(f, "\t.set \"%s\",\"%s\"\n\t.type \"%s\",@function\n"
		"\t.size \"%s\",1\n", alias, of, alias, alias);
}

/*
 * A legacy hash for i: libiberty takes "h<16 hex>" for a hash only with at
 * least 5 distinct digits, as rustc's are (splitmix64's finaliser).
 */
static unsigned long long hash(unsigned long long i)
{
	i = (i ^ (i >> 30)) * 0xbf58476d1ce4e5b9ULL;
	i = (i ^ (i >> 27)) * 0x94d049bb133111ebULL;
	return i ^ (i >> 31);
}

/* The Tokio functions: NPOLL + NPOLL_V0 raw::poll, the others once. */
static void asm_tokio(FILE *f)
{
	char name[256], alias[256];
	int i;

	for (i = 0; i < NPOLL; i++) {
		snprintf(name, sizeof(name),
			 "_ZN5tokio7runtime4task3raw4poll17h%016llxE%s",
			 hash(i), i % 5 ? "" : ".llvm.2501885473355299595");
		asm_fn(f, name);
		if (i % 50)
			continue;
		/* identical code folded: one address, two names */
		snprintf(alias, sizeof(alias),
			 "_ZN5tokio7runtime4task3raw4poll17h%016llxE",
			 hash(~(unsigned long long)i));
		asm_alias(f, alias, name);
	}
	for (i = 0; i < NPOLL_V0; i++) {
		snprintf(name, sizeof(name), "_RINvNtNtNtCs4X4t9plMPHF_5tokio7"
			 "runtime4task3raw4pollNtCshhNdl82Kjmm_1g3T%02dE", i);
		asm_fn(f, name);
	}
	asm_fn(f, "_ZN86_$LT$tokio..sync..batch_semaphore..Acquire$u20$as"
		  "$u20$core..future..future..Future$GT$4poll17h0123456789abcdefE");
	asm_fn(f, "_RNvXNtNtCs4X4t9plMPHF_5tokio4sync15batch_semaphoreNtB2_7"
		  "AcquireNtNtNtCsgEmfK2I1SDS_4core6future6future6Future4poll");
	asm_fn(f, "_ZN5tokio7runtime9scheduler12multi_thread6worker7Context"
		  "12park_timeout17h3b209822ab93c14eE");
	asm_fn(f, "_RNvMNtNtNtNtCs4X4t9plMPHF_5tokio7runtime9scheduler12multi_"
		  "thread6workerNtB2_7Context12park_timeout");
	asm_fn(f, "_ZNSt6vectorIiSaIiEE9push_backERKi");
	asm_fn(f, "plain_c_function");
}

/* Writes and links DIR/huge with nsyms fillers; false when gcc cannot. */
static bool make_huge(const char *dir, long nsyms)
{
	char src[PATH_MAX], cmd[3 * PATH_MAX];
	char name[128];
	FILE *f;
	long i;

	snprintf(src, sizeof(src), "%s/huge.s", dir);
	f = fopen(src, "w");
	ASSERT_NOT_NULL(f);
	fprintf(f, "\t.text\n");
	asm_tokio(f);
	for (i = 0; i < nsyms; i++) {
		/* one in ten passes the crate filter, to be demangled */
		snprintf(name, sizeof(name), i % 10 ?
			 "_ZN4core3ptr13drop_in_place17h%016llxE" :
			 "_ZN5tokio4util11linked_list4push17h%016llxE",
			 hash(NPOLL + i));
		asm_fn(f, name);
	}
	/* data named like a poll instance is no function */
	fprintf(f, "\t.data\n\t.type \"_ZN5tokio7runtime4task3raw4poll17h"
		"ffffffffffffffffE\",@object\n\"_ZN5tokio7runtime4task3raw4poll"
		"17hffffffffffffffffE\":\n\t.quad 0\n");
	ASSERT_EQ(fclose(f), 0);
	/* not PIE: addresses 0x401000.. at offsets 0x1000.., unequal */
	snprintf(cmd, sizeof(cmd), "gcc -nostdlib -no-pie -Wl,-e,0 -o '%s/huge' "
		 "'%s' 2>&1", dir, src);
	return system(cmd) == 0;
}

static double find_ms(struct obs_elfsym *es, const char *const *pats,
		      unsigned int npat, struct hits *h, int *n)
{
	double t0 = now_ms();

	*n = obs_elfsym_find(es, pats, npat, collect, h);
	return now_ms() - t0;
}

/* How many of h's matches of pattern have a mangled name starting with pfx. */
static size_t hits_mangled(const struct hits *h, unsigned int pattern,
			   const char *pfx)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		n += h->m[i].pattern == pattern &&
		     !strncmp(h->m[i].mangled, pfx, strlen(pfx));
	return n;
}

TEST(synthetic_table)
{
	/* what the Tokio tier asks: all of one crate, filtered */
	static const char *const pats[] = {
		RAW_POLL, ACQUIRE_POLL, PARK_TIMEOUT,
	};
	/* no crate to filter on: every name is demangled */
	static const char *const unfiltered[] = {
		"*::task::raw::poll",
		"std::vector<int, std::allocator<int> >::push_back(int const&)",
		"plain_c_*",
	};
	const char *env = getenv("ELFSYM_SYMS");
	long nsyms = env ? atol(env) : 100000;
	char *dir = scratch_dir(), path[PATH_MAX];
	struct obs_elfsym_stats st;
	struct obs_elfsym *es;
	struct hits h = { 0 }, all = { 0 };
	double t0, t_open, t_find, t_all;
	size_t i, moved = 0;
	int n, nall;

	t0 = now_ms();
	if (!make_huge(dir, nsyms))
		SKIP("cannot assemble and link with gcc");
	NOTE("generated %ld functions in %.0f ms", nsyms, now_ms() - t0);
	snprintf(path, sizeof(path), "%s/huge", dir);
	t0 = now_ms();
	ASSERT_EQ(obs_elfsym_open(path, &es), 0);
	t_open = now_ms() - t0;
	t_find = find_ms(es, pats, 3, &h, &n);
	obs_elfsym_stats(es, &st);
	NOTE("%zu functions: open %.1f ms, find (3 tokio patterns) %.1f ms, "
	     "%zu demangled", st.nfuncs, t_open, t_find, st.ndemangled);
	ASSERT_EQ(n, h.n);
	ASSERT_EQ(hits_of(&h, 0), NPOLL + NPOLL_V0);	/* aliases: once */
	ASSERT_EQ(hits_mangled(&h, 0, "_ZN"), nm_count(path, RAW_POLL));
	ASSERT_EQ(hits_mangled(&h, 0, "_R"), NPOLL_V0);
	ASSERT_EQ(hits_of(&h, 1), 2);	/* legacy and v0 */
	ASSERT_EQ(hits_of(&h, 2), 2);	/* legacy and v0 "<Context>::" */
	ASSERT_LT(st.ndemangled, st.nfuncs / 5);	/* ~1 in 10 */
	check_offsets(path, &h);
	for (i = 0; i < h.n; i++)
		moved += h.m[i].offset != h.m[i].addr;
	ASSERT_EQ(moved, h.n);
	/* the bound: 500 poll instances attach in < 1 s */
	ASSERT_DBL_LE(t_open + t_find, 1000);

	t_all = find_ms(es, unfiltered, 3, &all, &nall);
	obs_elfsym_stats(es, &st);
	NOTE("no crate filter: find %.1f ms, %zu demangled in all",
	     t_all, st.ndemangled);
	ASSERT_EQ(hits_of(&all, 0), NPOLL + NPOLL_V0);
	ASSERT_EQ(hits_of(&all, 1), 1);	/* C++: "std::" is "St" */
	ASSERT_EQ(hits_of(&all, 2), 1);	/* C, not mangled */
	ASSERT_EQ(st.ndemangled, st.nfuncs);
	check_offsets(path, &all);
	obs_elfsym_close(es);
	free(h.m);
	free(all.m);
	scratch_rm(dir);
}

/* ---- what the caller gets wrong, and bad files ------------------------------ */

TEST(callback_stops_the_search)
{
	const char *pats[] = { "obs_elfsym_*" };
	struct obs_elfsym *es;
	struct hits h = { .stop_with = -EINTR };

	ASSERT_EQ(obs_elfsym_open("/proc/self/exe", &es), 0);
	ASSERT_EQ(obs_elfsym_find(es, pats, 1, collect, &h), -EINTR);
	ASSERT_EQ(h.n, 1);
	ASSERT_EQ(obs_elfsym_find(es, pats, 0, collect, &h), -EINVAL);
	h.stop_with = 0;
	h.n = 0;
	ASSERT_GE(obs_elfsym_find(es, pats, 1, collect, &h), 5);
	obs_elfsym_close(es);
	obs_elfsym_close(NULL);
	free(h.m);
}

TEST(stripped_binary)
{
	char *dir = scratch_dir(), path[PATH_MAX], cmd[3 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/stripped", dir);
	snprintf(cmd, sizeof(cmd), "strip -o '%s' /proc/self/exe", path);
	if (system(cmd))
		SKIP("no strip(1)");
	ASSERT_EQ(open_err(path), -ENODATA);
	scratch_rm(dir);
}

TEST(not_elf)
{
	char *dir = scratch_dir(), path[PATH_MAX];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/garbage", dir);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	for (i = 0; i < 4096; i++)
		fputc("\x7f" "ELF garbage\n"[i % 13], f);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_EQ(open_err(path), -ENOEXEC);
	ASSERT_EQ(truncate(path, 0), 0);
	ASSERT_EQ(open_err(path), -ENOEXEC);
	ASSERT_EQ(open_err(dir), -ENOEXEC);
	snprintf(path, sizeof(path), "%s/absent", dir);
	ASSERT_EQ(open_err(path), -ENOENT);
	scratch_rm(dir);
}

TEST(truncated_elf)
{
	char *dir = scratch_dir(), path[PATH_MAX];
	struct stat st;
	off_t sizes[4];
	int i;

	ASSERT_EQ(stat("/proc/self/exe", &st), 0);
	sizes[0] = 32;			/* half an ELF header */
	sizes[1] = 4096;		/* headers, no segments */
	sizes[2] = st.st_size / 2;	/* segments cut */
	sizes[3] = st.st_size - 1;	/* section headers cut */
	snprintf(path, sizeof(path), "%s/truncated", dir);
	for (i = 0; i < 4; i++) {
		copy_file("/proc/self/exe", path, sizes[i]);
		NOTE("%lld bytes of %lld", (long long)sizes[i],
		     (long long)st.st_size);
		/* half a header: libelf does not take it for ELF at all */
		ASSERT_EQ(open_err(path), i ? -EBADMSG : -ENOEXEC);
	}
	scratch_rm(dir);
}

/* A copy of this test's binary with one header field pointing past its end,
 * or .symtab's strings out of range. */
enum patch {
	PATCH_SHOFF, PATCH_PHOFF, PATCH_SYMTAB, PATCH_STRTAB,
	PATCH_LINK_SELF,	/* .symtab's sh_link: itself, not strings */
	PATCH_NAMES,		/* every st_name past the end of .strtab */
};

static void write_patched(const char *path, enum patch what)
{
	struct stat st;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	unsigned char *b;
	int fd, i, sym = -1;

	copy_file("/proc/self/exe", path, -1);
	fd = open(path, O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	b = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT(b != MAP_FAILED);
	eh = (Elf64_Ehdr *)b;
	ASSERT_EQ(eh->e_ident[EI_CLASS], ELFCLASS64);
	sh = (Elf64_Shdr *)(b + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB)
			sym = i;
	ASSERT_GE(sym, 0);
	if (what == PATCH_SHOFF)
		eh->e_shoff = st.st_size + 4096;
	else if (what == PATCH_PHOFF)
		eh->e_phoff = st.st_size - 8;
	else if (what == PATCH_SYMTAB)
		sh[sym].sh_offset = st.st_size - sh[sym].sh_size / 2;
	else if (what == PATCH_STRTAB)
		sh[sh[sym].sh_link].sh_size = st.st_size;
	else if (what == PATCH_LINK_SELF)
		sh[sym].sh_link = (Elf64_Word)sym;
	else
		for (i = 1; i < (int)(sh[sym].sh_size / sizeof(Elf64_Sym)); i++)
			((Elf64_Sym *)(b + sh[sym].sh_offset))[i].st_name =
				(Elf64_Word)sh[sh[sym].sh_link].sh_size;
	munmap(b, st.st_size);
	close(fd);
}

TEST(headers_outside_the_file)
{
	char *dir = scratch_dir(), path[PATH_MAX];
	int what;

	snprintf(path, sizeof(path), "%s/patched", dir);
	for (what = PATCH_SHOFF; what <= PATCH_NAMES; what++) {
		write_patched(path, what);
		NOTE("patch %d", what);
		ASSERT_EQ(open_err(path), -EBADMSG);
	}
	scratch_rm(dir);
}

/* ---- the files a process maps ------------------------------------------------- */

TEST(maps_of_self)
{
	struct obs_elfsym_mapping *maps;
	char exe[PATH_MAX], prefix[64];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t n, i, j, self = 0;

	ASSERT_GT(len, 0);
	exe[len] = '\0';
	snprintf(prefix, sizeof(prefix), "/proc/%d/root/", (int)getpid());
	ASSERT_EQ(obs_elfsym_maps(getpid(), &maps, &n), 0);
	ASSERT_GE(n, 2);	/* the test and libc at least */
	for (i = 0; i < n; i++) {
		NOTE("%s%s%s", maps[i].path,
		     maps[i].readable ? "" : " (unreadable)",
		     maps[i].deleted ? " (deleted)" : "");
		ASSERT_EQ(maps[i].path[0], '/');
		ASSERT_EQ(strncmp(maps[i].open_path, prefix, strlen(prefix)), 0);
		ASSERT_STR_EQ(maps[i].open_path + strlen(prefix) - 1,
			      maps[i].path);
		ASSERT_LT(maps[i].start, maps[i].end);
		for (j = i + 1; j < n; j++)
			ASSERT(maps[i].inode != maps[j].inode ||
			       maps[i].dev_major != maps[j].dev_major ||
			       maps[i].dev_minor != maps[j].dev_minor);
		if (!strcmp(maps[i].path, exe)) {
			ASSERT(maps[i].readable && !maps[i].deleted);
			self++;
		}
	}
	ASSERT_EQ(self, 1);
	obs_elfsym_maps_free(maps, n);
	ASSERT_EQ(obs_elfsym_maps(0x3ffffffe, &maps, &n), -ENOENT);
	ASSERT_EQ(n, 0);
}

/* An executable mapping whose file was deleted is listed, flagged. */
TEST(maps_deleted_file)
{
	char *dir = scratch_dir(), path[PATH_MAX];
	struct obs_elfsym_mapping *maps;
	size_t n, i, found = 0;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/gone", dir);
	copy_file("/proc/self/exe", path, 8192);
	fd = open(path, O_RDONLY);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		SKIP("cannot map %s executable: %s", path, strerror(errno));
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(obs_elfsym_maps(getpid(), &maps, &n), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(maps[i].path, path))
			continue;
		ASSERT(maps[i].deleted && !maps[i].readable);
		ASSERT_UEQ(maps[i].start, (uintptr_t)p);
		found++;
	}
	ASSERT_EQ(found, 1);
	obs_elfsym_maps_free(maps, n);
	munmap(p, 4096);
	scratch_rm(dir);
}

int main(void)
{
	return tap_run();
}
