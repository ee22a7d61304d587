/* SPDX-License-Identifier: MIT */
/*
 * target.h - the observed process: launched (held until the probes are
 * attached) or attached to by PID; its exit; the preflight checks.
 */
#ifndef OBS_TARGET_H
#define OBS_TARGET_H

#include <stdbool.h>
#include <sys/types.h>

struct obs_target {
	pid_t pid;		/* thread group id of the target */
	bool launched;		/* we forked it (launch mode) */
	bool reaped;		/* launch: waited for, status valid */
	int status;		/* launch: wait status */
	int pidfd;		/* readable once the target exits, -1 if none */
	int go_fd;		/* launch: write end that releases the child */
	int err_fd;		/* launch: CLOEXEC pipe, errno of a failed exec */
};

/* Checks root/capabilities and kernel BTF; prints one line, returns -errno. */
int obs_preflight(void);

/* Is capability cap (CAP_*, linux/capability.h) in observe's effective set? */
bool obs_cap_effective(int cap);

void obs_target_init(struct obs_target *t);

/*
 * Forks argv, held before exec until obs_target_release().  The child drops
 * to SUDO_UID/SUDO_GID unless keep_root.  Returns 0 or -errno (printed).
 */
int obs_target_launch(struct obs_target *t, char **argv, bool keep_root);

/*
 * Lets the held child exec.  Returns 0 once it has exec'd, or -errno of the
 * failed exec or privilege drop, with the one-line message already printed.
 */
int obs_target_release(struct obs_target *t, const char *cmd);

/* Attach mode: resolves PID to its thread group; "no process" is -ESRCH. */
int obs_target_attach(struct obs_target *t, pid_t pid);

/* True once the target has exited (never blocks). */
bool obs_target_exited(struct obs_target *t);

/* Has process pid exited (gone, or a zombie not reaped yet)? */
bool obs_proc_gone(pid_t pid);

/* Launch mode: waits for the child; returns its wait status or -errno. */
int obs_target_wait(struct obs_target *t, int timeout_ms);

/* Sends sig to a launched child that is still running. */
void obs_target_kill(struct obs_target *t, int sig);

/* Releases fds; a launched child not reaped yet is killed and reaped. */
void obs_target_cleanup(struct obs_target *t);

/* The comm of pid from /proc into buf (empty string on failure). */
void obs_proc_comm(pid_t pid, char *buf, size_t len);

#endif
