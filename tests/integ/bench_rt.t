#!/bin/bash
# bench_rt.t - smoke test of the runtime micro-benchmarks and their Tokio
# twin: bench_rt and tokio_bench run every mode with tiny counts, print the
# line scripts/bench-rt.sh parses, with positive numbers and the counts that
# were asked for; both reject bad input with the same one-line message; and
# the script prints its side-by-side table.  Numbers are not judged (a
# benchmark, not a test), except what cannot depend on load: a 1 ms sleep
# loop of N turns takes at least N ms.  A few seconds, no root.
. "$(dirname "$0")/lib.sh"

RT=$BUILD/bench/bench_rt
TOKIO=$BUILD/tokio/release/tokio_bench
[ -x "$RT" ] || skip_all "$RT not built (make BUILD=$BUILD)"
[ -x "$TOKIO" ] || skip_all "$TOKIO not built (make BUILD=$BUILD tokio-demos)"

plan 43

N_SPAWN=20000   # two waves of 10000 and a half: the wave loop runs 3 times
N_PP=2000
N_MPSC=5000     # more than the 1024-slot capacity: the sender must wait
N_TIMER=30

# field LINE NAME: the word after NAME in LINE (empty if none).
field() { awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }' <<<"$1"; }

# positive VALUE: 1 if VALUE is a number > 0.
positive() { awk -v v="$1" 'BEGIN { print (v ~ /^[0-9]+(\.[0-9]+)?$/ && v + 0 > 0) ? 1 : 0 }'; }

# bench NAME BIN MODE N: runs BIN MODE -w 2 -n N, sets LINE and MS (wall
# time in ms); checks exit 0, one line on stdout, nothing on stderr, and
# that the line starts with MODE.
bench() {
	local name=$1 bin=$2 mode=$3 n=$4 t0 rc
	t0=$(date +%s%N)
	timeout -k 5 30 "$bin" "$mode" -w 2 -n "$n" >"$TMPDIR_T/out" 2>"$TMPDIR_T/err"
	rc=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	LINE=$(cat "$TMPDIR_T/out")
	if [ "$rc" = 0 ] && [ "$(wc -l <"$TMPDIR_T/out")" = 1 ] && [ ! -s "$TMPDIR_T/err" ] &&
		[ "${LINE%% *}" = "$mode" ]; then
		ok 1 "$name $mode: exit 0, one '$mode ...' line"
	else
		ok 0 "$name $mode: exit 0, one '$mode ...' line (rc=$rc)"
		diag "stdout: $LINE" "stderr: $(head -c 300 "$TMPDIR_T/err")"
	fi
}

# metrics DESC NAME...: each named metric of LINE is a number > 0.
metrics() {
	local desc=$1 m v bad=
	shift
	for m in "$@"; do
		v=$(field "$LINE" "$m")
		[ "$(positive "$v")" = 1 ] || bad="$bad $m='$v'"
	done
	ok "$([ -z "$bad" ] && echo 1 || echo 0)" "$desc: $* > 0"
	[ -z "$bad" ] || diag "line: $LINE" "bad:$bad"
}

for name in bench_rt tokio_bench; do
	if [ "$name" = bench_rt ]; then bin=$RT; else bin=$TOKIO; fi

	bench "$name" "$bin" spawn "$N_SPAWN"
	metrics "$name spawn" ns_per_task
	is "$(field "$LINE" tasks)" "$N_SPAWN" "$name spawn: every task spawned and joined"

	bench "$name" "$bin" pingpong "$N_PP"
	metrics "$name pingpong" ns_per_switch
	is "$(field "$LINE" switches)" "$((2 * N_PP))" "$name pingpong: 2N switches"

	bench "$name" "$bin" mpsc "$N_MPSC"
	metrics "$name mpsc" mitems_per_s
	# Ground truth: the consumer counted what arrived (the binaries exit 1
	# on a loss, checked above too).
	is "$(field "$LINE" items)" "$N_MPSC" "$name mpsc: every item received"

	for mode in timer timer-raw; do
		bench "$name" "$bin" "$mode" "$N_TIMER"
		metrics "$name $mode" p50_us p99_us max_us
		p50=$(field "$LINE" p50_us) p99=$(field "$LINE" p99_us) max=$(field "$LINE" max_us)
		ok "$(awk -v a="$p50" -v b="$p99" -v c="$max" 'BEGIN { print (a <= b && b <= c) ? 1 : 0 }')" \
			"$name $mode: p50 <= p99 <= max ($p50, $p99, $max us)"
		# No sleep may end early: N sleeps of 1 ms take at least N ms,
		# whatever the load (lateness is only ever added).
		cmp_num "$MS" ">=" "$N_TIMER" "$name $mode: $N_TIMER sleeps of 1 ms took ${MS} ms"
	done
done

# ---- same CLI: bad input is one line on stderr, exit 2, same words ----------
for args in "" "spawn -w 0" "spawn -n 0" "spawn -n x" "nosuch" "spawn mpsc" "spawn -x"; do
	# shellcheck disable=SC2086 # ARGS are words
	"$RT" $args >/dev/null 2>"$TMPDIR_T/e1"
	rc1=$?
	# shellcheck disable=SC2086
	"$TOKIO" $args >/dev/null 2>"$TMPDIR_T/e2"
	rc2=$?
	e1=$(sed 's/bench_rt/PROG/g' "$TMPDIR_T/e1") e2=$(sed 's/tokio_bench/PROG/g' "$TMPDIR_T/e2")
	# getopt's own complaint ("invalid option -- 'x'") comes first in C:
	# compare the last line, the one both print.
	if [ "$rc1" = 2 ] && [ "$rc2" = 2 ] && [ "$(wc -l <"$TMPDIR_T/e2")" = 1 ] &&
		[ "$(tail -n 1 <<<"$e1")" = "$e2" ]; then
		ok 1 "bad input '$args': exit 2 and the same message from both"
	else
		ok 0 "bad input '$args': exit 2 and the same message from both"
		diag "bench_rt rc=$rc1: $e1" "tokio_bench rc=$rc2: $e2"
	fi
done

# ---- the script: one table with both runtimes, then rt alone -----------------
out=$(BUILD=$BUILD timeout -k 5 60 "$TOP/scripts/bench-rt.sh" -q -r 1 -w 2 2>&1)
rc=$?
rows=$(grep -c '^| [^b-]' <<<"$out")
# Data rows: 5 cells, each runtime cell "min / median / max" of numbers.
good=$(awk -F' [|] ' '/^\| [^b-]/ && NF == 5 &&
	$2 ~ /^[0-9.]+ \/ [0-9.]+ \/ [0-9.]+$/ && $3 ~ /^[0-9.]+ \/ [0-9.]+ \/ [0-9.]+$/ &&
	$4 + 0 > 0 { n++ } END { print n + 0 }' <<<"$out")
if [ "$rc" = 0 ] && [ "$rows" -ge 7 ] && [ "$good" = "$rows" ]; then
	ok 1 "bench-rt.sh -q: $rows rows, rt and tokio side by side with a ratio"
else
	ok 0 "bench-rt.sh -q: rows with rt and tokio side by side (rc=$rc rows=$rows good=$good)"
	diag "$out"
fi

mkdir -p "$TMPDIR_T/b/bench"
ln -s "$(cd "$(dirname "$RT")" && pwd)/bench_rt" "$TMPDIR_T/b/bench/bench_rt"
out=$(BUILD=$TMPDIR_T/b timeout -k 5 60 "$TOP/scripts/bench-rt.sh" -q -r 1 -w 2 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q 'tokio_bench not built.*rt only' <<<"$out" &&
	[ "$(grep -c '^| [^b-].* |$' <<<"$out")" -ge 7 ] && ! grep -q tokio <<<"$(grep '^|' <<<"$out")"; then
	ok 1 "bench-rt.sh without tokio_bench: says so and prints rt alone"
else
	ok 0 "bench-rt.sh without tokio_bench: says so and prints rt alone (rc=$rc)"
	diag "$out"
fi

done_testing
