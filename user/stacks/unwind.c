// SPDX-License-Identifier: MIT
/*
 * unwind.c - user stacks from BPF's copies, unwound with libdw's DWARF CFI
 * (unwind.h); snapshot.c reads the processes, symcache.c names the frames.
 *
 * One libdwfl session (a Dwfl) per process, kept across its samples: the
 * modules of its maps snapshot, each loading its ELF and CFI on first use
 * (names come from symcache.c's session of the module, over the same ELF
 * image).  libdw lets a Dwfl be attached once, so the session is attached
 * when it is made, with callbacks that serve whichever sample the process
 * record points at for the length of one unwind.
 *
 * Invariants:
 *  1. libdw reads only the sample: its registers, and its stack copy for
 *     memory, [sp, sp + stack_len); any other address is unreadable, and
 *     the live process is never read;
 *  2. proc->cur is set only inside uw_walk: the callbacks see no other;
 *  3. every Dwfl_Module's userdata is a struct uw_mod of its process, or
 *     NULL without memory; it is freed when libdwfl drops the module (a
 *     snapshot without it) or with the process;
 *  4. a file descriptor opened for a snapshot is closed before the
 *     snapshot returns: a uw_mod holds the file as a mapped Elf, until
 *     find_elf hands that to libdw, which ends it (a debug file libdw
 *     finds is the only descriptor kept, one per module);
 *  5. every string in an obs_frame and every *why is static or interned in
 *     u->sc, so dropping a process never invalidates what was handed out;
 *  6. a process's "[vdso]" module is observe's own vDSO image, reported
 *     only when it is the one the process maps (see "The vDSO" below):
 *     else its pcs stay in no module, as if it were JIT code.
 *
 * The vDSO.  The kernel maps into every process a small shared library,
 * [vdso], whose functions (clock_gettime, gettimeofday, time, getcpu) libc
 * calls instead of making the system call; a program that spins reading
 * the clock (Rust's Instant::now in a busy loop) is sampled there more
 * often than anywhere.  It is no file, so dwfl_linux_proc_maps_report,
 * which reports only lines with a path, leaves it out
 * (dwfl_linux_proc_report would read it from /proc/PID/mem, which breaks
 * invariant 1 and fails once the process is gone).  Without a module its
 * pc is "in no module", and without the vDSO's CFI libdw cannot find the
 * return address: the unwind ended there, and every frame of the program
 * below it was lost.  But the image is the same in every process of one
 * ABI on one kernel, only mapped elsewhere: observe reads its own (found by
 * AT_SYSINFO_EHDR, snapshot.c), and reports it as a module at each
 * process's [vdso] when the process has observe's ABI (its executable's
 * class and machine are those of observe's vDSO: an i386 or x32 process
 * maps another image) and a [vdso] as long as observe's.  libdw ends the
 * Elf that find_elf hands it, with the module, so each process's module
 * gets an Elf of its own (elf_memory), over the same bytes, which stay
 * mapped, read-only, for observe's lifetime; symcache.c knows the module
 * by its build id, so its names are looked up once for all processes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include "stacks/snapshot.h"
#include "stacks/symcache.h"
#include "stacks/unwind.h"

_Static_assert(sizeof(Dwarf_Word) == sizeof(uint64_t),
	       "sample registers are handed to libdw as they are");

#define NSEC_PER_MSEC	1000000ULL
/* x86_64 user space ends below 2^47, or 2^56 with 5-level paging: a pc
 * above is a frame-pointer guess gone wrong */
#define USER_END	(1ULL << 56)
#define PAGE_MIN	4096
#define UW_VDSO		"[vdso]"	/* its module's name, as in maps */

/* A Dwfl_Module's userdata (invariant 3). */
struct uw_mod {
	const char *path;	/* interned; as in maps, " (deleted)" kept */
	Elf *elf;		/* the file, mapped, until find_elf hands it
				 * to libdw; NULL if not code or unreadable */
	struct obs_symmod *sm;	/* NULL until resolved, or without ELF */
	GElf_Addr bias;
	bool resolved, has_elf;
};

struct uw_proc {
	pid_t tgid;
	Dwfl *dwfl;
	const struct obs_ustack_sample *cur;	/* invariant 2 */
	bool read_past_end;	/* the unwind wanted bytes above the copy */
	uint64_t noted_ns;	/* the last snapshot */
	uint64_t used;		/* u->clock at its last use: eviction */
};

struct obs_unwind {
	struct uw_proc *procs[OBS_UNWIND_PROCS];
	unsigned int nprocs;
	uint64_t clock;
	struct obs_symcache *sc;
	/*
	 * The architecture of every session: an x86_64 ELF header and
	 * nothing else.  Given to dwfl_attach_state so that attaching needs
	 * no module of the process to be readable; libdw keeps using it.
	 */
	Elf64_Ehdr ehdr;
	Elf *arch;
	/*
	 * observe's own vDSO ("The vDSO" above, invariant 6): its image,
	 * mapped read-only for observe's lifetime, NULL if it has none or
	 * libelf cannot read it; and the ELF class and machine of the
	 * processes that map the same image.
	 */
	const void *vdso;
	size_t vdso_len;
	unsigned char vdso_class;
	uint16_t vdso_machine;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- libdw's callbacks ------------------------------------------------------ */

/* Hands libdw the ELF mapped at the snapshot (invariant 4); no fd. */
static int uw_find_elf(Dwfl_Module *dm, void **userdata, const char *name,
		       Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct uw_mod *um = *userdata;

	(void)dm, (void)name, (void)base;
	if (!um || !um->elf)
		return -1;	/* not mapped at the snapshot: not code */
	/* the name finds a debug file by .gnu_debuglink; the vDSO has no
	 * file (its debug file, if any, is found by build id) */
	if (um->path[0] == '/') {
		*file_name = strdup(um->path);
		if (!*file_name)
			return -1;
	}
	*elfp = um->elf;
	um->elf = NULL;
	return -1;
}

/*
 * dwfl_standard_find_debuginfo: the module's own DWARF, else a debug file
 * by build id or .gnu_debuglink under /usr/lib/debug.  (With
 * DEBUGINFOD_URLS set, libdw 0.188 also asks a debuginfod server, on the
 * first use of each module without one, blocking.)
 */
static const Dwfl_Callbacks uw_dwfl_callbacks = {
	.find_elf = uw_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static bool uw_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct uw_proc *p = arg;

	(void)dwfl, (void)tid;	/* one thread: the sample's */
	if (!p->cur)
		return false;
	*thread_argp = p;
	return true;
}

/* Only reached without get_thread; there for libdw's contract. */
static pid_t uw_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct uw_proc *p = arg;

	(void)dwfl;
	if (*thread_argp || !p->cur)
		return 0;
	*thread_argp = p;
	return p->cur->tid ? (pid_t)p->cur->tid : (pid_t)p->cur->tgid;
}

/* Invariant 1: 8-byte words of the copy, nothing else. */
static bool uw_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			   void *arg)
{
	struct uw_proc *p = arg;
	const struct obs_ustack_sample *s = p->cur;
	uint64_t sp = s->regs[OBS_UREG_SP];

	(void)dwfl;
	if (addr < sp)
		return false;
	if (!s->stack || s->stack_len < sizeof(*result) ||
	    addr - sp > s->stack_len - sizeof(*result)) {
		p->read_past_end = true;
		return false;
	}
	memcpy(result, s->stack + (addr - sp), sizeof(*result));
	return true;
}

static bool uw_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct uw_proc *p = thread_arg;

	/*
	 * Registers 0..16 in DWARF order.  rip is column 16, x86_64's
	 * return-address column, which libdw takes the first pc from; set
	 * as the pc too, so that this does not hang on that detail.
	 */
	if (!dwfl_thread_state_registers(thread, 0, OBS_UREGS, p->cur->regs))
		return false;
	dwfl_thread_state_register_pc(thread, p->cur->regs[OBS_UREG_PC]);
	return true;
}

static const Dwfl_Thread_Callbacks uw_thread_callbacks = {
	.next_thread = uw_next_thread,
	.get_thread = uw_get_thread,
	.memory_read = uw_memory_read,
	.set_initial_registers = uw_set_initial_registers,
};

/* ---- modules ---------------------------------------------------------------- */

static void uw_mod_free(struct uw_mod *um)
{
	if (!um)
		return;
	if (um->elf)
		elf_end(um->elf);
	free(um);
}

/*
 * dwfl_report_end: a module the new snapshot does not have.  The second
 * argument, declared void *, is the userdata's address as in
 * dwfl_getmodules (libdwfl passes MODCB_ARGS to both).
 */
static int uw_removed_cb(Dwfl_Module *dm, void *userdatap, const char *name,
			 Dwarf_Addr start, void *arg)
{
	void **ud = userdatap;

	(void)dm, (void)name, (void)start, (void)arg;
	uw_mod_free(*ud);
	*ud = NULL;
	return DWARF_CB_OK;
}

static int uw_release_cb(Dwfl_Module *dm, void **userdata, const char *name,
			 Dwarf_Addr start, void *arg)
{
	(void)dm, (void)name, (void)start, (void)arg;
	uw_mod_free(*userdata);
	*userdata = NULL;
	return DWARF_CB_OK;
}

/*
 * The ELF file open at fd, mapped (copy on write, as libdw maps its
 * files): libelf needs no descriptor after this, so a snapshot holds
 * mappings, not descriptors that would count against observe's limit.
 */
static Elf *elf_mapped(int fd)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);

	if (e && (elf_kind(e) != ELF_K_ELF || elf_cntl(e, ELF_C_FDDONE))) {
		elf_end(e);
		e = NULL;
	}
	return e;
}

struct uw_adopt {
	struct obs_unwind *u;
	const struct obs_snapshot *snap;
	int err;
};

/* Gives a module new in this snapshot its uw_mod (invariants 3, 4). */
static int uw_adopt_cb(Dwfl_Module *dm, void **userdata, const char *name,
		       Dwarf_Addr start, void *arg)
{
	struct uw_adopt *a = arg;
	struct uw_mod *um;
	int fd;

	(void)dm, (void)start;
	if (*userdata)
		return DWARF_CB_OK;	/* kept from an earlier snapshot */
	um = calloc(1, sizeof(*um));
	if (um)
		um->path = obs_symcache_intern(a->u->sc, name);
	if (!um || !um->path) {
		free(um);
		a->err = -ENOMEM;
		return DWARF_CB_OK;
	}
	if (!strcmp(name, UW_VDSO)) {
		/* an Elf of the process's own, over the shared bytes: libdw
		 * ends it with the module (see "The vDSO") */
		um->elf = elf_memory((char *)a->u->vdso, a->u->vdso_len);
	} else {
		fd = obs_snapshot_fd(a->snap, name);
		if (fd >= 0)
			um->elf = elf_mapped(fd);
	}
	*userdata = um;
	return DWARF_CB_OK;
}

/*
 * The uw_mod of the module holding the code of frame f, and the module.
 * The range is checked again: libdwfl 0.188's dwfl_addrmodule gives a
 * module that starts where another ends for any address up to the next
 * module (reify_segments inserts no end boundary for it), and a library
 * loaded since the snapshot is often there.
 */
static struct uw_mod *uw_frame_mod(const struct uw_proc *p,
				   const struct obs_frame *f,
				   Dwfl_Module **dmp)
{
	uint64_t addr = f->caller ? f->pc - 1 : f->pc;
	Dwarf_Addr lo, hi;
	void **ud;

	*dmp = p ? dwfl_addrmodule(p->dwfl, addr) : NULL;
	if (!*dmp || !dwfl_module_info(*dmp, &ud, &lo, &hi, NULL, NULL, NULL,
				       NULL) || addr < lo || addr >= hi) {
		*dmp = NULL;
		return NULL;
	}
	return *ud;
}

/* Loads um's ELF once: its bias, and its symcache entry. */
static void uw_mod_resolve(struct obs_unwind *u, struct uw_mod *um,
			   Dwfl_Module *dm)
{
	if (um->resolved)
		return;
	um->resolved = true;
	um->has_elf = dwfl_module_getelf(dm, &um->bias) != NULL;
	if (um->has_elf)
		um->sm = obs_symcache_module(u->sc, dm, um->path);
}

/* ---- processes -------------------------------------------------------------- */

/*
 * Reports p's vDSO when it maps observe's own image (invariant 6).  One
 * reported again at the same place keeps its module, and its uw_mod.
 */
static void uw_report_vdso(const struct obs_unwind *u, struct uw_proc *p,
			   const struct obs_snapshot *snap)
{
	if (!u->vdso || snap->vdso_end - snap->vdso_start != u->vdso_len ||
	    snap->exe_class != u->vdso_class ||
	    snap->exe_machine != u->vdso_machine)
		return;		/* none, or another image: skipped */
	/* NULL only without memory: skipped too */
	dwfl_report_module(p->dwfl, UW_VDSO, snap->vdso_start,
			   snap->vdso_end);
}

/* Makes p's modules those of the snapshot (invariant 3). */
static int uw_report(struct obs_unwind *u, struct uw_proc *p,
		     const struct obs_snapshot *snap)
{
	struct uw_adopt a = { .u = u, .snap = snap };
	FILE *f;
	int err;

	f = fmemopen(snap->maps, snap->len, "r");
	if (!f)
		return -errno;
	dwfl_report_begin(p->dwfl);
	/* 0, an errno, or -1 for libdwfl's own error (only ENOMEM) */
	err = dwfl_linux_proc_maps_report(p->dwfl, f);
	fclose(f);
	uw_report_vdso(u, p, snap);
	/* ended even after an error: the Dwfl is unusable until then */
	dwfl_report_end(p->dwfl, uw_removed_cb, NULL);
	dwfl_getmodules(p->dwfl, uw_adopt_cb, &a, 0);
	p->noted_ns = now_ns();
	if (err)
		return err < 0 ? -ENOMEM : -err;
	return a.err;
}

static void uw_proc_free(struct uw_proc *p)
{
	if (!p)
		return;
	if (p->dwfl) {
		dwfl_getmodules(p->dwfl, uw_release_cb, NULL, 0);
		dwfl_end(p->dwfl);
	}
	free(p);
}

static struct uw_proc *uw_proc_find(struct obs_unwind *u, pid_t tgid)
{
	unsigned int i;

	for (i = 0; i < u->nprocs; i++)
		if (u->procs[i]->tgid == tgid)
			return u->procs[i];
	return NULL;
}

/* Drops the least recently used process. */
static void uw_proc_evict(struct obs_unwind *u)
{
	unsigned int i, lru = 0;

	for (i = 1; i < u->nprocs; i++)
		if (u->procs[i]->used < u->procs[lru]->used)
			lru = i;
	uw_proc_free(u->procs[lru]);
	u->procs[lru] = u->procs[--u->nprocs];
}

/* tgid's record, made (a session, attached) if it has none; NULL: ENOMEM. */
static struct uw_proc *uw_proc_get(struct obs_unwind *u, pid_t tgid)
{
	struct uw_proc *p = uw_proc_find(u, tgid);

	if (p)
		return p;
	if (u->nprocs == OBS_UNWIND_PROCS)
		uw_proc_evict(u);
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	p->dwfl = dwfl_begin(&uw_dwfl_callbacks);
	if (!p->dwfl || !dwfl_attach_state(p->dwfl, u->arch, tgid,
					   &uw_thread_callbacks, p)) {
		uw_proc_free(p);
		return NULL;
	}
	p->used = ++u->clock;
	u->procs[u->nprocs++] = p;
	return p;
}

int obs_unwind_note_process(struct obs_unwind *u, pid_t tgid)
{
	struct obs_snapshot snap;
	struct uw_proc *p;
	int err;

	if (!u || tgid <= 0)
		return -EINVAL;
	err = obs_snapshot_take(&snap, tgid);
	if (err)
		return err;
	p = uw_proc_get(u, tgid);
	err = p ? uw_report(u, p, &snap) : -ENOMEM;
	obs_snapshot_release(&snap);	/* invariant 4 */
	return err;
}

/* The record of s's process, noted on its first sample; NULL without maps. */
static struct uw_proc *uw_proc_for(struct obs_unwind *u,
				   const struct obs_ustack_sample *s)
{
	struct uw_proc *p = uw_proc_find(u, (pid_t)s->tgid);

	if (!p) {
		obs_unwind_note_process(u, (pid_t)s->tgid);
		p = uw_proc_find(u, (pid_t)s->tgid);
	}
	if (p)
		p->used = ++u->clock;
	return p;
}

/* May p be noted again?  Not more often than OBS_UNWIND_RENOTE_MS. */
static bool uw_proc_stale(const struct uw_proc *p)
{
	return now_ns() - p->noted_ns >= OBS_UNWIND_RENOTE_MS * NSEC_PER_MSEC;
}

/* ---- unwinding -------------------------------------------------------------- */

struct uw_walk {
	struct obs_frame *out;
	int n, max;
	bool more;		/* a frame past max */
	bool bad_pc;		/* a pc outside user space ended it */
	bool no_cfi;		/* cut after a frame without CFI */
	bool unknown;		/* a frame in no module */
	int ret;		/* dwfl_getthread_frames' */
	int err;		/* dwfl_errno() when ret < 0 */
};

static int uw_frame_cb(Dwfl_Frame *fr, void *arg)
{
	struct uw_walk *w = arg;
	Dwarf_Addr pc;
	bool act;

	if (w->n == w->max) {
		w->more = true;
		return DWARF_CB_ABORT;
	}
	/* an activation is the frame that runs (or a signal frame's): its
	 * pc is not a return address */
	if (!dwfl_frame_pc(fr, &pc, &act))
		return DWARF_CB_ABORT;
	/* the first pc is the sample's; a return address is in user space
	 * and past the first page */
	if (pc >= USER_END || (w->n && pc < PAGE_MIN)) {
		w->bad_pc = true;
		return DWARF_CB_ABORT;
	}
	w->out[w->n++] = (struct obs_frame){ .pc = pc, .caller = !act };
	return DWARF_CB_OK;
}

static void uw_walk(struct uw_proc *p, const struct obs_ustack_sample *s,
		    struct uw_walk *w)
{
	pid_t tid = s->tid ? (pid_t)s->tid : (pid_t)s->tgid;

	p->cur = s;
	p->read_past_end = false;
	w->ret = dwfl_getthread_frames(p->dwfl, tid, uw_frame_cb, w);
	w->err = w->ret < 0 ? dwfl_errno() : 0;
	p->cur = NULL;
}

/*
 * Names frame f: module, offset, build id, symbol, file:line.  True when
 * f is in a module without CFI for it (or whose file cannot be read).
 */
static bool uw_frame_fill(struct obs_unwind *u, const struct uw_proc *p,
			  struct obs_frame *f)
{
	uint64_t addr = f->caller ? f->pc - 1 : f->pc;
	struct obs_sym sym;
	struct uw_mod *um;
	Dwfl_Module *dm;
	Dwarf_Addr start;

	um = uw_frame_mod(p, f, &dm);
	if (!um)
		return false;	/* no module: JIT code, or a guess */
	f->module = um->path;
	uw_mod_resolve(u, um, dm);
	if (!um->has_elf) {
		dwfl_module_info(dm, NULL, &start, NULL, NULL, NULL, NULL,
				 NULL);
		f->offset = f->pc - start;
		return true;
	}
	f->offset = f->pc - um->bias;
	if (!um->sm)
		return false;	/* no memory: unnamed, not judged */
	f->build_id = obs_symmod_build_id(um->sm);
	obs_symmod_lookup(u->sc, um->sm, addr - um->bias, &sym);
	f->sym = sym.name;
	f->sym_off = sym.name ? f->offset - sym.start : 0;
	f->file = sym.file;
	f->line = sym.line;
	return !sym.cfi;
}

/* "PREFIX MODULE", interned (invariant 5); a static text without memory. */
static const char *uw_named(struct obs_unwind *u, const char *prefix,
			    const char *module)
{
	char buf[PATH_MAX + 64];
	const char *s;

	snprintf(buf, sizeof(buf), "%s%s", prefix, module);
	s = obs_symcache_intern(u->sc, buf);
	return s ? s : prefix;
}

/* A frame without a name in a module that has no symbol table. */
static const char *uw_why_stripped(struct obs_unwind *u,
				   const struct uw_proc *p,
				   const struct obs_frame *out, int n)
{
	struct uw_mod *um;
	Dwfl_Module *dm;
	int i;

	for (i = 0; i < n; i++) {
		if (out[i].sym || !out[i].module)
			continue;
		um = uw_frame_mod(p, &out[i], &dm);
		if (um && um->sm && obs_symmod_stripped(um->sm))
			return uw_named(u, "stripped: no symbols in ",
					um->path);
	}
	return NULL;
}

/* unwind.h's *why: why the walk stopped before the outermost frame. */
static const char *uw_why(struct obs_unwind *u, const struct uw_proc *p,
			  const struct uw_walk *w)
{
	const struct obs_frame *last = &w->out[w->n - 1];
	struct uw_mod *um;
	Dwfl_Module *dm;

	if (!p)
		return "no maps for the process";
	if (w->no_cfi) {
		um = uw_frame_mod(p, last, &dm);
		return uw_named(u, um && !um->has_elf ? "cannot read "
						      : "no CFI for ",
				last->module);
	}
	if (w->more)
		return "frame limit";
	if (w->ret || w->bad_pc || p->read_past_end) {
		if (!last->module)
			return "pc in no module";
		if (w->bad_pc)
			return "bad return address";
		if (p->read_past_end)
			return "stack copy ended";
		if (w->ret < 0)
			return obs_symcache_intern(u->sc, dwfl_errmsg(w->err));
	}
	/* complete, but through code in no module: frame-pointer guesses */
	if (w->unknown)
		return "pc in no module";
	return uw_why_stripped(u, p, w->out, w->n);
}

/*
 * Unwinds s into w->out and names the frames; true when a frame is in no
 * module of p's snapshot.
 */
static bool uw_unwind(struct obs_unwind *u, struct uw_proc *p,
		      const struct obs_ustack_sample *s, struct uw_walk *w)
{
	int i;

	*w = (struct uw_walk){ .out = w->out, .max = w->max, .ret = -1 };
	if (p)
		uw_walk(p, s, w);
	if (!w->n) {		/* nothing unwound: the pc alone */
		w->out[0] = (struct obs_frame){ .pc = s->regs[OBS_UREG_PC] };
		w->n = 1;
	}
	for (i = 0; i < w->n; i++) {
		if (uw_frame_fill(u, p, &w->out[i])) {
			/*
			 * Without CFI libdw went on by frame pointer, which
			 * code that has CFI elsewhere does not keep: what
			 * follows would be a guess.  (Code in no module, JIT,
			 * keeps its guesses: there is nothing better, and
			 * V8's code keeps frame pointers.)
			 */
			w->n = i + 1;
			w->no_cfi = true;
		}
		w->unknown |= !w->out[i].module;
	}
	return w->unknown;
}

int obs_unwind_sample(struct obs_unwind *u, const struct obs_ustack_sample *s,
		      struct obs_frame *out, int max, const char **why)
{
	struct uw_walk w = { .out = out };
	struct uw_proc *p;

	if (!u || !s || !out || !why)
		return -EINVAL;
	*why = NULL;
	if (max <= 0)
		return 0;
	w.max = max < OBS_UNWIND_FRAMES_MAX ? max : OBS_UNWIND_FRAMES_MAX;
	p = uw_proc_for(u, s);
	/* code in no module: a library loaded since the snapshot? */
	if (uw_unwind(u, p, s, &w) && p && uw_proc_stale(p)) {
		obs_unwind_note_process(u, (pid_t)s->tgid);
		p = uw_proc_find(u, (pid_t)s->tgid);
		uw_unwind(u, p, s, &w);
	}
	*why = uw_why(u, p, &w);
	return w.n;
}

/* ---- lifetime --------------------------------------------------------------- */

/* The header of an x86_64 ELF file: the samples' architecture. */
static void arch_ehdr(Elf64_Ehdr *eh)
{
	memset(eh, 0, sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
}

/*
 * Finds observe's own vDSO (u->vdso), or leaves it NULL: its frames are
 * then in no module, as they were before it was reported.
 */
static void uw_vdso_init(struct obs_unwind *u)
{
	const void *image;
	GElf_Ehdr eh;
	size_t len;
	Elf *e;

	if (obs_snapshot_own_vdso(&image, &len))
		return;
	/* libelf only reads an image it did not open (ELF_C_READ) */
	e = elf_memory((char *)image, len);
	if (e && elf_kind(e) == ELF_K_ELF && gelf_getehdr(e, &eh)) {
		u->vdso = image;
		u->vdso_len = len;
		u->vdso_class = eh.e_ident[EI_CLASS];
		u->vdso_machine = eh.e_machine;
	}
	if (e)
		elf_end(e);
}

struct obs_unwind *obs_unwind_new(void)
{
	struct obs_unwind *u;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->sc = obs_symcache_new();
	arch_ehdr(&u->ehdr);
	u->arch = elf_memory((char *)&u->ehdr, sizeof(u->ehdr));
	if (!u->sc || !u->arch) {
		obs_unwind_free(u);
		return NULL;
	}
	uw_vdso_init(u);
	return u;
}

void obs_unwind_free(struct obs_unwind *u)
{
	unsigned int i;

	if (!u)
		return;
	for (i = 0; i < u->nprocs; i++)
		uw_proc_free(u->procs[i]);
	/* after the sessions: each one's backend points at it */
	if (u->arch)
		elf_end(u->arch);
	obs_symcache_free(u->sc);
	free(u);
}
