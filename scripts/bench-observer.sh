#!/bin/bash
# bench-observer.sh - what observing costs: throughput of a context-switch-heavy
# workload bare, under observe, and under the libbpf-tools peers runqlat and
# offcputime, plus the in-kernel cost of each tool's BPF programs; and the
# cost of observe's runtime tier on a poll-heavy rt workload (~500k polls/s),
# and of the Tokio tier on a poll-heavy Tokio one (~50k polls/s); and what
# following the whole host costs a switch storm spread over many processes.
#
# Usage: scripts/bench-observer.sh [-n RUNS] [-s SECS] [-c CPU] [-u US]
#			[-p NS] [-P NS] [-N NPROC] [-T THREADS]
#			[-S kernel|runtime|tokio|host|all] [-o FILE]
#   -n RUNS  rounds (default 5); each round runs every configuration once, in a
#            rotated order, so that drift of the shared box hits all alike
#   -s SECS  measured seconds per run (default 2)
#   -c CPU   CPU the workload is pinned to (default: the last one); pinned,
#            its two threads switch on one CPU at ~470k switches/s, the worst
#            case for a sched_switch probe.  "-c all" leaves it unpinned:
#            cross-CPU wakeups through idle make it ~10x slower and noisier.
#   -u US    CPU work per round trip of the second, realistic workload
#            (default 12: ~120k switches/s bare on this box); 0 runs only
#            the pure switch storm.  A list ("2,6,12,30,90") sweeps the
#            switch rate: one workload work-US each, and a summary table
#            of each tool's overhead by switch rate (and, with -o FILE,
#            FILE's .csv twin for scripts/figures.sh)
#   -p NS    CPU work per poll of the rt workloads (default 1700: one worker
#            makes ~500k polls/s bare on this box); 0: none, so that the CPU
#            per poll shows what observing adds to each poll in ns
#   -P NS    CPU work per poll of the Tokio workload (default 20000: one
#            worker makes ~50k polls/s bare on this box, the Tokio tier's
#            target point)
#   -N NPROC processes of the host section's storm (default 8)
#   -T THREADS threads per process of that storm, in ping-pong pairs
#            (default 2: one pair)
#   -S WHICH sections: kernel (pingpong: observe vs the peers), runtime
#            (rt_polls: bare vs observe --no-runtime vs observe), tokio
#            (examples/tokio_polls, the same three; make tokio-polls builds
#            it), host (tests/targets/storm: bare vs observe following one
#            of its processes vs observe following the whole host), or all
#            (default: kernel, runtime and tokio; host only when asked)
#   -o FILE  also write the tables to FILE
# Environment: BUILD (build folder, default build), OBSERVE (the observe
# binary, default ./observe), OBSERVE_ARGS (extra options for observe, e.g.
# "--threshold-ms 0" to turn notable spans off), OBSERVE_HOST (how observe
# follows the whole host in the host section, default "-a"; PID, CHILD and
# OTHER are replaced as in the tools' command lines, e.g. "-p PID" to try
# the section's plumbing on an observe without -a).
#
# Kernel section: two workloads, both tests/targets/pingpong (two threads
# bouncing a byte over pipes; it prints its own round trips/s): "storm",
# nothing but switches (the worst case), and "work", the same with a fixed
# amount of CPU work per round trip (-l LOOPS, calibrated once at start to
# -u US) so that the bare run makes 100-150k switches/s, the issue's
# "context-switch-heavy workload" point.
#
# Runtime section: tests/targets/rt_polls, the rt runtime with a fixed amount
# of CPU work per poll (-l LOOPS, calibrated once to -p NS): "rt-yield", one
# worker whose two tasks do the work and yield (~500k polls/s, few switches:
# the per-poll path), and "rt-pingpong", two tasks in two one-worker runtimes
# passing a token through mpsc channels (a switch per pass: the switch path,
# which reads the published worker record).  Configurations: bare,
# "observe-kernel" (observe --no-runtime) and "observe" (both tiers); the
# runtime tier's own cost is observe over observe-kernel, per round.
#
# Tokio section: build/tokio/release/examples/tokio_polls, rt_polls' twin
# on real Tokio (one worker, two tasks doing -P of work and yielding): the
# Tokio tier's uprobes fire on every poll until its sampler (docs/tokio-tier.md)
# pauses them above 10k polls/s.
#
# Host section: tests/targets/storm, -N processes of -T/2 ping-pong pairs
# each (pipes, pingpong's round trip), all pinned like the other workloads:
# the same switch storm, spread over many processes.  Configurations: bare;
# "observe-one" (observe -p one of the storm's processes: following one
# process of many, the others' switches are the filter's to drop);
# "observe-host" (observe $OBSERVE_HOST: every process of the box); and
# "runqlat-host" (runqlat without -p, the whole host; when installed).
# storm prints its own round trips/s and CPU per round trip (JSON).
#
# Configurations of the kernel section: bare, observe, "observe-other"
# (observe attached to an idle sleep(1) process while the workload runs
# unobserved: what observing one process costs every other one), runqlat
# and offcputime.
#
# Every tool attaches with -p PID while the workload sleeps before creating
# its threads, so the whole measured run is observed (bare runs skip that
# sleep).  Throughput runs keep kernel.bpf_stats_enabled as found (0: no
# timing cost added); a last pass per tool turns it on to read each
# program's run_time_ns / run_cnt (bpftool prog show), then restores it.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PINGPONG=$BUILD/tests/targets/pingpong
RT_POLLS=$BUILD/tests/targets/rt_polls
TOKIO_POLLS=$BUILD/tokio/release/examples/tokio_polls
STORM=$BUILD/tests/targets/storm
OBSERVE=${OBSERVE:-$TOP/observe}
RUNS=5
SECS=2
WORK_US=12
POLL_NS=1700
TOKIO_POLL_NS=20000
STORM_PROCS=8
STORM_THREADS=2
# The one place that says how observe follows the whole host.
OBSERVE_HOST=${OBSERVE_HOST:--a}
SECTIONS=all
CPU=$(($(nproc) - 1))
OUTFILE=
WARMUP=2	# seconds a workload sleeps before starting: tools attach meanwhile

die() { echo "bench-observer: $*" >&2; exit 1; }
usage() {
	echo "usage: $0 [-n RUNS] [-s SECS] [-c CPU] [-u US] [-p NS] [-P NS] [-N NPROC] [-T THREADS] [-S kernel|runtime|tokio|host|all] [-o FILE]" >&2
	exit 2
}

while getopts "n:s:c:u:p:P:N:T:S:o:" opt; do
	case $opt in
	n) RUNS=$OPTARG ;;
	s) SECS=$OPTARG ;;
	c) CPU=$OPTARG ;;
	u) WORK_US=$OPTARG ;;
	p) POLL_NS=$OPTARG ;;
	P) TOKIO_POLL_NS=$OPTARG ;;
	N) STORM_PROCS=$OPTARG ;;
	T) STORM_THREADS=$OPTARG ;;
	S) SECTIONS=$OPTARG ;;
	o) OUTFILE=$OPTARG ;;
	*) usage ;;
	esac
done
[ $OPTIND -gt $# ] || die "unexpected argument '${!OPTIND}'"
WORK_LIST=${WORK_US//,/ }
case "$RUNS$SECS${WORK_LIST// /}$POLL_NS$STORM_PROCS$STORM_THREADS" in
*[!0-9]*) die "-n, -s, -u, -p, -N and -T take integers" ;;
esac
case $CPU in
all) CPUSET=0-$(($(nproc) - 1)) ;;
*[!0-9]* | "") die "-c takes a CPU number or 'all'" ;;
*) [ "$CPU" -lt "$(nproc)" ] || die "-c $CPU: no such CPU (0..$(($(nproc) - 1)))"
   CPUSET=$CPU ;;
esac
case $SECTIONS in
kernel | runtime | tokio | host | all) ;;
*) die "-S takes kernel, runtime, tokio, host or all, not '$SECTIONS'" ;;
esac
if [ "$RUNS" -lt 1 ] || [ "$SECS" -lt 1 ]; then die "-n and -s must be >= 1"; fi
[ "$(id -u)" -eq 0 ] || die "needs root (BPF)"
# want SECTION: whether it runs; "all" leaves out host (its own -S).
want() { [ "$SECTIONS" = "$1" ] || { [ "$SECTIONS" = all ] && [ "$1" != host ]; }; }
if want kernel; then
	[ -x "$PINGPONG" ] || die "workload not built: $PINGPONG (run make)"
fi
if want runtime; then
	[ -x "$RT_POLLS" ] || die "workload not built: $RT_POLLS (run make)"
	[ -x "$OBSERVE" ] || die "the runtime section needs observe: $OBSERVE not built"
fi
if want tokio; then
	[ -x "$TOKIO_POLLS" ] || die "workload not built: $TOKIO_POLLS (make tokio-polls)"
	[ -x "$OBSERVE" ] || die "the tokio section needs observe: $OBSERVE not built"
fi
if want host; then
	[ -x "$STORM" ] || die "workload not built: $STORM (run make)"
	[ -x "$OBSERVE" ] || die "the host section needs observe: $OBSERVE not built"
fi
command -v bpftool >/dev/null || die "bpftool not found"
command -v jq >/dev/null || die "jq not found"

# tool name -> command line (PID is replaced by the workload's pid)
declare -A TOOL
KERNEL_CONFIGS=(bare)
if [ -x "$OBSERVE" ]; then
	TOOL[observe]="$OBSERVE ${OBSERVE_ARGS:-} -o /dev/null -p PID"
	TOOL[observe-kernel]="$OBSERVE ${OBSERVE_ARGS:-} --no-runtime -o /dev/null -p PID"
	TOOL[observe-other]="$OBSERVE ${OBSERVE_ARGS:-} -o /dev/null -p OTHER"
	TOOL[observe-one]="$OBSERVE ${OBSERVE_ARGS:-} -o /dev/null -p CHILD"
	TOOL[observe-host]="$OBSERVE ${OBSERVE_ARGS:-} -o /dev/null $OBSERVE_HOST"
	KERNEL_CONFIGS+=(observe observe-other)
else
	echo "bench-observer: $OBSERVE not built, skipping it" >&2
fi
for t in runqlat offcputime; do
	if command -v "$t" >/dev/null; then
		TOOL[$t]="$(command -v "$t") -p PID"
		KERNEL_CONFIGS+=("$t")
	else
		echo "bench-observer: $t not found (libbpf-tools), skipping it" >&2
	fi
done
RUNTIME_CONFIGS=(bare observe-kernel observe)
HOST_CONFIGS=(bare observe-one observe-host)
if want host; then
	if command -v runqlat >/dev/null; then
		TOOL[runqlat-host]=$(command -v runqlat)
		HOST_CONFIGS+=(runqlat-host)
	else
		echo "bench-observer: runqlat not found (libbpf-tools), skipping runqlat-host" >&2
	fi
fi

TMP=$(mktemp -d /tmp/bench-observer.XXXXXX)
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -q kernel.bpf_stats_enabled="$STATS_WAS"
	jobs -p | xargs -r kill 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# what observe-other watches: an idle process, killed by cleanup
sleep 1000000 &
OTHER=$!
# steal_ticks: the host's steal time so far, in USER_HZ ticks (/proc/stat)
steal_ticks() { awk '$1 == "cpu" { print $9 }' /proc/stat; }
total_ticks() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t }' /proc/stat; }
STEAL0=$(steal_ticks) TOTAL0=$(total_ticks)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# An observe that does not know OBSERVE_HOST's options stops the run here,
# in one line, rather than failing to attach in every round.  --help after
# them: argp rejects an unknown option before it reaches --help.
if want host; then
	probe=${OBSERVE_HOST//PID/OTHER}
	probe=${probe//CHILD/OTHER}
	# shellcheck disable=SC2086
	"$OBSERVE" ${probe//OTHER/$OTHER} --help >/dev/null 2>"$TMP/host-probe.err" ||
		die "$OBSERVE rejects '$OBSERVE_HOST' (no whole-host mode in this build?): $(head -1 "$TMP/host-probe.err")"
fi

. "$(dirname "$0")/lib/bpf_fds.sh"

# The workloads.  WL_CMD: the command, with WAIT where its pre-start sleep
# goes (its option differs: pingpong -w, rt_polls -W); WL_CONFIGS: what runs
# against it; WL_UNIT / WL_ONE: what its throughput counts (plural /
# singular).  Work is calibrated once
# for all runs.
# WL_JSON: set when the workload prints JSON (storm) rather than one line.
declare -A WL_CMD WL_CONFIGS WL_UNIT WL_ONE WL_TITLE WL_US WL_JSON
# WL_US is only set by the kernel section: declared empty, so that set -u
# lets -S runtime or -S tokio count it.
WL_US=()
# calibrate BIN -C ARG KEY FIELD: the largest loop count of three
# calibrations (a calibration on a shared VM can only come out low: a try
# that lost the CPU is slower, never faster).
calibrate() {
	for _ in 1 2 3; do
		taskset -c "$CPUSET" "$1" "$2" "$3" | awk -v k="$4" -v f="$5" '$1 == k { print $f }'
	done | sort -n | tail -1
}
WORKLOADS=()
if want kernel; then
	WL_CMD[storm]="$PINGPONG -w WAIT -s $SECS"
	WL_TITLE[storm]="pure switch storm (pingpong, no work)"
	WORKLOADS+=(storm)
	read -r -a works <<<"$WORK_LIST"
	for us in "${works[@]}"; do
		[ "$us" -gt 0 ] || continue
		wl=work; [ ${#works[@]} -gt 1 ] && wl=work-$us
		loops=$(calibrate "$PINGPONG" -C "$us" loops_per_us_work 2)
		[ -n "$loops" ] || die "pingpong -C $us failed"
		WL_CMD[$wl]="$PINGPONG -w WAIT -s $SECS -l $loops"
		WL_TITLE[$wl]="pingpong + $us us CPU work per round trip (-l $loops)"
		WL_US[$wl]=$us
		WORKLOADS+=("$wl")
	done
	WL_US[storm]=0
	for wl in "${WORKLOADS[@]}"; do
		WL_CONFIGS[$wl]="${KERNEL_CONFIGS[*]}"
		WL_UNIT[$wl]="round trips"
		WL_ONE[$wl]="round trip"
	done
fi
if want runtime; then
	rt_loops=0	# -p 0: no work, the runtime's own per-poll cost
	if [ "$POLL_NS" -gt 0 ]; then
		rt_loops=$(calibrate "$RT_POLLS" -C "$POLL_NS" loops_per_work 3)
		[ -n "$rt_loops" ] || die "rt_polls -C $POLL_NS failed"
	fi
	WL_CMD[rt-yield]="$RT_POLLS -W WAIT -s $SECS -m yield -l $rt_loops"
	WL_TITLE[rt-yield]="rt_polls -m yield: 1 worker, 2 tasks, $POLL_NS ns CPU work per poll (-l $rt_loops), then yield"
	WL_CMD[rt-pingpong]="$RT_POLLS -W WAIT -s $SECS -m pingpong -l $rt_loops"
	WL_TITLE[rt-pingpong]="rt_polls -m pingpong: 2 one-worker runtimes pass a token (mpsc), $POLL_NS ns CPU work per pass"
	WL_UNIT[rt-yield]="polls"
	WL_ONE[rt-yield]="poll"
	# pinned, a poll often finds the token back and passes it again:
	# rt_polls counts passes (units of work), not polls
	WL_UNIT[rt-pingpong]="token passes"
	WL_ONE[rt-pingpong]="token pass"
	for wl in rt-yield rt-pingpong; do
		WL_CONFIGS[$wl]="${RUNTIME_CONFIGS[*]}"
		WORKLOADS+=("$wl")
	done
fi
if want tokio; then
	tk_loops=$(calibrate "$TOKIO_POLLS" -C "$TOKIO_POLL_NS" loops_per_work 3)
	[ -n "$tk_loops" ] || die "tokio_polls -C $TOKIO_POLL_NS failed"
	WL_CMD[tokio-yield]="$TOKIO_POLLS -W WAIT -s $SECS -w 1 -t 2 -l $tk_loops"
	WL_TITLE[tokio-yield]="tokio_polls: 1 Tokio worker, 2 tasks, $TOKIO_POLL_NS ns CPU work per poll (-l $tk_loops), then yield"
	WL_UNIT[tokio-yield]="polls"
	WL_ONE[tokio-yield]="poll"
	WL_CONFIGS[tokio-yield]="${RUNTIME_CONFIGS[*]}"
	WORKLOADS+=(tokio-yield)
fi
if want host; then
	WL_CMD[host-storm]="$STORM -w WAIT -s $SECS -P $STORM_PROCS -t $STORM_THREADS"
	WL_TITLE[host-storm]="storm: $STORM_PROCS processes x $((STORM_THREADS / 2)) ping-pong pair(s) over pipes, no work; observe-host is observe $OBSERVE_HOST"
	WL_UNIT[host-storm]="round trips"
	WL_ONE[host-storm]="round trip"
	WL_JSON[host-storm]=1
	WL_CONFIGS[host-storm]="${HOST_CONFIGS[*]}"
	WORKLOADS+=(host-storm)
fi

# first_child PID: the first process PID forked, once it has one (5 s at
# most); empty if none.
first_child() {
	local i kids
	for ((i = 0; i < 50; i++)); do
		read -r kids _ <"/proc/$1/task/$1/children" 2>/dev/null
		[ -n "$kids" ] && { echo "$kids"; return; }
		sleep 0.1
	done
}

# run_one WORKLOAD CONFIG [STATS_FILE]: one workload run; prints
# "throughput/s switches/s cpu_ns/unit" (the workload's own figures).
# With STATS_FILE, the tool's programs' stats are appended to it at the end.
run_one() {
	local wl=$1 cfg=$2 stats=${3:-} out=$TMP/wl.out pid tpid="" t0 cmd ids child wait=$WARMUP
	[ "$cfg" = bare ] && wait=0	# nothing to attach: no need to sleep
	cmd=${WL_CMD[$wl]//WAIT/$wait}
	# shellcheck disable=SC2086
	taskset -c "$CPUSET" $cmd >"$out" &
	pid=$!
	t0=$(date +%s%N)
	if [ "$cfg" != bare ]; then
		cmd=${TOOL[$cfg]//PID/$pid}
		cmd=${cmd//OTHER/$OTHER}
		if [ "${cmd//CHILD/}" != "$cmd" ]; then
			child=$(first_child "$pid")
			if [ -z "$child" ]; then
				echo "bench-observer: $wl forked no child for $cfg" >&2
				kill "$pid" 2>/dev/null
				wait 2>/dev/null
				return 1
			fi
			cmd=${cmd//CHILD/$child}
		fi
		# shellcheck disable=SC2086
		$cmd >/dev/null 2>"$TMP/$cfg.err" &
		tpid=$!
		if ! wait_attached "$tpid" 15 3; then
			echo "bench-observer: $cfg did not attach: $(head -c 300 "$TMP/$cfg.err")" >&2
			kill "$tpid" "$pid" 2>/dev/null
			wait 2>/dev/null
			return 1
		fi
		if [ $(($(date +%s%N) - t0)) -gt $((WARMUP * 1000000000)) ]; then
			echo "bench-observer: $cfg attached after the workload started" >&2
		fi
		[ -n "$stats" ] && ids=$(bpf_prog_ids "$tpid" | jq -s -c .)
	fi
	if [ -n "$stats" ]; then
		# Read while the workload still runs: observe -p exits with it,
		# and its programs with it.  So the counts miss the run's last
		# 0.3 s.  One bpftool call for all programs, whose ids were
		# read at attach: one call per program could outlast the run.
		while [ $(($(date +%s%N) - t0)) -lt $(((WARMUP + SECS) * 1000000000 - 300000000)) ]; do
			sleep 0.05
		done
		kill -0 "$pid" 2>/dev/null ||
			echo "bench-observer: $wl ended before $cfg's BPF stats were read" >&2
		bpftool prog show -j 2>/dev/null |
			jq -r --argjson ids "$ids" --arg t "$cfg" --arg w "$wl" '.[] | select(.id as $i | $ids | any(. == $i)) |
				"\($w) \($t) \(.name // "-") \(.run_cnt // 0) \(.run_time_ns // 0)"' >>"$stats"
	fi
	wait "$pid"
	if [ -n "$tpid" ]; then
		kill -INT "$tpid" 2>/dev/null
		wait "$tpid" 2>/dev/null
	fi
	if [ -n "${WL_JSON[$wl]:-}" ]; then
		jq -r '"\(.roundtrips_per_s) \(.switches_per_s) \(.cpu_ns_per_roundtrip)"' "$out" 2>/dev/null
	else
		awk '$1 == "pingpong" || $1 == "rt_polls" || $1 == "tokio_polls" { print $5, $7, $9 }' "$out"
	fi
}

# mmm FORMAT: min, median and max of the numbers on stdin, each with FORMAT.
mmm() { sort -g | awk -v f="$1" '{ v[NR] = $1 } END {
	if (!NR) { print "- - -"; exit }
	m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf f " " f " " f "\n", v[1], m, v[NR] }'; }

t_start=$(date +%s)
echo "bench-observer: $RUNS rounds x workloads (${WORKLOADS[*]}), ${SECS}s each, workload on CPU(s) $CPUSET" >&2
for wl in "${WORKLOADS[@]}"; do
	echo "bench-observer:   $wl: ${WL_TITLE[$wl]}; configs ${WL_CONFIGS[$wl]}" >&2
done
echo "bench-observer: kernel $(uname -r), $(nproc) CPUs, load $LOAD0" >&2
: >"$TMP/results"
for ((r = 0; r < RUNS; r++)); do
	for wl in "${WORKLOADS[@]}"; do
		read -r -a cfgs <<<"${WL_CONFIGS[$wl]}"
		n=${#cfgs[@]}
		for ((k = 0; k < n; k++)); do
			cfg=${cfgs[$(((k + r) % n))]}
			res=$(run_one "$wl" "$cfg") || continue
			[ -n "$res" ] || continue
			echo "$wl $r $cfg $res" >>"$TMP/results"
			echo "  round $((r + 1)) $wl $cfg: $res" >&2
		done
	done
done

# Per-tool BPF cost, with bpf_stats on (it adds two clock reads per run).
sysctl -q kernel.bpf_stats_enabled=1
: >"$TMP/progstats"
: >"$TMP/stats_runs"
for wl in "${WORKLOADS[@]}"; do
	for cfg in ${WL_CONFIGS[$wl]}; do
		[ "$cfg" = bare ] && continue
		res=$(run_one "$wl" "$cfg" "$TMP/progstats") || continue
		echo "$wl $cfg $res" >>"$TMP/stats_runs"
	done
done
sysctl -q kernel.bpf_stats_enabled="$STATS_WAS"

# Lines of results: WORKLOAD ROUND CONFIG THROUGHPUT/S SWITCHES/S CPU_NS/UNIT;
# below, a FIELD is 1 (throughput), 2 (switches/s) or 3 (CPU ns per unit).
# ratios WL FIELD CFG [BASE]: per round, CFG's FIELD over BASE's (default
# bare) of the same round.
ratios() {
	awk -v w="$1" -v f="$2" -v c="$3" -v b="${4:-bare}" '$1 != w { next }
		$3 == b { base[$2] = $(f + 3) } $3 == c { v[$2] = $(f + 3) }
		END { for (r in v) if (base[r] > 0) print v[r] / base[r] }' "$TMP/results"
}
# col WL CFG FIELD: that field of CFG's runs on WL.
col() { awk -v w="$1" -v c="$2" -v f="$3" '$1 == w && $3 == c { print $(f + 3) }' "$TMP/results"; }
# loss RATIO / over RATIO: a median ratio as a throughput loss / CPU overhead.
loss() { awk -v m="$1" 'BEGIN { if (m == "-") print "-"; else printf "%.1f%%", (1 - m) * 100 }'; }
over() { awk -v m="$1" 'BEGIN { if (m == "-") print "-"; else printf "%+.1f%%", (m - 1) * 100 }'; }
# cpu_loss_mmm RATIOS: CPU-per-unit ratios as the throughput loss of a
# workload that has its CPU to itself (1 - 1/ratio), "median (min to max)".
cpu_loss_mmm() { awk -v a="$1" -v m="$2" -v b="$3" 'BEGIN { if (m == "-" || m <= 0) print "-"
	else printf "%.1f%% (%.1f to %.1f)", (1 - 1 / m) * 100, (1 - 1 / a) * 100, (1 - 1 / b) * 100 }'; }
# loss_mmm RATIOS: "median (min-max)" loss in % from min/median/max ratios.
loss_mmm() { awk -v a="$1" -v m="$2" -v b="$3" 'BEGIN { if (m == "-") print "-"
	else printf "%.1f%% (%.1f to %.1f)", (1 - m) * 100, (1 - b) * 100, (1 - a) * 100 }'; }

{
	for wl in "${WORKLOADS[@]}"; do
		read -r -a cfgs <<<"${WL_CONFIGS[$wl]}"
		unit=${WL_UNIT[$wl]}
		one=${WL_ONE[$wl]}
		echo "# Workload $wl: ${WL_TITLE[$wl]}"
		echo
		echo "## Throughput ($unit/s; ratio = run / bare run of the same round)"
		echo
		echo "| config | runs | $unit/s min / median / max | switches/s median | ratio vs bare min / median / max | loss (median) |"
		echo "|---|---|---|---|---|---|"
		for cfg in "${cfgs[@]}"; do
			runs=$(col "$wl" "$cfg" 1 | wc -l)
			read -r tmin tmed tmax < <(col "$wl" "$cfg" 1 | mmm %.0f)
			read -r _ smed _ < <(col "$wl" "$cfg" 2 | mmm %.0f)
			read -r rmin rmed rmax < <(ratios "$wl" 1 "$cfg" | mmm %.3f)
			echo "| $cfg | $runs | $tmin / $tmed / $tmax | $smed | $rmin / $rmed / $rmax | $(loss "$rmed") |"
		done
		echo
		echo "## CPU cost per $one (workload's user+sys CPU ns / $unit; robust to other load)"
		echo
		echo "| config | CPU ns per $one min / median / max | ratio vs bare min / median / max | overhead (median) | = loss on a CPU of its own |"
		echo "|---|---|---|---|---|"
		for cfg in "${cfgs[@]}"; do
			read -r cmin cmed cmax < <(col "$wl" "$cfg" 3 | mmm %.0f)
			read -r rmin rmed rmax < <(ratios "$wl" 3 "$cfg" | mmm %.3f)
			echo "| $cfg | $cmin / $cmed / $cmax | $rmin / $rmed / $rmax | $(over "$rmed") | $(cpu_loss_mmm "$rmin" "$rmed" "$rmax") |"
		done
		echo
		if [ "${wl#rt-}" != "$wl" ] || [ "${wl#tokio-}" != "$wl" ]; then
			echo "## The runtime tier alone (observe over observe-kernel, per round)"
			echo
			echo "| figure | ratio min / median / max | runtime tier cost (median, min to max) |"
			echo "|---|---|---|"
			read -r rmin rmed rmax < <(ratios "$wl" 1 observe observe-kernel | mmm %.3f)
			echo "| $unit/s | $rmin / $rmed / $rmax | $(loss_mmm "$rmin" "$rmed" "$rmax") loss |"
			read -r rmin rmed rmax < <(ratios "$wl" 3 observe observe-kernel | mmm %.3f)
			echo "| CPU ns per $one | $rmin / $rmed / $rmax | $(over "$rmed") CPU = $(cpu_loss_mmm "$rmin" "$rmed" "$rmax") loss on a CPU of its own |"
			echo
		fi
		echo "## BPF cost per program (one run per tool with kernel.bpf_stats_enabled=1)"
		echo
		echo "| tool | program | run_cnt | run_time_ns | ns/run |"
		echo "|---|---|---|---|---|"
		awk -v w="$wl" '$1 == w && $4 > 0 { printf "| %s | %s | %d | %d | %.0f |\n", $2, $3, $4, $5, $5 / $4 }' "$TMP/progstats"
		echo
		echo "| tool | BPF runs | BPF ns | BPF ns per workload switch | BPF ns per workload $one | BPF time / measured time |"
		echo "|---|---|---|---|---|---|"
		while read -r w cfg tput sw _; do
			[ "$w" = "$wl" ] || continue
			awk -v w="$wl" -v c="$cfg" -v sw="$sw" -v tp="$tput" -v s="$SECS" '$1 == w && $2 == c { n += $4; t += $5 }
				END { printf "| %s | %d | %d | %.0f | %.0f | %.1f%% of a CPU |\n", c, n, t,
					(sw > 0) ? t / (sw * s) : 0, (tp > 0) ? t / (tp * s) : 0,
					t / (s * 1e9) * 100 }' "$TMP/progstats"
		done <"$TMP/stats_runs"
		echo
	done
	if [ ${#WL_US[@]} -gt 2 ]; then
		echo "# Overhead by switch rate (CPU per round trip over bare, median of the rounds; min to max)"
		echo
		hdr="| workload | bare switches/s |"
		sep="|---|---|"
		for cfg in ${KERNEL_CONFIGS[*]}; do
			[ "$cfg" = bare ] && continue
			hdr+=" $cfg |"
			sep+="---|"
		done
		echo "$hdr"
		echo "$sep"
		for wl in "${WORKLOADS[@]}"; do
			[ -n "${WL_US[$wl]:-}" ] || continue
			read -r _ smed _ < <(col "$wl" bare 2 | mmm %.0f)
			row="| $wl | $smed |"
			for cfg in ${KERNEL_CONFIGS[*]}; do
				[ "$cfg" = bare ] && continue
				read -r rmin rmed rmax < <(ratios "$wl" 3 "$cfg" | mmm %.3f)
				row+=" $(over "$rmed") ($(over "$rmin") to $(over "$rmax")) |"
			done
			echo "$row"
		done
		echo
	fi
	echo "Host steal time over the run: $(awk -v s="$(($(steal_ticks) - STEAL0))" \
		-v t="$(($(total_ticks) - TOTAL0))" 'BEGIN { printf "%.2f%%", t ? s / t * 100 : 0 }')"
	echo "(/proc/stat, all CPUs)."
	echo
	echo "BPF counts cover the tool's whole life (attach, ${WARMUP}s warm-up, ${SECS}s run) and every"
	echo "event on the box that reaches the programs, not only the workload's.  A uprobe's"
	echo "trap (rt:* USDT probes) is not in run_time_ns: only its program's own time is."
	echo
	echo "Run took $(($(date +%s) - t_start)) s; load $LOAD0 before, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
} | tee ${OUTFILE:+"$OUTFILE"}

# The sweep as CSV, one row per workload and tool, for scripts/figures.sh
# (docs/data/observer_overhead.csv -> docs/figures/observer_overhead.svg).
if [ -n "$OUTFILE" ] && [ ${#WL_US[@]} -gt 2 ]; then
	csv=${OUTFILE%.md}.csv
	{
		echo "workload,work_us,tool,bare_switches_per_s,cpu_over_pct_min,cpu_over_pct_median,cpu_over_pct_max,tput_loss_pct_median,runs,secs"
		for wl in "${WORKLOADS[@]}"; do
			[ -n "${WL_US[$wl]:-}" ] || continue
			read -r _ smed _ < <(col "$wl" bare 2 | mmm %.0f)
			for cfg in ${KERNEL_CONFIGS[*]}; do
				[ "$cfg" = bare ] && continue
				read -r rmin rmed rmax < <(ratios "$wl" 3 "$cfg" | mmm %.4f)
				read -r _ tmed _ < <(ratios "$wl" 1 "$cfg" | mmm %.4f)
				awk -v w="$wl" -v u="${WL_US[$wl]}" -v c="$cfg" -v s="$smed" \
					-v a="$rmin" -v m="$rmed" -v b="$rmax" -v t="$tmed" -v n="$RUNS" -v secs="$SECS" \
					'BEGIN { printf "%s,%s,%s,%s,%.2f,%.2f,%.2f,%.2f,%s,%s\n", w, u, c, s,
						(a - 1) * 100, (m - 1) * 100, (b - 1) * 100, (1 - t) * 100, n, secs }'
			done
		done
	} >"$csv"
	echo "bench-observer: wrote $csv" >&2
fi
