// SPDX-License-Identifier: MIT
/*
 * replay_main - a harness (fuzz_*.c) without libFuzzer: every input named,
 * or every regular file in a directory named, is passed once to
 * LLVMFuzzerTestOneInput, in name order.  For make check, where the
 * corpus is the regression test (tests/integ/fuzz_replay.t), and to rerun
 * a crash file under gdb or valgrind.
 *
 *	build/fuzz/replay_elfsym tests/fuzz/corpus/elfsym
 *	-> "replay_elfsym: 9 inputs" on stdout, exit 0; 1 if one cannot be read
 *
 * A failed check aborts (fuzz.h), so the last "replay: FILE" line on
 * stderr under REPLAY_VERBOSE=1 names the input.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

static bool verbose;

/* libFuzzer's, called only by a custom mutator, which a replay never runs */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
	(void)data, (void)max_size;
	return size;
}

/* Reads path whole and replays it; 0 or -errno. */
static int replay_file(const char *path)
{
	uint8_t *data = NULL;
	struct stat st;
	size_t n = 0;
	FILE *f;
	int err = 0;

	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st)) {
		err = -errno;
		goto out;
	}
	/* one byte more, so that an empty file is not malloc(0) */
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		err = -ENOMEM;
		goto out;
	}
	n = fread(data, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		err = -EIO;
		goto out;
	}
	if (verbose)
		fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput(data, n);
out:
	free(data);
	if (f)
		fclose(f);
	return err;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replays each regular file in dir; the count, or -errno. */
static int replay_dir(const char *dir)
{
	struct dirent **ents;
	char path[4096];
	struct stat st;
	int n, i, count = 0, err = 0;

	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (!err && !stat(path, &st) && S_ISREG(st.st_mode)) {
			err = replay_file(path);
			count++;
		}
		free(ents[i]);
	}
	free(ents);
	return err ? err : count;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	struct stat st;
	int i, n, total = 0;

	name = name ? name + 1 : argv[0];
	verbose = getenv("REPLAY_VERBOSE") && *getenv("REPLAY_VERBOSE") == '1';
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", name);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st)) {
			n = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			n = replay_dir(argv[i]);
		} else {
			n = replay_file(argv[i]);
			n = n ? n : 1;
		}
		if (n < 0) {
			fprintf(stderr, "%s: %s: %s\n", name, argv[i],
				strerror(-n));
			return 1;
		}
		total += n;
	}
	printf("%s: %d inputs\n", name, total);
	return 0;
}
