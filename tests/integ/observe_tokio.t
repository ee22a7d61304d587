#!/bin/bash
# observe_tokio.t - observe on real Tokio (demos/tokio, built with Debian's
# cargo and librust-tokio-dev): no rt probes there, so one line says the
# runtime tier is off and the kernel tier alone must recognise starvation
# (std::thread::sleep inside async code on tokio-runtime-w threads) and the
# futex convoy on a std::sync::Mutex, call their fixes healthy (the convoy's
# may stay cpu_overload: its pressure is left in place), and say that a
# suspension convoy needs runtime probes.  ~25 s: six 3 s runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
TOKIO=$BUILD/tokio/release
for d in tokio_starvation tokio_convoy tokio_suspension; do
	[ -x "$TOKIO/$d" ] || skip_all "$TOKIO/$d not built (no cargo: mk/tokio.mk)"
done

plan 14

W=(--workers 2 --secs 3)

run starv -- "$TOKIO/tokio_starvation" "${W[@]}"
is "$RC" 0 "tokio_starvation: observe exits 0"
is "$(grep -c "^observe: no rt probes in $TOKIO/tokio_starvation: runtime tier off, kernel tier only\$" \
	"$TMPDIR_T/starv.err")" 1 "tokio_starvation: one line says the runtime tier is off"
is "$(jq -r '.runtime' "$TMPDIR_T/starv.json" 2>/dev/null)" null \
	"tokio_starvation: the document's runtime is null"
expect_shape starv executor_starvation "tokio_starvation: executor_starvation"
ok "$(jq -e '(.verdict.evidence | join(" ")) | test("clock_nanosleep") and test("tokio-runtime-w")' \
	"$TMPDIR_T/starv.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"tokio_starvation: the evidence names clock_nanosleep on tokio-runtime-w threads"

run starv_fixed -- "$TOKIO/tokio_starvation" "${W[@]}" --fixed
expect_shape starv_fixed healthy "tokio_starvation --fixed (spawn_blocking): healthy"

# Four pressure threads, not the default two: Tokio 1.24 keeps the
# contenders on one worker (LIFO slot, no notification), so at K=2 on a
# quiet box the lock is contended across workers only now and then (worker
# time in lock wait 0.7-15% over five runs, against rt's 44%) and the
# verdict flipped to cpu_overload in 3 of 6 runs; at K=4 it is 33-35%, and
# mutex_convoy 0.97-1.00 in 5 of 5.
run convoy -- "$TOKIO/tokio_convoy" "${W[@]}" --pressure 4
expect_shape convoy mutex_convoy "tokio_convoy (std::sync::Mutex): mutex_convoy"
ok "$(jq -e '.verdict.evidence[0] | test("^futex 0x")' "$TMPDIR_T/convoy.json" >/dev/null 2>&1 \
	&& echo 1 || echo 0)" "tokio_convoy: the evidence names the futex address"

run convoy_fixed -- "$TOKIO/tokio_convoy" "${W[@]}" --pressure 4 --fixed
got=$(shape convoy_fixed)
ok "$([ "$got" = healthy ] || [ "$got" = cpu_overload ] && echo 1 || echo 0)" \
	"tokio_convoy --fixed: healthy or cpu_overload, got '$got'"
is "$(has_finding convoy_fixed mutex_convoy)" 0 "tokio_convoy --fixed: no mutex_convoy finding"
case $got in healthy | cpu_overload) ;; *) explain convoy_fixed ;; esac

# A suspension convoy on tokio::sync::Mutex: invisible to the kernel.  The
# verdict must not invent a shape, and must say what it cannot see.
run susp -- "$TOKIO/tokio_suspension" "${W[@]}"
is "$(has_finding susp suspension_convoy)" 0 "tokio_suspension: no suspension_convoy claimed without probes"
is "$(has_finding susp mutex_convoy)" 0 "tokio_suspension: not mistaken for a mutex convoy"

notes_need_probes "every Tokio run notes that a suspension convoy needs runtime probes" \
	starv starv_fixed convoy convoy_fixed susp

run probe -- "$TOKIO/tokio_probe" "${W[@]}"
expect_shape probe healthy "tokio_probe: healthy"

verdict_summary starv starv_fixed convoy convoy_fixed susp probe

done_testing
