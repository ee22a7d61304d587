#!/bin/bash
# bench-observer.sh - what observing costs: throughput of a context-switch-heavy
# workload bare, under observe, and under the libbpf-tools peers runqlat and
# offcputime, plus the in-kernel cost of each tool's BPF programs.
#
# Usage: scripts/bench-observer.sh [-n RUNS] [-s SECS] [-c CPU] [-u US] [-o FILE]
#   -n RUNS  rounds (default 5); each round runs every configuration once, in a
#            rotated order, so that drift of the shared box hits all alike
#   -s SECS  measured seconds per run (default 3)
#   -c CPU   CPU the workload is pinned to (default: the last one); pinned,
#            its two threads switch on one CPU at ~470k switches/s, the worst
#            case for a sched_switch probe.  "-c all" leaves it unpinned:
#            cross-CPU wakeups through idle make it ~10x slower and noisier.
#   -u US    CPU work per round trip of the second, realistic workload
#            (default 12: ~120k switches/s bare on this box); 0 runs only
#            the pure switch storm
#   -o FILE  also write the tables to FILE
# Environment: BUILD (build folder, default build), OBSERVE (the observe
# binary, default ./observe), OBSERVE_ARGS (extra options for observe, e.g.
# "--threshold-ms 0" to turn notable spans off).
#
# Two workloads, both tests/targets/pingpong (two threads bouncing a byte
# over pipes; it prints its own round trips/s): "storm", nothing but
# switches (the worst case), and "work", the same with a fixed amount of CPU
# work per round trip (-l LOOPS, calibrated once at start to -u US) so that
# the bare run makes 100-150k switches/s, the issue's "context-switch-heavy
# workload" point.  Every tool attaches with -p PID
# while pingpong sleeps before creating its threads, so the whole measured
# run is observed.  Throughput runs keep kernel.bpf_stats_enabled as found
# (0: no timing cost added); a last pass per tool turns it on to read each
# program's run_time_ns / run_cnt (bpftool prog show), then restores it.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PINGPONG=$BUILD/tests/targets/pingpong
OBSERVE=${OBSERVE:-$TOP/observe}
RUNS=5
SECS=3
WORK_US=12
CPU=$(($(nproc) - 1))
OUTFILE=
WARMUP=3	# seconds pingpong sleeps before starting: tools attach meanwhile

die() { echo "bench-observer: $*" >&2; exit 1; }

while getopts "n:s:c:u:o:" opt; do
	case $opt in
	n) RUNS=$OPTARG ;;
	s) SECS=$OPTARG ;;
	c) CPU=$OPTARG ;;
	u) WORK_US=$OPTARG ;;
	o) OUTFILE=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-s SECS] [-c CPU] [-u US] [-o FILE]" >&2; exit 2 ;;
	esac
done
case "$RUNS$SECS$WORK_US" in *[!0-9]*) die "-n, -s and -u take integers" ;; esac
case $CPU in
all) CPUSET=0-$(($(nproc) - 1)) ;;
*[!0-9]* | "") die "-c takes a CPU number or 'all'" ;;
*) CPUSET=$CPU ;;
esac
if [ "$RUNS" -lt 1 ] || [ "$SECS" -lt 1 ]; then die "-n and -s must be >= 1"; fi
[ "$(id -u)" -eq 0 ] || die "needs root (BPF)"
[ -x "$PINGPONG" ] || die "workload not built: $PINGPONG (run make)"
command -v bpftool >/dev/null || die "bpftool not found"
command -v jq >/dev/null || die "jq not found"

# tool name -> command line (PID is replaced by the workload's pid)
declare -A TOOL
CONFIGS=(bare)
if [ -x "$OBSERVE" ]; then
	TOOL[observe]="$OBSERVE ${OBSERVE_ARGS:-} -o /dev/null -p PID"
	CONFIGS+=(observe)
else
	echo "bench-observer: $OBSERVE not built, skipping it" >&2
fi
for t in runqlat offcputime; do
	if command -v "$t" >/dev/null; then
		TOOL[$t]="$(command -v "$t") -p PID"
		CONFIGS+=("$t")
	else
		echo "bench-observer: $t not found (libbpf-tools), skipping it" >&2
	fi
done

TMP=$(mktemp -d /tmp/bench-observer.XXXXXX)
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -q kernel.bpf_stats_enabled="$STATS_WAS"
	jobs -p | xargs -r kill 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$(dirname "$0")/lib/bpf_fds.sh"

# run_one WORKLOAD CONFIG [STATS_FILE]: one workload run; prints
# "roundtrips/s switches/s cpu_ns/roundtrip".
# With STATS_FILE, the tool's programs' stats are appended to it at the end.
run_one() {
	local wl=$1 cfg=$2 stats=${3:-} out=$TMP/pp.out pid tpid="" t0 cmd id
	# shellcheck disable=SC2086
	taskset -c "$CPUSET" "$PINGPONG" -w "$WARMUP" -s "$SECS" ${WL_ARGS[$wl]} >"$out" &
	pid=$!
	t0=$(date +%s%N)
	if [ "$cfg" != bare ]; then
		cmd=${TOOL[$cfg]//PID/$pid}
		# shellcheck disable=SC2086
		$cmd >/dev/null 2>"$TMP/$cfg.err" &
		tpid=$!
		if ! wait_attached "$tpid" 15 3; then
			echo "bench-observer: $cfg did not attach: $(head -c 300 "$TMP/$cfg.err")" >&2
			kill "$tpid" "$pid" 2>/dev/null
			wait 2>/dev/null
			return 1
		fi
		if [ $(($(date +%s%N) - t0)) -gt $((WARMUP * 1000000000)) ]; then
			echo "bench-observer: $cfg attached after the workload started" >&2
		fi
	fi
	wait "$pid"
	if [ -n "$tpid" ]; then
		if [ -n "$stats" ]; then
			for id in $(bpf_prog_ids "$tpid"); do
				bpftool prog show id "$id" -j 2>/dev/null |
					jq -r --arg t "$cfg" --arg w "$wl" '"\($w) \($t) \(.name // "-") \(.run_cnt // 0) \(.run_time_ns // 0)"'
			done >>"$stats"
		fi
		kill -INT "$tpid" 2>/dev/null
		wait "$tpid" 2>/dev/null
	fi
	awk '$1 == "pingpong" { print $5, $7, $9 }' "$out"
}

# mmm FORMAT: min, median and max of the numbers on stdin, each with FORMAT.
mmm() { sort -g | awk -v f="$1" '{ v[NR] = $1 } END {
	if (!NR) { print "- - -"; exit }
	m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf f " " f " " f "\n", v[1], m, v[NR] }'; }

# The workloads: pingpong's arguments, calibrated once for all runs.
declare -A WL_ARGS=([storm]="")
WORKLOADS=(storm)
if [ "$WORK_US" -gt 0 ]; then
	loops=$(taskset -c "$CPUSET" "$PINGPONG" -C "$WORK_US" | awk '$1 == "loops_per_us_work" { print $2 }')
	[ -n "$loops" ] || die "pingpong -C $WORK_US failed"
	WL_ARGS[work]="-l $loops"
	WORKLOADS+=(work)
fi

echo "bench-observer: $RUNS rounds x ${#WORKLOADS[@]} workloads (${WORKLOADS[*]}) x ${#CONFIGS[@]} configs (${CONFIGS[*]}), ${SECS}s each, workload on CPU(s) $CPUSET" >&2
[ "$WORK_US" -gt 0 ] && echo "bench-observer: work = $WORK_US us of CPU per round trip (-l $loops)" >&2
echo "bench-observer: kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
: >"$TMP/results"
for ((r = 0; r < RUNS; r++)); do
	for wl in "${WORKLOADS[@]}"; do
		n=${#CONFIGS[@]}
		for ((k = 0; k < n; k++)); do
			cfg=${CONFIGS[$(((k + r) % n))]}
			res=$(run_one "$wl" "$cfg") || continue
			[ -n "$res" ] || continue
			echo "$wl $r $cfg $res" >>"$TMP/results"
			echo "  round $((r + 1)) $wl $cfg: $res" >&2
		done
	done
done

# Per-tool BPF cost, with bpf_stats on (it adds two clock reads per run).
sysctl -q kernel.bpf_stats_enabled=1
: >"$TMP/progstats"
: >"$TMP/stats_runs"
for wl in "${WORKLOADS[@]}"; do
	for cfg in "${CONFIGS[@]}"; do
		[ "$cfg" = bare ] && continue
		res=$(run_one "$wl" "$cfg" "$TMP/progstats") || continue
		echo "$wl $cfg $res" >>"$TMP/stats_runs"
	done
done
sysctl -q kernel.bpf_stats_enabled="$STATS_WAS"

# Lines of results: WORKLOAD ROUND CONFIG ROUNDTRIPS/S SWITCHES/S CPU_NS/RT;
# below, a FIELD is 1 (round trips/s), 2 (switches/s) or 3 (CPU ns/rt).
# ratios WL FIELD CFG: per round, CFG's FIELD over the bare run's of the
# same round.
ratios() {
	awk -v w="$1" -v f="$2" -v c="$3" '$1 != w { next }
		$3 == "bare" { bare[$2] = $(f + 3) } $3 == c { v[$2] = $(f + 3) }
		END { for (r in v) if (bare[r] > 0) print v[r] / bare[r] }' "$TMP/results"
}
# col WL CFG FIELD: that field of CFG's runs on WL.
col() { awk -v w="$1" -v c="$2" -v f="$3" '$1 == w && $3 == c { print $(f + 3) }' "$TMP/results"; }

{
	for wl in "${WORKLOADS[@]}"; do
		if [ "$wl" = storm ]; then
			echo "# Workload storm: pure switch storm (pingpong, no work)"
		else
			echo "# Workload work: pingpong + $WORK_US us CPU work per round trip (-l ${loops:-0})"
		fi
		echo
		echo "## Throughput (round trips/s; ratio = run / bare run of the same round)"
		echo
		echo "| config | runs | round trips/s min / median / max | switches/s median | ratio vs bare min / median / max | loss (median) |"
		echo "|---|---|---|---|---|---|"
		for cfg in "${CONFIGS[@]}"; do
			runs=$(col "$wl" "$cfg" 1 | wc -l)
			read -r tmin tmed tmax < <(col "$wl" "$cfg" 1 | mmm %.0f)
			read -r _ smed _ < <(col "$wl" "$cfg" 2 | mmm %.0f)
			read -r rmin rmed rmax < <(ratios "$wl" 1 "$cfg" | mmm %.3f)
			loss=$(awk -v m="$rmed" 'BEGIN { if (m == "-") print "-"; else printf "%.1f%%", (1 - m) * 100 }')
			echo "| $cfg | $runs | $tmin / $tmed / $tmax | $smed | $rmin / $rmed / $rmax | $loss |"
		done
		echo
		echo "## CPU cost per round trip (workload's user+sys CPU ns / round trips; robust to other load)"
		echo
		echo "| config | CPU ns per round trip min / median / max | ratio vs bare min / median / max | overhead (median) |"
		echo "|---|---|---|---|"
		for cfg in "${CONFIGS[@]}"; do
			read -r cmin cmed cmax < <(col "$wl" "$cfg" 3 | mmm %.0f)
			read -r rmin rmed rmax < <(ratios "$wl" 3 "$cfg" | mmm %.3f)
			over=$(awk -v m="$rmed" 'BEGIN { if (m == "-") print "-"; else printf "%+.1f%%", (m - 1) * 100 }')
			echo "| $cfg | $cmin / $cmed / $cmax | $rmin / $rmed / $rmax | $over |"
		done
		echo
		echo "## BPF cost per program (one run per tool with kernel.bpf_stats_enabled=1)"
		echo
		echo "| tool | program | run_cnt | run_time_ns | ns/run |"
		echo "|---|---|---|---|---|"
		awk -v w="$wl" '$1 == w && $4 > 0 { printf "| %s | %s | %d | %d | %.0f |\n", $2, $3, $4, $5, $5 / $4 }' "$TMP/progstats"
		echo
		echo "| tool | BPF runs | BPF ns | BPF ns per workload switch | BPF time / measured time |"
		echo "|---|---|---|---|---|"
		while read -r w cfg _ sw _; do
			[ "$w" = "$wl" ] || continue
			awk -v w="$wl" -v c="$cfg" -v sw="$sw" -v s="$SECS" '$1 == w && $2 == c { n += $4; t += $5 }
				END { printf "| %s | %d | %d | %.0f | %.1f%% of a CPU |\n", c, n, t,
					(sw > 0) ? t / (sw * s) : 0, t / (s * 1e9) * 100 }' "$TMP/progstats"
		done <"$TMP/stats_runs"
		echo
	done
	echo "BPF counts cover the tool's whole life (attach, ${WARMUP}s warm-up, ${SECS}s run) and every"
	echo "event on the box that reaches the programs, not only the workload's."
} | tee ${OUTFILE:+"$OUTFILE"}
