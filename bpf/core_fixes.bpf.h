/* SPDX-License-Identifier: MIT */
/*
 * core_fixes.bpf.h - CO-RE shims for kernel fields that were renamed, so that
 * one object loads on every BTF kernel >= 5.8 (the same trick libbpf-tools'
 * core_fixes.bpf.h uses).
 */
#ifndef OBS_CORE_FIXES_BPF_H
#define OBS_CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/*
 * task_struct::state became __state in 5.14 (commit 2f064a59a11f, "sched:
 * Change task_struct::state").  The ___x flavour lets the relocation match
 * older kernels; the verifier drops the dead branch at load.
 */
struct task_struct___o {
	volatile long int state;
} __attribute__((preserve_access_index));

struct task_struct___x {
	unsigned int __state;
} __attribute__((preserve_access_index));

/*
 * task must be a BTF pointer (a tp_btf argument): the field is then a plain
 * load at its relocated offset, no bpf_probe_read_kernel call on the switch
 * path.
 */
static __always_inline __s64 obs_task_state(void *task)
{
	struct task_struct___x *t = task;

	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return ((struct task_struct___o *)task)->state;
}

#endif /* OBS_CORE_FIXES_BPF_H */
