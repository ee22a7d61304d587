/* SPDX-License-Identifier: MIT */
/*
 * tap.h - TAP output for the unit tests, run by prove (one process per test
 * file, under a timeout set by the Makefile).
 *
 *	TEST(queue_push_pop) { ... ASSERT_EQ(a, b); ... }
 *	int main(void) { return tap_run(); }
 *
 * Each TEST runs in a forked child so that a crash or a failed assertion fails
 * that test alone.  ASSERT_* print the expression and both values and abort
 * the test, with or without NDEBUG.  SKIP("reason") ends a test as skipped.
 */
#ifndef TAP_H
#define TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*tap_fn)(void);
struct tap_test {
	const char *name;
	tap_fn fn;
};

#define TAP_MAX_TESTS 256
static struct tap_test tap__tests[TAP_MAX_TESTS];
static int tap__ntests;

#define TAP_SKIP_EXIT 77

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	__attribute__((constructor)) static void tap__register_##name(void) \
	{                                                                   \
		if (tap__ntests < TAP_MAX_TESTS)                            \
			tap__tests[tap__ntests++] =                         \
				(struct tap_test){ #name, test_##name };    \
	}                                                                   \
	static void test_##name(void)

#define TAP_FAIL(...)                                                       \
	do {                                                                \
		fprintf(stderr, "# %s:%d: ", __FILE__, __LINE__);           \
		fprintf(stderr, __VA_ARGS__);                               \
		fprintf(stderr, "\n");                                      \
		fflush(stderr);                                             \
		_exit(1);                                                   \
	} while (0)

#define ASSERT(expr)                                                        \
	do {                                                                \
		if (!(expr))                                                \
			TAP_FAIL("assertion failed: %s", #expr);            \
	} while (0)

#define TAP__CMP(a, op, b, type, fmt, sa, sb)                              \
	do {                                                                \
		type tap__a = (a);                                          \
		type tap__b = (b);                                          \
		if (!(tap__a op tap__b))                                    \
			TAP_FAIL("assertion failed: %s %s %s (" fmt " vs " fmt ")", \
				 sa, #op, sb, tap__a, tap__b);              \
	} while (0)

/* Signed and unsigned integer comparisons. */
#define ASSERT_EQ(a, b) TAP__CMP(a, ==, b, int64_t, "%" PRId64, #a, #b)
#define ASSERT_NE(a, b) TAP__CMP(a, !=, b, int64_t, "%" PRId64, #a, #b)
#define ASSERT_LT(a, b) TAP__CMP(a, <, b, int64_t, "%" PRId64, #a, #b)
#define ASSERT_LE(a, b) TAP__CMP(a, <=, b, int64_t, "%" PRId64, #a, #b)
#define ASSERT_GT(a, b) TAP__CMP(a, >, b, int64_t, "%" PRId64, #a, #b)
#define ASSERT_GE(a, b) TAP__CMP(a, >=, b, int64_t, "%" PRId64, #a, #b)
#define ASSERT_UEQ(a, b) TAP__CMP(a, ==, b, uint64_t, "%" PRIu64, #a, #b)
#define ASSERT_ULE(a, b) TAP__CMP(a, <=, b, uint64_t, "%" PRIu64, #a, #b)
#define ASSERT_UGE(a, b) TAP__CMP(a, >=, b, uint64_t, "%" PRIu64, #a, #b)
#define ASSERT_DBL_LE(a, b) TAP__CMP(a, <=, b, double, "%g", #a, #b)
#define ASSERT_DBL_GE(a, b) TAP__CMP(a, >=, b, double, "%g", #a, #b)
#define ASSERT_PTR_EQ(a, b) TAP__CMP(a, ==, b, const void *, "%p", #a, #b)
#define ASSERT_NULL(a) ASSERT_PTR_EQ(a, NULL)
#define ASSERT_NOT_NULL(a) TAP__CMP(a, !=, NULL, const void *, "%p", #a, "NULL")
#define ASSERT_STR_EQ(a, b)                                                 \
	do {                                                                \
		const char *tap__a = (a), *tap__b = (b);                    \
		if (!tap__a || !tap__b || strcmp(tap__a, tap__b) != 0)      \
			TAP_FAIL("assertion failed: %s == %s (\"%s\" vs \"%s\")", \
				 #a, #b, tap__a ? tap__a : "(null)",        \
				 tap__b ? tap__b : "(null)");               \
	} while (0)

/* A TAP comment, flushed: a failing test ends with _exit. */
#define NOTE(...)                                                           \
	do {                                                                \
		printf("# ");                                               \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
		fflush(stdout);                                             \
	} while (0)

#define SKIP(...)                                                           \
	do {                                                                \
		printf("# skip: ");                                         \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
		fflush(stdout);                                             \
		_exit(TAP_SKIP_EXIT);                                       \
	} while (0)

/* Runs every registered test (or only those named in TAP_ONLY=name). */
static inline int tap_run(void)
{
	const char *only = getenv("TAP_ONLY");
	int failed = 0;

	printf("1..%d\n", tap__ntests);
	fflush(stdout);
	for (int i = 0; i < tap__ntests; i++) {
		const struct tap_test *t = &tap__tests[i];
		int status = 0;
		pid_t pid;

		if (only && strcmp(only, t->name) != 0) {
			printf("ok %d - %s # SKIP not selected\n", i + 1, t->name);
			continue;
		}
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			t->fn();
			fflush(stdout);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) < 0) {
			perror("waitpid");
			return 1;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %d - %s\n", i + 1, t->name);
		} else if (WIFEXITED(status) &&
			   WEXITSTATUS(status) == TAP_SKIP_EXIT) {
			printf("ok %d - %s # SKIP\n", i + 1, t->name);
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("not ok %d - %s (signal %d)\n", i + 1,
				       t->name, WTERMSIG(status));
			else
				printf("not ok %d - %s (exit %d)\n", i + 1,
				       t->name, WEXITSTATUS(status));
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}

#endif /* TAP_H */
