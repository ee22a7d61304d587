#!/bin/bash
# observe_cost.t - observe says what observing cost (JSON "cost", the
# report's "observing cost" lines), measured while it runs, and --budget
# sheds optional work in its documented order.
#
# Ground truth: pingpong (tests/targets) prints its own context switches/s,
# and every one of them runs obs_sched_switch once, so the program's
# measured runs/s must match it; the BPF statistics are on only in windows
# and kernel.bpf_stats_enabled is as it was afterwards.
#  1. a pinned pingpong storm, 3 s: cost.programs has obs_sched_switch at
#     the workload's switch rate (+-25%), a ns/run, BPF time measured in one
#     0.5 s window of each 10 s, and a non-zero BPF CPU share; the sysctl is
#     0 after, as before.
#  2. the same with kernel.bpf_stats_enabled already 1: the whole run is
#     measured, and the sysctl is still 1 after.
#  3. --budget 0.5 on the storm: waker attribution is shed first, then the
#     notable spans, then the CPU runs, then "over budget" with nothing left
#     (windows every 2 s under --budget); the report says so; sched_waking
#     and sys_exit are detached while observe still runs, and stay attached
#     without --budget.
#  4. --budget 50 on a sleeping target: nothing shed.
#  5. bad --budget values: exit 2 and one line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_cmd bpftool
need_target pingpong

SYSCTL=/proc/sys/kernel/bpf_stats_enabled
[ -w "$SYSCTL" ] || skip_all "no $SYSCTL"
stats0=$(cat "$SYSCTL")
trap 'echo "$stats0" > "$SYSCTL"; rm -rf "$TMPDIR_T"' EXIT
echo 0 > "$SYSCTL"
CPU=$(($(nproc) - 1))

plan 20

# storm NAME [observe options]: observe --json -p a pinned pingpong storm of
# 3 s (its statistics window is from 0.5 to 1 s after attach, inside the
# storm); leaves NAME.json, NAME.pp (pingpong's line), NAME.err, and in
# NAME.progs the programs observe held attached once attached.
storm() {
	local name=$1 pp opid
	shift
	taskset -c "$CPU" "$TARGETS/pingpong" -s 3 >"$TMPDIR_T/$name.pp" &
	pp=$!
	# no timeout(1) in between: its fdinfo is observe's (it ends with pp)
	"$OBSERVE" --json -o "$TMPDIR_T/$name.json" "$@" \
		-p "$pp" 2>"$TMPDIR_T/$name.err" &
	opid=$!
	wait_attached "$opid" 20 2 && linked_progs "$opid" >"$TMPDIR_T/$name.progs"
	wait "$opid" "$pp"
}
# linked_progs PID: names of the programs PID holds attached (through
# links: a detached program stays loaded), sorted.
linked_progs() {
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		grep -q '^link_type:' "$f" 2>/dev/null || continue
		id=$(awk '$1 == "prog_id:" { print $2 }' "$f")
		[ -n "$id" ] && bpftool prog show id "$id" --json 2>/dev/null | jq -r '.name // empty'
	done | sort -u | tr '\n' ' '
}
sw() { awk '{ for (i = 1; i < NF; i++) if ($i == "switches_per_s") print $(i + 1) }' "$1"; }
cost() { jq -r ".cost | $2" "$TMPDIR_T/$1.json"; }

# ---- 1. windows -------------------------------------------------------------
storm win
rate=$(sw "$TMPDIR_T/win.pp")
got=$(cost win '.programs[] | select(.name == "obs_sched_switch") | .runs_per_s')
within "${got:-0}" "${rate:-1}" 25 0 \
	"obs_sched_switch runs/s ($got) is the workload's switches/s ($rate)"
cmp_num "$(cost win '.programs[] | select(.name == "obs_sched_switch") | .ns_per_run')" \
	'>' 0 "obs_sched_switch has a ns/run"
within "$(cost win '.bpf_measured_s * 1000 | round')" 500 20 0 \
	"statistics on for one 0.5 s window of the ~3 s run"
cmp_num "$(cost win '.bpf_cpu_pct')" '>' 0 "a BPF CPU share"
cmp_num "$(cost win '.observe_cpu_pct')" '>' 0 "observe's own CPU share (getrusage) is measured"
is "$(cat "$SYSCTL")" 0 "kernel.bpf_stats_enabled is 0 after, as before"
is "$(cost win '.shed | length')" 0 "no --budget: nothing shed"

# ---- 2. statistics already on -----------------------------------------------
echo 1 > "$SYSCTL"
storm always
within "$(cost always '.bpf_measured_s * 1000 | round')" \
	"$(cost always '.wall_s * 1000 | round')" 2 50 \
	"statistics on already: the whole run is measured"
is "$(cat "$SYSCTL")" 1 "kernel.bpf_stats_enabled still 1 after"
echo 0 > "$SYSCTL"

# ---- 3. --budget sheds, in order --------------------------------------------
taskset -c "$CPU" "$TARGETS/pingpong" -s 10 >/dev/null &
pp=$!
"$OBSERVE" --budget 0.5 --json -o "$TMPDIR_T/budget.json" -p "$pp" \
	2>"$TMPDIR_T/budget.err" &
opid=$!
sleep 8		# windows end at 1, 3, 5 and 7 s
names1=$(linked_progs "$opid")
kill -INT "$opid"; wait "$opid"; rc=$?
wait "$pp"
is "$rc" 0 "observe --budget exits 0"
ok "$([[ " $(cat "$TMPDIR_T/win.progs") " == *" obs_sched_waking "* &&
	" $(cat "$TMPDIR_T/win.progs") " == *" obs_sys_exit "* ]] && echo 1 || echo 0)" \
	"without --budget, sched_waking and sys_exit stay attached"
ok "$([[ " $names1 " != *" obs_sched_waking "* && " $names1 " != *" obs_sys_exit "* &&
	" $names1 " == *" obs_sched_switch "* ]] && echo 1 || echo 0)" \
	"sched_waking and sys_exit detached over the budget, sched_switch kept ($names1)"
is "$(jq -r '[.cost.shed[].what] | join(",")' "$TMPDIR_T/budget.json")" \
	"waker attribution,notable spans and their stacks,CPU runs" \
	"shed in the documented order"
is "$(jq -r '.cost.over_budget' "$TMPDIR_T/budget.json")" true \
	"still over the budget, with nothing left to shed"
# pingpong's threads block every few us: a CPU run of 10 ms after the
# shed would be made up by a run that no syscall return ends any more
is "$(jq '[.threads[] | select(.comm == "pingpong") | .cpu_runs.long] | add' \
	"$TMPDIR_T/budget.json")" 0 "no long CPU run made up after the shed"
# the report says it too
taskset -c "$CPU" "$TARGETS/pingpong" -s 3 >/dev/null &
pp=$!
timeout -k 5 30 "$OBSERVE" --budget 0.5 -d 1.5 -o "$TMPDIR_T/budget.rep" -p "$pp" \
	2>"$TMPDIR_T/budget.err"
wait "$pp"
is "$(sed -n 's/.*over the budget of 0.50%: shed \(.*\) at .*/\1/p' "$TMPDIR_T/budget.rep")" \
	"waker attribution" "the report says what was shed, and when (the first window)"

# ---- 4. under the budget -----------------------------------------------------
timeout -k 5 30 "$OBSERVE" --budget 50 --json -o "$TMPDIR_T/under.json" -- \
	sleep 1.5 2>"$TMPDIR_T/under.err"
is "$(jq -c '[.cost.shed, .cost.over_budget, .cost.budget_pct]' "$TMPDIR_T/under.json")" \
	'[[],false,50]' "--budget 50, a sleeping target: nothing shed"

# ---- 5. bad values -------------------------------------------------------------
for v in 0 abc 101; do
	"$OBSERVE" --budget "$v" -d 1 -- true >/dev/null 2>"$TMPDIR_T/bad.err"
	rc=$?
	ok "$([ $rc = 2 ] && [ "$(stderr_lines "$TMPDIR_T/bad.err")" = 1 ] && echo 1 || echo 0)" \
		"--budget $v: exit 2 ($rc) and one line: $(head -1 "$TMPDIR_T/bad.err")"
done

done_testing
