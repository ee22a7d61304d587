/* SPDX-License-Identifier: MIT */
/*
 * usdt.h - a binary's USDT notes (.note.stapsdt) checked before libbpf
 * attaches to them, so that a malformed file is told from one without
 * probes.
 *
 *	char why[128];
 *	int err = obs_usdt_check(path, "rt", "worker_start", why, sizeof(why));
 *	// 0: there, usable; -ENOENT: not there; -EBADMSG: malformed (why)
 *
 * libbpf 1.1 (usdt.c, collect_usdt_targets) stops without a word at a note
 * that runs past the end of its section, so the probes after it are "not
 * there", and it refuses every probe of a file where one note of the
 * provider is malformed or its probe or semaphore address lies in no
 * segment.  This checks what libbpf checks, the same way, and says which.
 */
#ifndef OBS_USDT_H
#define OBS_USDT_H

#include <stddef.h>

/*
 * Does path have the USDT probe provider:probe, with every note of
 * provider well formed?  0 yes; or
 *	-ENOENT		no: not a 64-bit ELF file, no section headers, no
 *			.note.stapsdt, or no such probe
 *	-EBADMSG	malformed: the section headers, the notes section or
 *			one of provider's notes; what, in a few words, in why
 *	-EACCES, ...	the file cannot be opened
 */
int obs_usdt_check(const char *path, const char *provider, const char *probe,
		   char *why, size_t len);

#endif /* OBS_USDT_H */
