# shellcheck shell=bash
# observe_lib.sh - helpers for the observer's integration tests
# (tests/integ/observe_*.t), sourced after lib.sh:
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/observe_lib.sh"
#	need_root; need_observe; need_target spin_threads
#
# Targets (tests/targets/*.c) print their ground truth on stdout as
# "key value..." lines; observe writes its JSON document (v1) with -o FILE.

OBSERVE=${OBSERVE:-$TOP/observe}	# override to test another build
TARGETS=$BUILD/tests/targets

need_observe() {
	[ -x "$OBSERVE" ] || skip_all "observe not built ($OBSERVE)"
	need_cmd jq
}

need_target() {
	local t
	for t in "$@"; do
		[ -x "$TARGETS/$t" ] || skip_all "target $t not built ($TARGETS/$t)"
	done
}

# json_ok FILE: one JSON object of version 1 (prints nothing).
json_ok() { jq -e 'type == "object" and .version == 1' "$1" >/dev/null 2>&1; }

# jt FILE TID FILTER: FILTER applied to the thread with that tid, raw output.
jt() { jq -r --argjson t "$2" ".threads[] | select(.tid == \$t) | $3" "$1"; }

# field OUT KEY N: field N (1 = first after KEY) of the first "KEY ..." line.
field() { awk -v k="$2" -v n="$3" '$1 == k { print $(n + 1); exit }' "$1"; }

. "$TOP/scripts/lib/bpf_fds.sh"

# prog_exists ID: a BPF program with this id is still loaded.
prog_exists() { bpftool prog show id "$1" >/dev/null 2>&1; }

# stderr_lines FILE: number of non-empty lines.
stderr_lines() { grep -c . "$1" || true; }

# fail_n N DESCRIPTION: N failed tests, for a group whose subject is missing
# (so that checks that compare two absent values cannot pass by accident).
fail_n() {
	local i
	for ((i = 0; i < $1; i++)); do ok 0 "$2"; done
}
