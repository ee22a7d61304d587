#!/bin/bash
# make_elf_seeds.sh - writes the ELF seeds of fuzz_elfsym into
# tests/fuzz/corpus/elfsym/ (committed; rerun only to change them):
# small files with the names elfsym.c treats differently, i.e. Rust legacy
# (with a hash, a ".llvm." suffix, an alias), Rust v0 (generic arguments, an
# inherent impl, a trait impl), C++ and C; a data object named like a
# function.  Each in the shapes elfsym.c tells apart:
#	exec        ET_EXEC, .symtab
#	dyn         ET_DYN, .symtab and .dynsym
#	dynsym      dyn stripped: .dynsym only (obs_elfsym_stripped)
#	stripped    exec stripped: no symbols (-ENODATA)
#	no-shdrs    exec without section headers, as sstrip leaves it
#	truncated   exec cut inside its program headers (-ENOEXEC)
#	probes      an exec with the rt runtime's USDT notes (rt:worker_start,
#	            rt:slow_poll), for the notes' check (common/usdt.c)
# (names-rust beside them is by hand: not ELF, so a list of names, which
# fuzz_elfsym.c writes as a symbol table itself.)
# Needs gcc, strip, python3, sys/sdt.h.  Each file is a few KB.
set -eu
OUT=${1:-tests/fuzz/corpus/elfsym}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fn() {	# fn NAME [global]: a one-instruction function
	[ "${2:-}" = global ] && printf '\t.globl "%s"\n' "$1"
	printf '\t.type "%s",@function\n"%s":\n\tret\n\t.size "%s",1\n' "$1" "$1" "$1"
}
{
	printf '\t.text\n'
	fn _ZN5tokio7runtime4task3raw4poll17h5d1b3a2e4f607182E global
	fn _ZN5tokio7runtime4task3raw4poll17h9a8b7c6d5e4f3021E.llvm.2501885473355299595
	printf '\t.set "%s","%s"\n\t.type "%s",@function\n\t.size "%s",1\n' \
		_ZN5tokio7runtime4task3raw4poll17h0f1e2d3c4b5a6978E \
		_ZN5tokio7runtime4task3raw4poll17h5d1b3a2e4f607182E \
		_ZN5tokio7runtime4task3raw4poll17h0f1e2d3c4b5a6978E \
		_ZN5tokio7runtime4task3raw4poll17h0f1e2d3c4b5a6978E
	fn _RINvNtNtNtCs4X4t9plMPHF_5tokio7runtime4task3raw4pollNtCshhNdl82Kjmm_1g3T01E global
	fn '_ZN86_$LT$tokio..sync..batch_semaphore..Acquire$u20$as$u20$core..future..future..Future$GT$4poll17h0123456789abcdefE'
	fn _RNvXNtNtCs4X4t9plMPHF_5tokio4sync15batch_semaphoreNtB2_7AcquireNtNtNtCsgEmfK2I1SDS_4core6future6future6Future4poll
	fn _RNvMNtNtNtNtCs4X4t9plMPHF_5tokio7runtime9scheduler12multi_thread6workerNtB2_7Context12park_timeout global
	fn _ZNSt6vectorIiSaIiEE9push_backERKi global
	fn plain_c_function global
	fn main global
	printf '\t.data\n\t.type "%s",@object\n"%s":\n\t.quad 0\n' \
		_ZN5tokio7runtime4task3raw4poll17hffffffffffffffffE \
		_ZN5tokio7runtime4task3raw4poll17hffffffffffffffffE
} > "$TMP/syms.s"

LDFLAGS="-nostdlib -Wl,--build-id=none -Wl,-z,noseparate-code -Wl,-z,norelro"
# shellcheck disable=SC2086
gcc $LDFLAGS -no-pie -Wl,-e,0 -o "$TMP/exec" "$TMP/syms.s"
# shellcheck disable=SC2086
gcc $LDFLAGS -shared -Wl,--hash-style=gnu -o "$TMP/dyn" "$TMP/syms.s"
strip --strip-all -o "$TMP/dynsym" "$TMP/dyn"
strip --strip-all -o "$TMP/stripped" "$TMP/exec"
python3 - "$TMP/exec" "$TMP/no-shdrs" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
struct.pack_into('<Q', b, 0x28, 0)          # e_shoff
struct.pack_into('<HH', b, 0x3c, 0, 0)      # e_shnum, e_shstrndx
open(sys.argv[2], 'wb').write(b)
PY
head -c 100 "$TMP/exec" > "$TMP/truncated"
printf '#include <sys/sdt.h>\nvoid _start(void)\n{\n\tSTAP_PROBE(rt, worker_start);\n\tSTAP_PROBE1(rt, slow_poll, 1);\n\tfor (;;)\n\t\t;\n}\n' \
	> "$TMP/probes.c"
# shellcheck disable=SC2086
gcc $LDFLAGS -no-pie -Os -o "$TMP/probes" "$TMP/probes.c"

mkdir -p "$OUT"
for f in exec dyn dynsym stripped no-shdrs truncated probes; do
	install -m 644 "$TMP/$f" "$OUT/$f"
done
ls -l "$OUT"
