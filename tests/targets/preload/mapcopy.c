// SPDX-License-Identifier: MIT
/*
 * mapcopy - an LD_PRELOAD library that maps the file $MAPCOPY_FILE
 * executable into the process at start and keeps it mapped: a process with
 * a second copy of a runtime's code, as a cdylib with its own Tokio gives
 * one, for observe's Tokio tier (tests/integ/observe_tokio.t).  The copy is
 * mapped, never run.  Any failure is silent: the process runs as without.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((constructor)) static void map_copy(void)
{
	const char *path = getenv("MAPCOPY_FILE");
	struct stat st;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (!fstat(fd, &st) && st.st_size > 0)
		mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_EXEC,
		     MAP_PRIVATE, fd, 0);
	close(fd);
}
