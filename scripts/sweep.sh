#!/bin/bash
# sweep.sh - run the demos over parameter grids and write one CSV per sweep.
#
#	scripts/sweep.sh [OPTIONS] [SWEEP...]      (default: every sweep)
#
# Sweeps: starvation starvation_fraction convoy suspension suspension_all workers
# server lifo budget
# (grids in scripts/sweep/<name>.sh; docs/sweeps.md describes each one).
#
# Options:
#   --quick         small grids, short runs (smoke test); CSVs get a -quick suffix
#   --secs S        run length of each demo run (default 1.5, quick 0.3)
#   --repeats N     runs per point, at least 3 (default 3)
#   --runtimes L    comma list of rt,tokio (default both)
#   --out DIR       where the CSVs go (default docs/data)
#   --dry-run       list the points and the estimated duration, run nothing
#
# Each point is run N times; the repeats are interleaved (round r of every
# point, then round r+1) and the rt and tokio runs of a point are adjacent,
# so that machine load drifting during a sweep spreads over min..max instead
# of biasing one point or one runtime.  CSV columns: the parameters, runtime,
# fixed, then <metric>_min,<metric>_median,<metric>_max for each metric, then
# runs (successful runs) and secs.  Raw per-run values are kept in
# $BUILD/sweep-raw/NAME.tsv: point index, repeat, wall seconds, 1-min load
# average after the run, then the metrics in CSV order.  A failed run is
# retried once; a point whose runs all failed has empty metric cells.
# $BUILD/sweep-raw/NAME.meta records the options, date, host, kernel, git
# revision and load average at start and end.
#
# BUILD (default build) locates the Tokio peers, $BUILD/tokio/release/tokio_*,
# and SWEEP_DEMO_DIR (default ./demos) the C demos.
# Exit status: 0, 1 if a run failed (its point has fewer runs), 2 bad usage.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DEMO_DIR=${SWEEP_DEMO_DIR:-./demos} # the C demos; scripts/sweep/selftest.sh fakes them
ALL_SWEEPS="starvation starvation_fraction convoy suspension suspension_all workers server lifo budget"
# Seconds a run costs beyond --secs, for --dry-run's estimate: the demo's
# start-up and exit (a sweep's NAME__overhead overrides it) plus this script's
# own jq/awk per run; measured on the shared 2-core box (docs/sweeps.md).
OVERHEAD_S=0.015
SCRIPT_OVERHEAD_S=0.04

QUICK=0
SECS=
REPEATS=3
RUNTIMES=rt,tokio
OUT=docs/data
DRY=0
SWEEPS=()

die() { echo "sweep.sh: $*" >&2; exit 2; }
is_num() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--secs) [ $# -ge 2 ] || die "--secs needs a value"
		if ! is_num "$2" || ! awk -v s="$2" 'BEGIN { exit !(s > 0 && s <= 600) }'; then
			die "--secs: '$2' is not a number of seconds in (0, 600]"
		fi
		SECS=$2; shift ;;
	--repeats) [ $# -ge 2 ] || die "--repeats needs a value"
		if ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -lt 3 ] || [ "$2" -gt 100 ]; then
			die "--repeats: '$2' is not an integer in [3, 100]"
		fi
		REPEATS=$2; shift ;;
	--runtimes) [ $# -ge 2 ] || die "--runtimes needs a value"
		[[ $2 =~ ^(rt|tokio)(,(rt|tokio))*$ ]] ||
			die "--runtimes: '$2' is not a comma list of rt,tokio"
		RUNTIMES=$2; shift ;;
	--out) [ $# -ge 2 ] || die "--out needs a value"
		OUT=$2; shift ;;
	--dry-run) DRY=1 ;;
	-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) die "unknown option '$1' (try --help)" ;;
	*) [[ " $ALL_SWEEPS " == *" $1 "* ]] || die "unknown sweep '$1' (one of: $ALL_SWEEPS)"
		SWEEPS+=("$1") ;;
	esac
	shift
done
[ ${#SWEEPS[@]} -gt 0 ] || read -ra SWEEPS <<<"$ALL_SWEEPS"
[ -n "$SECS" ] || { [ $QUICK = 1 ] && SECS=0.3 || SECS=1.5; }
SUFFIX=
[ $QUICK = 0 ] || SUFFIX=-quick
# a run that takes this long is hung: 3x its length plus start-up slack
TIMEOUT_S=$(awk -v s="$SECS" 'BEGIN { print int(s * 3 + 30) }')
command -v jq >/dev/null || die "jq not found (scripts/deps.sh)"

# ---- points: each grid file calls `point` once per grid point ---------------
# P_PARAMS[i] is the CSV prefix (parameter values), P_RT/P_FIXED the runtime
# and variant, P_CMD the command line (no value contains a space).
P_PARAMS=() P_RT=() P_FIXED=() P_CMD=()
MISSING_TOKIO=0

# point RUNTIME FIXED DEMO PARAM_VALUES FLAGS...
# shellcheck disable=SC2317 # point and both are called by the grid files
point() {
	local rt=$1 fixed=$2 demo=$3 params=$4 bin
	shift 4
	[[ ",$RUNTIMES," == *",$rt,"* ]] || return 0
	if [ "$rt" = rt ]; then
		bin=$DEMO_DIR/demo_$demo
	else
		bin=$BUILD/tokio/release/tokio_$demo
	fi
	if [ ! -x "$bin" ]; then
		[ "$rt" = tokio ] || die "$bin not built (make BUILD=$BUILD)"
		MISSING_TOKIO=1
		return 0
	fi
	[ "$fixed" = 1 ] && set -- "$@" --fixed
	P_PARAMS+=("$params") P_RT+=("$rt") P_FIXED+=("$fixed")
	P_CMD+=("$bin $* --secs $SECS --json")
}

# both DEMO PARAM_VALUES FLAGS...: broken then fixed, each on rt then tokio.
# shellcheck disable=SC2317
both() {
	local f r
	for f in 0 1; do
		for r in rt tokio; do
			point "$r" "$f" "$@"
		done
	done
}

# ---- running ------------------------------------------------------------------
fmt_time() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# progress NAME DONE TOTAL: point runs done / total (and which repeat round,
# the repeats being interleaved), elapsed, estimated remaining
# on stderr.  On a terminal the line is rewritten in place; otherwise one line
# at most every 10 s, and always the first and the last.
LAST_PROGRESS=0
progress() {
	local now el eta line
	now=$(date +%s)
	el=$((now - SWEEP_T0))
	if [ ! -t 2 ] && [ "$2" -gt 0 ] && [ "$2" -lt "$3" ] &&
		[ $((now - LAST_PROGRESS)) -lt 10 ]; then
		return 0
	fi
	LAST_PROGRESS=$now
	eta='?'
	[ "$2" -gt 0 ] && eta=$(fmt_time $((el * ($3 - $2) / $2)))
	line=$(printf '%s: %d/%d point runs (round %d/%d), elapsed %s, remaining ~%s' \
		"$1" "$2" "$3" $(($2 * REPEATS / $3 + ($2 < $3))) "$REPEATS" \
		"$(fmt_time "$el")" "$eta")
	if [ -t 2 ]; then
		printf '\r%s\033[K' "$line" >&2
		[ "$2" -lt "$3" ] || printf '\n' >&2
	else
		printf '%s\n' "$line" >&2
	fi
}

# run_point I R: runs point I once (repeat R) and appends "I R wall load1
# metrics..." to $raw; on failure says why on stderr and returns 1.
run_point() {
	local i=$1 r=$2 t0 t1 rc=0 out vals load
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086 # the command line splits on spaces
	out=$(timeout -k 5 "$TIMEOUT_S" ${P_CMD[i]} 2>"$BUILD/sweep-raw/stderr") || rc=$?
	t1=$(date +%s.%N)
	if [ $rc -ne 0 ] || ! vals=$(jq -er "[$jqexpr] | map(if . == null then \"\" else tostring end) | @tsv" <<<"$out" 2>/dev/null); then
		echo "sweep.sh: $name: run failed (exit $rc): ${P_CMD[i]}: $(head -c 300 "$BUILD/sweep-raw/stderr")" >&2
		return 1
	fi
	read -r load _ </proc/loadavg
	printf '%d\t%d\t%.3f\t%s\t%s\n' "$i" "$r" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$load" "$vals" >>"$raw"
}

# run_sweep NAME: runs every point REPEATS times, writes $OUT/NAME$SUFFIX.csv.
run_sweep() {
	local name=$1 metrics=() m jqexpr="" header i r n total done=0 raw csv ov
	local -a names
	# shellcheck source=/dev/null
	source "scripts/sweep/$name.sh"
	P_PARAMS=() P_RT=() P_FIXED=() P_CMD=() SKIPPED=0
	"${name}__points"
	mapfile -t metrics < <("${name}__metrics")
	n=${#P_CMD[@]}
	total=$((n * REPEATS))
	if [ "$n" -eq 0 ]; then
		[ "$SKIPPED" = 1 ] || echo "sweep.sh: $name: no points (runtimes: $RUNTIMES)" >&2
		return 0
	fi
	names=()
	for m in "${metrics[@]}"; do
		names+=("${m%%=*}")
		jqexpr+="${jqexpr:+, }(${m#*=})"
	done
	header="$("${name}__params"),runtime,fixed"
	for m in "${names[@]}"; do
		header+=",${m}_min,${m}_median,${m}_max"
	done
	header+=",runs,secs"

	if [ $DRY = 1 ]; then
		ov=$OVERHEAD_S
		! declare -F "${name}__overhead" >/dev/null || ov=$("${name}__overhead")
		echo "# $name: $n points x $REPEATS repeats x ${SECS} s, estimated $(awk -v t=$total \
			-v s="$SECS" -v o="$ov" -v so=$SCRIPT_OVERHEAD_S \
			'BEGIN { printf "%.1f", t * (s + o + so) / 60 }') min"
		EST_MIN=$(awk -v a="$EST_MIN" -v t=$total -v s="$SECS" -v o="$ov" \
			-v so=$SCRIPT_OVERHEAD_S 'BEGIN { print a + t * (s + o + so) / 60 }')
		echo "# $header"
		for ((i = 0; i < n; i++)); do
			echo "${P_PARAMS[i]},${P_RT[i]},${P_FIXED[i]}  ${P_CMD[i]}"
		done
		return 0
	fi

	mkdir -p "$BUILD/sweep-raw" "$OUT"
	raw=$BUILD/sweep-raw/$name$SUFFIX.tsv
	: >"$raw"
	# shellcheck disable=SC2064 # $raw is meant to expand now
	trap "echo >&2; echo 'sweep.sh: $name: interrupted; runs so far in $raw' >&2; exit 130" INT TERM
	echo "sweep.sh: $name: $n points x $REPEATS repeats x ${SECS} s, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	# where the numbers came from, for whoever reads the CSV later
	{
		echo "sweep=$name quick=$QUICK secs=$SECS repeats=$REPEATS runtimes=$RUNTIMES"
		echo "started=$(date -u +%FT%TZ) host=$(uname -n) kernel=$(uname -r) cpus=$(nproc)"
		echo "git=$(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo +dirty)"
		echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	} >"${raw%.tsv}.meta"
	SWEEP_T0=$(date +%s)
	progress "$name" 0 "$total"
	for ((r = 1; r <= REPEATS; r++)); do
		for ((i = 0; i < n; i++)); do
			if run_point "$i" "$r"; then :; else
				# once more: the demos are shared binaries that another
				# `make` may be relinking at this very moment
				sleep 1
				run_point "$i" "$r" || FAILED=1
			fi
			done=$((done + 1))
			progress "$name" "$done" "$total"
		done
	done

	csv=$OUT/$name$SUFFIX.csv
	{
		echo "$header"
		for ((i = 0; i < n; i++)); do
			printf '%s,%s,%s' "${P_PARAMS[i]}" "${P_RT[i]}" "${P_FIXED[i]}"
			# min/median/max of each metric column over this point's runs;
			# empty values (a metric undefined in that run) are left out.
			awk -F'\t' -v p="$i" -v nm="${#names[@]}" -v secs="$SECS" '
				function sort(a, k,   x, y, t) {
					for (x = 2; x <= k; x++)
						for (y = x; y > 1 && a[y - 1] > a[y]; y--) {
							t = a[y]; a[y] = a[y - 1]; a[y - 1] = t
						}
				}
				$1 == p { runs++; for (c = 1; c <= nm; c++) row[runs, c] = $(c + 4) }
				END {
					for (c = 1; c <= nm; c++) {
						k = 0; delete v
						for (x = 1; x <= runs; x++)
							if (row[x, c] != "") v[++k] = row[x, c] + 0
						if (k == 0) { printf ",,,"; continue }
						sort(v, k)
						med = k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
						printf ",%.7g,%.7g,%.7g", v[1], med, v[k]
					}
					printf ",%d,%s\n", runs, secs
				}' "$raw"
		done
	} >"$csv.tmp"
	mv "$csv.tmp" "$csv"
	echo "finished=$(date -u +%FT%TZ) load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"${raw%.tsv}.meta"
	echo "sweep.sh: $name: wrote $csv ($n rows) in $(fmt_time $(($(date +%s) - SWEEP_T0)))" >&2
}

FAILED=0
EST_MIN=0
for s in "${SWEEPS[@]}"; do
	run_sweep "$s"
done
[ $DRY = 0 ] || printf '# total: estimated %.0f min\n' "$EST_MIN"
if [ $MISSING_TOKIO = 1 ]; then
	echo "sweep.sh: Tokio peers not built ($BUILD/tokio/release/tokio_*): tokio points skipped" >&2
fi
exit $FAILED
