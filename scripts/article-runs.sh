#!/bin/bash
# article-runs.sh - every single run docs/article.md quotes, run once each and
# archived, so that each quoted number can be traced to committed output
# (issue #15; scripts/check-article.sh checks the article against it).
#
#	sudo scripts/article-runs.sh [--out FILE] [--only LABEL]
#
# Writes FILE (default docs/data/runs/article-YYYY-MM-DD.txt): a header with
# the commit, host and CPUs, then for each run a block
#	== LABEL
#	$ COMMAND
#	# utc=... load_busy=...  (CPUs busy over 0.25 s before the run, the
#	#                          sweeps' measure)
#	OUTPUT (stdout and stderr, as printed)
#	# steal=...% busy=...% exit=...  (/proc/stat, all CPUs, over the run)
# The runs are sequential; a run that fails is archived with its exit status
# and the script goes on (exit 1 at the end).  Run it on a quiet box: the
# header and every block say how quiet it was.  Root, for observe.  Needs
# `make` done (the C demos, observe, the Tokio demos, bench_rt).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=docs/data/runs/article-$(date -u +%F).txt
ONLY=
die() { echo "article-runs.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--out) [ $# -ge 2 ] || die "--out needs a value"; OUT=$2; shift ;;
	--only) [ $# -ge 2 ] || die "--only needs a value"; ONLY=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || die "needs root (observe loads BPF)"
TK=$BUILD/tokio/release
for f in ./observe ./demos/demo_starvation ./demos/demo_convoy \
	./demos/demo_suspension ./demos/demo_server "$TK/tokio_starvation" \
	"$TK/tokio_convoy" "$TK/tokio_suspension" "$BUILD/bench/bench_rt"; do
	[ -x "$f" ] || die "$f not built (make)"
done

# The runs, in the article's order: LABEL|COMMAND (run with bash -c).
RUNS=(
	"starvation|./demos/demo_starvation --workers 2 --secs 3"
	"starvation-fixed|./demos/demo_starvation --workers 2 --secs 3 --fixed"
	"lifo|./demos/demo_starvation --workers 2 --blockers 1 --secs 3"
	"lifo-off|./demos/demo_starvation --workers 2 --blockers 1 --no-lifo --secs 3"
	"convoy|./demos/demo_convoy --workers 2 --secs 3"
	"convoy-fixed|./demos/demo_convoy --workers 2 --secs 3 --fixed"
	"convoy-p2|./demos/demo_convoy --workers 2 --pressure 2 --secs 3"
	"convoy-p2-fixed|./demos/demo_convoy --workers 2 --pressure 2 --secs 3 --fixed"
	"suspension|./demos/demo_suspension --workers 2 --secs 3"
	"suspension-fixed|./demos/demo_suspension --workers 2 --secs 3 --fixed"
	"suspension-all|./demos/demo_suspension --workers 2 --peers 4 --all-hold --secs 3"
	"server|./demos/demo_server --workers 2 --secs 3"
	"server-fixed|./demos/demo_server --workers 2 --secs 3 --fixed"
	"observe-starvation|./observe -- ./demos/demo_starvation --workers 2 --secs 3"
	"observe-starvation-fixed|./observe -- ./demos/demo_starvation --workers 2 --secs 3 --fixed"
	"observe-spin|./observe -- ./demos/demo_starvation --workers 2 --mode spin --secs 3"
	"observe-convoy|./observe -- ./demos/demo_convoy --workers 2 --secs 3"
	"observe-suspension|./observe -- ./demos/demo_suspension --workers 2 --secs 3"
	"observe-server|./observe -- ./demos/demo_server --workers 2 --secs 3"
	"observe-tokio-starvation|./observe -- $TK/tokio_starvation --workers 2 --secs 3"
	"observe-tokio-convoy|./observe -- $TK/tokio_convoy --workers 2 --secs 3"
	"observe-tokio-suspension|./observe -- $TK/tokio_suspension --workers 2 --secs 3"
	"observe-tokio-suspension-kernel|./observe --no-runtime -- $TK/tokio_suspension --workers 2 --secs 3"
	"compare|BUILD=$BUILD demos/tokio/compare.sh -n 5 -s 2"
	"bench-rt|BUILD=$BUILD scripts/bench-rt.sh -r 5"
)

# cpu_ticks: "busy total steal" jiffies of all CPUs (busy: all but idle and
# iowait, steal included, as scripts/sweep.sh counts it)
cpu_ticks() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t, $9; exit }' /proc/stat; }
# load_busy: CPUs busy over 0.25 s, nothing of ours running
load_busy() {
	local a b
	a=$(cpu_ticks); sleep 0.25; b=$(cpu_ticks)
	awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN { split(a, x, " "); split(b, y, " ");
		dt = y[2] - x[2]; printf "%.2f", (dt > 0 ? n * (y[1] - x[1]) / dt : 0) }'
}
# pct OLD NEW FIELD: that field's share of all ticks between two cpu_ticks
pct() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { split(a, x, " "); split(b, y, " ");
	dt = y[2] - x[2]; printf "%.1f", (dt > 0 ? 100 * (y[f] - x[f]) / dt : 0) }'; }

mkdir -p "$(dirname "$OUT")"
failed=0
{
	echo "# scripts/article-runs.sh, $(date -u +%FT%TZ), git $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- 2>/dev/null || echo +dirty), $(uname -r), $(nproc) CPUs"
	echo "# loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
	for r in "${RUNS[@]}"; do
		label=${r%%|*} cmd=${r#*|}
		[ -z "$ONLY" ] || [ "$label" = "$ONLY" ] || continue
		echo
		echo "== $label"
		echo "\$ $cmd"
		echo "# utc=$(date -u +%T) load_busy=$(load_busy)"
		t0=$(cpu_ticks)
		rc=0
		bash -c "$cmd" 2>&1 || rc=$?
		t1=$(cpu_ticks)
		echo "# steal=$(pct "$t0" "$t1" 3)% busy=$(pct "$t0" "$t1" 1)% exit=$rc"
		[ $rc = 0 ] || failed=1
		echo "article-runs.sh: $label done (exit $rc)" >&2
	done
	echo
	echo "# loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT"
echo "article-runs.sh: wrote $OUT" >&2
exit $failed
