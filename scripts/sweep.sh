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
#   --repeats N     runs per point, at least 3 (default 5)
#   --runtimes L    comma list of rt,tokio (default both)
#   --out DIR       where the CSVs go (default docs/data)
#   --max-load L    a run should start with at most L CPUs busy (default 1.0)
#   --load-wait S   wait at most S s before a run for the load to drop to L
#                   (default 60; 0: never wait)
#   --allow-dirty   run from a tree with uncommitted changes (git=REV+dirty)
#   --dry-run       list the points and the estimated duration, run nothing
#
# Each point is run N times; the repeats are interleaved (round r of every
# point, then round r+1) and the rt and tokio runs of a point are adjacent,
# so that machine load drifting during a sweep spreads over min..max instead
# of biasing one point or one runtime.  Before each run the script measures
# the load, the CPUs busy over 0.25 s while nothing of the sweep runs (the
# neighbours': the 1-min load average holds the sweep's own demos), waits (up
# to --load-wait) for it to be <= --max-load and records the load it started
# at; after the N rounds every point-run that started above it is
# run once more (one extra round, repeat numbers N+1...), and a point's
# statistics use its runs that started <= L when there are at least 3 of
# them (column load_ok), else all its runs.  CSV columns: the parameters,
# runtime, fixed, then <metric>_min,_median,_max,_ci_lo,_ci_hi for each
# metric (ci: 95 % bootstrap interval of the median, scripts/sweep/stats.awk),
# then runs (successful runs), secs, load_ok.  Raw per-run values are kept in
# $BUILD/sweep-raw/NAME.tsv: point index, repeat, wall seconds, 1-min load
# after the run, the load at its start (CPUs busy), steal % and busy % of all CPUs over
# the run (/proc/stat), then the metrics in CSV order; NAME.points holds the
# CSV prefix of each point, so the CSV can be recomputed from the two.  A
# failed run is retried once; a point whose runs all failed has empty metric
# cells.  $BUILD/sweep-raw/NAME.meta records the options, date, host,
# kernel, git revision, load average at start and end, the re-runs and the
# highest start load.  docs/sweeps.md has the details and the caveats.
#
# BUILD (default build) locates the Tokio peers, $BUILD/tokio/release/tokio_*,
# and SWEEP_DEMO_DIR (default ./demos) the C demos.  For the self-test only:
# SWEEP_LOADAVG (its first field is the load before each run, and the 1-min
# load) and SWEEP_PROC_STAT replace the measurement and /proc/stat, and
# SWEEP_RETRY_PAUSE_S the 1 s pause before a failed run's retry.
# Exit status: 0, 1 if a run failed (its point has fewer runs), 2 bad usage
# or a work tree with uncommitted changes (without --allow-dirty).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DEMO_DIR=${SWEEP_DEMO_DIR:-./demos} # the C demos; scripts/sweep/selftest.sh fakes them
ALL_SWEEPS="starvation starvation_fraction convoy suspension suspension_all workers server lifo budget"
# Seconds a run costs beyond --secs, for --dry-run's estimate: the demo's
# start-up and exit (a sweep's NAME__overhead overrides it) plus this script's
# own per run: its jq/awk/date and the load window (LOAD_WINDOW_S), 0.34 s
# measured on the 2-core box (docs/sweeps.md).
OVERHEAD_S=0.015
SCRIPT_OVERHEAD_S=0.34
# The bootstrap of the CI columns (scripts/sweep/stats.awk): resamples and
# the seed, fixed so that the CSV is a function of the raw runs.
BOOT_N=2000
BOOT_SEED=1
# the load and CPU counters; the self-test points these at fakes
LOADAVG=${SWEEP_LOADAVG:-/proc/loadavg}
LOAD_WINDOW_S=0.25	# the window load_now measures before a run (in SCRIPT_OVERHEAD_S)
PROC_STAT=${SWEEP_PROC_STAT:-/proc/stat}

QUICK=0
SECS=
REPEATS=5
RUNTIMES=rt,tokio
OUT=docs/data
MAX_LOAD=1.0
LOAD_WAIT=60
ALLOW_DIRTY=0
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
	--max-load) [ $# -ge 2 ] || die "--max-load needs a value"
		is_num "$2" || die "--max-load: '$2' is not a load average (a number >= 0)"
		MAX_LOAD=$2; shift ;;
	--load-wait) [ $# -ge 2 ] || die "--load-wait needs a value"
		if ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -gt 3600 ]; then
			die "--load-wait: '$2' is not a number of seconds in [0, 3600]"
		fi
		LOAD_WAIT=$2; shift ;;
	--allow-dirty) ALLOW_DIRTY=1 ;;
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

# ---- the revision the numbers come from ----------------------------------------
# git_state: GIT_REV (short commit, or "none") and GIT_DIRTY ("+dirty" when
# tracked files differ from HEAD, staged or not, or there is no commit).
# Files under --out do not count: the CSVs are the sweep's output, not its
# source, and with the default docs/data the first sweep of an invocation
# would otherwise make the tree dirty for the next.
git_state() {
	local changed top out_rel
	GIT_DIRTY=
	if ! GIT_REV=$(git rev-parse --short HEAD 2>/dev/null) ||
		! top=$(git rev-parse --show-toplevel 2>/dev/null) ||
		! changed=$(git diff --name-only HEAD -- 2>/dev/null); then
		GIT_REV=none GIT_DIRTY=+dirty
		return 0
	fi
	out_rel=$(realpath -m --relative-to="$top" "$OUT")
	case $out_rel in .|..|../*) out_rel= ;; esac # not inside the tree
	if [ -n "$out_rel" ]; then
		changed=$(awk -v p="$out_rel/" 'index($0, p) != 1' <<<"$changed")
	fi
	[ -z "$changed" ] || GIT_DIRTY=+dirty
}
git_state
# A CSV must name one commit that produced it (issue #15): refuse a modified
# tree unless told; --dry-run runs nothing, so it may.
if [ $DRY = 0 ] && [ -n "$GIT_DIRTY" ] && [ $ALLOW_DIRTY = 0 ]; then
	die "the tree has uncommitted changes to tracked files (git diff HEAD, outside --out) or no commit: commit first, or --allow-dirty to record git=$GIT_REV+dirty"
fi

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

# progress NAME DONE TOTAL ROUND: point runs done / total, which round (the
# repeats being interleaved: "round r/N", or "re-runs"), elapsed, estimated
# remaining on stderr.  On a terminal the line is rewritten in place;
# otherwise one line at most every 10 s, and always the first and the last.
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
	line=$(printf '%s: %d/%d point runs (%s), elapsed %s, remaining ~%s' \
		"$1" "$2" "$3" "$4" "$(fmt_time "$el")" "$eta")
	if [ -t 2 ]; then
		printf '\r%s\033[K' "$line" >&2
		[ "$2" -lt "$3" ] || printf '\n' >&2
	else
		printf '%s\n' "$line" >&2
	fi
}

# load1: sets LOAD1 to the 1-min load average, an exponentially damped
# average (1 min time constant, updated every 5 s) of the runnable and
# uninterruptible tasks: the sweep's own recent runs are in it.
load1() { read -r LOAD1 _ <"$LOADAVG"; }

# above A B: A > B as decimal numbers (bash has integers only)
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }

# load_now: sets LOAD_NOW to the load a run would start at: the CPUs busy
# (0..ncpus, steal included) over LOAD_WINDOW_S, while nothing of the sweep
# runs: the neighbours' load.  The 1-min load average cannot serve: the
# sweep's own demos stay in it for minutes after they exit, and a sweep
# waiting for it to drop below 1.0 would mostly wait.  SWEEP_LOADAVG (the
# self-test): its first field instead.
load_now() {
	local a
	if [ -n "${SWEEP_LOADAVG:-}" ]; then
		read -r LOAD_NOW _ <"$SWEEP_LOADAVG"
		return
	fi
	cpu_ticks
	a=$TICKS
	sleep "$LOAD_WINDOW_S"
	cpu_ticks
	LOAD_NOW=$(awk -v x="$a" -v y="$TICKS" -v n="$(nproc)" 'BEGIN {
		split(x, u, " "); split(y, w, " "); t = w[1] - u[1]
		printf "%.2f", (t > 0 ? n * (w[3] - u[3]) / t : 0) }')
}

# wait_load: before a run, measures the load every 2 s, for LOAD_WAIT s at
# most, until it is <= MAX_LOAD; then LOAD_START is the load the run starts
# at, whatever it is: a busy box slows a sweep down but never stops it (the
# re-run round and the load_ok column deal with the runs that started high).
wait_load() {
	local left=$LOAD_WAIT
	load_now
	while [ "$left" -gt 0 ] && above "$LOAD_NOW" "$MAX_LOAD"; do
		sleep $((left < 2 ? left : 2))
		left=$((left - 2))
		load_now
	done
	LOAD_START=$LOAD_NOW
}

# cpu_ticks: sets TICKS to "total steal busy", the ticks of all CPUs since
# boot from /proc/stat (busy: all but idle and iowait, steal included).
# Over a run, steal is the CPU the hypervisor gave other guests and busy
# everything done on this VM, the demo included: the neighbours' share,
# which the load average cannot tell from the sweep's own.
cpu_ticks() {
	local us ni sy id io irq sirq st
	read -r _ us ni sy id io irq sirq st _ <"$PROC_STAT"
	TICKS="$((us + ni + sy + id + io + irq + sirq + st)) $st $((us + ni + sy + irq + sirq + st))"
}

# run_point I R: runs point I once (repeat R) once the load allows, and
# appends "I R wall load1_end load1_start steal_pct busy_pct metrics..." to
# $raw; on failure says why on stderr and returns 1.
run_point() {
	local i=$1 r=$2 t0 t1 rc=0 out vals ticks0
	wait_load
	cpu_ticks
	ticks0=$TICKS
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086 # the command line splits on spaces
	out=$(timeout -k 5 "$TIMEOUT_S" ${P_CMD[i]} 2>"$BUILD/sweep-raw/stderr") || rc=$?
	t1=$(date +%s.%N)
	cpu_ticks
	if [ $rc -ne 0 ] || ! vals=$(jq -er "[$jqexpr] | map(if . == null then \"\" else tostring end) | @tsv" <<<"$out" 2>/dev/null); then
		echo "sweep.sh: $name: run failed (exit $rc): ${P_CMD[i]}: $(head -c 300 "$BUILD/sweep-raw/stderr")" >&2
		return 1
	fi
	load1
	# steal and busy as % of all CPUs' ticks; empty if no tick passed
	printf '%d\t%d\t%s\t%s\n' "$i" "$r" "$(awk -v a="$t0" -v b="$t1" \
		-v le="$LOAD1" -v ls="$LOAD_START" -v x="$ticks0" -v y="$TICKS" 'BEGIN {
			split(x, u, " "); split(y, w, " "); tot = w[1] - u[1]
			st = bu = ""
			if (tot > 0) {
				st = sprintf("%.1f", 100 * (w[2] - u[2]) / tot)
				bu = sprintf("%.1f", 100 * (w[3] - u[3]) / tot)
			}
			printf "%.3f\t%s\t%s\t%s\t%s", b - a, le, ls, st, bu
		}')" "$vals" >>"$raw"
}

# run_counted I R LABEL: run_point with its one retry (the demos are shared
# binaries that another `make` may be relinking at this very moment), then
# the progress line.
run_counted() {
	if run_point "$1" "$2"; then :; else
		sleep "${SWEEP_RETRY_PAUSE_S:-1}"
		run_point "$1" "$2" || FAILED=1
	fi
	done=$((done + 1))
	progress "$name" "$done" "$total" "$3"
}

# loaded_runs: "point repeat" for each run of the first REPEATS rounds in
# $raw that started above MAX_LOAD, repeat being the point's next free
# number (REPEATS + 1, + 2...).  Re-runs are not looked at again: one extra
# round at most, however busy the box stays.
loaded_runs() {
	awk -F'\t' -v n="$REPEATS" -v l="$MAX_LOAD" \
		'$2 <= n && $5 + 0 > l + 0 { print $1, n + (++k[$1]) }' "$raw"
}

# run_sweep NAME: runs every point REPEATS times (and the re-runs), writes
# $OUT/NAME$SUFFIX.csv.
run_sweep() {
	local name=$1 metrics=() m jqexpr="" header i r n total done=0 raw csv ov
	local -a names again
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
		header+=",${m}_min,${m}_median,${m}_max,${m}_ci_lo,${m}_ci_hi"
	done
	header+=",runs,secs,load_ok"

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
	# the CSV prefix of each point: with $raw, all the CSV is computed from
	for ((i = 0; i < n; i++)); do
		echo "${P_PARAMS[i]},${P_RT[i]},${P_FIXED[i]}"
	done >"${raw%.tsv}.points"
	# shellcheck disable=SC2064 # $raw is meant to expand now
	trap "echo >&2; echo 'sweep.sh: $name: interrupted; runs so far in $raw' >&2; exit 130" INT TERM
	echo "sweep.sh: $name: $n points x $REPEATS repeats x ${SECS} s, load $(cut -d' ' -f1-3 "$LOADAVG")" >&2
	# where the numbers came from, for whoever reads the CSV later
	{
		echo "sweep=$name quick=$QUICK secs=$SECS repeats=$REPEATS runtimes=$RUNTIMES max_load=$MAX_LOAD load_wait=$LOAD_WAIT"
		echo "started=$(date -u +%FT%TZ) host=$(uname -n) kernel=$(uname -r) cpus=$(nproc)"
		echo "git=$GIT_REV$GIT_DIRTY"
		echo "load_start=$(cut -d' ' -f1-3 "$LOADAVG")"
		echo "boot=$BOOT_N seed=$BOOT_SEED awk=$(awk -W version 2>&1 </dev/null | sed -n 1p)"
	} >"${raw%.tsv}.meta"
	SWEEP_T0=$(date +%s)
	progress "$name" 0 "$total" "round 1/$REPEATS"
	for ((r = 1; r <= REPEATS; r++)); do
		for ((i = 0; i < n; i++)); do
			run_counted "$i" "$r" "round $r/$REPEATS"
		done
	done
	mapfile -t again < <(loaded_runs)
	if [ ${#again[@]} -gt 0 ]; then
		echo "sweep.sh: $name: ${#again[@]} point runs started above load $MAX_LOAD: running them once more" >&2
		total=$((total + ${#again[@]}))
		for m in "${again[@]}"; do
			run_counted "${m% *}" "${m#* }" "re-runs"
		done
	fi

	csv=$OUT/$name$SUFFIX.csv
	{
		echo "$header"
		awk -F'\t' -v nm="${#names[@]}" -v secs="$SECS" -v maxload="$MAX_LOAD" \
			-v seed="$BOOT_SEED" -v boot="$BOOT_N" -f scripts/sweep/stats.awk \
			"${raw%.tsv}.points" "$raw"
	} >"$csv.tmp"
	mv "$csv.tmp" "$csv"
	git_state
	{
		echo "finished=$(date -u +%FT%TZ) load_end=$(cut -d' ' -f1-3 "$LOADAVG") git_end=$GIT_REV$GIT_DIRTY"
		echo "reruns=${#again[@]} load_start_max=$(awk -F'\t' '$5 + 0 > m { m = $5 + 0 } END { print m + 0 }' "$raw")"
	} >>"${raw%.tsv}.meta"
	echo "sweep.sh: $name: wrote $csv ($n rows) in $(fmt_time $(($(date +%s) - SWEEP_T0)))" >&2
}

FAILED=0
EST_MIN=0
for s in "${SWEEPS[@]}"; do
	run_sweep "$s"
done
[ $DRY = 0 ] || printf '# total: estimated %.0f min (plus any waits for the load and re-runs)\n' "$EST_MIN"
if [ $MISSING_TOKIO = 1 ]; then
	echo "sweep.sh: Tokio peers not built ($BUILD/tokio/release/tokio_*): tokio points skipped" >&2
fi
exit $FAILED
