// SPDX-License-Identifier: MIT
/*
 * fuzz_diag_json - observe --diagnose FILE on hostile documents: the input
 * is parsed as diag_json_load parses the file (jansson, flags 0), filled
 * into a diag_input (user/analysis/diag_json.c) with and without the
 * runtime tier, diagnosed (user/analysis/diagnose.c) and printed in words
 * and as JSON (user/output/verdict.c), as observe.c's diagnose_file does.
 * So the rules run on numbers no kernel would give: zero and 2^64-1
 * durations, negative counts, NaN-free but huge reals.
 *
 * Byte mutations seldom keep JSON valid, and never make a number 1e300
 * or an array of 300 threads, so libFuzzer gets a structure-aware mutator
 * too (LLVMFuzzerCustomMutator): on a document that parses, it sets a value
 * to a number at an edge (0, -1, 2^63-1, 1e300, 1e-300, ...) or of another
 * type, drops it, or repeats an array's element past the DIAG_MAX_* bounds;
 * else, or one time in four, it leaves the input to libFuzzer's mutations.
 *
 * Checked beyond "no crash, no sanitizer report": fill's bounds (its
 * invariant 3), diag_run refusing only an input without duration, and the
 * result's contract (diagnose.h): 1 to DIAG_SHAPE__COUNT findings with a
 * confidence in [0, 1], strings within their arrays, and a verdict that
 * converts to JSON.
 */
#include <errno.h>
#include <string.h>
#include <jansson.h>
#include "analysis/diag_json.h"
#include "analysis/diagnose.h"
#include "output/verdict.h"
#include "fuzz.h"

static FILE *devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	FUZZ_CHECK(f);
	return f;
}

static void check_input(const struct diag_input *in)
{
	unsigned int i;

	FUZZ_CHECK(in->nthreads <= DIAG_MAX_THREADS);
	FUZZ_CHECK(in->nfutex <= DIAG_MAX_FUTEX);
	FUZZ_CHECK(in->nspans <= DIAG_MAX_SPANS);
	FUZZ_CHECK(in->rt.nlongest <= DIAG_MAX_POLLS);
	FUZZ_CHECK(in->rt.nlocks <= DIAG_MAX_LOCKS);
	for (i = 0; i < in->nthreads; i++)
		FUZZ_CHECK(in->threads[i].noff <= DIAG_MAX_SYSCALLS);
	for (i = 0; i < in->nfutex; i++)
		FUZZ_CHECK(in->futex[i].nwaiters <= DIAG_MAX_FUTEX_TIDS &&
			   in->futex[i].nwakers <= DIAG_MAX_FUTEX_TIDS);
}

/* A string that ends inside its array of len bytes. */
static bool in_array(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

static void check_result(const struct diag_result *res)
{
	const struct diag_finding *x;
	unsigned int i, j;

	FUZZ_CHECK(res->nfindings >= 1 && res->nfindings <= DIAG_SHAPE__COUNT);
	FUZZ_CHECK(res->nnotes <= DIAG_MAX_NOTES);
	for (i = 0; i < res->nfindings; i++) {
		x = &res->findings[i];
		FUZZ_CHECK((unsigned int)x->shape < DIAG_SHAPE__COUNT);
		FUZZ_CHECK(x->confidence >= 0 && x->confidence <= 1);
		FUZZ_CHECK(x->nevidence <= DIAG_MAX_EVIDENCE && x->remedy);
		for (j = 0; j < x->nevidence; j++)
			FUZZ_CHECK(in_array(x->evidence[j], DIAG_LINE_LEN));
	}
	for (i = 0; i < res->nnotes; i++)
		FUZZ_CHECK(in_array(res->notes[i], DIAG_LINE_LEN));
}

/* What observe --diagnose prints, with and without --json. */
static void print(const struct diag_result *res)
{
	json_t *j;
	char *s;

	obs_verdict_print(devnull(), res);
	obs_verdict_print_line(devnull(), 1.0, res);
	j = obs_verdict_json(res);
	FUZZ_CHECK(j);
	s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	FUZZ_CHECK(s);
	free(s);
	json_decref(j);
}

/* ---- the mutator -------------------------------------------------------- */

#define GROW_MAX 300	/* copies: past DIAG_MAX_THREADS (256), the largest */

static uint32_t rnd(uint32_t *st)
{
	*st ^= *st << 13;	/* xorshift32 */
	*st ^= *st >> 17;
	*st ^= *st << 5;
	return *st;
}

/* A number where arithmetic and casts go wrong. */
static json_t *edge_number(uint32_t *st)
{
	static const json_int_t ints[] = {
		0, 1, -1, INT64_MAX, INT64_MIN, UINT32_MAX, (json_int_t)1 << 32,
		INT32_MAX, 255, 256, 257, 1000000000,
	};
	static const double reals[] = {
		0.0, -1.0, 1e-300, 5e-324, 1e300, -1e300, 1.8446744073709552e19,
		9.223372036854775e18, 0.5, 1.0000001, 1e9, 1e10,
	};
	uint32_t r = rnd(st);

	switch (r % 4) {
	case 0:
		return json_integer(ints[(r >> 2) % (sizeof(ints) / sizeof(ints[0]))]);
	case 1:
		return json_real(reals[(r >> 2) % (sizeof(reals) / sizeof(reals[0]))]);
	case 2:	/* any magnitude, either sign */
		return json_integer((json_int_t)(((uint64_t)rnd(st) << 32 | rnd(st)) >>
						 (r >> 2) % 64));
	default:
		return json_real((double)(int32_t)rnd(st) * 1e-9);
	}
}

static json_t *other_type(uint32_t *st)
{
	switch (rnd(st) % 5) {
	case 0: return json_null();
	case 1: return json_true();
	case 2: return json_string("worker");
	case 3: return json_object();
	default: return json_array();
	}
}

/* The want-th value of a document, depth first, with where it is. */
struct slot {
	size_t seen, want;
	json_t *parent;		/* NULL: the root */
	const char *key;	/* in an object parent */
	size_t idx;		/* in an array parent */
	json_t *val;
};

static void find_slot(json_t *parent, const char *key, size_t idx, json_t *v,
		      struct slot *s)
{
	const char *k;
	json_t *c;
	size_t i;

	if (s->val)
		return;
	if (s->seen++ == s->want) {
		*s = (struct slot){ s->seen, s->want, parent, key, idx, v };
		return;
	}
	if (json_is_object(v))
		json_object_foreach(v, k, c)
			find_slot(v, k, 0, c, s);
	else if (json_is_array(v))
		json_array_foreach(v, i, c)
			find_slot(v, NULL, i, c, s);
}

/* Puts nv (a new reference) where s is; the document's root. */
static json_t *replace(json_t *root, const struct slot *s, json_t *nv)
{
	if (!nv)
		return root;
	if (!s->parent) {
		json_decref(root);
		return nv;
	}
	if (s->key)
		json_object_set_new(s->parent, s->key, nv);
	else
		json_array_set_new(s->parent, s->idx, nv);
	return root;
}

static json_t *mutate(json_t *root, uint32_t *st)
{
	struct slot s = { .want = SIZE_MAX };
	uint32_t i, n;
	json_t *e;

	find_slot(NULL, NULL, 0, root, &s);	/* counts */
	s = (struct slot){ .want = rnd(st) % s.seen };
	find_slot(NULL, NULL, 0, root, &s);
	switch (rnd(st) % 4) {
	case 0:
	case 1:
		return replace(root, &s, edge_number(st));
	case 2:
		if (json_array_size(s.val)) {
			e = json_array_get(s.val, rnd(st) % json_array_size(s.val));
			/* mostly a few: a document of 300 big threads is
			 * past max_len, and slow */
			n = 1 + rnd(st) % (rnd(st) % 4 ? 8 : GROW_MAX);
			for (i = 0; i < n; i++)
				json_array_append(s.val, e);	/* shared */
			return root;
		}
		if (s.parent && s.key) {
			json_object_del(s.parent, s.key);
			return root;
		}
		return replace(root, &s, other_type(st));
	default:
		return replace(root, &s, other_type(st));
	}
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	uint32_t st = seed | 1;
	json_t *root;
	size_t len = 0;
	char *out = NULL;

	root = rnd(&st) % 4 ? json_loadb((const char *)data, size, 0, NULL) : NULL;
	if (root) {
		root = mutate(root, &st);
		out = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
		len = out ? strlen(out) : 0;
		json_decref(root);
	}
	if (!out || len > max_size) {
		free(out);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(data, out, len);
	free(out);
	return len;
}

/* ---- the target ---------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct diag_input in;	/* ~240 KB: not on the stack */
	struct diag_result res;
	json_error_t jerr;
	json_t *root;
	int with_runtime, err;

	root = json_loadb((const char *)data, size, 0, &jerr);
	if (!root)
		return 0;
	for (with_runtime = 0; with_runtime < 2; with_runtime++) {
		err = diag_json_fill(&in, root, with_runtime);
		if (err) {
			FUZZ_CHECK(err == -EINVAL || err == -ENOMEM);
			continue;
		}
		check_input(&in);
		err = diag_run(&in, &res);
		if (err) {
			FUZZ_CHECK(err == -EINVAL && !in.duration_ns);
			continue;
		}
		check_result(&res);
		print(&res);
	}
	json_decref(root);
	return 0;
}
