/* SPDX-License-Identifier: MIT */
/*
 * snapshot.h - what the unwinder (unwind.c) takes of a live process so
 * that its samples resolve once it is gone: the text of /proc/PID/maps, and
 * the files it executes, open; where its vDSO is, and what ABI its
 * executable has.  The unwinder keeps what it needs of them (libdwfl
 * modules, mapped ELF files) and releases the snapshot at once.
 *
 * The vDSO is no file: the kernel maps the same image into every process
 * of one ABI, so the unwinder reads observe's own (obs_snapshot_own_vdso)
 * and needs of the process only where it is and whether its ABI is
 * observe's.
 */
#ifndef OBS_SNAPSHOT_H
#define OBS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OBS_SNAPSHOT_MAPS_MAX	(16u << 20)	/* bytes of maps read */
#define OBS_SNAPSHOT_FILES	512		/* files opened at most */

struct obs_snapshot_file {
	char *name;		/* the path as in maps, " (deleted)" kept:
				 * the name libdwfl gives its module */
	int fd;			/* -1 when it could not be opened */
};

struct obs_snapshot {
	char *maps;		/* whole lines, NUL-terminated */
	size_t len;
	struct obs_snapshot_file *files;	/* executable, distinct names */
	size_t nfiles;
	uint64_t vdso_start, vdso_end;	/* its [vdso] mapping; 0, 0 if none */
	/* its executable's ELF header's EI_CLASS and e_machine, which choose
	 * the vDSO image the kernel maps (x32 and i386 processes have their
	 * own); 0, 0 if it could not be read */
	unsigned char exe_class;
	uint16_t exe_machine;
};

/*
 * Reads tgid's maps and opens the regular files it maps executable:
 * /proc/PID/map_files (the very file, deleted or in another mount
 * namespace; needs CAP_SYS_ADMIN), else /proc/PID/root/PATH; notes its
 * [vdso] and its executable's header (/proc/PID/exe).  0, or
 * -errno (-ENOENT: no such process, or a zombie); on error nothing is
 * left to release.
 */
int obs_snapshot_take(struct obs_snapshot *snap, pid_t tgid);

/* The descriptor of the file libdwfl names name, -1 if none. */
int obs_snapshot_fd(const struct obs_snapshot *snap, const char *name);

/*
 * observe's own vDSO: its image, mapped for observe's lifetime (read-only),
 * and the length of its mapping.  0, or -ENOENT when it has none (a
 * kernel without, or a loader that hides it), or -errno reading
 * /proc/self/maps.
 */
int obs_snapshot_own_vdso(const void **image, size_t *len);

/* Closes the files and frees the text. */
void obs_snapshot_release(struct obs_snapshot *snap);

#endif
