// SPDX-License-Identifier: MIT
/*
 * test_unwind - user stacks from a copy of registers and stack, unwound
 * with DWARF CFI (user/stacks/unwind.c), against ground truth: this test's
 * own call chains.  A function at the end of a known chain takes what BPF
 * would (its registers, in DWARF order, and up to 32 KB of its stack from
 * sp up), and the unwinder must give the chain back, named, with
 * file:line.  This file is built with -fomit-frame-pointer (Makefile), so
 * only CFI can succeed; Debian's glibc has no frame pointers either.
 *
 * Chains: outer -> middle -> inner (this binary); walk_caller -> twalk ->
 * (libc) -> walk_capture; lib_caller -> lib_entry -> hidden_step (a library
 * built here with cc: stripped, without CFI, or loaded after the snapshot)
 * -> lib_cb; outer's chain in a child that exits before its sample is
 * unwound; and vdso_caller -> the vDSO's clock_gettime, a call made up
 * from a capture in vdso_caller (the vDSO is no file: unwind.c reports
 * observe's own image).  Timing: UNWIND_WARM and UNWIND_COLD samples (default 1000 and
 * 30), printed, not judged by their absolute value (the box is shared).
 * Valgrind-clean (valgrind hides the vDSO: vdso_frame skips there):
 *
 *	UNWIND_WARM=5 UNWIND_COLD=1 valgrind -q --leak-check=full \
 *		--errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
 *		build/tests/test_unwind
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <search.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>
#include <gelf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include "../tap.h"
#include "scratch.h"
#include "common/elfsym.h"
#include "stacks/unwind.h"

#define COPY_BYTES	(32 << 10)
#define FRAMES		64

/* What a capture took: BPF's copy, by this test. */
static struct obs_ustack_sample sample;
static uint8_t stack_copy[COPY_BYTES];
static uint64_t stack_top;		/* see find_stack_top */
static bool reached_top;		/* the copy went up to stack_top */
static int line_inner, line_middle, line_outer, line_walk, line_vdso;

/*
 * The registers here, in DWARF order, into regs (17 words), and as rip the
 * address right after the lea.  One asm statement: rsp does not move
 * between the stores, so the pc and the registers agree for CFI.
 */
#define CAPTURE(regs)							\
	__asm__ volatile("movq %%rax, 0(%0)\n\t"			\
			 "movq %%rdx, 8(%0)\n\t"			\
			 "movq %%rcx, 16(%0)\n\t"			\
			 "movq %%rbx, 24(%0)\n\t"			\
			 "movq %%rsi, 32(%0)\n\t"			\
			 "movq %%rdi, 40(%0)\n\t"			\
			 "movq %%rbp, 48(%0)\n\t"			\
			 "movq %%rsp, 56(%0)\n\t"			\
			 "movq %%r8, 64(%0)\n\t"			\
			 "movq %%r9, 72(%0)\n\t"			\
			 "movq %%r10, 80(%0)\n\t"			\
			 "movq %%r11, 88(%0)\n\t"			\
			 "movq %%r12, 96(%0)\n\t"			\
			 "movq %%r13, 104(%0)\n\t"			\
			 "movq %%r14, 112(%0)\n\t"			\
			 "movq %%r15, 120(%0)\n\t"			\
			 "leaq 0(%%rip), %%rax\n\t"			\
			 "movq %%rax, 128(%0)\n\t"			\
			 : : "r"(regs) : "rax", "memory")

/* ---- helpers --------------------------------------------------------------- */

/*
 * The top of the main thread's stack: the sp that the program started
 * with (ld.so's __libc_stack_end).  Every frame lies below it; /proc's
 * [stack] would be wrong under valgrind, which runs the program on a stack
 * of its own.
 */
extern void *__libc_stack_end;

static uint64_t find_stack_top(void)
{
	ASSERT_NOT_NULL(__libc_stack_end);
	return (uint64_t)(uintptr_t)__libc_stack_end;
}

/*
 * BPF's copy: from sp up to the top of the stack, at most COPY_BYTES, read
 * by the kernel as bpf_probe_read_user does.  (So ASan does not see the
 * redzones between live frames read, nor valgrind the stack's
 * uninitialised bytes: to both they are the kernel's output.)
 */
__attribute__((noinline)) static void copy_stack(uint64_t sp)
{
	size_t len = stack_top - sp;
	struct iovec local, remote;

	reached_top = len <= COPY_BYTES;
	if (len > COPY_BYTES)
		len = COPY_BYTES;
	local = (struct iovec){ .iov_base = stack_copy, .iov_len = len };
	remote = (struct iovec){ .iov_base = (void *)sp, .iov_len = len };
	ASSERT_EQ(process_vm_readv(getpid(), &local, 1, &remote, 1, 0),
		  (ssize_t)len);
	sample.tgid = (uint32_t)getpid();
	sample.tid = (uint32_t)gettid();
	sample.stack = stack_copy;
	sample.stack_len = len;
}

static const char *base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

static void print_frames(const struct obs_frame *fr, int n, const char *why)
{
	for (int i = 0; i < n; i++)
		NOTE("  %2d %#" PRIx64 " %s+%#" PRIx64 " %s:%d  %s+%#" PRIx64
		     "%s", i, fr[i].pc, fr[i].sym ? fr[i].sym : "?",
		     fr[i].sym_off, fr[i].file ? base(fr[i].file) : "-",
		     fr[i].line, fr[i].module ? base(fr[i].module) : "-",
		     fr[i].offset, fr[i].build_id ? "" : " (no build id)");
	NOTE("  why: %s", why ? why : "(none: outermost frame reached)");
}

/* The index of the first frame from `from` on named name, -1 if none. */
static int find_sym(const struct obs_frame *fr, int n, int from,
		    const char *name)
{
	for (int i = from < 0 ? n : from; i < n; i++)
		if (fr[i].sym && !strcmp(fr[i].sym, name))
			return i;
	return -1;
}

static int unwind(struct obs_unwind *u, struct obs_frame *fr,
		  const char **why)
{
	int n = obs_unwind_sample(u, &sample, fr, FRAMES, why);

	ASSERT_GE(n, 1);
	print_frames(fr, n, *why);
	return n;
}

/* ---- the chains ------------------------------------------------------------ */

__attribute__((noipa)) static int inner(int x)
{
	line_inner = __LINE__; CAPTURE(sample.regs);
	copy_stack(sample.regs[OBS_UREG_SP]);
	return x + 1;
}

__attribute__((noipa)) static int middle(int x)
{
	int r;

	line_middle = __LINE__; r = inner(x * 3);
	return r * 5;
}

__attribute__((noipa)) static int outer(int x)
{
	int r;

	line_outer = __LINE__; r = middle(x + 7);
	return r - 2;
}

static bool captured;

__attribute__((noipa)) static void walk_capture(const void *node, VISIT v,
						int depth)
{
	(void)node, (void)v, (void)depth;
	if (!captured) {
		captured = true;
		line_walk = __LINE__; CAPTURE(sample.regs);
		copy_stack(sample.regs[OBS_UREG_SP]);
	}
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void no_free(void *p)
{
	(void)p;
}

/* twalk, not qsort: ASan replaces qsort with its own, not twalk. */
__attribute__((noipa)) static int walk_caller(void)
{
	static int v[8];
	void *root = NULL;

	for (int i = 0; i < 8; i++) {
		v[i] = (i * 5) % 8;
		ASSERT_NOT_NULL(tsearch(&v[i], &root, cmp_int));
	}
	twalk(root, walk_capture);
	tdestroy(root, no_free);
	return captured;
}

__attribute__((noipa)) static int lib_cb(int x)
{
	CAPTURE(sample.regs);
	copy_stack(sample.regs[OBS_UREG_SP]);
	return x * 2;
}

__attribute__((noipa)) static int lib_caller(int (*entry)(int (*)(int), int))
{
	int r = entry(lib_cb, 3);

	return r + 1;
}

/* Captures outer -> middle -> inner; a new unwinder with this process noted. */
static struct obs_unwind *capture_own(void)
{
	struct obs_unwind *u;

	stack_top = find_stack_top();
	ASSERT_EQ(outer(1), ((1 + 7) * 3 + 1) * 5 - 2);
	u = obs_unwind_new();
	ASSERT_NOT_NULL(u);
	ASSERT_EQ(obs_unwind_note_process(u, getpid()), 0);
	return u;
}

/* ---- this binary ----------------------------------------------------------- */

/* The frames of the own chain, innermost first, down to main. */
static void check_own_chain(const struct obs_frame *fr, int n, const char *why)
{
	int i_in, i_mid, i_out, i_main;
	char exe[PATH_MAX];

	i_in = find_sym(fr, n, 0, "inner");
	i_mid = find_sym(fr, n, i_in + 1, "middle");
	i_out = find_sym(fr, n, i_mid + 1, "outer");
	i_main = find_sym(fr, n, i_out + 1, "main");
	ASSERT_EQ(i_in, 0);
	ASSERT_EQ(i_mid, 1);
	ASSERT_EQ(i_out, 2);
	ASSERT_GT(i_main, i_out);
	ASSERT(!fr[0].caller && fr[1].caller && fr[2].caller);
	ASSERT_NOT_NULL(realpath("/proc/self/exe", exe));
	for (int i = 0; i < 3; i++) {
		ASSERT_STR_EQ(fr[i].module, exe);
		ASSERT_NOT_NULL(fr[i].build_id);
		ASSERT_STR_EQ(base(fr[i].file), "test_unwind.c");
		ASSERT_UEQ(fr[i].offset, fr[i].pc - (fr[0].pc - fr[0].offset));
	}
	ASSERT_EQ(fr[0].line, line_inner);
	ASSERT_EQ(fr[1].line, line_middle);
	ASSERT_EQ(fr[2].line, line_outer);
	/* _start says "no caller": a whole stack ends there, with every
	 * frame named, or libc's static functions unnamed without libc6-dbg */
	if (reached_top)
		ASSERT(!why || (!strncmp(why, "stripped: ", 10) &&
				strstr(why, "libc")));
}

TEST(own_chain)
{
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u = capture_own();
	const char *why;
	int n;

	NOTE("stack copy: %zu bytes%s", sample.stack_len,
	     reached_top ? " (the whole stack)" : "");
	n = unwind(u, fr, &why);
	check_own_chain(fr, n, why);
	/* the second time from the caches: the same frames */
	ASSERT_EQ(obs_unwind_sample(u, &sample, fr, FRAMES, &why), n);
	check_own_chain(fr, n, why);
	obs_unwind_free(u);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = -1;		/* the directory's own */

	ASSERT_NOT_NULL(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;		/* "." and ".." */
}

/* A snapshot maps files and holds no descriptor: observe's own limit. */
TEST(no_descriptors_kept)
{
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u;
	int before = count_fds(), nmod = 0, n;
	const char *why;

	u = capture_own();
	ASSERT_EQ(count_fds(), before);
	n = obs_unwind_sample(u, &sample, fr, FRAMES, &why);
	/* but a debug file libdw found: one per module at most */
	for (int i = 0; i < n; i++) {
		int j = 0;

		while (j < i && fr[j].module != fr[i].module)
			j++;
		nmod += fr[i].module && j == i;
	}
	NOTE("%d descriptors after a sample of %d modules",
	     count_fds() - before, nmod);
	ASSERT_LE(count_fds() - before, nmod);
	obs_unwind_free(u);
	ASSERT_EQ(count_fds(), before);
}

TEST(frame_limit)
{
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u = capture_own();
	const char *why;

	ASSERT_EQ(obs_unwind_sample(u, &sample, fr, 2, &why), 2);
	ASSERT_STR_EQ(fr[1].sym, "middle");
	ASSERT_STR_EQ(why, "frame limit");
	obs_unwind_free(u);
}

TEST(truncated_copy)
{
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u = capture_own();
	const char *why;
	int full, n;

	full = obs_unwind_sample(u, &sample, fr, FRAMES, &why);
	sample.stack_len = 64;
	n = unwind(u, fr, &why);
	ASSERT_LT(n, full);
	ASSERT_STR_EQ(fr[0].sym, "inner");
	ASSERT_STR_EQ(why, "stack copy ended");
	/* no copy at all: the pc still names its frame */
	sample.stack_len = 0;
	ASSERT_EQ(obs_unwind_sample(u, &sample, fr, FRAMES, &why), 1);
	ASSERT_STR_EQ(fr[0].sym, "inner");
	ASSERT_STR_EQ(why, "stack copy ended");
	obs_unwind_free(u);
}

TEST(pc_in_no_module)
{
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u = capture_own();
	const char *why;

	sample.regs[OBS_UREG_PC] = 0x10;
	/* libdw falls back on frame pointers where there is no CFI: none */
	sample.regs[6] = 0;
	ASSERT_EQ(unwind(u, fr, &why), 1);
	ASSERT_UEQ(fr[0].pc, 0x10);
	ASSERT_NULL(fr[0].module);
	ASSERT_NULL(fr[0].sym);
	ASSERT_STR_EQ(why, "pc in no module");
	obs_unwind_free(u);
}

TEST(bad_arguments)
{
	struct obs_frame fr[1];
	struct obs_unwind *u = obs_unwind_new();
	const char *why;

	ASSERT_EQ(obs_unwind_sample(u, NULL, fr, 1, &why), -EINVAL);
	ASSERT_EQ(obs_unwind_sample(NULL, &sample, fr, 1, &why), -EINVAL);
	ASSERT_EQ(obs_unwind_note_process(u, 0), -EINVAL);
	ASSERT_EQ(obs_unwind_sample(u, &sample, fr, 0, &why), 0);
	obs_unwind_free(u);
	obs_unwind_free(NULL);
}

/* ---- through libc ---------------------------------------------------------- */

TEST(through_libc)
{
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u;
	int n, i_libc, i_caller;
	const char *why;

	stack_top = find_stack_top();
	ASSERT(walk_caller());
	u = obs_unwind_new();
	ASSERT_NOT_NULL(u);
	ASSERT_EQ(obs_unwind_note_process(u, getpid()), 0);
	n = unwind(u, fr, &why);
	ASSERT_EQ(find_sym(fr, n, 0, "walk_capture"), 0);
	ASSERT_EQ(fr[0].line, line_walk);
	/* glibc's trecurse (twalk's recursion): one frame or more */
	i_libc = 1;
	ASSERT_NOT_NULL(fr[i_libc].module);
	ASSERT(strstr(base(fr[i_libc].module), "libc"));
	i_caller = find_sym(fr, n, i_libc + 1, "walk_caller");
	ASSERT_GT(i_caller, i_libc);
	for (int i = i_libc; i < i_caller; i++)
		ASSERT(strstr(base(fr[i].module), "libc"));
	ASSERT_GT(find_sym(fr, n, i_caller + 1, "main"), i_caller);
	obs_unwind_free(u);
}

/* ---- a library built here ---------------------------------------------------- */

static const char lib_src[] =
	"typedef int (*cb_t)(int);\n"
	"__attribute__((noipa)) static int hidden_step(cb_t cb, int x)\n"
	"{\n\tint r = cb(x + 1);\n\n\treturn r * 3;\n}\n"
	"int lib_entry(cb_t cb, int x)\n"
	"{\n\tint r = hidden_step(cb, x);\n\n\treturn r + 1;\n}\n";

/* Builds DIR/NAME from lib_src with extra flags; false when cc cannot. */
static bool build_lib(const char *dir, const char *name, const char *flags)
{
	char path[PATH_MAX], cmd[3 * PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/lib.c", dir);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	fputs(lib_src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -shared -fPIC -O2 -fomit-frame-pointer "
		 "-fno-optimize-sibling-calls %s -o '%s/%s' '%s' 2>&1", flags,
		 dir, name, path);
	return system(cmd) == 0;
}

/* Calls through DIR/NAME's lib_entry into lib_cb, which captures. */
static void call_through(const char *dir, const char *name, char *path)
{
	int (*entry)(int (*)(int), int);
	void *h;

	snprintf(path, PATH_MAX, "%s/%s", dir, name);
	h = dlopen(path, RTLD_NOW);
	ASSERT_NOT_NULL(h);
	*(void **)&entry = dlsym(h, "lib_entry");
	ASSERT_NOT_NULL(entry);
	stack_top = find_stack_top();
	ASSERT_EQ(lib_caller(entry), (3 + 1) * 2 * 3 + 1 + 1);
}

static int range_cb(const struct obs_elfsym_match *m, void *ctx)
{
	uint64_t *r = ctx;

	r[0] = m->addr;
	r[1] = m->addr + m->size;
	return 0;
}

/* hidden_step's [start, end) in the unstripped twin of the library. */
static void hidden_range(const char *path, uint64_t *start, uint64_t *end)
{
	static const char *const pat[] = { "hidden_step" };
	struct obs_elfsym *es;
	uint64_t r[2] = { 0, 0 };

	ASSERT_EQ(obs_elfsym_open(path, &es), 0);
	ASSERT_EQ(obs_elfsym_find(es, pat, 1, range_cb, r), 1);
	obs_elfsym_close(es);
	*start = r[0];
	*end = r[1];
}

TEST(stripped_library)
{
	char *dir = scratch_dir(), path[PATH_MAX], twin[PATH_MAX];
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u;
	uint64_t lo, hi;
	const char *why;
	char want[PATH_MAX + 32];
	int n;

	if (!build_lib(dir, "libstripped.so", "-s") ||
	    !build_lib(dir, "libsyms.so", "")) {
		scratch_rm(dir);
		SKIP("cannot build a shared library with cc");
	}
	call_through(dir, "libstripped.so", path);
	u = obs_unwind_new();
	ASSERT_EQ(obs_unwind_note_process(u, getpid()), 0);
	n = unwind(u, fr, &why);
	ASSERT_STR_EQ(fr[0].sym, "lib_cb");
	/* hidden_step: no name, but its module and its offset in the file */
	ASSERT_STR_EQ(fr[1].module, path);
	ASSERT_NULL(fr[1].sym);
	snprintf(twin, sizeof(twin), "%s/libsyms.so", dir);
	hidden_range(twin, &lo, &hi);
	ASSERT(fr[1].offset - 1 >= lo && fr[1].offset - 1 < hi);
	ASSERT_STR_EQ(fr[2].sym, "lib_entry");
	ASSERT_STR_EQ(fr[3].sym, "lib_caller");
	ASSERT_GT(find_sym(fr, n, 4, "main"), 3);
	snprintf(want, sizeof(want), "stripped: no symbols in %s", path);
	ASSERT_STR_EQ(why, want);
	obs_unwind_free(u);
	scratch_rm(dir);
}

TEST(library_without_cfi)
{
	char *dir = scratch_dir(), path[PATH_MAX], want[PATH_MAX + 32];
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u;
	const char *why;

	if (!build_lib(dir, "libnocfi.so", "-fno-asynchronous-unwind-tables "
			"-fno-unwind-tables")) {
		scratch_rm(dir);
		SKIP("cannot build a shared library with cc");
	}
	call_through(dir, "libnocfi.so", path);
	/* no frame pointer for libdw's fallback to follow either */
	sample.regs[6] = 0;
	u = obs_unwind_new();
	ASSERT_EQ(obs_unwind_note_process(u, getpid()), 0);
	ASSERT_EQ(unwind(u, fr, &why), 2);
	ASSERT_STR_EQ(fr[0].sym, "lib_cb");
	ASSERT_STR_EQ(fr[1].module, path);
	ASSERT_STR_EQ(fr[1].sym, "hidden_step");
	snprintf(want, sizeof(want), "no CFI for %s", path);
	ASSERT_STR_EQ(why, want);
	obs_unwind_free(u);
	scratch_rm(dir);
}

TEST(library_loaded_later)
{
	/* past the time before a snapshot may be taken again */
	struct timespec nap = {
		.tv_sec = (OBS_UNWIND_RENOTE_MS + 100) / 1000,
		.tv_nsec = (OBS_UNWIND_RENOTE_MS + 100) % 1000 * 1000000L,
	};
	char *dir = scratch_dir(), path[PATH_MAX];
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u;
	const char *why;
	int n;

	if (!build_lib(dir, "liblater.so", "")) {
		scratch_rm(dir);
		SKIP("cannot build a shared library with cc");
	}
	u = obs_unwind_new();
	ASSERT_EQ(obs_unwind_note_process(u, getpid()), 0);
	call_through(dir, "liblater.so", path);
	unwind(u, fr, &why);
	ASSERT_STR_EQ(fr[0].sym, "lib_cb");
	ASSERT_NULL(fr[1].module);	/* too soon for another snapshot */
	ASSERT_NOT_NULL(why);
	nanosleep(&nap, NULL);
	n = unwind(u, fr, &why);
	ASSERT_STR_EQ(fr[1].module, path);
	ASSERT_STR_EQ(fr[1].sym, "hidden_step");
	ASSERT_STR_EQ(fr[2].sym, "lib_entry");
	ASSERT_STR_EQ(fr[3].sym, "lib_caller");
	ASSERT_GT(find_sym(fr, n, 4, "main"), 3);
	obs_unwind_free(u);
	scratch_rm(dir);
}

/* ---- a process gone before its samples are unwound -------------------------- */

struct shared_capture {
	uint64_t regs[OBS_UREGS];
	uint32_t tid;
	size_t len;
	uint8_t stack[COPY_BYTES];
};

TEST(exited_process)
{
	struct shared_capture *sh;
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u;
	int go[2], ready[2], st, n;
	const char *why;
	char c = 0;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(sh != MAP_FAILED);
	ASSERT_EQ(pipe(go), 0);
	ASSERT_EQ(pipe(ready), 0);
	stack_top = find_stack_top();
	outer(1);		/* line_* here, as in the child */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {		/* captures, waits to be noted, exits */
		outer(1);
		memcpy(sh->regs, sample.regs, sizeof(sh->regs));
		memcpy(sh->stack, stack_copy, sample.stack_len);
		sh->len = sample.stack_len;
		sh->tid = sample.tid;
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	u = obs_unwind_new();
	ASSERT_EQ(obs_unwind_note_process(u, pid), 0);
	ASSERT_EQ(write(go[1], &c, 1), 1);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT(kill(pid, 0) && errno == ESRCH);
	sample = (struct obs_ustack_sample){
		.tgid = (uint32_t)pid, .tid = sh->tid,
		.stack = sh->stack, .stack_len = sh->len,
	};
	memcpy(sample.regs, sh->regs, sizeof(sample.regs));
	n = unwind(u, fr, &why);
	check_own_chain(fr, n, why);
	obs_unwind_free(u);
	munmap(sh, sizeof(*sh));
}

/* ---- the vDSO --------------------------------------------------------------- */

/* This process's [vdso] mapping, from /proc/self/maps; false if none. */
static bool vdso_range(uint64_t *lo, uint64_t *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;
	char line[512];

	ASSERT_NOT_NULL(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " [vdso]\n") &&
			sscanf(line, "%" SCNx64 "-%" SCNx64, lo, hi) == 2;
	fclose(f);
	return found;
}

/* The address of name in the .dynsym of the vDSO e, loaded at bias. */
static bool dynsym_find(Elf *e, uint64_t bias, const char *name,
			uint64_t *addr)
{
	Elf_Scn *scn = NULL;
	const char *s;
	Elf_Data *d;
	GElf_Shdr sh;
	GElf_Sym sym;

	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			if (!gelf_getsym(d, (int)i, &sym) || !sym.st_value)
				continue;
			s = elf_strptr(e, sh.sh_link, sym.st_name);
			if (s && !strcmp(s, name)) {
				*addr = bias + sym.st_value;
				return true;
			}
		}
	}
	return false;
}

/*
 * The address of name in this process's vDSO (dlsym cannot see the vDSO:
 * its .dynsym, read from the image AT_SYSINFO_EHDR points at), and the
 * vDSO's load bias; false without a vDSO that exports it.
 */
static bool vdso_sym(const char *name, uint64_t *addr, uint64_t *bias)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR), lo, hi;
	bool found = false;
	GElf_Phdr ph;
	size_t nph;
	Elf *e;

	if (!base || !vdso_range(&lo, &hi) || lo != base)
		return false;
	ASSERT(elf_version(EV_CURRENT) != EV_NONE);
	e = elf_memory((char *)(uintptr_t)base, hi - lo);
	ASSERT_NOT_NULL(e);
	ASSERT_EQ(elf_getphdrnum(e, &nph), 0);
	for (size_t i = 0; i < nph && !found; i++)	/* the first PT_LOAD */
		found = gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD;
	if (found) {
		*bias = base - (ph.p_vaddr - ph.p_offset);
		found = dynsym_find(e, *bias, name, addr);
	}
	elf_end(e);
	return found;
}

__attribute__((noipa)) static int vdso_caller(int x)
{
	line_vdso = __LINE__; CAPTURE(sample.regs);
	copy_stack(sample.regs[OBS_UREG_SP]);
	return x + 1;
}

/*
 * Makes the capture in vdso_caller a call to fn, caught on fn's first
 * instruction: the return address (the captured pc) pushed, sp 8 lower,
 * pc = fn.  At a function's entry the CFA is sp + 8 and the return address
 * is at [sp], so the vDSO's CFI leads back into vdso_caller, whose
 * registers are those captured.
 */
static void call_into(uint64_t fn)
{
	static uint8_t copy[8 + COPY_BYTES];
	uint64_t ret = sample.regs[OBS_UREG_PC];

	memcpy(copy, &ret, sizeof(ret));
	memcpy(copy + 8, sample.stack, sample.stack_len);
	sample.stack = copy;
	sample.stack_len += 8;
	sample.regs[OBS_UREG_SP] -= 8;
	sample.regs[OBS_UREG_PC] = fn;
}

/* fn in the vDSO (loaded at bias), then vdso_caller, and on down to main. */
static void check_vdso_chain(const struct obs_frame *fr, int n,
			     const char *why, uint64_t fn, uint64_t bias)
{
	char exe[PATH_MAX];

	ASSERT_GE(n, 3);
	ASSERT_UEQ(fr[0].pc, fn);
	ASSERT(!fr[0].caller);
	ASSERT_STR_EQ(fr[0].module, "[vdso]");
	ASSERT_NOT_NULL(fr[0].build_id);
	ASSERT_UEQ(fr[0].offset, fn - bias);
	/* an alias of the same address: either name is right */
	ASSERT_NOT_NULL(fr[0].sym);
	ASSERT(!strcmp(fr[0].sym, "__vdso_clock_gettime") ||
	       !strcmp(fr[0].sym, "clock_gettime"));
	ASSERT_UEQ(fr[0].sym_off, 0);
	ASSERT_STR_EQ(fr[1].sym, "vdso_caller");
	ASSERT(fr[1].caller);
	ASSERT_NOT_NULL(realpath("/proc/self/exe", exe));
	ASSERT_STR_EQ(fr[1].module, exe);
	ASSERT_EQ(fr[1].line, line_vdso);
	ASSERT_GT(find_sym(fr, n, 2, "main"), 1);
	if (reached_top)
		ASSERT(!why || (!strncmp(why, "stripped: ", 10) &&
				strstr(why, "libc")));
}

/*
 * A pc in the vDSO names its function and unwinds through the vDSO's CFI
 * into the caller: in this process, in a second one (its own Elf over the
 * same image, the names from the cache), and after a new snapshot.
 */
TEST(vdso_frame)
{
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u;
	uint64_t fn, bias;
	const char *why;
	pid_t kid;
	int n, st;

	if (!vdso_sym("__vdso_clock_gettime", &fn, &bias))
		SKIP("no vDSO exporting __vdso_clock_gettime");
	stack_top = find_stack_top();
	ASSERT_EQ(vdso_caller(1), 2);
	call_into(fn);
	u = obs_unwind_new();
	ASSERT_NOT_NULL(u);
	ASSERT_EQ(obs_unwind_note_process(u, getpid()), 0);
	n = unwind(u, fr, &why);
	check_vdso_chain(fr, n, why, fn, bias);
	ASSERT_EQ(obs_unwind_note_process(u, getpid()), 0);
	n = obs_unwind_sample(u, &sample, fr, FRAMES, &why);
	check_vdso_chain(fr, n, why, fn, bias);
	kid = fork();		/* its vDSO where this one's is */
	ASSERT_GE(kid, 0);
	if (!kid) {
		pause();
		_exit(0);
	}
	ASSERT_EQ(obs_unwind_note_process(u, kid), 0);
	sample.tgid = sample.tid = (uint32_t)kid;
	n = obs_unwind_sample(u, &sample, fr, FRAMES, &why);
	check_vdso_chain(fr, n, why, fn, bias);
	kill(kid, SIGKILL);
	ASSERT_EQ(waitpid(kid, &st, 0), kid);
	obs_unwind_free(u);
}

/* ---- cost ------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int env_int(const char *name, int dflt)
{
	const char *v = getenv(name);

	return v && atoi(v) > 0 ? atoi(v) : dflt;
}

/* Sorts t[0..n) and prints its min and median in us; returns the median. */
static uint64_t report(const char *what, uint64_t *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	NOTE("%s: %d samples, min %.1f us, median %.1f us, max %.1f us", what,
	     n, t[0] / 1e3, t[n / 2] / 1e3, t[n - 1] / 1e3);
	return t[n / 2];
}

/*
 * n cold unwinds of at most max frames: a new unwinder, the snapshot
 * (into tnote) and the first sample (into tfirst).
 */
static void time_cold(int max, int n, uint64_t *tnote, uint64_t *tfirst)
{
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u;
	const char *why;
	uint64_t t0, t1;

	for (int i = 0; i < n; i++) {
		t0 = now_ns();
		u = obs_unwind_new();
		ASSERT_EQ(obs_unwind_note_process(u, getpid()), 0);
		t1 = now_ns();
		ASSERT_GE(obs_unwind_sample(u, &sample, fr, max, &why), 1);
		tfirst[i] = now_ns() - t1;
		tnote[i] = t1 - t0;
		obs_unwind_free(u);
	}
}

/*
 * Warm: the same sample again (the process's session, CFI and symbols
 * loaded, every pc cached).  Cold: a new unwinder, the snapshot, and the
 * first sample (ELF, CFI, symbols and DWARF lines loaded); and the same
 * with 3 frames, all in this binary, which leaves libc's debug file out.
 */
TEST(cost)
{
	int nwarm = env_int("UNWIND_WARM", 1000);
	int ncold = env_int("UNWIND_COLD", 30);
	uint64_t *warm = calloc((size_t)nwarm, 8);
	uint64_t *cold = calloc((size_t)ncold, 8);
	uint64_t *tnote = calloc((size_t)ncold, 8);
	uint64_t *tfirst = calloc((size_t)ncold, 8);
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u = capture_own();
	uint64_t t0, mw, mc;
	const char *why;
	int n = obs_unwind_sample(u, &sample, fr, FRAMES, &why);

	NOTE("%d frames a sample", n);
	for (int i = 0; i < nwarm; i++) {
		t0 = now_ns();
		ASSERT_EQ(obs_unwind_sample(u, &sample, fr, FRAMES, &why), n);
		warm[i] = now_ns() - t0;
	}
	obs_unwind_free(u);
	time_cold(FRAMES, ncold, tnote, tfirst);
	for (int i = 0; i < ncold; i++)
		cold[i] = tnote[i] + tfirst[i];
	mw = report("warm sample", warm, nwarm);
	mc = report("cold: new + note_process + first sample", cold, ncold);
	report("  of which new + note_process", tnote, ncold);
	report("  of which the first sample", tfirst, ncold);
	time_cold(3, ncold, tnote, tfirst);
	report("cold first sample of 3 frames (this binary only)", tfirst,
	       ncold);
	/* A tolerance that holds on a loaded box: medians, and a factor of 2
	 * where the caches make the difference one of orders of magnitude. */
	ASSERT_ULE(2 * mw, mc);
	free(warm);
	free(cold);
	free(tnote);
	free(tfirst);
}

static long anon_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;

	ASSERT_NOT_NULL(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "RssAnon:", 8))
			kb = atol(line + 8);
	fclose(f);
	return kb;
}

/*
 * A new process whose modules are known (forks of this one, whose stack
 * copy is theirs too): its snapshot, its session and its ELF files are
 * new, the names of its pcs already cached.
 */
TEST(cost_new_process)
{
	enum { NKIDS = 16 };
	struct obs_frame fr[FRAMES];
	struct obs_unwind *u = capture_own();
	uint64_t t[NKIDS], t0;
	pid_t kids[NKIDS];
	const char *why;
	int n = obs_unwind_sample(u, &sample, fr, FRAMES, &why), st;
	long anon = anon_kb();

	for (int i = 0; i < NKIDS; i++) {
		kids[i] = fork();
		ASSERT_GE(kids[i], 0);
		if (!kids[i]) {
			pause();
			_exit(0);
		}
	}
	for (int i = 0; i < NKIDS; i++) {
		sample.tgid = (uint32_t)kids[i];
		sample.tid = (uint32_t)kids[i];
		t0 = now_ns();
		ASSERT_EQ(obs_unwind_note_process(u, kids[i]), 0);
		ASSERT_EQ(obs_unwind_sample(u, &sample, fr, FRAMES, &why), n);
		t[i] = now_ns() - t0;
		ASSERT_STR_EQ(fr[0].sym, "inner");
	}
	for (int i = 0; i < NKIDS; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], &st, 0);
	}
	report("new process, modules known: note_process + first sample", t,
	       NKIDS);
	NOTE("memory (RssAnon): %ld kB more for %d processes",
	     anon_kb() - anon, NKIDS);
	obs_unwind_free(u);
}

int main(void)
{
	return tap_run();
}
