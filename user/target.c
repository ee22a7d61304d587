// SPDX-License-Identifier: MIT
/*
 * target.c - launch and attach.  A launched child blocks on a pipe until the
 * BPF programs are attached and its tgid is in the filter, so not one of its
 * instructions runs unobserved; a second, CLOEXEC, pipe carries back the
 * errno of a failed exec (EOF means the exec succeeded).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "target.h"
#include "tiers/kernel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* What the held child reports on the error pipe before it exits. */
enum child_stage { STAGE_PRIVS = 1, STAGE_EXEC = 2 };
struct child_err {
	int stage;
	int err;
};

static bool cap_has(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

static int capget_self(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &hdr, data) ? -errno : 0;
}

bool obs_cap_effective(int cap)
{
	struct __user_cap_data_struct data[2] = {};

	return !capget_self(data) && cap_has(data, cap);
}

int obs_preflight(void)
{
	struct __user_cap_data_struct data[2] = {};
	bool bpf, perfmon;
	int err;

	if ((err = capget_self(data))) {
		fprintf(stderr, "observe: capget: %s\n", strerror(-err));
		return err;
	}
	/* CAP_SYS_ADMIN covers both, and is all kernels < 5.8 know. */
	bpf = cap_has(data, CAP_BPF) || cap_has(data, CAP_SYS_ADMIN);
	perfmon = cap_has(data, CAP_PERFMON) || cap_has(data, CAP_SYS_ADMIN);
	if (!bpf || !perfmon) {
		fprintf(stderr, "observe: not permitted: missing %s%s%s "
			"(run as root, e.g. with sudo)\n",
			bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
			perfmon ? "" : "CAP_PERFMON");
		return -EPERM;
	}
	if (access(obs_kernel_btf_path(), R_OK)) {
		err = -errno;
		fprintf(stderr, "observe: kernel has no BTF (%s: %s); "
			"CONFIG_DEBUG_INFO_BTF=y is required\n",
			obs_kernel_btf_path(), strerror(-err));
		return err;
	}
	return 0;
}

void obs_target_init(struct obs_target *t)
{
	memset(t, 0, sizeof(*t));
	t->pidfd = t->go_fd = t->err_fd = -1;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void child_fail(int fd, int stage, int err)
{
	struct child_err ce = { .stage = stage, .err = err };
	ssize_t n;

	n = write(fd, &ce, sizeof(ce));
	(void)n;
	_exit(127);
}

/* In the child: SUDO_UID/SUDO_GID back, supplementary groups included. */
static int drop_privileges(void)
{
	const char *suid = getenv("SUDO_UID"), *sgid = getenv("SUDO_GID");
	struct passwd *pw;
	char *end;
	unsigned long uid, gid;

	if (!suid || !sgid || getuid() != 0)
		return 0;
	uid = strtoul(suid, &end, 10);
	if (*end || end == suid)
		return -EINVAL;
	gid = strtoul(sgid, &end, 10);
	if (*end || end == sgid)
		return -EINVAL;
	if (uid == 0)
		return 0;
	pw = getpwuid((uid_t)uid);
	if (pw ? initgroups(pw->pw_name, (gid_t)gid) : setgroups(0, NULL))
		return -errno;
	if (setgid((gid_t)gid) || setuid((uid_t)uid))
		return -errno;
	return 0;
}

int obs_target_launch(struct obs_target *t, char **argv, bool keep_root)
{
	int go[2] = { -1, -1 }, ep[2] = { -1, -1 }, err;
	pid_t pid;
	char c;

	if (pipe2(go, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
		err = -errno;
		fprintf(stderr, "observe: pipe: %s\n", strerror(-err));
		goto cleanup;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		fprintf(stderr, "observe: fork: %s\n", strerror(-err));
		goto cleanup;
	}
	if (pid == 0) {
		/* observe's handlers forward signals; the child takes them */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		close(ep[0]);
		/* EOF without the byte: observe gave up, do not run unobserved */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		close(go[0]);
		if (!keep_root && (err = drop_privileges()))
			child_fail(ep[1], STAGE_PRIVS, -err);
		prctl(PR_SET_PDEATHSIG, 0);
		execvp(argv[0], argv);
		child_fail(ep[1], STAGE_EXEC, errno);
	}
	close(go[0]);
	close(ep[1]);
	t->pid = pid;
	t->launched = true;
	t->go_fd = go[1];
	t->err_fd = ep[0];
	t->pidfd = pidfd_open(pid);
	if (t->pidfd < 0) {
		err = -errno;
		fprintf(stderr, "observe: pidfd_open: %s\n", strerror(-err));
		return err;
	}
	return 0;

cleanup:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return err;
}

int obs_target_release(struct obs_target *t, const char *cmd)
{
	struct child_err ce;
	ssize_t n;
	char c = 'g';
	int err;

	if (write(t->go_fd, &c, 1) != 1) {
		err = -errno;
		fprintf(stderr, "observe: cannot start %s: %s\n", cmd,
			strerror(-err));
		return err;
	}
	close(t->go_fd);
	t->go_fd = -1;
	do
		n = read(t->err_fd, &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	close(t->err_fd);
	t->err_fd = -1;
	if (n != sizeof(ce))
		return 0;	/* EOF: exec succeeded and closed the pipe */
	if (ce.stage == STAGE_PRIVS)
		fprintf(stderr, "observe: cannot drop privileges to SUDO_UID: %s "
			"(use --keep-root to run as root)\n", strerror(ce.err));
	else if (ce.err == ENOENT)
		fprintf(stderr, "observe: %s: command not found\n", cmd);
	else
		fprintf(stderr, "observe: %s: %s\n", cmd, strerror(ce.err));
	return ce.err ? -ce.err : -EINVAL;
}

/* The Tgid: line of /proc/PID/status; PID may name any thread. */
static pid_t proc_tgid(pid_t pid)
{
	char path[64], line[256];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	}
	fclose(f);
	return tgid;
}

/* The state letter and flags of /proc/PID/stat; 0 or -1. */
static int proc_state(pid_t pid, char *state, unsigned long *flags)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* after "comm)": state ppid pgrp session tty_nr tpgid flags */
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", state, flags) != 2)
		return -1;
	return 0;
}

bool obs_proc_gone(pid_t pid)
{
	unsigned long flags;
	char state;

	if (proc_state(pid, &state, &flags))
		return kill(pid, 0) && errno == ESRCH;
	return state == 'Z' || state == 'X';
}

int obs_target_attach(struct obs_target *t, pid_t pid)
{
	unsigned long flags;
	pid_t tgid;
	char state;
	int err;

	if (kill(pid, 0) && errno == ESRCH) {
		fprintf(stderr, "observe: no process with PID %d\n", pid);
		return -ESRCH;
	}
	tgid = proc_tgid(pid);
	if (tgid <= 0) {
		fprintf(stderr, "observe: no process with PID %d\n", pid);
		return -ESRCH;
	}
	if (!proc_state(tgid, &state, &flags)) {
		if (flags & 0x00200000) {	/* PF_KTHREAD, linux/sched.h */
			fprintf(stderr, "observe: PID %d is a kernel thread: "
				"nothing to observe in user space\n", pid);
			return -EINVAL;
		}
		if (state == 'Z' || state == 'X') {
			fprintf(stderr, "observe: PID %d has exited (a zombie "
				"its parent has not reaped): nothing to "
				"observe\n", pid);
			return -ESRCH;
		}
	}
	t->pid = tgid;
	t->pidfd = pidfd_open(tgid);
	if (t->pidfd < 0) {
		err = -errno;
		if (err == -ESRCH)
			fprintf(stderr, "observe: no process with PID %d\n", pid);
		else
			fprintf(stderr, "observe: pidfd_open %d: %s\n", pid,
				strerror(-err));
		return err;
	}
	return 0;
}

bool obs_target_exited(struct obs_target *t)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };

	if (t->reaped)
		return true;
	if (t->pidfd < 0)
		return kill(t->pid, 0) && errno == ESRCH;
	return poll(&p, 1, 0) > 0;
}

int obs_target_wait(struct obs_target *t, int timeout_ms)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
	int status, r;

	if (!t->launched)
		return -EINVAL;
	if (t->reaped)
		return t->status;
	if (timeout_ms >= 0) {
		r = poll(&p, 1, timeout_ms);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
	}
	while (waitpid(t->pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	t->reaped = true;
	t->status = status;
	return status;
}

void obs_target_kill(struct obs_target *t, int sig)
{
	if (t->launched && !t->reaped && t->pid > 0)
		kill(t->pid, sig);
}

void obs_target_cleanup(struct obs_target *t)
{
	if (t->launched && !t->reaped && t->pid > 0) {
		kill(t->pid, SIGKILL);
		obs_target_wait(t, -1);
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->go_fd >= 0)
		close(t->go_fd);
	if (t->err_fd >= 0)
		close(t->err_fd);
	t->pidfd = t->go_fd = t->err_fd = -1;
}

void obs_proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	size_t n;
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}
