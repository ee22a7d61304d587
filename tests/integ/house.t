#!/bin/bash
# house.t - the observer's house rules (docs/design.md), checked on the
# tree rather than trusted to review:
#  1. every header compiles on its own (no hidden include order);
#  2. nothing in bpf/ or user/ includes a file of demos/;
#  3. the headers of user/ include each other without a cycle;
#  4. no function of user/ or bpf/ is longer than FUNC_MAX lines, unless the
#     comment above it says why with "(long: REASON)".
# The checks print the offending files; a deliberate offence in a scratch
# copy (the last test) shows that each check can fail.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
plan 5
FUNC_MAX=80
ARCH=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH=$(gcc -print-multiarch)

# check_headers DIR: the headers under DIR that do not compile alone.
check_headers() {
	local h
	for h in $(find "$1/user" "$1/abi" -name '*.h') "$1/bpf/observe.h"; do
		gcc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
			-I"$1/user" -I"$1/abi" -I"$1/bpf" -I"$BUILD/bpf" \
			-fsyntax-only -x c "$h" >/dev/null 2>&1 || echo "$h"
	done
	for h in "$1"/bpf/*.bpf.h; do
		clang -target bpf -D__TARGET_ARCH_"$ARCH" -Wall -Werror \
			-Wno-unused-function -I"$1/vmlinux/$ARCH" -I"$1/bpf" \
			-I"$1/abi" -idirafter "/usr/include/$MULTIARCH" \
			-fsyntax-only -x c "$h" >/dev/null 2>&1 || echo "$h"
	done
}

# check_demo_includes DIR: lines of bpf/ and user/ that reach into demos/.
check_demo_includes() {
	grep -rnE '#include ".*(demos/|rt_internal\.h|probes\.h|sched_probe\.h)' \
		"$1/bpf" "$1/user" || true
}

# check_cycles DIR: tsort's complaint if user/'s headers include in a loop.
check_cycles() {
	local h inc
	for h in $(cd "$1/user" && find . -name '*.h' | sed 's|^\./||'); do
		echo "$h $h"
		sed -n 's/^#include "\(.*\)"/\1/p' "$1/user/$h" | while read -r inc; do
			[ -f "$1/user/$inc" ] && echo "$inc $h"
		done
	done | tsort 2>&1 >/dev/null | grep -i loop || true
}

# check_lengths DIR: functions over FUNC_MAX lines without a "(long:" reason.
check_lengths() {
	find "$1/user" "$1/bpf" -name '*.[ch]' -print0 | xargs -0 awk -v max="$FUNC_MAX" '
		FNR == 1 { why = 0 }
		/\(long: / { why = FNR }
		/^[A-Za-z_].*\(/ && !/;[ \t]*$/ { cand = FNR; sig = $0 }
		/^\{/ && cand { start = FNR; name = sig; inside = 1; excused = why && cand - why < 8 }
		/^\}/ && inside {
			if (FNR - start - 1 > max && !excused)
				printf "%s:%d %d lines: %s\n", FILENAME, start, FNR - start - 1, name
			inside = 0; cand = 0
		}'
}

out=$(check_headers .)
ok "$([ -z "$out" ] && echo 1 || echo 0)" "every header compiles on its own${out:+: $out}"
out=$(check_demo_includes .)
ok "$([ -z "$out" ] && echo 1 || echo 0)" "nothing in bpf/ or user/ includes a demo's header${out:+: $out}"
out=$(check_cycles .)
ok "$([ -z "$out" ] && echo 1 || echo 0)" "no include cycle among user/'s headers${out:+: $out}"
out=$(check_lengths .)
ok "$([ -z "$out" ] && echo 1 || echo 0)" "no function over $FUNC_MAX lines without a reason${out:+: $out}"

# The checks can fail: a scratch tree with one offence of each kind.
S=$TMPDIR_T/tree
mkdir -p "$S"
cp -r user bpf abi vmlinux "$S"/
printf '#include "output/report.h"\n' >> "$S/user/tiers/kernel.h"	# a cycle
printf 'FILE *needs_stdio(void);\n' >> "$S/user/common/syscalls.h"	# not alone
printf '#include "../demos/rt/rt.h"\n' >> "$S/bpf/observe.h"
{ printf 'int too_long(void)\n{\n'; for _ in $(seq 90); do printf '\t;\n'; done; printf '\treturn 0;\n}\n'; } >> "$S/user/cli.c"
caught=0
[ -n "$(check_headers "$S")" ] && caught=$((caught + 1))
[ -n "$(check_demo_includes "$S")" ] && caught=$((caught + 1))
[ -n "$(check_cycles "$S")" ] && caught=$((caught + 1))
[ -n "$(check_lengths "$S")" ] && caught=$((caught + 1))
is "$caught" 4 "each check catches its offence in a scratch tree"
