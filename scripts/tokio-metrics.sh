#!/bin/bash
# tokio-metrics.sh - each failure shape on real Tokio, seen two ways at once:
# Tokio's own RuntimeMetrics (the demos' --tokio-metrics: what tokio-metrics
# and tokio-console are built on) and observe's verdict, launched on the
# same run.  docs/tokio-metrics.md reads the table.
#
#	scripts/tokio-metrics.sh [-n RUNS] [-s SECS] [-o FILE]
#
#   -n RUNS  runs of every scenario (default 3), interleaved
#   -s SECS  each run's length (default 3)
#   -o FILE  also write the table to FILE (with the command, the load and
#            the host's steal time over the whole run)
#
# Columns, per run: observe's verdict and confidence; Tokio's busy_ratio
# (mean over workers: time between a worker's resume and its next park,
# over the run), mean poll time (busy / polls), polls/s, steals, parks/s,
# and the largest depth of the workers' local queues and of the injection
# queue, sampled every 10 ms.  Needs root (observe) and the Tokio demos
# (make; mk/tokio.mk).  Exit status: 0, 1 if a run failed, 2 bad usage.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=$BUILD/tokio/release
RUNS=3
SECS=3
OUT=

die() { echo "tokio-metrics.sh: $*" >&2; exit 2; }
while getopts n:s:o:h opt; do
	case $opt in
	n) [[ $OPTARG =~ ^[1-9][0-9]*$ ]] || die "-n: '$OPTARG' is not a count"; RUNS=$OPTARG ;;
	s) [[ $OPTARG =~ ^[0-9]+([.][0-9]+)?$ ]] || die "-s: '$OPTARG' is not seconds"; SECS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	h) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "bad option (try -h)" ;;
	esac
done
[ "$(id -u)" = 0 ] || die "observe needs root"
[ -x ./observe ] || die "./observe not built (make)"
for b in tokio_starvation tokio_convoy tokio_suspension tokio_server tokio_probe; do
	[ -x "$T/$b" ] || die "$T/$b not built (mk/tokio.mk)"
done

# name|demo and its arguments (the workers: the box's 2 CPUs)
SCENARIOS=(
	"starvation sleep|tokio_starvation --workers 2 --blockers 2 --block-ms 20 --period-ms 25"
	"starvation spin|tokio_starvation --workers 2 --blockers 2 --block-ms 20 --period-ms 25 --mode spin"
	"starvation --fixed|tokio_starvation --workers 2 --blockers 2 --block-ms 20 --period-ms 25 --fixed"
	"convoy sync|tokio_convoy --workers 2"
	"convoy sync --fixed|tokio_convoy --workers 2 --fixed"
	"convoy async|tokio_convoy --workers 2 --lock async"
	"suspension|tokio_suspension --workers 2"
	"suspension --fixed|tokio_suspension --workers 2 --fixed"
	"server|tokio_server --workers 2"
	"server --fixed|tokio_server --workers 2 --fixed"
	"idle (probe only)|tokio_probe --workers 2"
)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# steal and total CPU ticks of the host so far (/proc/stat's first line)
ticks() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat; }

# one NAME|CMD run: observe launches the demo; one table row on stdout
run_one() {
	local name=${1%%|*} cmd=${1#*|} v tm rc=0
	# shellcheck disable=SC2086 # cmd splits on spaces
	./observe --json -o "$TMP/obs.json" -- "$T/"$cmd --secs "$SECS" --json --tokio-metrics \
		>"$TMP/demo.json" 2>"$TMP/err" || rc=$?
	if [ $rc != 0 ] || ! tm=$(jq -ec '.tokio_metrics' "$TMP/demo.json" 2>/dev/null); then
		echo "tokio-metrics.sh: $name: run failed ($rc): $(head -c 300 "$TMP/err")" >&2
		return 1
	fi
	v=$(jq -r '.verdict | "\(.shape) \(.confidence)"' "$TMP/obs.json" 2>/dev/null || echo "? ?")
	jq -r --arg n "$name" --arg v "$v" --argjson s "$SECS" '
		def mean(a): (a | add) / (a | length);
		[$n, ($v | split(" ")[0]), ($v | split(" ")[1]),
		 (mean(.busy_ratio) * 100 | round | tostring) + "%",
		 (.mean_poll_us | tostring), ((.polls | add) / $s | round | tostring),
		 (.steals | tostring), (.parks / $s | round | tostring),
		 (.local_queues_max | tostring), (.injection_queue_max | tostring)] |
		@tsv' <<<"$tm"
}

{
	echo "# scripts/tokio-metrics.sh -n $RUNS -s $SECS, $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, git $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +dirty)"
	echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$TMP/head"
read -r steal0 total0 < <(ticks)
: >"$TMP/rows"
failed=0
for ((r = 1; r <= RUNS; r++)); do
	for s in "${SCENARIOS[@]}"; do
		run_one "$s" >>"$TMP/rows" || failed=1
	done
done
read -r steal1 total1 < <(ticks)
{
	cat "$TMP/head"
	echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); steal over the runs: $(awk -v a=$((steal1 - steal0)) -v b=$((total1 - total0)) 'BEGIN { printf "%.2f%%", b ? 100 * a / b : 0 }')"
	{
		printf 'scenario\tobserve\tconf\tbusy\tmean_poll_us\tpolls/s\tsteals\tparks/s\tlocalq_max\tinjq_max\n'
		sort -s -t$'\t' -k1,1 "$TMP/rows"
	} | column -t -s$'\t'
} | tee "$TMP/table"
[ -z "$OUT" ] || cp "$TMP/table" "$OUT"
exit $failed
