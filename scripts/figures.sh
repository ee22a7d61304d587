#!/bin/bash
# figures.sh - render every figure from the sweep CSVs with gnuplot.
#
#	scripts/figures.sh [--data DIR] [--out DIR] [--png]
#
# For each docs/data/NAME.csv (and NAME-quick.csv, smoke-test data, whose
# figures get the same -quick suffix and say so in their title) it writes
# docs/figures/NAME*.svg with scripts/figures/NAME.gp.  --png renders PNGs
# instead (for looking at them; the SVGs are the project's figures).
# A CSV with no figure script, or a figure script without its CSV, is skipped
# with a line on stderr; a gnuplot error is an error (exit 1).  The models'
# predictions (docs/models.md) are drawn dotted, with the calibration
# constants from DIR/models.csv (scripts/models.sh; `make figures` runs it
# first) or, without it, the defaults in scripts/figures/common.gp.
set -euo pipefail

cd "$(dirname "$0")/.."
DATA=docs/data
OUT=docs/figures
TERM_KIND=svg
GP=scripts/figures

die() { echo "figures.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--data) [ $# -ge 2 ] || die "--data needs a value"; DATA=$2; shift ;;
	--out) [ $# -ge 2 ] || die "--out needs a value"; OUT=$2; shift ;;
	--png) TERM_KIND=png ;;
	-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
	shift
done
command -v gnuplot >/dev/null || die "gnuplot not found (scripts/deps.sh installs gnuplot-nox)"
[ -d "$DATA" ] || die "no data directory $DATA (run scripts/sweep.sh first)"
mkdir -p "$OUT"

# distinct CSV COLUMN: the column's values in first-seen order, space separated.
distinct() {
	awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		k && !seen[$k]++ { printf "%s%s", n++ ? " " : "", $k }' "$1"
}
# first CSV COLUMN: the column's value on the first data row.
first() { distinct "$1" "$2" | cut -d' ' -f1; }
# has_ci CSV: 1 if the CSV has the bootstrap interval columns (sweep.sh
# since issue #15; the figures then draw them as the bars), else 0.
has_ci() { head -1 "$1" | tr ',' '\n' | grep -q '_ci_lo$' && echo 1 || echo 0; }

# The models' calibration constants (scripts/models.sh writes them to
# models.csv; docs/models.md): the probe's 1 ms sleep cycle tp (ms), its
# healthy p99 floor (us) and the sync-lock hand-off d0 (us), per runtime.
# The figures draw each model's prediction as a dotted line.
calib() {
	local v=
	[ -s "$DATA/models.csv" ] &&
		v=$(awk -F, -v r="$1" -v m="$2" '$1 == "calibration" && $3 == r && $6 == m && $7 != "" { print $7; exit }' "$DATA/models.csv")
	echo "${v:-$3}"
}
CAL="tp_rt=$(calib rt tp_ms 1.0541); tp_tokio=$(calib tokio tp_ms 2.1186)"
CAL+="; fl_rt=$(calib rt probe_p99_floor_us 144.9); fl_tokio=$(calib tokio probe_p99_floor_us 1261.7)"
CAL+="; d0_rt=$(calib rt handoff_d0_us 14.40); d0_tokio=$(calib tokio handoff_d0_us 14.01)"

FAILED=0
# render SCRIPT CSV OUTNAME [VAR=VALUE...]: VALUEs are gnuplot expressions.
render() {
	local gp=$1 csv=$2 name=$3 quick=0 ext=$TERM_KIND e
	shift 3
	case $csv in *-quick.csv) quick=1 ;; esac
	e="csv='$csv'; out='$OUT/$name.$ext'; term='$TERM_KIND'; dir='$GP'"
	e+="; sel='$GP/select.awk'; models='$DATA/models.csv'; quick=$quick"
	e+="; runs='$(first "$csv" runs)'; secs='$(first "$csv" secs)'; ci=$(has_ci "$csv"); $CAL"
	for v in "$@"; do
		e+="; $v"
	done
	if gnuplot -e "$e" "$GP/$gp.gp"; then
		echo "  FIG      $OUT/$name.$ext" >&2
	else
		echo "figures.sh: gnuplot failed on $GP/$gp.gp for $csv" >&2
		FAILED=1
	fi
}

shopt -s nullglob
n=0
for csv in "$DATA"/*.csv; do
	base=$(basename "$csv" .csv)
	sweep=${base%-quick}
	sfx=${base#"$sweep"}
	if [ "$(wc -l <"$csv")" -lt 2 ]; then
		echo "figures.sh: $csv has no data rows, skipped" >&2
		continue
	fi
	case $sweep in
	starvation)
		render starvation "$csv" "starvation_p99$sfx" \
			"Bs='$(distinct "$csv" block_ms)'" "Ns='$(distinct "$csv" workers)'" \
			"metric='probe_p99_us'" "mtitle='probe p99 lateness'" \
			"ylabel='probe lateness p99 (µs, log)'"
		render starvation "$csv" "starvation_max$sfx" \
			"Bs='$(distinct "$csv" block_ms)'" "Ns='$(distinct "$csv" workers)'" \
			"metric='probe_max_us'" "mtitle='probe max lateness'" \
			"ylabel='probe lateness max (µs, log)'" ;;
	starvation_fraction)
		render starvation_fraction "$csv" "$base" \
			"Bf='$(first "$csv" block_ms)'" "Nf='$(first "$csv" workers)'" ;;
	workers)
		render workers "$csv" "$base" ;;
	suspension_all)
		render suspension_all "$csv" "$base" "Ss='$(distinct "$csv" await_ms)'" ;;
	convoy)
		render convoy "$csv" "$base" "Hs='$(distinct "$csv" hold_us)'" ;;
	suspension)
		render suspension "$csv" "$base" "Ms='$(distinct "$csv" peers)'" \
			"Ss='$(distinct "$csv" await_ms)'" ;;
	server)
		render server "$csv" "$base" "Bs='$(distinct "$csv" block_ms)'" \
			"Rs='$(distinct "$csv" rate)'" ;;
	lifo)
		render lifo "$csv" "$base" ;;
	budget)
		render budget "$csv" "$base" ;;
	observer_overhead)
		render observer_overhead "$csv" "$base" ;;
	models)
		continue ;; # scripts/models.sh output, not a sweep
	*)
		echo "figures.sh: no figure script for $csv, skipped" >&2
		continue ;;
	esac
	n=$((n + 1))
done
[ $n -gt 0 ] || echo "figures.sh: no sweep CSVs in $DATA (run scripts/sweep.sh)" >&2
exit $FAILED
