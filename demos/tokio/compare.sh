#!/bin/bash
# compare.sh - the C demos and their real-Tokio peers side by side, same flags.
#
#	demos/tokio/compare.sh [-n REPS] [-s SECS] [-w WORKERS]
#
# Runs every scenario (broken and --fixed) REPS times, alternating C and Tokio
# so that both see the same machine load, and prints a markdown table of
# min / median / max per metric (docs/tokio.md has one).  Needs the C demos
# (./demos/demo_*) and the Tokio ones ($BUILD/tokio/release/tokio_*) built,
# and jq.  A benchmark, not a test: nothing here passes or fails.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
TOKIO=$BUILD/tokio/release
REPS=3 SECS=2 WORKERS=2

usage() { echo "usage: $0 [-n REPS] [-s SECS] [-w WORKERS]" >&2; exit 2; }
while getopts n:s:w:h opt; do
	case $opt in
	n) REPS=$OPTARG ;;
	s) SECS=$OPTARG ;;
	w) WORKERS=$OPTARG ;;
	*) usage ;;
	esac
done
[ $# -ge $OPTIND ] && usage
command -v jq >/dev/null || { echo "$0: needs jq" >&2; exit 1; }
for s in probe starvation convoy suspension server; do
	for b in "$TOP/demos/demo_$s" "$TOKIO/tokio_$s"; do
		[ -x "$b" ] || { echo "$0: $b not built (make BUILD=$BUILD)" >&2; exit 1; }
	done
done

# scenario|extra flags|metric jq paths (space separated)
CONFIGS=(
	"probe||.probe.p50_us .probe.p99_us"
	"starvation||.probe.p99_us .victim_delay_us.p50_us .injected.blocks"
	"starvation|--fixed|.probe.p99_us .victim_delay_us.p50_us"
	"starvation|--mode io|.probe.p99_us .victim_delay_us.p50_us"
	"convoy||.acq_per_s .hold_us.p99_us .wait_us.p99_us .work_in_lock_us .worker_lock_wait_pct"
	"convoy|--fixed|.acq_per_s .hold_us.p99_us .worker_lock_wait_pct"
	"convoy|--lock async|.acq_per_s .hold_us.p99_us"
	"convoy|--lock async --fixed|.acq_per_s .hold_us.p99_us"
	"suspension||.peer_wait_us.p50_us .peer_acq_per_s .probe.p99_us"
	"suspension|--fixed|.peer_wait_us.p50_us .peer_acq_per_s"
	"server||.server_timeouts .latency_us.p99_us .unblocked_latency_us.p99_us .probe.p99_us"
	"server|--fixed|.server_timeouts .latency_us.p99_us .unblocked_latency_us.p99_us"
)

out=$(mktemp "${TMPDIR:-/tmp}/tbb-compare.XXXXXX")
trap 'rm -f "$out"' EXIT
echo "# $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), --workers $WORKERS --secs $SECS, $REPS runs" >&2
for _ in $(seq "$REPS"); do
	for cfg in "${CONFIGS[@]}"; do
		IFS='|' read -r s args _ <<<"$cfg"
		for rt in c tokio; do
			if [ $rt = c ]; then bin=$TOP/demos/demo_$s; else bin=$TOKIO/tokio_$s; fi
			# shellcheck disable=SC2086
			"$bin" --workers "$WORKERS" --secs "$SECS" --json $args |
				jq -c --arg rt $rt --arg args "$args" '. + {rt: $rt, args: $args}' >>"$out"
		done
	done
done

echo "| run | metric | C runtime | real Tokio |"
echo "|---|---|---|---|"
for cfg in "${CONFIGS[@]}"; do
	IFS='|' read -r s args metrics <<<"$cfg"
	for m in $metrics; do
		row="| $s${args:+ $args} | ${m#.} |"
		for rt in c tokio; do
			# min / median (upper middle for an even count) / max
			row+=" $(jq -rs --arg s "$s" --arg a "$args" --arg rt "$rt" "
				map(select(.scenario == \$s and .args == \$a and .rt == \$rt) | ($m // 0))
				| sort | if length == 0 then \"-\" else
				\"\(.[0]) / \(.[length / 2 | floor]) / \(.[-1])\" end" "$out") |"
		done
		echo "$row"
	done
done
