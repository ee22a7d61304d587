/* SPDX-License-Identifier: MIT */
/*
 * ustack.bpf.h - copies of a thread's user registers and user stack, for
 * the DWARF CFI unwinding that user space does (user/stacks/unwind.h):
 * Rust release builds and Debian's glibc have no frame pointers, so a BPF
 * frame-pointer walk stops after one frame.
 *
 * Invariants:
 *  1. Only for spans already known to be notable, in the thread's own
 *     context (its syscall return, or a CPU-clock sample while it runs),
 *     from the registers its kernel entry saved: the switch path never
 *     copies.
 *  2. The copy goes from rsp up, page by page, and stops at the first page
 *     it cannot read (the top of the stack, or a page not present): len
 *     says how much is valid.  No copy is bigger than OBS_USTACK_BYTES.
 *  3. A full ring buffer loses the copy, counted (OBS_DIAG_USTACK_LOST);
 *     the span itself is kept.
 */
#ifndef OBS_USTACK_BPF_H
#define OBS_USTACK_BPF_H

#include "base.bpf.h"

#define OBS_PAGE_SIZE	4096

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, OBS_USTACK_RING_BYTES);
} ustacks SEC(".maps");

/* Ids of the copies; 0 is "none" in obs_event.ustack_copy. */
__u64 ustack_seq = 0;

/* Settings: copy stacks at all (a --threshold-ms and DWARF stacks on). */
const volatile bool ustack_on = false;

#if defined(__TARGET_ARCH_x86)
static __always_inline void ustack_regs(struct obs_ustack *u,
					struct pt_regs *r)
{
	u->regs[0] = r->ax;
	u->regs[1] = r->dx;
	u->regs[2] = r->cx;
	u->regs[3] = r->bx;
	u->regs[4] = r->si;
	u->regs[5] = r->di;
	u->regs[6] = r->bp;
	u->regs[7] = r->sp;
	u->regs[8] = r->r8;
	u->regs[9] = r->r9;
	u->regs[10] = r->r10;
	u->regs[11] = r->r11;
	u->regs[12] = r->r12;
	u->regs[13] = r->r13;
	u->regs[14] = r->r14;
	u->regs[15] = r->r15;
	u->regs[16] = r->ip;
}

/* Up to OBS_USTACK_BYTES from sp: the rest of sp's page, then whole pages. */
static __always_inline __u32 ustack_copy_bytes(struct obs_ustack *u, __u64 sp)
{
	__u32 len = OBS_PAGE_SIZE - (sp & (OBS_PAGE_SIZE - 1)), off;

	if (bpf_probe_read_user(u->stack, len, (void *)sp))
		return 0;
	for (int i = 0; i < OBS_USTACK_BYTES / OBS_PAGE_SIZE; i++) {
		off = len;
		if (off > OBS_USTACK_BYTES - OBS_PAGE_SIZE)
			break;
		if (bpf_probe_read_user(u->stack + off, OBS_PAGE_SIZE,
					(void *)(sp + off)))
			break;
		len += OBS_PAGE_SIZE;
	}
	return len;
}

/*
 * Copies the current thread's user state (its saved user registers, and
 * its stack) into the ustacks ring buffer; returns the copy's id, 0 if
 * none.  bpf_task_pt_regs (5.15+) is called only once ustack_on is known
 * true: the loader sets it where the helper exists, and the verifier
 * drops the call elsewhere.
 */
static __always_inline __u64 ustack_copy(__u32 tid, __u32 tgid, __u32 kind)
{
	struct pt_regs *regs;
	struct obs_ustack *u;
	__u64 id;

	if (!ustack_on)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs)
		return 0;
	u = bpf_ringbuf_reserve(&ustacks, sizeof(*u), 0);
	if (!u) {
		drop(OBS_DIAG_USTACK_LOST);
		return 0;
	}
	id = __sync_fetch_and_add(&ustack_seq, 1) + 1;
	u->id = id;
	u->tid = tid;
	u->tgid = tgid;
	u->kind = kind;
	ustack_regs(u, regs);
	u->len = ustack_copy_bytes(u, u->regs[7]);
	bpf_ringbuf_submit(u, 0);
	return id;
}
#else
static __always_inline __u64 ustack_copy(__u32 tid, __u32 tgid, __u32 kind)
{
	return 0;	/* the unwinder knows x86_64's registers only */
}
#endif

#endif /* OBS_USTACK_BPF_H */
