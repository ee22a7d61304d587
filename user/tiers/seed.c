// SPDX-License-Identifier: MIT
/*
 * seed.c - threads present at attach.  Without this a thread that sleeps
 * through the whole window (a worker stuck in a blocking call, the main
 * thread in pthread_join) has no scheduler event and would be missing from
 * the report, though it is exactly what a user looks for.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "observe.h"
#include "tiers/seed.h"
#include "common/syscalls.h"
#include "target.h"

/* The state letter of /proc/PID/task/TID/stat (after the "(comm)"). */
static char task_state(pid_t tgid, pid_t tid)
{
	char path[96], buf[512], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", tgid, tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * /proc/PID/task/TID/syscall of a blocked task: "nr arg1 ... arg6 sp pc",
 * nr -1 when blocked outside a syscall.  Returns false if unreadable.
 */
static bool task_syscall(pid_t tgid, pid_t tid, long *nr, unsigned long *a1,
			 unsigned long *a2)
{
	unsigned long a[6], sp = 0, pc = 0;
	char path[96], buf[256];
	bool ok;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", tgid, tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!ok)
		return false;
	n = sscanf(buf, "%ld %lx %lx %lx %lx %lx %lx %lx %lx", nr, &a[0], &a[1],
		   &a[2], &a[3], &a[4], &a[5], &sp, &pc);
	if (n < 1)
		return false;
	/* a kernel thread shows "0 0x0 ... 0x0": no user syscall at all */
	if (n == 9 && !sp && !pc)
		*nr = -1;
	*a1 = a[0];
	*a2 = a[1];
	return true;
}

int obs_seed_threads(int threads_fd, pid_t tgid, uint64_t t0_ns)
{
	static uint8_t classes[OBS_SYSCALL_NRS];
	struct obs_futex_nrs nrs;
	struct obs_thread *t;
	struct dirent *de;
	unsigned long a1, a2;
	char path[64], st, leader[OBS_COMM_LEN];
	int n = 0, err = 0;
	long nr;
	DIR *d;
	__u32 tid;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	obs_sys_class_table(classes, sizeof(classes));
	obs_futex_nrs(&nrs);
	obs_proc_comm(tgid, leader, sizeof(leader));
	snprintf(path, sizeof(path), "/proc/%d/task", tgid);
	d = opendir(path);
	if (!d) {
		err = -errno;
		goto cleanup;
	}
	while ((de = readdir(d))) {
		tid = (__u32)strtoul(de->d_name, NULL, 10);
		if (!tid)
			continue;
		memset(t, 0, sizeof(*t));
		t->tid = tid;
		t->tgid = (__u32)tgid;
		obs_proc_comm(tid, t->comm, sizeof(t->comm));
		memcpy(t->leader_comm, leader, sizeof(leader));
		st = task_state(tgid, tid);
		if (st == 'R') {
			/* running or queued: a queued one resets ts_in when
			 * it is switched in, before anything is charged */
			t->ts_in = t0_ns;
		} else if ((st == 'S' || st == 'D') &&
			   task_syscall(tgid, tid, &nr, &a1, &a2)) {
			t->ts_off = t0_ns;
			if (nr >= 0) {
				t->sys_nr1 = (__u32)nr + 1;
				t->off_class = nr < OBS_SYSCALL_NRS ?
					classes[nr] : OBS_SYS_OTHER;
				if ((nr == nrs.futex && obs_futex_cmd_waits((__u32)a2)) ||
				    nr == nrs.futex_wait)
					t->cur_uaddr = t->off_uaddr = a1;
			}
		}
		if (!bpf_map_update_elem(threads_fd, &tid, t, BPF_NOEXIST))
			n++;
	}
	closedir(d);
cleanup:
	free(t);
	return err ? err : n;
}
