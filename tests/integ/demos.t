#!/bin/bash
# demos.t - every scenario demo, broken and --fixed, asserted against what it
# injected.  No root needed.  About 32 s on 2 cores.
#
# Tolerances are for a shared, loaded 2-core machine: every assertion
# compares a broken run with what it injected (B, S, H) or with its fixed
# twin, and leaves at least 2x between the pass line and what the failure
# shape produces (numbers in docs/demos.md).
. "$(dirname "$0")/lib.sh"
need_cmd jq

D=$TOP/demos
for d in probe starvation convoy suspension server; do
	[ -x "$D/demo_$d" ] || skip_all "demos/demo_$d not built (make)"
done
plan 84

# run NAME ARGS...: runs a demo with --json into $TMPDIR_T/NAME.json.
run() {
	local name=$1
	shift
	timeout -k 5 60 "$@" --json >"$TMPDIR_T/$name.json" 2>"$TMPDIR_T/$name.err"
	local rc=$?
	is "$rc" 0 "$name: exits 0"
	[ "$rc" = 0 ] || diag "$(cat "$TMPDIR_T/$name.err")"
}
# run_pair NAME ARGS...: NAME and NAME_fixed side by side, so that both see the
# same load from the rest of the machine (throughput is compared).
run_pair() {
	local name=$1 rc
	shift
	( timeout -k 5 60 "$@" --json >"$TMPDIR_T/$name.json" 2>"$TMPDIR_T/$name.err"
	  echo $? >"$TMPDIR_T/$name.rc" ) &
	run "${name}_fixed" "$@" --fixed
	wait
	rc=$(cat "$TMPDIR_T/$name.rc")
	is "$rc" 0 "$name: exits 0"
	[ "$rc" = 0 ] || diag "$(cat "$TMPDIR_T/$name.err")"
}
# j NAME FILTER: one field of a run's JSON.
j() { jq -r "$2" "$TMPDIR_T/$1.json" 2>/dev/null; }
# show NAME FILTER: the numbers behind the assertions, as a diagnostic.
show() { diag "$1: $(jq -c "$2" "$TMPDIR_T/$1.json" 2>/dev/null)"; }

# ---- bad input: one error line, exit 2 ---------------------------------------
bad() {
	local desc=$1 rc lines
	shift
	"$@" >/dev/null 2>"$TMPDIR_T/bad.err"
	rc=$?
	lines=$(grep -c . "$TMPDIR_T/bad.err")
	ok "$(( rc == 2 && lines >= 1 && lines <= 2 ))" \
		"bad flag exits 2 with an error line: $desc (rc=$rc, $lines lines)"
}
bad "unknown option" "$D/demo_probe" --bogus
bad "--workers 0" "$D/demo_starvation" --workers 0
bad "--mode foo" "$D/demo_starvation" --mode foo
bad "--lock foo" "$D/demo_convoy" --lock foo
bad "--secs abc" "$D/demo_suspension" --secs abc
bad "--rate -1" "$D/demo_server" --rate -1
bad "stray argument" "$D/demo_probe" extra
"$D/demo_probe" --help >/dev/null 2>&1
is "$?" 0 "--help exits 0"

# ---- the probe alone: the baseline -----------------------------------------------
run probe "$D/demo_probe" --workers 2 --secs 1
is "$(j probe '[.scenario, .runtime, .fixed, .workers] | @tsv')" "probe	rt	false	2" \
	"probe: scenario, runtime, fixed, workers in the JSON"
# ~1000 wake-ups of a 1 ms sleep; a loaded box loses some.
cmp_num "$(j probe .probe.count)" ">=" 500 "probe: >= 500 wake-ups in 1 s"
cmp_num "$(j probe .probe.p50_us)" "<" 1000 "probe: p50 lateness below 1 ms"

# Human output: a header, then probe lateness first, aligned.
"$D/demo_probe" --workers 2 --secs 0.3 >"$TMPDIR_T/human.txt" 2>&1
ok "$(sed -n 2p "$TMPDIR_T/human.txt" | grep -cE '^probe lateness +p50 +[0-9.]+ +p99 +[0-9.]+ +max +[0-9.]+ us')" \
	"human output: probe lateness is the first result line"

# ---- starvation, K >= N -------------------------------------------------------------
B=20
run starve "$D/demo_starvation" --workers 2 --secs 2 --blockers 2 --block-ms $B --period-ms 25
run starve_fixed "$D/demo_starvation" --workers 2 --secs 2 --blockers 2 --block-ms $B --period-ms 25 --fixed
show starve '{probe: .probe.p99_us, injected}'
show starve_fixed '{probe: .probe.p99_us, injected}'
cmp_num "$(j starve .probe.p99_us)" ">=" $((B * 1000 / 2)) \
	"starvation K>=N: probe p99 >= B/2"
# Sub-millisecond when the machine is quiet; B/4 leaves room for the
# run-queue delay other processes add on a shared 2-core box.
cmp_num "$(j starve_fixed .probe.p99_us)" "<" $((B * 1000 / 4)) \
	"starvation fixed: probe p99 < B/4"
blocks=$(j starve .injected.blocks)
# 2 blockers x 2 s / 25 ms = 160 ticks; a late tick is skipped, not doubled.
cmp_num "$blocks" ">=" 112 "starvation: >= 70% of the 160 scheduled blocks ran"
cmp_num "$blocks" "<=" 162 "starvation: no more blocks than scheduled"
# Each block is a clock_nanosleep of B ms: the total is B per block plus
# timer slack and wake-up delay (bounded at 10%).
within "$(j starve .injected.block_ns_total)" "$((blocks * B * 1000000))" 10 0 \
	"starvation: block_ns_total = blocks x B (+-10%)"
is "$(j starve .injected.mode)" "sleep" "starvation: injected mode"
cmp_num "$(j starve_fixed .injected.blocks)" ">=" 112 \
	"starvation fixed: the same blocking ran on the pool"

# ---- starvation, K < N: the blocked worker's LIFO slot --------------------------------
run lifo "$D/demo_starvation" --workers 2 --secs 2 --blockers 1 --victims 1
run lifo_fixed "$D/demo_starvation" --workers 2 --secs 2 --blockers 1 --victims 1 --fixed
show lifo '{probe: .probe.p99_us, victim: .victim_delay_us}'
show lifo_fixed '{probe: .probe.p99_us, victim: .victim_delay_us}'
cmp_num "$(j lifo .victim_delay_us.p50_us)" ">=" $((B * 1000 / 2)) \
	"starvation K<N: a task woken before the block waits ~B (p50 >= B/2)"
cmp_num "$(j lifo_fixed .victim_delay_us.p99_us)" "<" $((B * 1000 / 4)) \
	"starvation K<N fixed: victim p99 < B/4"
cmp_num "$(j lifo .victim_delay_us.count)" ">=" 56 "starvation K<N: victims were woken"

# ---- starvation, blocking read(2) ----------------------------------------------------
run io "$D/demo_starvation" --workers 2 --secs 1 --mode io
show io '{probe: .probe.p99_us, injected}'
cmp_num "$(j io .probe.p99_us)" ">=" $((B * 1000 / 2)) "starvation io: probe p99 >= B/2"
blocks=$(j io .injected.blocks)
within "$(j io .injected.block_ns_total)" "$((blocks * B * 1000000))" 10 0 \
	"starvation io: time in read(2) = blocks x B (+-10%)"
is "$(j io .injected.mode)" "io" "starvation io: injected mode"

# ---- greedy: nothing blocks, only the cooperative budget ends a poll ------------
# K = N greedy tasks drain an always-ready channel for GB ms every GP ms.
# With the budget each poll ends after 128 ready receives and the probe keeps
# its turn; its p99 is then the kernel's run-queue delay, the workers being
# CPU-bound 80% of the time (0.5-2 ms at load average 2, 2-12 ms at 6-7,
# where GB = 60 ms came within 1.2x of its GB/4 line); with --no-budget
# each drain is one GB ms poll and the probe waits ~GB.  GB = 100 ms puts
# the healthy line (GB/4 = 25 ms) over 2.5x above the worst seen (9 ms at
# load 6.5) and the broken one (GB/2) at half what the failure produces.
GB=100
GP=125
GREEDY=(--workers 2 --secs 1.5 --mode greedy --blockers 2 --block-ms "$GB" --period-ms "$GP")
run greedy "$D/demo_starvation" "${GREEDY[@]}"
run greedy_nobudget "$D/demo_starvation" "${GREEDY[@]}" --no-budget
run greedy_nobudget_fixed "$D/demo_starvation" "${GREEDY[@]}" --no-budget --fixed
for r in greedy greedy_nobudget greedy_nobudget_fixed; do
	show $r '{budget, probe: .probe.p99_us, victim: .victim_delay_us.p50_us, injected}'
done
is "$(j greedy .budget) $(j greedy_nobudget .budget) $(j greedy .injected.mode)" \
	"true false greedy" "greedy: budget and mode reported"
cmp_num "$(j greedy .probe.p99_us)" "<" $((GB * 1000 / 4)) \
	"greedy with budget: probe p99 < B/4"
cmp_num "$(j greedy_nobudget .probe.p99_us)" ">=" $((GB * 1000 / 2)) \
	"greedy --no-budget: probe p99 >= B/2"
cmp_num "$(j greedy .victim_delay_us.p50_us)" "<" $((GB * 1000 / 4)) \
	"greedy with budget: victim p50 < B/4 (runs after one budgeted poll)"
cmp_num "$(j greedy_nobudget .victim_delay_us.p50_us)" ">=" $((GB * 1000 / 2)) \
	"greedy --no-budget: victim p50 >= B/2 (waits for the whole drain)"
# Ground truth of what the budget did: no poll got more than 128 ready
# receives (the tick's timer takes a unit too), and the drains, always
# ready, did use it up; without it one poll per drain.
per_poll=$(j greedy '.injected.items / .injected.polls')
cmp_num "$per_poll" "<=" 128 "greedy with budget: <= 128 receives per poll ($per_poll)"
cmp_num "$per_poll" ">" 100 "greedy with budget: polls end at the budget ($per_poll per poll)"
cmp_num "$(j greedy_nobudget .injected.polls)" "<=" "$(j greedy_nobudget '.injected.blocks * 2')" \
	"greedy --no-budget: about one poll per drain"
# 2 tasks x 1.5 s / 125 ms = 24 drains; each lasts B plus its last poll's delay.
for r in greedy greedy_nobudget; do
	blocks=$(j $r .injected.blocks)
	cmp_num "$blocks" ">=" 17 "$r: >= 70% of the 24 scheduled drains ran ($blocks)"
	within "$(j $r .injected.block_ns_total)" "$((blocks * GB * 1000000))" 25 0 \
		"$r: drain time = drains x B (+-25%)"
done
# The hand-written remedy: yield every 128 items, budget or not.
cmp_num "$(j greedy_nobudget_fixed .probe.p99_us)" "<" $((GB * 1000 / 4)) \
	"greedy --no-budget --fixed: probe p99 < B/4 (yields by hand)"

# ---- convoy, sync lock ----------------------------------------------------------------
# 4 workers on 2 cores, broken and fixed side by side.  The convoy leaves
# about one worker running (the holder; the rest sleep in futex waits), the
# fix runs all of them, so the throughput gap is structural: ~4 worker
# shares against 1.  With 2 workers it is at most 2 shares against 1, and
# when the box is saturated (the broken run's own pressure threads count)
# the kernel favours the broken run's sleeping-and-waking workers over the
# fixed run's always-runnable ones, which erases most of it (docs/demos.md).
run_pair convoy "$D/demo_convoy" --workers 4 --secs 3
show convoy '[.acq_per_s, .hold_us.p99_us, .work_in_lock_us, .worker_lock_wait_pct, .pressure_sched]'
show convoy_fixed '[.acq_per_s, .hold_us.p99_us, .work_in_lock_us, .worker_lock_wait_pct, .pressure_sched]'
is "$(j convoy '[.runtime, .pressure_sched] | @tsv')" "rt	normal" \
	"convoy: runtime rt, pressure at the default policy (the injected problem)"
is "$(j convoy_fixed .pressure_sched)" "idle" "convoy fixed: pressure at SCHED_IDLE"
work=$(j convoy .work_in_lock_us)
within "$work" "$(j convoy .hold_us_configured)" 10 5 \
	"convoy: CPU work inside the lock is H (+-10%)"
cmp_num "$(j convoy .hold_us.p99_us)" ">" "$(awk -v w="$work" 'BEGIN { print 5 * w }')" \
	"convoy: hold p99 > 5x the work inside the lock"
cmp_num "$(j convoy_fixed .hold_us.p99_us)" "<" 50 "convoy fixed: hold p99 < 50 us"
# Waiting workers are blocked in futex: capacity the executor lost.
cmp_num "$(j convoy .worker_lock_wait_pct)" ">" 15 "convoy: workers > 15% of their time in lock waits"
cmp_num "$(j convoy_fixed .worker_lock_wait_pct)" "<" 5 "convoy fixed: workers < 5% in lock waits"
cmp_num "$(j convoy_fixed .acq_per_s)" ">=" "$(j convoy '.acq_per_s * 1.5')" \
	"convoy: fixed acquisitions/s >= 1.5x the broken run beside it"

# ---- convoy, async lock held across a delayed await -------------------------------
run aconvoy "$D/demo_convoy" --workers 2 --secs 2 --lock async
run aconvoy_fixed "$D/demo_convoy" --workers 2 --secs 2 --lock async --fixed
show aconvoy '[.acq_per_s, .hold_us.p99_us, .work_in_lock_us]'
show aconvoy_fixed '[.acq_per_s, .hold_us.p99_us, .work_in_lock_us]'
work=$(j aconvoy .work_in_lock_us)
cmp_num "$(j aconvoy .hold_us.p99_us)" ">" "$(awk -v w="$work" 'BEGIN { print 5 * w }')" \
	"convoy async: hold p99 > 5x the work inside the lock"
cmp_num "$(j aconvoy .acq_per_s)" "<" "$(j aconvoy_fixed '.acq_per_s / 5')" \
	"convoy async: acquisitions/s below 1/5 of the fixed variant"

# ---- suspension convoy -------------------------------------------------------------
S=20
run susp "$D/demo_suspension" --workers 2 --secs 2 --peers 4 --await-ms $S
run susp_fixed "$D/demo_suspension" --workers 2 --secs 2 --peers 4 --await-ms $S --fixed
show susp '[.peer_wait_us.p50_us, .peer_acq_per_s_each, .coord_rounds, .probe.p99_us]'
show susp_fixed '[.peer_wait_us.p50_us, .peer_acq_per_s_each, .coord_rounds, .probe.p99_us]'
# Each peer queues behind one coordinator round: it waits ~S.
within "$(j susp .peer_wait_us.p50_us)" $((S * 1000)) 50 0 \
	"suspension: peer wait p50 ~ S (+-50%)"
# Each peer gets the lock once per round: ~1/S per second.
within "$(j susp .peer_acq_per_s_each)" $((1000 / S)) 30 0 \
	"suspension: per-peer throughput ~ 1/S (+-30%)"
within "$(j susp .coord_rounds)" $((2000 / S)) 30 0 \
	"suspension: coordinator rounds ~ secs/S (+-30%)"
cmp_num "$(j susp .probe.p99_us)" "<" 5000 \
	"suspension: the probe sees nothing wrong (p99 < 5 ms)"
cmp_num "$(j susp_fixed .peer_wait_us.p50_us)" "<" 1000 "suspension fixed: peer wait p50 < 1 ms"
cmp_num "$(j susp_fixed .peer_acq_per_s_each)" ">" "$(j susp '.peer_acq_per_s_each * 5')" \
	"suspension fixed: per-peer throughput > 5x the convoy's"
# --all-hold: no coordinator, each of M = 4 peers holds across S; the FIFO
# lock queues each behind the other 3: (M-1)*S less its 1 ms think time.
run susp_all "$D/demo_suspension" --workers 2 --secs 1 --peers 4 --await-ms $S --all-hold
run susp_all_fixed "$D/demo_suspension" --workers 2 --secs 1 --peers 4 --await-ms $S --all-hold --fixed
show susp_all '[.peer_wait_us.p50_us, .peer_wait_us.count, .coord_rounds, .all_hold]'
within "$(j susp_all .peer_wait_us.p50_us)" $((3 * S * 1000 - 1000)) 15 0 \
	"suspension --all-hold: peer wait p50 ~ (M-1)*S - think (+-15%)"
is "$(j susp_all '"\(.coord_rounds) \(.all_hold)"')" "0 1" \
	"suspension --all-hold: no coordinator, all_hold 1 in the JSON"
cmp_num "$(j susp_all_fixed .peer_wait_us.p50_us)" "<" 1000 \
	"suspension --all-hold --fixed: peer wait p50 < 1 ms"

# ---- server: open-loop load, timeouts far from the blocking code --------------------
# Side by side: a stall of the machine hits both tails alike.
run_pair server "$D/demo_server" --workers 2 --secs 4
show server '[.latency_us.p99_us, .unblocked_latency_us.p99_us, .server_timeouts, .server_timeouts_on_blocking, .client_timeouts, .client_timeouts_on_blocking]'
show server_fixed '[.latency_us.p99_us, .unblocked_latency_us.p99_us, .server_timeouts, .server_timeouts_on_blocking, .client_timeouts, .client_timeouts_on_blocking]'
st=$(j server .server_timeouts)
cmp_num "$st" ">" 0 "server: server-side timeouts with a blocking handler"
cmp_num "$(j server .server_timeouts_on_blocking)" "<" "$(awk -v t="$st" 'BEGIN { print t / 2 }')" \
	"server: most timed-out requests are not the blocking ones"
is "$(j server .injected.blocks)" "$(j server .blocking_requests)" \
	"server: one injected block per blocking request"
is "$(j server .answered)" "$(j server .requests)" "server: every request answered"
cmp_num "$(j server_fixed .server_timeouts)" "<=" "$(awk -v t="$st" 'BEGIN { print t / 4 }')" \
	"server fixed: server timeouts <= 1/4 of the broken run"
# The tail of the requests that do not block, against the timeout T: in the
# broken run over 1% of them time out behind a blocked worker, so their p99
# sits at T; in the fixed run they do not wait for a block.  A ratio between
# the two runs was flaky (CI: fixed p99 above half of broken); the fixed p99
# measured 1.6-4.6 ms here, loaded or not, against the 9 ms line.
cmp_num "$(j server .unblocked_latency_us.p99_us)" ">=" "$(j server '.timeout_ms * 900')" \
	"server: unblocked requests' latency p99 >= 0.9 T"
cmp_num "$(j server_fixed .unblocked_latency_us.p99_us)" "<" "$(j server_fixed '.timeout_ms * 900')" \
	"server fixed: unblocked requests' latency p99 < 0.9 T"
is "$(j server_fixed .answered)" "$(j server_fixed .requests)" "server fixed: every request answered"

done_testing
