// SPDX-License-Identifier: MIT
/*
 * syscalls.c - the syscalls off-CPU time is split by.  Numbers come from this
 * build's <sys/syscall.h>, so the table is right for the architecture the
 * loader runs on; the BPF object itself carries no syscall numbers.
 */
#include <sys/syscall.h>
#include <string.h>
#include "observe.h"
#include "common/syscalls.h"

/* Some headers lack the newest syscalls: numbers from the kernel's tables. */
#if defined(__x86_64__) || defined(__aarch64__)
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef SYS_futex_wake
#define SYS_futex_wake 454
#endif
#ifndef SYS_futex_wait
#define SYS_futex_wait 455
#endif
#endif

static const char *const class_names[OBS_SYS__COUNT] = {
	[OBS_SYS_NONE] = "none",
	[OBS_SYS_OTHER] = "other",
	[OBS_SYS_FUTEX] = "futex",
	[OBS_SYS_FUTEX_WAITV] = "futex_waitv",
	[OBS_SYS_EPOLL_WAIT] = "epoll_wait",
	[OBS_SYS_EPOLL_PWAIT] = "epoll_pwait",
	[OBS_SYS_EPOLL_PWAIT2] = "epoll_pwait2",
	[OBS_SYS_POLL] = "poll",
	[OBS_SYS_PPOLL] = "ppoll",
	[OBS_SYS_SELECT] = "select",
	[OBS_SYS_PSELECT6] = "pselect6",
	[OBS_SYS_NANOSLEEP] = "nanosleep",
	[OBS_SYS_CLOCK_NANOSLEEP] = "clock_nanosleep",
	[OBS_SYS_READ] = "read",
	[OBS_SYS_PREAD64] = "pread64",
	[OBS_SYS_READV] = "readv",
	[OBS_SYS_WRITE] = "write",
	[OBS_SYS_PWRITE64] = "pwrite64",
	[OBS_SYS_WRITEV] = "writev",
	[OBS_SYS_FSYNC] = "fsync",
	[OBS_SYS_FDATASYNC] = "fdatasync",
	[OBS_SYS_ACCEPT] = "accept",
	[OBS_SYS_ACCEPT4] = "accept4",
	[OBS_SYS_CONNECT] = "connect",
	[OBS_SYS_RECVFROM] = "recvfrom",
	[OBS_SYS_RECVMSG] = "recvmsg",
	[OBS_SYS_SENDTO] = "sendto",
	[OBS_SYS_SENDMSG] = "sendmsg",
};

const char *obs_sys_class_name(unsigned int cls)
{
	if (cls >= OBS_SYS__COUNT || !class_names[cls])
		return "other";
	return class_names[cls];
}

struct nr_class {
	int nr;
	uint8_t cls;
};

/* Syscalls absent on an architecture (arm64 has no poll/select) are skipped. */
static const struct nr_class nr_classes[] = {
	{ SYS_futex, OBS_SYS_FUTEX },
#ifdef SYS_futex_waitv
	{ SYS_futex_waitv, OBS_SYS_FUTEX_WAITV },
#endif
#ifdef SYS_epoll_wait
	{ SYS_epoll_wait, OBS_SYS_EPOLL_WAIT },
#endif
	{ SYS_epoll_pwait, OBS_SYS_EPOLL_PWAIT },
#ifdef SYS_epoll_pwait2
	{ SYS_epoll_pwait2, OBS_SYS_EPOLL_PWAIT2 },
#endif
#ifdef SYS_poll
	{ SYS_poll, OBS_SYS_POLL },
#endif
	{ SYS_ppoll, OBS_SYS_PPOLL },
#ifdef SYS_select
	{ SYS_select, OBS_SYS_SELECT },
#endif
	{ SYS_pselect6, OBS_SYS_PSELECT6 },
	{ SYS_nanosleep, OBS_SYS_NANOSLEEP },
	{ SYS_clock_nanosleep, OBS_SYS_CLOCK_NANOSLEEP },
	{ SYS_read, OBS_SYS_READ },
	{ SYS_pread64, OBS_SYS_PREAD64 },
	{ SYS_readv, OBS_SYS_READV },
	{ SYS_write, OBS_SYS_WRITE },
	{ SYS_pwrite64, OBS_SYS_PWRITE64 },
	{ SYS_writev, OBS_SYS_WRITEV },
	{ SYS_fsync, OBS_SYS_FSYNC },
	{ SYS_fdatasync, OBS_SYS_FDATASYNC },
#ifdef SYS_accept
	{ SYS_accept, OBS_SYS_ACCEPT },
#endif
	{ SYS_accept4, OBS_SYS_ACCEPT4 },
	{ SYS_connect, OBS_SYS_CONNECT },
	{ SYS_recvfrom, OBS_SYS_RECVFROM },
	{ SYS_recvmsg, OBS_SYS_RECVMSG },
	{ SYS_sendto, OBS_SYS_SENDTO },
	{ SYS_sendmsg, OBS_SYS_SENDMSG },
};

void obs_sys_class_table(uint8_t *table, size_t n)
{
	size_t i;

	memset(table, OBS_SYS_OTHER, n);
	for (i = 0; i < sizeof(nr_classes) / sizeof(nr_classes[0]); i++) {
		if (nr_classes[i].nr >= 0 && (size_t)nr_classes[i].nr < n)
			table[nr_classes[i].nr] = nr_classes[i].cls;
	}
}

void obs_futex_nrs(struct obs_futex_nrs *nrs)
{
	nrs->futex = SYS_futex;
#ifdef SYS_futex_waitv
	nrs->futex_waitv = SYS_futex_waitv;
#else
	nrs->futex_waitv = -1;
#endif
#ifdef SYS_futex_wait
	nrs->futex_wait = SYS_futex_wait;
	nrs->futex_wake = SYS_futex_wake;
#else
	nrs->futex_wait = -1;
	nrs->futex_wake = -1;
#endif
}
