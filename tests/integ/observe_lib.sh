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

# gone IDS...: waits up to 5 s (programs are freed after an RCU grace period)
# and prints the ids still loaded.  An id is a program's, or map:ID a map's.
gone() {
	local i id left
	for ((i = 0; i < 50; i++)); do
		left=""
		for id in "$@"; do
			case $id in
			map:*) bpftool map show id "${id#map:}" >/dev/null 2>&1 ;;
			*) prog_exists "$id" ;;
			esac && left="$left $id"
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
}

# running PID: PID is alive (a zombie is not).
running() {
	[ -e "/proc/$1" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# reap PID SECS: PID's exit status, or 124 if it still runs SECS seconds from
# now (a hang: it is killed).  For a background observe whose own PID
# bpf_held needs, where timeout(1) would stand in between.
reap() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		running "$1" || break
		sleep 0.1
	done
	if running "$1"; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}

# bpf_held PID: the programs and maps PID holds once it holds a link (they
# are all loaded before the first is attached), as gone takes them; nothing
# if it exits first.  One poll suffices, so that a run of 1 s is caught even
# on a loaded box.  PID must be observe's own, not timeout(1)'s.
bpf_held() {
	local i
	for ((i = 0; i < 400; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		if [ "$(bpf_link_count "$1")" -gt 0 ]; then
			{ bpf_prog_ids "$1"; bpf_map_ids "$1" | sed 's/^/map:/'; } |
				tr '\n' ' '
			return 0
		fi
		sleep 0.05
	done
}

# stderr_lines FILE: number of non-empty lines.
stderr_lines() { grep -c . "$1" || true; }

# fail_n N DESCRIPTION: N failed tests, for a group whose subject is missing
# (so that checks that compare two absent values cannot pass by accident).
fail_n() {
	local i
	for ((i = 0; i < $1; i++)); do ok 0 "$2"; done
}

# ---- verdict tests (observe_verdict*.t, observe_tokio.t) ----------------------

# run NAME [observe options] -- CMD...: observe $RUN_FLAGS --json -o
# NAME.json; the command's own output is discarded.  Leaves NAME.json,
# NAME.err and RC.
run() {
	local name=$1
	shift
	# shellcheck disable=SC2086 # RUN_FLAGS: zero or more options
	timeout -k 5 60 "$OBSERVE" ${RUN_FLAGS:-} --json -o "$TMPDIR_T/$name.json" \
		"$@" >/dev/null 2>"$TMPDIR_T/$name.err"
	RC=$?
}

# shape NAME: the verdict's shape ("" if the document is missing or bad).
shape() { jq -r '.verdict.shape // ""' "$TMPDIR_T/$1.json" 2>/dev/null; }

# has_finding NAME SHAPE: 1 if SHAPE is among findings[], 0 if not, "" if
# the document is missing (so that a negative check cannot pass on nothing).
has_finding() {
	jq -r --arg s "$2" '[.findings[].shape] | if index($s) == null then 0 else 1 end' \
		"$TMPDIR_T/$1.json" 2>/dev/null
}

# explain NAME: the verdict and the findings as diagnostics (on failure).
explain() {
	diag "$1: exit $RC; stderr: $(head -c 300 "$TMPDIR_T/$1.err" 2>/dev/null)"
	diag "$1: $(jq -c '{verdict: .verdict, findings: [.findings[] | {shape, confidence}], notes}' \
		"$TMPDIR_T/$1.json" 2>/dev/null | head -c 1500)"
}

# expect_shape NAME WANT DESCRIPTION
expect_shape() {
	local got
	got=$(shape "$1")
	is "$got" "$2" "$3"
	[ "$got" = "$2" ] || explain "$1"
}

# notes_need_probes DESCRIPTION NAME...: one test, that each document has
# exactly one note saying a suspension convoy needs runtime probes.
notes_need_probes() {
	local desc=$1 name n=0
	shift
	for name in "$@"; do
		if jq -e '.notes | map(select(test("suspension convoy") and test("runtime probes"))) | length == 1' \
			"$TMPDIR_T/$name.json" >/dev/null 2>&1; then
			n=$((n + 1))
		else
			diag "$name: notes $(jq -c '.notes' "$TMPDIR_T/$name.json" 2>/dev/null)"
		fi
	done
	is "$n" "$#" "$desc"
}

# converter_agrees NAME...: one test, that each document's verdict,
# findings and notes are what `observe --diagnose --json` derives from the
# document alone: the live path (snapshot -> analysis) and the JSON path
# (user/analysis/diag_json.c) agree.
converter_agrees() {
	local name keys='{verdict, findings, notes}' n=0
	for name in "$@"; do
		if cmp -s <(jq -S "$keys" "$TMPDIR_T/$name.json" 2>/dev/null) \
			<("$TOP/observe" --diagnose "$TMPDIR_T/$name.json" --json 2>/dev/null |
			  jq -S "$keys" 2>/dev/null) &&
		   [ -n "$(shape "$name")" ]; then
			n=$((n + 1))
		else
			diag "$name: observe --diagnose --json does not give the document's own verdict"
		fi
	done
	is "$n" "$#" "observe --diagnose on each JSON document gives its own verdict, findings and notes"
}

# verdict_summary NAME...: the findings of each run as one diagnostic line
# (prove -v): they come from noisy data.
verdict_summary() {
	local name summary=
	for name in "$@"; do
		summary="$summary $name=$(jq -r '[.findings[] | "\(.shape):\(.confidence)"] | join(",")' \
			"$TMPDIR_T/$name.json" 2>/dev/null)"
	done
	diag "verdicts:$summary"
}

# nothing_left NAME [DESCRIPTION]: one test, that the run NAME held BPF
# objects (the caller's HELD[NAME], from bpf_held) and none is left.
nothing_left() {
	local ids=${HELD[$1]:-} left
	# shellcheck disable=SC2086 # ids: words
	left=$(gone $ids)
	ok "$([ -n "${ids// /}" ] && [ -z "$left" ] && echo 1 || echo 0)" \
		"${2:-$1}: none of the programs and maps it held is left (held $(wc -w <<<"$ids"), left:$left)"
}

# collect NAMES...: the observers started in the background (the caller's
# PIDS[NAME], observe's own pids): what each held once attached into
# HELD[NAME] (unless the caller took it already, while they surely ran),
# then each one's exit status into RCS[NAME].
collect() {
	local name
	for name in "$@"; do
		[ -n "${HELD[$name]:-}" ] || HELD[$name]=$(bpf_held "${PIDS[$name]}")
	done
	for name in "$@"; do
		reap "${PIDS[$name]}" 30
		RCS[$name]=$?
	done
}
