// SPDX-License-Identifier: MIT
/*
 * snapshot.c - a live process's maps and executable files (snapshot.h).
 *
 * Invariants:
 *  1. snap->maps holds whole lines only, so each line ends in '\n' before
 *     the terminating NUL;
 *  2. snap->files has one entry per distinct name, at most
 *     OBS_SNAPSHOT_FILES, each with its own descriptor or -1;
 *  3. nothing here reads a process's memory: the vDSO is known by its
 *     maps line and its executable's header, and read from observe's own.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include "stacks/snapshot.h"

/* A maps file (/proc/PID/maps), whole lines (invariant 1), into snap. */
static int maps_read(struct obs_snapshot *snap, const char *path)
{
	size_t len = 0, cap = 64 << 10;
	char *t, *g;
	ssize_t r;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	t = malloc(cap + 1);
	if (!t)
		err = -ENOMEM;
	while (!err && len < OBS_SNAPSHOT_MAPS_MAX) {
		if (len == cap) {
			g = realloc(t, 2 * cap + 1);
			if (!g) {
				err = -ENOMEM;
				break;
			}
			t = g;
			cap *= 2;
		}
		r = read(fd, t + len, cap - len);
		if (r < 0 && errno != EINTR)
			err = -errno;
		if (!r)
			break;
		if (r > 0)
			len += (size_t)r;
	}
	close(fd);
	/* past OBS_SNAPSHOT_MAPS_MAX: up to the last whole line */
	while (!err && len && t[len - 1] != '\n')
		len--;
	if (!err && !len)
		err = -ENOENT;	/* a zombie maps nothing */
	if (err) {
		free(t);
		return err;
	}
	t[len] = '\0';
	snap->maps = t;
	snap->len = len;
	return 0;
}

static bool is_deleted(const char *path)
{
	static const char sfx[] = " (deleted)";
	size_t len = strlen(path);

	return len >= sizeof(sfx) - 1 &&
	       !strcmp(path + len - (sizeof(sfx) - 1), sfx);
}

/*
 * The file mapped at [start, end) of tgid (snapshot.h says where from).
 * Regular files only: a device or a FIFO could block.  -1 when it does
 * not open.
 */
static int file_open(pid_t tgid, uint64_t start, uint64_t end,
		     const char *path)
{
	char p[PATH_MAX + 64];
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)tgid, start, end);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && !is_deleted(path) &&
	    snprintf(p, sizeof(p), "/proc/%d/root%s", (int)tgid, path) <
		    (int)sizeof(p))
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static struct obs_snapshot_file *file_find(const struct obs_snapshot *snap,
					   const char *name)
{
	size_t i;

	for (i = 0; i < snap->nfiles; i++)
		if (!strcmp(snap->files[i].name, name))
			return &snap->files[i];
	return NULL;
}

/* One line of maps, parsed: its path (or "[vdso]", or "") points into it. */
struct maps_line {
	unsigned long long start, end, ino;
	char perms[5];
	const char *path;
	char buf[PATH_MAX + 256];
};

/*
 * The line of maps text at *text into ml, *text moved past it; false at the
 * end.  A line too long for ml->buf is left with an empty path.
 */
static bool line_next(const char **text, struct maps_line *ml)
{
	const char *eol = strchr(*text, '\n');	/* invariant 1 */
	size_t len = eol ? (size_t)(eol - *text) : 0;
	int pos = 0;

	if (!eol)
		return false;
	ml->path = "";
	if (len < sizeof(ml->buf)) {
		memcpy(ml->buf, *text, len);
		ml->buf[len] = '\0';	/* sscanf's " %n" must not run on */
		if (sscanf(ml->buf, "%llx-%llx %4s %*x %*x:%*x %llu %n",
			   &ml->start, &ml->end, ml->perms, &ml->ino,
			   &pos) >= 4 && pos)
			ml->path = ml->buf + pos;
	}
	*text = eol + 1;
	return true;
}

/* Opens the file of one maps line if it is executable and new (inv. 2). */
static int files_add(struct obs_snapshot *snap, pid_t tgid,
		     const struct maps_line *ml)
{
	struct obs_snapshot_file *f = &snap->files[snap->nfiles];

	if (ml->perms[2] != 'x' || !ml->ino || ml->path[0] != '/' ||
	    snap->nfiles == OBS_SNAPSHOT_FILES || file_find(snap, ml->path))
		return 0;
	f->name = strdup(ml->path);
	if (!f->name)
		return -ENOMEM;
	f->fd = file_open(tgid, ml->start, ml->end, ml->path);
	snap->nfiles++;
	return 0;
}

/* The files of snap's maps (invariant 2). */
static int files_open(struct obs_snapshot *snap, pid_t tgid)
{
	const char *text = snap->maps;
	struct maps_line ml;
	int err = 0;

	snap->files = calloc(OBS_SNAPSHOT_FILES, sizeof(*snap->files));
	if (!snap->files)
		return -ENOMEM;
	while (!err && line_next(&text, &ml))
		err = files_add(snap, tgid, &ml);
	return err;
}

/* Where snap's maps have the vDSO, if they do (a file's path starts with
 * '/': no file is "[vdso]"). */
static void vdso_find(struct obs_snapshot *snap)
{
	const char *text = snap->maps;
	struct maps_line ml;

	while (line_next(&text, &ml)) {
		if (!strcmp(ml.path, "[vdso]") && ml.start < ml.end) {
			snap->vdso_start = ml.start;
			snap->vdso_end = ml.end;
			return;
		}
	}
}

/*
 * The EI_CLASS and e_machine of tgid's executable (snapshot.h), when its
 * header is in observe's byte order; left 0 otherwise.
 */
static void exe_read(struct obs_snapshot *snap, pid_t tgid)
{
	const unsigned char data = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
					   ? ELFDATA2LSB : ELFDATA2MSB;
	/* e_ident and e_type are as long in both classes: e_machine is at
	 * the same offset */
	const size_t need = offsetof(Elf64_Ehdr, e_version);
	Elf64_Ehdr eh;
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	if (pread(fd, &eh, need, 0) == (ssize_t)need &&
	    !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_DATA] == data) {
		snap->exe_class = eh.e_ident[EI_CLASS];
		snap->exe_machine = eh.e_machine;
	}
	close(fd);
}

int obs_snapshot_take(struct obs_snapshot *snap, pid_t tgid)
{
	char path[32];
	int err;

	*snap = (struct obs_snapshot){ 0 };
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tgid);
	err = maps_read(snap, path);
	if (!err)
		err = files_open(snap, tgid);
	if (err) {
		obs_snapshot_release(snap);
		return err;
	}
	vdso_find(snap);
	exe_read(snap, tgid);
	return 0;
}

int obs_snapshot_own_vdso(const void **image, size_t *len)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	struct obs_snapshot self = { 0 };
	int err;

	if (!base)
		return -ENOENT;
	/* our own maps: /proc/self, right in any pid namespace */
	err = maps_read(&self, "/proc/self/maps");
	if (err)
		return err;
	vdso_find(&self);
	if (self.vdso_start != base) {
		err = -ENOENT;
	} else {
		*image = (const void *)(uintptr_t)base;
		*len = self.vdso_end - self.vdso_start;
	}
	obs_snapshot_release(&self);
	return err;
}

int obs_snapshot_fd(const struct obs_snapshot *snap, const char *name)
{
	const struct obs_snapshot_file *f = file_find(snap, name);

	return f ? f->fd : -1;
}

void obs_snapshot_release(struct obs_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nfiles; i++) {
		if (snap->files[i].fd >= 0)
			close(snap->files[i].fd);
		free(snap->files[i].name);
	}
	free(snap->files);
	free(snap->maps);
	*snap = (struct obs_snapshot){ 0 };
}
