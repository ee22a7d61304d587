#!/bin/bash
# bench-rt.sh - the runtime's micro-benchmarks (bench/bench_rt) and the same
# benchmarks on real Tokio (demos/tokio tokio_bench), side by side: REPS
# rounds (default 5), min/median/max per runtime (the lower middle for an
# even count) and the ratio of medians.
# Not a test: numbers depend on the machine and on whatever else runs on it.
# docs/bench-rt.md explains each row.
#	scripts/bench-rt.sh [-r REPS] [-w WORKERS] [-q]
#	-q  quick: 1/100 of the iterations (a smoke run, numbers meaningless)
# BUILD (default build) locates $BUILD/bench/bench_rt and
# $BUILD/tokio/release/tokio_bench; without the latter it runs rt alone.
#
# The runtimes alternate within each round, and who goes first alternates
# between rounds (rt, tokio; tokio, rt; ...), so both see the same load and
# neither always runs first, e.g. on a cold CPU frequency.
set -euf # -f: the rows are split on blanks, never globbed
BUILD=${BUILD:-build}
RT_BIN=$BUILD/bench/bench_rt
TOKIO_BIN=$BUILD/tokio/release/tokio_bench
REPS=5
WORKERS=$(nproc)
QUICK=0

usage() { echo "usage: $0 [-r REPS] [-w WORKERS] [-q]" >&2; exit 2; }
while getopts r:w:q o; do
	case $o in
	r) REPS=$OPTARG ;;
	w) WORKERS=$OPTARG ;;
	q) QUICK=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
case $REPS in '' | *[!0-9]* | 0) echo "bench-rt.sh: -r wants a positive count" >&2; exit 2 ;; esac
case $WORKERS in '' | *[!0-9]* | 0) echo "bench-rt.sh: -w wants a positive count" >&2; exit 2 ;; esac
[ -x "$RT_BIN" ] || { echo "bench-rt.sh: $RT_BIN not built (make BUILD=$BUILD)" >&2; exit 1; }
RUNTIMES="rt tokio"
if [ ! -x "$TOKIO_BIN" ]; then
	echo "# $TOKIO_BIN not built (make BUILD=$BUILD tokio-demos): rt only"
	RUNTIMES=rt
fi

# One row per headline metric: MODE N METRIC BETTER LABEL.  BETTER says
# which way is better (lower, higher).  METRIC cpu:FIELD is the process's
# CPU time (user + sys, all threads, start-up included) divided by the
# line's FIELD count: a runtime that keeps a second worker busy pays for it
# here even when its wall time is the same.  The counts are bench_rt's
# defaults except ping-pong, halved as it always was here.
ROWS=(
	"spawn 1000000 ns_per_task lower spawn + join, ns/task"
	"spawn 1000000 cpu:tasks lower spawn + join, CPU ns/task"
	"pingpong 500000 ns_per_switch lower ping-pong via wakers, ns/switch"
	"pingpong 500000 cpu:switches lower ping-pong via wakers, CPU ns/switch"
	"mpsc 1000000 mitems_per_s higher mpsc (cap 1024), M items/s"
	"mpsc 1000000 cpu:items lower mpsc (cap 1024), CPU ns/item"
	"timer 1000 p50_us lower 1 ms sleep lateness p50, us"
	"timer 1000 p99_us lower 1 ms sleep lateness p99, us"
	"timer-raw 1000 p50_us lower control: bare epoll_pwait2 1 ms, p50 us"
	"timer-raw 1000 p99_us lower control: bare epoll_pwait2 1 ms, p99 us"
)
# Modes in order, each run once per round and runtime (timer gives p50 and p99).
MODES="spawn pingpong mpsc timer timer-raw"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-rt.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
DATA=$TMP/data

# count MODE: the iteration count of MODE (quick: 1/100, at least 10).
count() {
	local mode=$1 r n
	for r in "${ROWS[@]}"; do
		# shellcheck disable=SC2086 # split the row into its words (set -f)
		set -- $r
		[ "$1" = "$mode" ] || continue
		n=$2
		[ "$QUICK" = 1 ] && n=$((n / 100 > 10 ? n / 100 : 10))
		echo "$n"
		return
	done
}

# one RUNTIME MODE: runs MODE once and appends "ROW RUNTIME VALUE" to
# $DATA for each row of MODE.  A failed run or an unparsable line stops
# the script: a benchmark with a hole in it would mislead.
one() {
	local rt=$1 mode=$2 bin line cpu i r v n
	if [ "$rt" = rt ]; then bin=$RT_BIN; else bin=$TOKIO_BIN; fi
	n=$(count "$mode")
	if ! { time "$bin" "$mode" -w "$WORKERS" -n "$n" >"$TMP/out" 2>"$TMP/err"; } 2>"$TMP/time"; then
		echo "bench-rt.sh: $bin $mode -w $WORKERS -n $n failed: $(head -c 300 "$TMP/err")" >&2
		exit 1
	fi
	line=$(head -n 1 "$TMP/out")
	cpu=$(awk '{ print $1 + $2 }' "$TMP/time")
	i=0
	for r in "${ROWS[@]}"; do
		# shellcheck disable=SC2086 # split the row into its words (set -f)
		set -- $r
		i=$((i + 1))
		[ "$1" = "$mode" ] || continue
		case $3 in
		cpu:*)
			v=$(awk -v f="${3#cpu:}" -v c="$cpu" '{ for (i = 1; i < NF; i++)
				if ($i == f && $(i + 1) > 0) printf "%.1f\n", c * 1e9 / $(i + 1) }' <<<"$line") ;;
		*)
			v=$(awk -v f="$3" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' <<<"$line") ;;
		esac
		case $v in
		[0-9]*) echo "$i $rt $v" >>"$DATA" ;;
		*) echo "bench-rt.sh: no $3 in '$line' ($bin $mode)" >&2; exit 1 ;;
		esac
	done
}

TIMEFORMAT='%3U %3S' # for one(): user and sys seconds of each run
echo "# bench-rt: $WORKERS workers, $REPS rounds, $(date -u +%FT%TZ)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs$([ "$QUICK" = 1 ] && echo ', QUICK (meaningless)')"
: >"$DATA"
for round in $(seq "$REPS"); do
	order=$RUNTIMES
	if [ $((round % 2)) = 0 ] && [ "$RUNTIMES" != rt ]; then order="tokio rt"; fi
	for mode in $MODES; do
		for rt in $order; do
			one "$rt" "$mode"
		done
	done
done

# The table: per row and runtime min/median/max, then the ratio of medians
# rt/tokio and which runtime is better by how much.  Sorted by row, runtime,
# value, so that each (row, runtime) group arrives in order.
labels=$TMP/labels
i=0
for r in "${ROWS[@]}"; do
	# shellcheck disable=SC2086 # split the row into its words (set -f)
	set -- $r
	i=$((i + 1))
	echo "$i $4 ${*:5}" >>"$labels"
done
sort -k1,1n -k2,2 -k3,3g "$DATA" | awk -v runtimes="$RUNTIMES" -v labels="$labels" '
	BEGIN {
		while ((getline l < labels) > 0) {
			split(l, f, " ")
			better[f[1]] = f[2]
			sub(/^[0-9]+ [a-z]+ /, "", l)
			label[f[1]] = l
			nrows = f[1]
		}
		both = runtimes != "rt"
		if (both) {
			print "| benchmark | rt min / median / max | tokio min / median / max | rt/tokio (medians) | better |"
			print "|---|---|---|---|---|"
		} else {
			print "| benchmark | rt min / median / max |"
			print "|---|---|"
		}
	}
	{ k = $1 SUBSEP $2; n[k]++; v[k, n[k]] = $3 }
	function cell(k) {
		return v[k, 1] " / " v[k, int((n[k] + 1) / 2)] " / " v[k, n[k]]
	}
	function med(k) { return v[k, int((n[k] + 1) / 2)] }
	END {
		for (r = 1; r <= nrows; r++) {
			a = r SUBSEP "rt"; b = r SUBSEP "tokio"
			if (!both) { printf "| %s | %s |\n", label[r], cell(a); continue }
			ratio = med(b) > 0 ? med(a) / med(b) : 0
			x = ratio > 0 ? (ratio >= 1 ? ratio : 1 / ratio) : 0
			if (ratio == 0) w = "?"
			else if (x < 1.02) w = "tie (within 2%)"
			else if ((ratio < 1) == (better[r] == "lower"))
				w = sprintf("rt %.2fx", x)
			else
				w = sprintf("tokio %.2fx", x)
			printf "| %s | %s | %s | %.2f | %s |\n", label[r], cell(a),
				cell(b), ratio, w
		}
	}'
