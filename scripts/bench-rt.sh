#!/bin/bash
# bench-rt.sh - the runtime's micro-benchmarks, each repeated REPS times
# (default 5), min/median/max of the headline metric.  Not a test: numbers
# depend on the machine and on whatever else runs on it.
#	scripts/bench-rt.sh [-r REPS] [-w WORKERS]
# BUILD (default build) locates $BUILD/bench/bench_rt.
set -eu
BUILD=${BUILD:-build}
BIN=$BUILD/bench/bench_rt
REPS=5
WORKERS=$(nproc)
while getopts r:w: o; do
	case $o in
	r) REPS=$OPTARG ;;
	w) WORKERS=$OPTARG ;;
	*) echo "usage: $0 [-r REPS] [-w WORKERS]" >&2; exit 2 ;;
	esac
done
[ -x "$BIN" ] || { echo "bench-rt.sh: $BIN not built (make BUILD=$BUILD)" >&2; exit 1; }

# run MODE FIELD UNIT [ARGS...]: FIELD is the word after which the value is.
run() {
	local mode=$1 field=$2 unit=$3 vals=() v
	shift 3
	for _ in $(seq "$REPS"); do
		v=$("$BIN" "$mode" -w "$WORKERS" "$@" |
			awk -v f="$field" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }')
		vals+=("$v")
	done
	printf '%s\n' "${vals[@]}" | sort -g | awk -v m="$mode $field" -v u="$unit" '
		{ v[NR] = $1 }
		END { printf "%-28s min %10s  median %10s  max %10s  %s (n=%d)\n",
			m, v[1], v[int((NR + 1) / 2)], v[NR], u, NR }'
}

echo "# bench_rt: $WORKERS workers, $REPS runs each, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
run spawn ns_per_task ns -n 1000000
run pingpong ns_per_switch ns -n 500000
run mpsc mitems_per_s M/s -n 1000000
run timer p50_us us -n 1000
run timer p99_us us -n 1000
run timer-raw p50_us us -n 1000
run timer-raw p99_us us -n 1000
