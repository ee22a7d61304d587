// SPDX-License-Identifier: MIT
/*
 * callsite.c - the call site of an unwound stack (callsite.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "stacks/callsite.h"

/* Shared objects that are never the program's own code. */
static const char *const lib_modules[] = {
	"libc.so", "libc-", "libpthread", "ld-linux", "libgcc_s", "libstdc++",
	"libm.so", "librt.so", "libdl.so", "[vdso]",
};

/* Symbol prefixes of Rust's standard library and of Tokio, plain and as
 * the self type of an impl ("<tokio::...>::poll"). */
static const char *const lib_crates[] = {
	"std::", "core::", "alloc::", "tokio::", "__rust", "rust_begin_unwind",
};

static bool has_crate_prefix(const char *sym)
{
	if (*sym == '<')
		sym++;
	for (size_t i = 0; i < sizeof(lib_crates) / sizeof(lib_crates[0]); i++)
		if (!strncmp(sym, lib_crates[i], strlen(lib_crates[i])))
			return true;
	return false;
}

bool obs_frame_is_library(const struct obs_frame *f)
{
	const char *base;

	if (f->module) {
		base = strrchr(f->module, '/');
		base = base ? base + 1 : f->module;
		for (size_t i = 0; i < sizeof(lib_modules) / sizeof(lib_modules[0]); i++)
			if (!strncmp(base, lib_modules[i], strlen(lib_modules[i])))
				return true;
	}
	return f->sym && has_crate_prefix(f->sym);
}

void obs_frame_name(const struct obs_frame *f, char *buf, size_t len)
{
	const char *base;

	if (f->sym) {
		snprintf(buf, len, "%s", f->sym);
	} else if (f->module) {
		base = strrchr(f->module, '/');
		snprintf(buf, len, "%s+0x%" PRIx64, base ? base + 1 : f->module,
			 f->offset);
	} else {
		snprintf(buf, len, "0x%" PRIx64, f->pc);
	}
}

/* Appends " → name" (or name first) to buf. */
static void append_frame(char *buf, size_t len, const struct obs_frame *f)
{
	size_t used = strlen(buf);
	char name[OBS_CALLSITE_LEN];

	obs_frame_name(f, name, sizeof(name));
	if (used < len)
		snprintf(buf + used, len - used, "%s%s", used ? " → " : "", name);
}

/* The last three components of a source path: enough to find it, short
 * enough for an evidence line. */
static const char *short_path(const char *path)
{
	const char *p = path + strlen(path);
	int slashes = 0;

	while (p > path && slashes < 3)
		if (*--p == '/')
			slashes++;
	return slashes == 3 ? p + 1 : path;
}

void obs_callsite(const struct obs_frame *frames, int n, char *buf,
		  size_t len)
{
	int own = -1;
	size_t used;

	buf[0] = '\0';
	if (n <= 0)
		return;
	for (int i = 0; i < n && own < 0; i++)
		if (!obs_frame_is_library(&frames[i]))
			own = i;
	if (own < 0)		/* all library code: its three innermost */
		own = n < 3 ? n - 1 : 2;
	/* outermost first: the own frame's own caller, the own frame, what
	 * it called, the innermost (a helper of the program's and the task
	 * that called it both show) */
	if (own + 1 < n && !obs_frame_is_library(&frames[own + 1]))
		append_frame(buf, len, &frames[own + 1]);
	append_frame(buf, len, &frames[own]);
	if (own >= 2)
		append_frame(buf, len, &frames[own - 1]);
	if (own >= 1)
		append_frame(buf, len, &frames[0]);
	used = strlen(buf);
	if (frames[own].file && used < len)
		snprintf(buf + used, len - used, " (%s:%d)",
			 short_path(frames[own].file), frames[own].line);
}
