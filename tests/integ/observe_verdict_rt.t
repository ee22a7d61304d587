#!/bin/bash
# observe_verdict_rt.t - the verdict with the runtime tier (the demos carry
# the rt probes, which observe attaches by itself): every demo gives its own
# shape as the top verdict, every --fixed variant healthy (demo_convoy's may
# stay cpu_overload: its fix leaves the CPU pressure in place), demo_probe
# healthy.  Each run injects its shape, so the expectation is ground truth;
# the margins are docs/diagnosis.md's (2x or more on this box).
# ~45 s: fifteen 2 s runs, one at a time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
for d in demo_starvation demo_probe demo_convoy demo_suspension demo_server; do
	[ -x "$TOP/demos/$d" ] || skip_all "demos/$d not built"
done

plan 37

SECS=2
W=(--workers 2 --secs "$SECS")

# rt_on NAME: the runtime tier ran (the demo's probes were found).
rt_on() {
	ok "$(jq -e '.runtime.kind == "rt" and (.runtime.workers | length) == 2' \
		"$TMPDIR_T/$1.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
		"$1: the runtime tier is on, with both workers"
}

# evidence_has NAME REGEX DESCRIPTION: one of the verdict's evidence lines
# matches.
evidence_has() {
	ok "$(jq -e --arg r "$2" '.verdict.evidence | map(select(test($r))) | length > 0' \
		"$TMPDIR_T/$1.json" >/dev/null 2>&1 && echo 1 || echo 0)" "$3"
}

# ---- executor starvation, every mode ------------------------------------------
run starv_sleep -- "$TOP/demos/demo_starvation" "${W[@]}" --mode sleep
rt_on starv_sleep
expect_shape starv_sleep executor_starvation "starvation --mode sleep: executor_starvation"
evidence_has starv_sleep 'polls longer than 10 ms' \
	"starvation --mode sleep: the evidence counts the polls over 10 ms"
# (not "the longest poll": on a loaded box one poll stretched by preemption
# alone can outlast the 20 ms sleeps; seen once in ~20 runs)
ok "$(jq -e '.verdict.evidence | map(select(test("clock_nanosleep"))) | length > 0' \
	"$TMPDIR_T/starv_sleep.json" >/dev/null 2>&1 &&
	jq -e '[.runtime.longest_polls[] | select(.off_syscall == "clock_nanosleep")] | length >= 8' \
	"$TMPDIR_T/starv_sleep.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"starvation --mode sleep: the evidence names clock_nanosleep, and most of the longest polls were blocked in it"
# with the probes, nothing is left unseen about suspension convoys
is "$(jq -r '[.notes[] | select(test("suspension convoy"))] | length' \
	"$TMPDIR_T/starv_sleep.json" 2>/dev/null)" 0 \
	"starvation: no 'suspension convoy is invisible' note with the runtime tier"

run starv_spin -- "$TOP/demos/demo_starvation" "${W[@]}" --mode spin
expect_shape starv_spin executor_starvation \
	"starvation --mode spin: executor_starvation (CPU-bound polls, invisible to the kernel tier)"
evidence_has starv_spin 'polls longer than 10 ms' \
	"starvation --mode spin: the evidence counts the polls over 10 ms"

run starv_io -- "$TOP/demos/demo_starvation" "${W[@]}" --mode io
expect_shape starv_io executor_starvation "starvation --mode io: executor_starvation"
evidence_has starv_io 'blocked in read' \
	"starvation --mode io: the longest poll was blocked in read"

run starv_greedy -- "$TOP/demos/demo_starvation" "${W[@]}" --mode greedy --no-budget
expect_shape starv_greedy executor_starvation \
	"starvation --mode greedy --no-budget: executor_starvation (nothing blocks, no budget ends the poll)"

# ---- their fixes -------------------------------------------------------------------
run starv_fixed -- "$TOP/demos/demo_starvation" "${W[@]}" --fixed
expect_shape starv_fixed healthy "starvation --fixed: healthy (the sleeps moved to the blocking pool)"
ok "$(jq -e '.runtime.blocking_pool.jobs > 0' "$TMPDIR_T/starv_fixed.json" \
	>/dev/null 2>&1 && echo 1 || echo 0)" \
	"starvation --fixed: the runtime tier saw the blocking-pool jobs"

run starv_io_fixed -- "$TOP/demos/demo_starvation" "${W[@]}" --mode io --fixed
expect_shape starv_io_fixed healthy "starvation --mode io --fixed: healthy"

# The spin moves to the blocking pool but still wants its CPU time: on a
# loaded box that is CPU overload (of the machine), never starvation.
run starv_spin_fixed -- "$TOP/demos/demo_starvation" "${W[@]}" --mode spin --fixed
got=$(shape starv_spin_fixed)
ok "$([ "$got" = healthy ] || [ "$got" = cpu_overload ] && echo 1 || echo 0)" \
	"starvation --mode spin --fixed: healthy or cpu_overload, got '$got'"
is "$(has_finding starv_spin_fixed executor_starvation)" 0 \
	"starvation --mode spin --fixed: no executor_starvation finding"

# ---- mutex convoy --------------------------------------------------------------------
run convoy -- "$TOP/demos/demo_convoy" "${W[@]}"
rt_on convoy
expect_shape convoy mutex_convoy "convoy: mutex_convoy"
evidence_has convoy '^sync lock 0x' "convoy: the evidence names the sync lock (runtime tier)"
is "$(has_finding convoy suspension_convoy)" 0 "convoy: a sync lock is not a suspension convoy"

run convoy_fixed -- "$TOP/demos/demo_convoy" "${W[@]}" --fixed
got=$(shape convoy_fixed)
ok "$([ "$got" = healthy ] || [ "$got" = cpu_overload ] && echo 1 || echo 0)" \
	"convoy --fixed: healthy or cpu_overload, got '$got'"
is "$(has_finding convoy_fixed mutex_convoy)" 0 "convoy --fixed: no mutex_convoy finding"
case $got in healthy | cpu_overload) ;; *) explain convoy_fixed ;; esac

# ---- suspension convoy: only the runtime tier sees it ----------------------------
run susp -- "$TOP/demos/demo_suspension" "${W[@]}"
rt_on susp
expect_shape susp suspension_convoy "suspension: suspension_convoy"
evidence_has susp '^async lock 0x.*while the holder was suspended' \
	"suspension: the evidence names the async lock held while suspended"
ok "$(jq -e '.verdict.remedy | test("drop the guard")' "$TMPDIR_T/susp.json" >/dev/null 2>&1 \
	&& echo 1 || echo 0)" "suspension: the remedy is to drop the guard before awaiting"
# ground truth: the demo holds the lock across a 20 ms sleep, so the hold
# is almost all suspended
ok "$(jq -e '.runtime.locks[0] | .kind == "async" and .held_suspended_ns >= 0.9 * .hold_ns' \
	"$TMPDIR_T/susp.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"suspension: >= 90% of the async lock's hold time was suspended"

run susp_async_convoy -- "$TOP/demos/demo_convoy" "${W[@]}" --lock async
expect_shape susp_async_convoy suspension_convoy \
	"convoy --lock async (the guard held across an await): suspension_convoy"

run susp_fixed -- "$TOP/demos/demo_suspension" "${W[@]}" --fixed
expect_shape susp_fixed healthy "suspension --fixed: healthy"
is "$(has_finding susp_fixed suspension_convoy)" 0 "suspension --fixed: no suspension_convoy finding"

# ---- the request path: a blocking handler among async ones -----------------------
run server -- "$TOP/demos/demo_server" "${W[@]}"
rt_on server
expect_shape server executor_starvation "server: executor_starvation"
evidence_has server 'polls longer than 10 ms' "server: the evidence counts the slow polls"

run server_fixed -- "$TOP/demos/demo_server" "${W[@]}" --fixed
expect_shape server_fixed healthy "server --fixed: healthy"

# ---- the probe alone ---------------------------------------------------------------
run probe -- "$TOP/demos/demo_probe" "${W[@]}"
rt_on probe
expect_shape probe healthy "probe: healthy"
is "$(jq -r '.verdict.confidence_level' "$TMPDIR_T/probe.json" 2>/dev/null)" high \
	"probe: healthy with high confidence (the runtime tier rules the shapes out)"

# ---- every run: the in-memory filling and the JSON agree --------------------------
# (observe --diagnose --json: user/analysis/diag_json.c)
NAMES="starv_sleep starv_spin starv_io starv_greedy starv_fixed starv_io_fixed starv_spin_fixed convoy
	convoy_fixed susp susp_async_convoy susp_fixed server server_fixed probe"
# shellcheck disable=SC2086 # NAMES: a list
converter_agrees $NAMES
# shellcheck disable=SC2086
verdict_summary $NAMES

done_testing
