#!/bin/bash
# observe_verdict.t - observe's verdict (user/diag_fill.c -> user/diagnose.c)
# from the kernel tier alone (--no-runtime: what observe can tell about a
# program without the rt probes) on programs whose failure shape is known
# because they inject it: each demo and its --fixed variant, the scheduling
# probe alone, and a CPU hog with more threads than cores.  Every run must
# also say that a suspension convoy needs runtime probes.  The runtime tier's
# verdicts: observe_verdict_rt.t; real Tokio: observe_tokio.t.  ~18 s: seven
# 2 s runs, one at a time (two at once on 2 cores would overload each other
# and blur the control runs).
#
# The verdict is computed from noisy data on a shared box; the expectations
# are those of docs/diagnosis.md's calibration, which hold with margins of
# 2x or more (broken starvation 80% blocked vs 2% threshold; convoy 14-29%
# of worker time on one futex vs 5%; fixed runs near 0).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_target spin_threads
for d in demo_starvation demo_probe demo_convoy; do
	[ -x "$TOP/demos/$d" ] || skip_all "demos/$d not built"
done

plan 32

SECS=2
NCPU=$(nproc)

# The kernel tier alone: what observe can tell without the rt probes.
RUN_FLAGS=--no-runtime

# ---- executor starvation: workers sleep 20 ms inside polls ------------------
run starv -- "$TOP/demos/demo_starvation" --workers 2 --secs "$SECS"
is "$RC" 0 "starvation: observe exits 0 (the demo's status)"
ok "$(json_ok "$TMPDIR_T/starv.json" && echo 1 || echo 0)" "starvation: one JSON document v1"
expect_shape starv executor_starvation "starvation: verdict executor_starvation"
is "$(jq -r '.verdict.confidence_level' "$TMPDIR_T/starv.json" 2>/dev/null)" high \
	"starvation: confidence high (80% of worker time blocked, 40x the threshold)"
# the evidence names what the demo injected: clock_nanosleep on both workers
ok "$(jq -e '.verdict.evidence | map(select(test("clock_nanosleep"))) | length > 0' \
	"$TMPDIR_T/starv.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"starvation: the evidence names clock_nanosleep"
ok "$(jq -e '(.verdict.evidence | join(" ")) as $e | ($e | test("rt-worker-0")) and ($e | test("rt-worker-1"))' \
	"$TMPDIR_T/starv.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"starvation: the evidence names both workers"
ok "$(jq -e '.verdict.remedy | test("blocking pool")' "$TMPDIR_T/starv.json" >/dev/null 2>&1 \
	&& echo 1 || echo 0)" "starvation: the remedy is the blocking pool"
# findings[0] is the verdict; confidences ranked; every finding has its form
ok "$(jq -e '(.findings[0] == .verdict) and
	([.findings[].confidence] as $c | $c == ($c | sort | reverse)) and
	all(.findings[]; (.shape | type) == "string" and (.confidence | type) == "number"
	    and .confidence >= 0 and .confidence <= 1
	    and (.confidence_level | IN("low", "medium", "high"))
	    and (.evidence | type) == "array" and (.remedy | type) == "string")' \
	"$TMPDIR_T/starv.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"starvation: findings[0] is the verdict, ranked, each {shape, confidence, confidence_level, evidence, remedy}"
# every existing field is still there
ok "$(jq -e 'has("threads") and has("roles") and has("futex") and has("notable")
	and has("drops") and has("diagnostics") and has("target") and has("duration_s")
	and (.ncpus == '"$NCPU"')' "$TMPDIR_T/starv.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"starvation: the document keeps its fields, and ncpus is the machine's ($NCPU)"
# reals print as rounded (JSON_REAL_PRECISION), not 0.98999999999999999
is "$(grep -cE '[0-9]\.[0-9]{11,}' "$TMPDIR_T/starv.json" 2>/dev/null)" 0 \
	"starvation: no real printed with more than 10 decimals"

# ---- its fix: the sleep moved to the blocking pool ---------------------------
run starv_fixed -- "$TOP/demos/demo_starvation" --workers 2 --secs "$SECS" --fixed
is "$RC" 0 "starvation --fixed: observe exits 0"
expect_shape starv_fixed healthy "starvation --fixed: verdict healthy"
is "$(jq -r '.findings | length' "$TMPDIR_T/starv_fixed.json" 2>/dev/null)" 1 \
	"starvation --fixed: healthy stands alone"

# ---- the scheduling probe alone ------------------------------------------------
run probe -- "$TOP/demos/demo_probe" --workers 2 --secs "$SECS"
is "$RC" 0 "probe: observe exits 0"
expect_shape probe healthy "probe: verdict healthy"

# ---- mutex convoy: a pthread mutex held while pressure threads preempt ----------
run convoy -- "$TOP/demos/demo_convoy" --workers 2 --secs "$SECS"
is "$RC" 0 "convoy: observe exits 0"
expect_shape convoy mutex_convoy "convoy: verdict mutex_convoy"
# ground truth: the futex the verdict names is the one both workers wait on
addr=$(jq -r '.verdict.evidence[0] // ""' "$TMPDIR_T/convoy.json" 2>/dev/null |
	sed -n 's/^futex \(0x[0-9a-f]*\):.*/\1/p')
nw=$(jq -r --arg a "${addr:-none}" '[.futex[] | select(.uaddr == $a) | .waiters[] |
	select(.comm | test("^rt-worker-"))] | length' "$TMPDIR_T/convoy.json" 2>/dev/null)
ok "$([ -n "$addr" ] && [ "${nw:-0}" -ge 2 ] && echo 1 || echo 0)" \
	"convoy: the verdict names a futex ($addr) that both workers wait on (worker waiters: ${nw:-none})"
ok "$(jq -e '.verdict.remedy | test("critical section")' "$TMPDIR_T/convoy.json" >/dev/null 2>&1 \
	&& echo 1 || echo 0)" "convoy: the remedy is to shorten the critical section"
is "$(has_finding convoy executor_starvation)" 0 "convoy: no executor_starvation finding"

# ---- its fix: work outside the lock, pressure at SCHED_IDLE ------------------
run convoy_fixed -- "$TOP/demos/demo_convoy" --workers 2 --secs "$SECS" --fixed
is "$RC" 0 "convoy --fixed: observe exits 0"
got=$(shape convoy_fixed)
ok "$([ "$got" = healthy ] || [ "$got" = cpu_overload ] && echo 1 || echo 0)" \
	"convoy --fixed: verdict healthy or cpu_overload (the pressure still wants CPUs), got '$got'"
is "$(has_finding convoy_fixed mutex_convoy)" 0 "convoy --fixed: never a mutex_convoy finding"
case $got in healthy | cpu_overload) ;; *) explain convoy_fixed ;; esac

# ---- a CPU hog: more runnable threads than cores, no runtime at all -----------
NSPIN=$((2 * NCPU))
run spin -- "$TARGETS/spin_threads" -t "$NSPIN" -s "$SECS"
is "$RC" 0 "spin_threads -t $NSPIN: observe exits 0"
expect_shape spin cpu_overload "spin_threads -t $NSPIN on $NCPU CPUs: verdict cpu_overload"
is "$(has_finding spin executor_starvation)" 0 "spin_threads: not executor starvation"
# ground truth: the threads wanted NSPIN CPUs; the evidence says the target
# itself oversubscribed the machine's NCPU
ok "$(jq -e --arg n "for $NCPU online CPUs" '.verdict.evidence | map(select(contains($n))) | length > 0' \
	"$TMPDIR_T/spin.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"spin_threads: the evidence says the target alone oversubscribed $NCPU CPUs"

# ---- kernel tier: what it cannot see is said, in every run ----------------------
notes_need_probes "every kernel-only run notes that a suspension convoy needs runtime probes" \
	starv starv_fixed probe convoy convoy_fixed spin
is "$(jq -r '[.findings[].shape] | index("suspension_convoy")' "$TMPDIR_T/probe.json" 2>/dev/null)" null \
	"probe: the kernel tier never claims a suspension convoy"

converter_agrees starv starv_fixed probe convoy convoy_fixed spin
verdict_summary starv starv_fixed probe convoy convoy_fixed spin

# ---- the human report: the verdict first, and one per -i interval --------------
REP=$TMPDIR_T/starv.txt
timeout -k 5 60 "$OBSERVE" -i 1 -o "$REP" -- "$TOP/demos/demo_starvation" --workers 2 \
	--secs "$SECS" >/dev/null 2>"$TMPDIR_T/txt.err"
RC=$?
# -i lines ("[   1.00s] ...") come while running; the report after them
first=$(grep -v '^\[' "$REP" 2>/dev/null | head -n 1)
case $first in
"verdict: executor starvation"*) ok 1 "text: the report starts with the verdict in words" ;;
*) ok 0 "text: the report starts with the verdict in words"
	diag "exit $RC, first line: '$first'" ;;
esac
nivl=$(grep -c '^\[ *[0-9.]*s\] verdict: executor_starvation ' "$REP" 2>/dev/null)
ok "$([ "${nivl:-0}" -ge 1 ] && echo 1 || echo 0)" \
	"-i 1: interval verdicts say executor_starvation (${nivl:-0} lines)"
[ "${nivl:-0}" -ge 1 ] || diag "$(grep '^\[' "$REP" 2>/dev/null | head -n 6)"

done_testing
