#!/bin/bash
# soak.sh - observe left attached for a long time to a target that churns
# threads and switches: does anything grow?  `make soak`; a benchmark, not a
# test (30 min by default), root.
#
# Usage: scripts/soak.sh [-s SECS] [-e SECS] [-w SECS] [-o DIR]
#        scripts/soak.sh -S CSV [-w SECS]   (the summary of an earlier run)
#	(the summary goes to stdout and to the log)
#   -s SECS  how long observe runs (default 1800)
#   -e SECS  sample every SECS (default 10)
#   -w SECS  warm-up left out of the slopes (default 600)
#   -o DIR   where the CSV and the log go (default docs/data/soak); files are
#            named soak-DATE.{csv,log}
#
# The target (launch mode, one process tree): tests/targets/churn at 10000
# threads a minute, each with a futex wait of its own, and tests/targets/
# pingpong with ~50 us of work per round trip (a steady switch load).
# observe runs as `observe -i 1 --json -o FILE -d SECS -- sh -c ...`.
#
# Each sample: observe's RSS (VmRSS), its CPU time (utime + stime), and the
# entries of its threads, pairs and futexes maps (bpftool).  The summary:
# least-squares slopes after the warm-up (10 min: in the run of
# docs/soak.md RSS grew from 33 to 51 MB over the first 8 min, the
# user-stack unwinder's memory and the allocator's high-water mark, then
# stayed flat; with --no-ustacks it is flat from the start) of RSS in KB
# per hour and of each map in rows per hour, observe's CPU per sample period (min / median / max, % of one CPU),
# the load average and the host's steal time over the run.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
OBSERVE=${OBSERVE:-$TOP/observe}
T=$TOP/$BUILD/tests/targets
SECS=1800
EVERY=10
WARM=600
DIR=$TOP/docs/data/soak
ONLY_CSV=

while getopts "s:e:w:o:S:" opt; do
	case $opt in
	s) SECS=$OPTARG ;;
	e) EVERY=$OPTARG ;;
	w) WARM=$OPTARG ;;
	o) DIR=$OPTARG ;;
	S) ONLY_CSV=$OPTARG ;;
	*) sed -n '2,14p' "$0" >&2; exit 2 ;;
	esac
done

# summarize CSV: slopes after WARM s (least squares, per hour), observe's CPU
# per sample period (min / median / max), the last map sizes.
summarize() {
	awk -F, -v warm="$WARM" '
	BEGIN { n = 0 }
	NR == 1 { next }
	{ t[n] = $1; for (c = 2; c <= 6; c++) v[c, n] = $c; n++ }
	function slope(c,   i, m, st, sv, stt, stv) {
		for (i = 0; i < n; i++) if (t[i] >= warm && v[c, i] != "") {
			m++; st += t[i]; sv += v[c, i]; stt += t[i] * t[i]; stv += t[i] * v[c, i]
		}
		if (m < 2 || m * stt == st * st) return "n/a"
		return sprintf("%+.1f", (m * stv - st * sv) / (m * stt - st * st) * 3600)
	}
	function at(c, when,   i) { for (i = 0; i < n; i++) if (t[i] >= when) return v[c, i]; return v[c, n - 1] }
	function maxof(c,   i, m) { for (i = 0; i < n; i++) if (v[c, i] > m) m = v[c, i]; return m }
	END {
		for (i = 1; i < n; i++) pct[i] = (v[3, i] - v[3, i - 1]) / (t[i] - t[i - 1]) * 100
		k = n - 1
		for (i = 2; i <= k; i++)	# insertion sort (mawk has no asort)
			for (j = i; j > 1 && pct[j - 1] > pct[j]; j--) { x = pct[j]; pct[j] = pct[j - 1]; pct[j - 1] = x }
		printf "samples %d over %d s (one every %.1f s)\n", n, t[n - 1], t[n - 1] / (n > 1 ? n - 1 : 1)
		printf "rss_kb first %d, at %d s %d, last %d, max %d; slope after %d s %s KB/h\n",
			v[2, 0], warm, at(2, warm), v[2, n - 1], maxof(2), warm, slope(2)
		printf "observe cpu per sample: min %.2f%% median %.2f%% max %.2f%% of one CPU\n",
			pct[1], pct[int((k + 1) / 2)], pct[k]
		printf "map rows max (last; slope after %d s, per hour): threads %d (%d; %s) pairs %d (%d; %s) futexes %d (%d; %s)\n",
			warm, maxof(4), v[4, n - 1], slope(4), maxof(5), v[5, n - 1], slope(5),
			maxof(6), v[6, n - 1], slope(6)
	}' "$1"
}
if [ -n "$ONLY_CSV" ]; then
	summarize "$ONLY_CSV"
	exit
fi
[ "$(id -u)" = 0 ] || { echo "soak.sh: needs root" >&2; exit 1; }
for x in "$OBSERVE" "$T/churn" "$T/pingpong"; do
	[ -x "$x" ] || { echo "soak.sh: $x not built (make)" >&2; exit 1; }
done
command -v bpftool >/dev/null || PATH=$PATH:/usr/sbin
. "$TOP/scripts/lib/bpf_fds.sh"

mkdir -p "$DIR"
stamp=$(date -u +%Y-%m-%dT%H%MZ)
csv=$DIR/soak-$stamp.csv
log=$DIR/soak-$stamp.log
json=$(mktemp /tmp/soak.XXXXXX.json)
ivl=$(mktemp /tmp/soak.XXXXXX.err)	# the -i lines: too many to keep
trap 'rm -f "$json" "$ivl"' EXIT

# steal and total jiffies of the host, from /proc/stat's cpu line
cpu_line() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat; }

loops=$("$T/pingpong" -C 50 | awk '$1 == "loops_per_us_work" { print $2 }')
{
	echo "# soak.sh -s $SECS -e $EVERY -w $WARM, $(date -u '+%F %T') UTC"
	echo "# commit $(git -C "$TOP" describe --always --dirty --tags 2>/dev/null || echo unknown)"
	echo "# kernel $(uname -r), $(nproc) CPUs; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# target: churn -r 10000 -s 0 & pingpong -l $loops (50 us of work per round trip)"
} | tee "$log"
read -r st0 tot0 < <(cpu_line)
"$OBSERVE" -i 1 --json -o "$json" -d "$SECS" -- sh -c \
	"\"$T/churn\" -r 10000 -s 0 >/dev/null & c=\$!; \"$T/pingpong\" -s $((SECS + 60)) -l $loops >/dev/null & p=\$!
	 trap 'kill \$c \$p' TERM; wait" \
	2>"$ivl" &
obs=$!
tick=$(getconf CLK_TCK)
echo "t_s,rss_kb,cpu_s,threads_rows,pairs_rows,futexes_rows" >"$csv"
t0=$(date +%s.%N)
while kill -0 "$obs" 2>/dev/null; do
	sleep "$EVERY"
	kill -0 "$obs" 2>/dev/null || break
	rss=$(awk '$1 == "VmRSS:" { print $2 }' /proc/"$obs"/status 2>/dev/null) || break
	cpu=$(awk -v hz="$tick" '{ printf "%.2f", ($14 + $15) / hz }' /proc/"$obs"/stat 2>/dev/null) || break
	printf '%.0f,%s,%s,%s,%s,%s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$rss" "$cpu" \
		"$(bpf_map_entries "$obs" threads)" "$(bpf_map_entries "$obs" pairs)" \
		"$(bpf_map_entries "$obs" futexes)" >>"$csv"
done
wait "$obs" || true
read -r st1 tot1 < <(cpu_line)
{
	echo "# observe's stderr: $(wc -l <"$ivl") lines; the first 2 and the last 4 -i lines:"
	grep -v '^\[' "$ivl" || true
	grep '^\[' "$ivl" | sed -n 1,2p
	grep '^\[' "$ivl" | tail -n 4
} >>"$log"

summary=$(summarize "$csv")
echo "$summary" | tee -a "$log"
jq -r '"observe: bpf_cpu_pct \(.cost.bpf_cpu_pct) observe_cpu_pct \(.cost.observe_cpu_pct); drops \(.drops | tostring); threads seen \([.threads[] | if .folded > 0 then .folded else 1 end] | add)"' \
	"$json" | tee -a "$log"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg); host steal over the run: $(awk -v a="$st0" -v b="$st1" -v x="$tot0" -v y="$tot1" 'BEGIN { printf "%.2f%%", (b - a) / (y - x) * 100 }')" | tee -a "$log"
echo "csv: $csv" | tee -a "$log"
