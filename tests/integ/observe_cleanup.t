#!/bin/bash
# observe_cleanup.t - observe leaves no BPF program behind: after a normal
# exit, and after observe itself is killed with SIGKILL (the kernel must free
# everything with its file descriptors: no pinning, no leaked links).
#
# While observe runs, its programs are read from /proc/PID/fdinfo (exact, even
# with other observers running on the box); afterwards none of those ids may
# exist.  The whole `bpftool prog show` list is also diffed: no new program
# named like observe's may remain (checked only when no other observe process
# runs, since those load the same names).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_cmd bpftool
need_target spin_threads

plan 10

prog_list() { bpftool prog show -j 2>/dev/null | jq -r '.[] | "\(.id) \(.name // "-")"' | sort; }

# new_named BEFORE NAMES: programs in the current list, not in BEFORE, whose
# name is one of NAMES; waits up to 5 s for the list to empty, since another
# observe that just exited may still have programs awaiting their RCU free.
new_named() {
	local i left
	for ((i = 0; i < 50; i++)); do
		left=$(comm -13 "$1" <(prog_list) | awk -v names="$2" '
			BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
			$2 in want')
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
}

# name_diff DESCRIPTION: the whole-list check; leftovers only count when no
# other observe runs (those load programs with the same names).
name_diff() {
	local left
	left=$(new_named "$before" "$NAMES" | tr '\n' ' ')
	if [ -n "$left" ] && pgrep -x observe >/dev/null; then
		skip "another observe is running; name diff not meaningful"
	else
		is "$left" "" "$1"
	fi
}

# run_and_collect MODE: starts observe, waits for attach, sets OPID, IDS, NAMES.
run_and_collect() {
	local out=$TMPDIR_T/$1.out
	"$OBSERVE" --json -o "$TMPDIR_T/$1.json" -- "$TARGETS/spin_threads" -t 1 -s "$2" \
		>"$out" 2>"$TMPDIR_T/$1.err" &
	OPID=$!
	IDS=""
	NAMES=""
	if wait_attached "$OPID" 20; then
		IDS=$(bpf_prog_ids "$OPID" | tr '\n' ' ')
		local id
		for id in $IDS; do
			NAMES="$NAMES $(bpftool prog show id "$id" -j | jq -r '.name // empty')"
		done
	fi
}

# ---- 1. normal exit ------------------------------------------------------------
before=$TMPDIR_T/before.list
prog_list >"$before"
run_and_collect normal 2
ok "$([ -n "$IDS" ] && echo 1 || echo 0)" "normal: observe holds BPF programs while running ($IDS)"
wait "$OPID"
rc=$?
is "$rc" 0 "normal: observe exits 0"
left=$(gone $IDS)
is "$left" "" "normal: none of observe's programs remain after exit"
name_diff "normal: no new program named like observe's ($NAMES) in bpftool prog show"

# ---- 2. observe killed with SIGKILL (launch mode) ------------------------------
prog_list >"$before"
run_and_collect killed 30
ok "$([ -n "$IDS" ] && echo 1 || echo 0)" "SIGKILL: observe holds BPF programs while running"
tpid=$(awk '$1 == "pid" { print $2; exit }' "$TMPDIR_T/killed.out")
kill -KILL "$OPID"
wait "$OPID" 2>/dev/null
left=$(gone $IDS)
is "$left" "" "SIGKILL: none of observe's programs remain after observe is killed"
name_diff "SIGKILL: no new program named like observe's in bpftool prog show"
[ -n "$tpid" ] && kill -KILL "$tpid" 2>/dev/null

# ---- 3. observe -p killed with SIGKILL (attach mode) ---------------------------
"$TARGETS/spin_threads" -t 1 -s 0 >/dev/null &
tpid=$!
"$OBSERVE" --json -o "$TMPDIR_T/att.json" -p "$tpid" -d 30 2>"$TMPDIR_T/att.err" &
OPID=$!
IDS=""
wait_attached "$OPID" 20 && IDS=$(bpf_prog_ids "$OPID" | tr '\n' ' ')
ok "$([ -n "$IDS" ] && echo 1 || echo 0)" "SIGKILL -p: observe holds BPF programs while running"
kill -KILL "$OPID"
wait "$OPID" 2>/dev/null
left=$(gone $IDS)
is "$left" "" "SIGKILL -p: none of observe's programs remain"
ok "$(kill -0 "$tpid" 2>/dev/null && echo 1 || echo 0)" \
	"SIGKILL -p: the observed process is left running"
kill -KILL "$tpid" 2>/dev/null
wait "$tpid" 2>/dev/null
done_testing
