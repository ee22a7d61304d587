#!/bin/bash
# observe_tokio.t - observe on real, unmodified Tokio (demos/tokio, built
# with Debian's cargo and librust-tokio-dev): the Tokio tier turns on by
# itself from the binary's symbols, and its figures are checked against
# what each demo says it did (its --json): the blocks it injected, its lock
# acquisitions, its thread count.  Also: the verdict of every demo and its
# fixed twin, attach mode, --no-runtime, and a stripped copy (one line,
# kernel tier only).  ~53 s: eighteen runs of 1-3 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_cmd bpftool
TOKIO=$BUILD/tokio/release
for d in tokio_starvation tokio_convoy tokio_suspension tokio_probe; do
	[ -x "$TOKIO/$d" ] || skip_all "$TOKIO/$d not built (no cargo: mk/tokio.mk)"
done

plan 50

W=(--workers 2 --secs 2)
j() { local n=$1; shift; jq -r "$@" "$TMPDIR_T/$n.json" 2>/dev/null; }	# observe's document
d() { local n=$1; shift; jq -r "$@" "$TMPDIR_T/$n.out" 2>/dev/null; }	# the demo's own JSON
f() { awk "BEGIN { print ($1) ? 1 : 0 }" 2>/dev/null || echo 0; }

# trun NAME DEMO ARGS...: observe launches the demo, which prints its JSON.
trun() {
	local name=$1 demo=$2
	shift 2
	timeout -k 5 60 "$OBSERVE" --json -o "$TMPDIR_T/$name.json" -- \
		"$TOKIO/$demo" "$@" --json >"$TMPDIR_T/$name.out" 2>"$TMPDIR_T/$name.err"
	RC=$?
}

# ---- executor starvation: std::thread::sleep inside a poll -----------------------
trun starv tokio_starvation "${W[@]}"
is "$RC" 0 "tokio_starvation: observe exits 0"
is "$(j starv '"\(.runtime.kind) \(.runtime.workers | length)"')" "tokio 2" \
	"tokio_starvation: the Tokio tier is on, with the demo's 2 workers"
is "$(grep -c '^observe: no rt probes' "$TMPDIR_T/starv.err")" 0 \
	"tokio_starvation: no 'runtime tier off' line"
expect_shape starv executor_starvation "tokio_starvation: executor_starvation"
# Ground truth: the blocks the demo injected.  Each is one poll of >= 20 ms;
# a block in progress at either edge of the run is seen or not, and a late
# tick can put two blocks in one poll: +-4 or 5%.
blocks=$(d starv .injected.blocks)
o10=$(j starv .runtime.polls.over_10ms)
ok "$(f "$o10 >= $blocks * 0.95 - 4 && $o10 <= $blocks + 4")" \
	"tokio_starvation: polls over 10 ms ($o10) = blocks injected ($blocks) +-5%"
slow_ns=$(j starv .runtime.polls.over_1ms_ns)
sleep_ns=$(j starv '.runtime.polls.slow_attribution.off_by_syscall.clock_nanosleep // 0')
ok "$(f "$sleep_ns >= $slow_ns * 0.9")" \
	"tokio_starvation: >= 90% of the slow polls' time blocked in clock_nanosleep ($sleep_ns of $slow_ns ns)"
is "$(j starv '.verdict.evidence | map(select(test("polls longer than 10 ms"))) | length > 0')" true \
	"tokio_starvation: the evidence names the slow polls"
ok "$(f "$(j starv '[.runtime.longest_polls[] | select(.off_syscall == "clock_nanosleep")] | length') >= 12")" \
	"tokio_starvation: most of the 16 longest polls were blocked in clock_nanosleep"

trun starv_io tokio_starvation "${W[@]}" --mode io
expect_shape starv_io executor_starvation "tokio_starvation --mode io: executor_starvation"
slow_ns=$(j starv_io .runtime.polls.over_1ms_ns)
read_ns=$(j starv_io '.runtime.polls.slow_attribution.off_by_syscall.read // 0')
ok "$(f "$read_ns >= $slow_ns * 0.9")" \
	"tokio_starvation --mode io: >= 90% of the slow polls' time blocked in read ($read_ns of $slow_ns ns)"

trun starv_spin tokio_starvation "${W[@]}" --mode spin
expect_shape starv_spin executor_starvation "tokio_starvation --mode spin: executor_starvation (CPU-bound polls)"
on_ns=$(j starv_spin .runtime.polls.slow_attribution.on_cpu_ns)
slow_ns=$(j starv_spin .runtime.polls.over_1ms_ns)
ok "$(f "$on_ns + $(j starv_spin .runtime.polls.slow_attribution.rq_ns) >= $slow_ns * 0.9")" \
	"tokio_starvation --mode spin: the slow polls ran (on a CPU or its run queue), not blocked"

trun starv_fixed tokio_starvation "${W[@]}" --fixed
expect_shape starv_fixed healthy "tokio_starvation --fixed (spawn_blocking): healthy"
is "$(j starv_fixed .runtime.polls.over_10ms)" 0 "tokio_starvation --fixed: no poll over 10 ms"
# The blocks now run on the blocking pool: as many jobs (+ the 2 worker
# launches, which are blocking-pool jobs too, if they end in the window).
jobs=$(j starv_fixed .runtime.blocking_pool.jobs)
blocks=$(d starv_fixed .injected.blocks)
ok "$(f "$jobs >= $blocks - 4 && $jobs <= $blocks + 4")" \
	"tokio_starvation --fixed: blocking-pool jobs ($jobs) = blocks injected ($blocks) +-4"
# Thread roles against the demo's own lists (its "threads"): all are named
# tokio-runtime-w, so only what they did tells them apart.
roles() { jq -c --arg r "$2" '[.threads[] | select(.role == $r) | .tid] | sort' "$TMPDIR_T/$1.json" 2>/dev/null; }
is "$(roles starv_fixed worker)" "$(d starv_fixed -c '.threads.workers | sort')" \
	"tokio_starvation --fixed: observe's workers are the demo's workers"
is "$(roles starv_fixed blocking)" "$(d starv_fixed -c '.threads.blocking | sort')" \
	"tokio_starvation --fixed: observe's blocking-pool threads are the demo's"

# ---- suspension convoy: tokio::sync::Mutex held across an await ------------------
trun susp tokio_suspension "${W[@]}"
expect_shape susp suspension_convoy "tokio_suspension: suspension_convoy"
acq=$(j susp '.runtime.locks[0].acquisitions')
want=$(d susp '.peer_wait_us.count + .coord_hold_us.count')
ok "$(f "$acq >= $want - 2 && $acq <= $want + 8")" \
	"tokio_suspension: lock acquisitions ($acq) = the demo's peer waits + coordinator holds ($want)"
susp_ns=$(j susp '.runtime.locks[0].held_suspended_ns')
hold_ns=$(j susp '.runtime.locks[0].hold_ns')
ok "$(f "$susp_ns >= $hold_ns * 0.95 && $hold_ns > 0")" \
	"tokio_suspension: >= 95% of the hold suspended ($susp_ns of $hold_ns ns)"
is "$(j susp '.verdict.evidence[0] | test("^async lock 0x")')" true \
	"tokio_suspension: the evidence names the async lock"

trun susp_fixed tokio_suspension "${W[@]}" --fixed
expect_shape susp_fixed healthy "tokio_suspension --fixed (guard dropped before the await): healthy"
is "$(has_finding susp_fixed suspension_convoy)" 0 "tokio_suspension --fixed: no suspension_convoy finding"

# ---- mutex convoy: std::sync::Mutex, pressure threads preempt the holders -------
trun convoy tokio_convoy --workers 4 --pressure 2 --secs 3
expect_shape convoy mutex_convoy "tokio_convoy, 4 workers and 2 pressure threads: mutex_convoy"
is "$(j convoy -c '[.runtime.workers[].tid] | sort')" "$(d convoy -c '.threads.workers | sort')" \
	"tokio_convoy: the tier's 4 workers are the demo's"
trun convoy2 tokio_convoy "${W[@]}"
expect_shape convoy2 mutex_convoy "tokio_convoy at its default setting (2 workers): mutex_convoy"

trun convoy_fixed tokio_convoy "${W[@]}" --fixed
got=$(shape convoy_fixed)
ok "$([ "$got" = healthy ] || [ "$got" = cpu_overload ] && echo 1 || echo 0)" \
	"tokio_convoy --fixed: healthy or cpu_overload (the pressure stays), got '$got'"
is "$(has_finding convoy_fixed mutex_convoy)" 0 "tokio_convoy --fixed: no mutex_convoy finding"
case $got in healthy | cpu_overload) ;; *) explain convoy_fixed ;; esac

trun probe tokio_probe "${W[@]}"
expect_shape probe healthy "tokio_probe: healthy"

# ---- the tier's own account of itself ---------------------------------------------
ok "$(f "$(j starv .runtime.probe_hits) >= $(j starv .runtime.polls.count) && $(j starv .runtime.coverage) == 1")" \
	"the tier counts its uprobe hits, one at least per poll ($(j starv .runtime.probe_hits) for $(j starv .runtime.polls.count)), and probed every poll at this rate"
is "$(grep -c '^observe: Tokio tier on .*: no tokio::sync::batch_semaphore' "$TMPDIR_T/starv.err")" 1 \
	"a demo without tokio::sync locks: one line says which figures are absent"

# ---- attach mode: a demo that has run for a while ----------------------------------
"$TOKIO/tokio_starvation" --workers 2 --secs 5 --fixed --json >"$TMPDIR_T/att.out" 2>/dev/null &
tpid=$!
sleep 1
timeout -k 5 30 "$OBSERVE" --json -o "$TMPDIR_T/att.json" -p "$tpid" -d 2 2>"$TMPDIR_T/att.err"
RC=$?
wait "$tpid"
is "$RC" 0 "attach: observe -p -d 2 exits 0"
is "$(j att '"\(.target.mode) \(.runtime.kind) \(.runtime.workers | length)"')" "attach tokio 2" \
	"attach: the Tokio tier on, both workers told apart within the window"
expect_shape att healthy "attach: tokio_starvation --fixed is healthy"
is "$(roles att worker)" "$(d att -c '.threads.workers | sort')" \
	"attach: the workers told apart from the pool within the run are the demo's"
is "$(roles att blocking)" "$(d att -c '.threads.blocking | sort')" \
	"attach: so are the blocking-pool threads (they take a job every 25 ms)"
# and a starving one, attached to: the slow polls at the demo's rate
"$TOKIO/tokio_starvation" --workers 2 --secs 5 --json >"$TMPDIR_T/att2.out" 2>/dev/null &
tpid=$!
sleep 1
timeout -k 5 30 "$OBSERVE" --json -o "$TMPDIR_T/att2.json" -p "$tpid" -d 2 2>"$TMPDIR_T/att2.err"
wait "$tpid"
expect_shape att2 executor_starvation "attach: tokio_starvation is executor_starvation"
o10=$(j att2 .runtime.polls.over_10ms)
# 2 blockers, a 20 ms block each every 25 ms: 80 per second of the window
want=$(j att2 '.duration_s * 80')
ok "$(f "$o10 >= $want * 0.8 && $o10 <= $want * 1.2")" \
	"attach: polls over 10 ms ($o10) = the demo's rate x duration_s, 80/s x $(j att2 .duration_s) s, +-20%"

# the other shapes, attached to: the same verdicts as launched
for demo in "tokio_suspension suspension_convoy" "tokio_convoy mutex_convoy"; do
	set -- $demo
	"$TOKIO/$1" --workers 2 --secs 4 >/dev/null 2>&1 &
	tpid=$!
	sleep 1
	timeout -k 5 30 "$OBSERVE" --json -o "$TMPDIR_T/att_$1.json" -p "$tpid" -d 2 2>/dev/null
	wait "$tpid"
	expect_shape "att_$1" "$2" "attach: $1 is $2, as launched"
done

# A target that exits while observe attaches: one line, exit 1, and none of
# observe's programs left (a link holds its program, so none of its links
# either).  The demo lives ~50 ms; observe takes longer to start, so it is
# gone during or before the attach.  The kernel frees a closed program
# after a grace period: wait for that, up to 5 s.
obs_progs() {
	local n i
	for i in $(seq 50); do
		n=$(bpftool prog show -j 2>/dev/null |
			jq '[.[] | select((.name // "") | test("^(obs|tk|rt)_"))] | length' 2>/dev/null)
		[ "$n" = 0 ] && break
		sleep 0.1
	done
	echo "${n:--1}"
}
is "$(obs_progs)" 0 "before: no program of observe's loaded"
"$TOKIO/tokio_probe" --workers 2 --secs 0.05 >/dev/null 2>&1 &
tpid=$!
timeout -k 5 30 "$OBSERVE" -p "$tpid" -d 1 >/dev/null 2>"$TMPDIR_T/gone.err"
RC=$?
wait "$tpid"
ok "$(f "$RC == 1 && $(stderr_lines "$TMPDIR_T/gone.err") == 1")" \
	"target gone during attach: exit 1 and one line ($(head -c 200 "$TMPDIR_T/gone.err"))"
is "$(obs_progs)" 0 "target gone during attach: no program (or link) of observe's left"

# ---- two copies of Tokio in one process (a cdylib with its own runtime):
# tests/targets/preload/mapcopy.c maps a copy of the binary executable.
MAPCOPY=$BUILD/tests/targets/libmapcopy.so
cp "$TOKIO/tokio_probe" "$TMPDIR_T/tokio_copy"
MAPCOPY_FILE=$TMPDIR_T/tokio_copy LD_PRELOAD=$MAPCOPY \
	"$TOKIO/tokio_probe" --workers 2 --secs 3 >/dev/null 2>&1 &
tpid=$!
sleep 1
grep -q "$TMPDIR_T/tokio_copy" "/proc/$tpid/maps" 2>/dev/null && mapped=1 || mapped=0
timeout -k 5 30 "$OBSERVE" --json -o "$TMPDIR_T/two.json" -p "$tpid" -d 1 2>"$TMPDIR_T/two.err"
RC=$?
wait "$tpid"
ok "$(f "$RC == 0 && $mapped == 1")" "two copies: observe -p exits 0 on a process that maps a second Tokio copy"
is "$(j two .runtime.probes_attached)" "$((2 * $(j probe .runtime.probes_attached)))" \
	"two copies: the Tokio tier probes both files (twice the uprobes of one)"

# ---- no Tokio tier: asked for, or no symbols ---------------------------------------
timeout -k 5 30 "$OBSERVE" --no-runtime --json -o "$TMPDIR_T/nort.json" -- \
	"$TOKIO/tokio_probe" --workers 2 --secs 1 >/dev/null 2>"$TMPDIR_T/nort.err"
is "$(j nort .runtime)" null "--no-runtime: no runtime tier on Tokio either"
strip -o "$TMPDIR_T/tokio_probe_stripped" "$TOKIO/tokio_probe"
timeout -k 5 30 "$OBSERVE" --json -o "$TMPDIR_T/strip.json" -- \
	"$TMPDIR_T/tokio_probe_stripped" --workers 2 --secs 1 >/dev/null 2>"$TMPDIR_T/strip.err"
RC=$?
is "$RC" 0 "stripped copy: observe exits 0 (kernel tier)"
is "$(grep -c 'no rt probes or Tokio symbols in .*tokio_probe_stripped (stripped: no symbol table): runtime tier off, kernel tier only$' \
	"$TMPDIR_T/strip.err")" 1 "stripped copy: one line says why the runtime tier is off"
is "$(j strip .runtime)" null "stripped copy: the document's runtime is null"
notes_need_probes "stripped copy: the notes say a suspension convoy needs runtime probes" strip

verdict_summary starv starv_io starv_spin starv_fixed susp susp_fixed convoy convoy2 convoy_fixed probe att att2 att_tokio_suspension att_tokio_convoy strip

done_testing
