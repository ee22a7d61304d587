#!/bin/bash
# bench-ustacks.sh - what the DWARF user stacks of notable spans cost
# (docs/observe.md, USER STACKS): the same attach with and without
# --no-ustacks, R rounds, on a target that ends ~SPANS notable spans a
# second (tests/targets/sleep_read: three threads blocking 2 ms at a time,
# --threshold-ms 1).  Per round and mode:
#   - observe's own CPU time (user + sys, GNU time; attach mode, so the
#     target's time is not in it): the copy's consumer, the unwinding and
#     the symbolizing;
#   - the BPF programs' time (kernel.bpf_stats_enabled=1, bpftool) over the
#     same window: obs_sys_exit, where the copy is made, and the sampler;
#   - the spans the target ended (its calls), the copies lost.
# Prints min/median/max over the rounds, per span.  Run it on a quiet box.
#
#	sudo scripts/bench-ustacks.sh [-r ROUNDS] [-s SECS] [-o OUT.log]
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
OBSERVE=$TOP/observe
TARGET=$BUILD/tests/targets/sleep_read
R=5 SECS=4 OUT=/dev/null
while getopts "r:s:o:" o; do
	case $o in
	r) R=$OPTARG ;; s) SECS=$OPTARG ;; o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-r ROUNDS] [-s SECS] [-o OUT.log]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench-ustacks: needs root" >&2; exit 1; }
for f in "$OBSERVE" "$TARGET" /usr/bin/time; do
	[ -x "$f" ] || { echo "bench-ustacks: $f missing (make)" >&2; exit 1; }
done
BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool)
TMP=$(mktemp -d)
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -q kernel.bpf_stats_enabled="$STATS_WAS"; rm -rf "$TMP"' EXIT
sysctl -q kernel.bpf_stats_enabled=1

# bpf_ns: total run_time_ns of observe's programs that are loaded now
bpf_ns() {
	"$BPFTOOL" prog show -j 2>/dev/null |
		jq '[.[] | select(.name == "obs_sys_exit" or .name == "obs_cpu_sample" or
			.name == "obs_sched_switch" or .name == "obs_sched_waking" or
			.name == "obs_sched_wakeup") | .run_time_ns // 0] | add // 0'
}

# one FLAG: prints "observe_cpu_ns bpf_ns_window spans copies_lost spans_with_frames"
one() {
	local flag=$1 calls=$((SECS * 1000 / 2 + 500)) tpid opid b0 b1 cpu spans
	"$TARGET" -n "$calls" -m 2 >"$TMP/target.out" &
	tpid=$!
	sleep 0.2
	/usr/bin/time -f "%U %S" -o "$TMP/time" "$OBSERVE" -p "$tpid" -d "$SECS" \
		--threshold-ms 1 $flag --json -o "$TMP/run.json" 2>"$TMP/err" &
	opid=$!
	sleep 0.7		# attach done: the window starts
	b0=$(bpf_ns)
	sleep "$((SECS - 1))"
	b1=$(bpf_ns)
	wait "$opid"
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	cpu=$(awk '{ printf "%d", ($1 + $2) * 1e9 }' "$TMP/time")
	spans=$(jq .diagnostics.notable_seen "$TMP/run.json")
	echo "$cpu $((b1 - b0)) $spans $(jq .diagnostics.ustack_copies_lost "$TMP/run.json")" \
	     "$(jq '[.notable[] | select(.frames)] | length' "$TMP/run.json")"
}

{
	echo "# bench-ustacks $(date -u +%FT%TZ) $(git -C "$TOP" describe --always --dirty)"
	echo "# load $(cut -d' ' -f1-3 /proc/loadavg); rounds $R x ${SECS}s; target sleep_read -m 2, --threshold-ms 1"
	echo "# round mode observe_cpu_ns bpf_ns_window spans lost notable_with_frames"
	for ((r = 1; r <= R; r++)); do
		for mode in ustacks no-ustacks; do
			flag=""
			[ $mode = no-ustacks ] && flag=--no-ustacks
			echo "$r $mode $(one "$flag")"
		done
	done
} | tee "$TMP/log" | tee -a "$OUT"

# per span: observe CPU over the whole run, BPF over the (SECS - 1) s window
awk -v secs="$SECS" '
	/^#/ { next }
	{ cpu[$2] = cpu[$2] " " $3 / $5; bpf[$2] = bpf[$2] " " $4 / ($5 * (secs - 1) / secs) }
	function stats(s,   a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return sprintf("%.0f / %.0f / %.0f", a[1], a[int((n + 1) / 2)], a[n])
	}
	END {
		for (m in cpu)
			printf "%-11s ns per span, min/median/max: observe CPU %s; BPF %s\n",
				m, stats(cpu[m]), stats(bpf[m])
	}' "$TMP/log" | tee -a "$OUT"
