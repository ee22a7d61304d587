#!/bin/bash
# models.sh - predicted versus measured: a short model per failure shape,
# evaluated at every point of the sweep CSVs (docs/models.md states the
# models and their assumptions).
#
#	scripts/models.sh [--data DIR] [--out FILE] [--all] [--quiet]
#	scripts/models.sh --selftest     # TAP: known answers on made-up CSVs
#
# Reads DIR/{starvation,starvation_fraction,convoy,suspension,server,lifo,
# budget}.csv (default docs/data; the ones present), writes FILE (default
# DIR/models.csv) and prints a markdown table on stdout: a per-model summary
# (points, median and worst |relative error|) and the representative points
# (--all: every point).  --quiet prints nothing.
#
# models.csv columns:
#	shape,model,runtime,variant,parameters,metric,predicted,
#	measured_median,measured_min,measured_max,rel_error,regime
# rel_error = (predicted - measured_median) / measured_median, empty when
# the median is 0.  `regime` says which branch of the model applied
# (e.g. saturated, overlap): the regimes where a model breaks are named so
# in docs/models.md.  Units are the CSVs' (us, per second, %).
#
# Calibration constants, from data the model does not predict (stated in
# the CSV as shape "calibration"): per runtime, the probe's 1 ms sleep
# cycle tp (1000 / probe wake-ups per second with no blocker), the healthy
# probe p99 floor (no blocker) from starvation.csv; the sync-lock hand-off
# cost d0 from convoy.csv (K = 0, smallest H).  Without starvation.csv the
# constants fall back to the values measured on 2026-12-04 (docs/models.md).
set -euo pipefail

cd "$(dirname "$0")/.."
DATA=docs/data
OUT=
ALL=0
QUIET=0
die() { echo "models.sh: $*" >&2; exit 2; }

# shellcheck disable=SC2016,SC2317,SC2034 # eval'd test expressions
# --selftest: made-up CSVs whose predictions are worked out by hand below
# (docs/models.md), with the measured median set to the expected value so
# that the relative error must come out 0; then the error paths.
selftest() {
	local d n=0 bad=0 self=$0 got rc
	d=$(mktemp -d)
	# shellcheck disable=SC2064 # expand d now
	[ -n "${KEEP:-}" ] || trap "rm -rf '$d'" RETURN
	[ -z "${KEEP:-}" ] || echo "# kept $d"
	t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=1; fi; }
	# row SHAPE RUNTIME PARAMS METRIC: "predicted,median,error" of that
	# broken-variant row
	row() { awk -F, -v s="$1" -v r="$2" -v p="$3" -v m="$4" '$1 == s && $3 == r && $4 == "broken" && $5 == p && $6 == m { print $7 "," $8 "," $11 }' "$d/models.csv"; }
	h='workers,blockers,block_ms,period_ms,runtime,fixed'
	# calibration: probe 500 wake-ups/s with no blocker -> tp = 2 ms
	{ echo "$h,probe_p99_us_min,probe_p99_us_median,probe_p99_us_max,probe_per_s_min,probe_per_s_median,probe_per_s_max,runs,secs"
	  echo "2,0,20,25,rt,0,90,100,110,490,500,510,3,1.5"
	  # K = N = 2, B = 20, P = 25, tp = 2: f = 1/(5/2 + 1) = 2/7,
	  # p99 = (20 + 1 - 2 * 0.01 * 3.5) ms = 20930 us; 140 wake-ups/s
	  echo "2,2,20,25,rt,0,1,20930,1,1,140,1,3,1.5"
	  # saturated (K B > N P), C rt: chains of ceil(25 / 5) = 5 blocks,
	  # W = 100 ms >= P: p99 = W + delta = 101 ms
	  echo "1,2,20,25,rt,0,1,101000,1,1,1,1,3,1.5"
	  # K > N, C rt: W = B = 5, f = 1/(20/2 + 1): p99 = 6 - 2 * 0.01 * 11 ms
	  echo "2,4,5,25,rt,0,1,5780,1,1,1,1,3,1.5"
	  # two free workers: the floor
	  echo "4,2,20,25,rt,0,1,100,1,1,1,1,3,1.5"
	  echo "2,0,20,25,tokio,0,90,100,110,490,500,510,3,1.5"
	  # K > N, Tokio: W = floor(4/2) 5 = 10, f = 1/8.5: 11 - 0.17 ms
	  echo "2,4,5,25,tokio,0,1,10830,1,1,1,1,3,1.5"
	  # saturated, Tokio: a pass takes 40 ms, so P' = 50 and W = 20,
	  # f = 1/16: 21 - 0.32 ms
	  echo "2,3,20,25,tokio,0,1,20680,1,1,1,1,3,1.5"
	} >"$d/starvation.csv"
	# H = 200, K = 4 on 2 cores, d0 = 1e6/20000 - 40 = 10: 1e6 / (200 * 3 + 10)
	{ echo "workers,contenders,pressure,hold_us,runtime,fixed,acq_per_s_min,acq_per_s_median,acq_per_s_max,lock_wait_pct_min,lock_wait_pct_median,lock_wait_pct_max,runs,secs"
	  echo "2,4,0,40,rt,0,1,20000,1,1,50,1,3,1.5"
	  echo "2,4,4,200,rt,0,1,1639.344,1,1,50,1,3,1.5"
	  echo "2,4,4,200,rt,1,1,10000,1,1,0,1,3,1.5"
	} >"$d/convoy.csv"
	# M = 4, S = 20, delta = 1: 4000 / 21 per s; wait (21 - 2) ms
	{ echo "workers,peers,await_ms,runtime,fixed,peer_acq_per_s_min,peer_acq_per_s_median,peer_acq_per_s_max,peer_wait_p50_us_min,peer_wait_p50_us_median,peer_wait_p50_us_max,runs,secs"
	  echo "2,4,20,rt,0,1,190.4762,1,1,19000,1,3,1.5"
	} >"$d/suspension.csv"
	# all hold, M = 4, S = 20: 1000 / 21 per s; wait 3 * 21 - 2 ms
	{ echo "workers,peers,await_ms,runtime,fixed,peer_acq_per_s_min,peer_acq_per_s_median,peer_acq_per_s_max,peer_wait_p50_us_min,peer_wait_p50_us_median,peer_wait_p50_us_max,runs,secs"
	  echo "2,4,20,rt,0,1,47.61905,1,1,61000,1,3,1.5"
	} >"$d/suspension_all.csv"
	# R = 1000, B = 20, T = 10, E = 200, 1.5 s: 7 blocks x 11 / 1500
	{ echo "workers,rate,block_ms,block_every,timeout_ms,runtime,fixed,server_timeout_pct_min,server_timeout_pct_median,server_timeout_pct_max,runs,secs"
	  echo "2,1000,20,200,10,rt,0,1,5.133333,1,3,1.5"
	  echo "2,1000,5,200,10,rt,0,0,0,0,3,1.5"
	  # B = T: only the 7 blocking requests themselves
	  echo "2,1000,10,200,10,rt,0,1,0.4666667,1,3,1.5"
	  # predicted 0.47 %, measured 0: a miss, not a row left out
	  echo "2,1000,10,200,10,tokio,0,0,0,0,3,1.5"
	} >"$d/server.csv"
	"$self" --data "$d" --quiet 2>/dev/null
	t "writes models.csv" '[ -s "$d/models.csv" ]'
	t "calibration tp from K = 0" '[ "$(awk -F, '"'"'$1 == "calibration" && $3 == "rt" && $6 == "tp_ms" { print $7 }'"'"' "$d/models.csv")" = 2.0000 ]'
	t "starvation p99, K = N" '[ "$(row starvation rt "N=2 K=2 B=20 P=25" probe_p99_us)" = "20930,20930,0.000" ]'
	t "starvation wake-ups/s" '[ "$(row starvation rt "N=2 K=2 B=20 P=25" probe_per_s)" = "140,140,0.000" ]'
	for c in "rt N=1 K=2 B=20 P=25" "rt N=2 K=4 B=5 P=25" "rt N=4 K=2 B=20 P=25" \
		"tokio N=2 K=4 B=5 P=25" "tokio N=2 K=3 B=20 P=25"; do
		t "starvation regimes: $c" '[ "$(row starvation ${c%% *} "${c#* }" probe_p99_us | cut -d, -f3)" = 0.000 ]'
	done
	t "regime names" '[ "$(awk -F, '"'"'$1 == "starvation" && $6 == "probe_p99_us" && $4 == "broken" { print $3 "/" $12 }'"'"' "$d/models.csv" | sort | tr "\n" " ")" = "rt/K>=N rt/K>=N rt/free workers rt/saturated tokio/K>=N tokio/saturated " ]'
	t "K = 0 rows are calibration only" '! grep -q "^starvation,.*K=0 " "$d/models.csv"'
	t "convoy cpu-share" '[ "$(row convoy rt "N=2 M=4 K=4 H=200" acq_per_s | cut -d, -f3)" = 0.000 ]'
	t "convoy fixed 2/H" '[ "$(awk -F, '"'"'$2 == "cpu-bound" { print $7 }'"'"' "$d/models.csv")" = 10000 ]'
	t "suspension rate and wait" '[ "$(row suspension rt "N=2 M=4 S=20" peer_acq_per_s | cut -d, -f3),$(row suspension rt "N=2 M=4 S=20" peer_wait_p50_us | cut -d, -f3)" = "0.000,0.000" ]'
	t "all-hold rate and wait" '[ "$(row suspension_all rt "N=2 M=4 S=20 all-hold" peer_acq_per_s | cut -d, -f3),$(row suspension_all rt "N=2 M=4 S=20 all-hold" peer_wait_p50_us | cut -d, -f3)" = "0.000,0.000" ]'
	t "server windows" '[ "$(row server rt "R=1000 B=20 T=10 every=200" server_timeout_pct | cut -d, -f3)" = 0.000 ]'
	t "server B = T: the blocking requests" '[ "$(row server rt "R=1000 B=10 T=10 every=200" server_timeout_pct | cut -d, -f3)" = 0.000 ]'
	t "server B < T: 0, no error" '[ "$(row server rt "R=1000 B=5 T=10 every=200" server_timeout_pct)" = "0,0," ]'
	got=$("$self" --data "$d" 2>/dev/null | grep -c '^| server | window ')
	t "markdown summary and rows" '[ "$got" -ge 2 ]'
	got=$("$self" --data "$d" 2>/dev/null | grep '^| server | window | windows | ')
	t "a prediction against a measured 0 is a miss" '[[ "$got" == *"| 4 | 3/4 | no | 0 % | inf |" ]]'
	got=$("$self" --data "$d/none" 2>&1 >/dev/null) && rc=0 || rc=$?
	t "no data dir: exit 2, one line" '[ "$rc" = 2 ] && [ "$(echo "$got" | wc -l)" = 1 ]'
	mkdir "$d/empty"
	got=$("$self" --data "$d/empty" 2>&1 >/dev/null) && rc=0 || rc=$?
	t "no CSV: exit 2, one line" '[ "$rc" = 2 ] && [ "$(echo "$got" | wc -l)" = 1 ]'
	sed -i 's/^workers,peers/workers,nopeers/' "$d/suspension.csv"
	got=$("$self" --data "$d" --quiet 2>&1) && rc=0 || rc=$?
	t "missing column: error naming it" '[ "$rc" != 0 ] && echo "$got" | grep -q "no column peers"'
	got=$("$self" --bogus 2>&1) && rc=0 || rc=$?
	t "bad option: exit 2" '[ "$rc" = 2 ]'
	echo "1..$n"
	return $bad
}
while [ $# -gt 0 ]; do
	case $1 in
	--data) [ $# -ge 2 ] || die "--data needs a value"; DATA=$2; shift ;;
	--out) [ $# -ge 2 ] || die "--out needs a value"; OUT=$2; shift ;;
	--all) ALL=1 ;;
	--quiet) QUIET=1 ;;
	--selftest) selftest; exit $? ;;
	-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
	shift
done
[ -d "$DATA" ] || die "no data directory $DATA (run scripts/sweep.sh first)"
OUT=${OUT:-$DATA/models.csv}
PRESENT='' MISSING=''
for s in starvation starvation_fraction workers convoy suspension suspension_all server lifo budget; do
	if [ -s "$DATA/$s.csv" ]; then PRESENT+=" $s"; else MISSING+=" $s.csv"; fi
done
[ -n "$PRESENT" ] || die "no sweep CSVs in $DATA (run scripts/sweep.sh first)"
CORES=2 # the sweeps' machine (sweep-raw/*.meta: cpus=2)

# The model code, shared by every shape: awk -v shape=NAME -f <(echo "$AWK").
read -r -d '' AWK <<'EOF' || true
function med3(a, b, c) { return a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b)) }
function ceil(x) { return x == int(x) ? x : int(x) + (x > 0) }
function max(a, b) { return a > b ? a : b }
function min(a, b) { return a < b ? a : b }
function g(name) {
	if (!(name in col)) { printf "models.sh: %s: no column %s\n", FILENAME, name > "/dev/stderr"; exit 1 }
	return $col[name]
}
function rt_name() { return g("runtime") }
function variant() { return g("fixed") == 1 ? "fixed" : "broken" }
# emit(model, params, metric, predicted, regime, show): one models.csv row
# for metric (a CSV metric name with _min/_median/_max columns).
function emit(model, params, metric, pred, regime, show,   m, lo, hi, err) {
	# a metric the CSV lacks (an older sweep) is left out; a missing
	# parameter column is an error (g)
	if (!((metric "_median") in col))
		return
	m = g(metric "_median"); lo = g(metric "_min"); hi = g(metric "_max")
	if (m == "")
		return
	err = (m + 0 != 0) ? sprintf("%.3f", (pred - m) / m) : ""
	if (err == "-0.000")
		err = "0.000"
	printf "%s,%s,%s,%s,%s,%s,%.6g,%s,%s,%s,%s,%s,%d\n", shape, model, rt_name(), variant(), \
		params, metric, pred, m, lo, hi, err, regime, show
}
# Probe lateness quantile q (0.5, 0.99) when each period P the probe can be
# stuck behind a window of W ms that starts at a random point of its 1 ms
# sleep: the one wake-up that falls in it is late by W + delta - u, u uniform
# in [0, min(tp, W)]; the (P - W) / tp others are on time (floor).
function late_frac(W, P) { return 1 / ((P - W) / tp[rt_name()] + 1) }
function lateness_q(q, W, P, floor_us,   f, m) {
	if (W >= P)
		return (W + delta[rt_name()]) * 1000
	f = late_frac(W, P)
	if (f <= 1 - q)
		return floor_us
	m = min(tp[rt_name()], W)
	return (W + delta[rt_name()] - m * (1 - q) / f) * 1000
}
function wakes_per_s(W, P) { return W >= P ? 1000 / W : ((P - W) / tp[rt_name()] + 1) * 1000 / P }

BEGIN {
	FS = ","
	n = split(cal, kv, " ")
	for (i = 1; i <= n; i++) {
		split(kv[i], p, "=")
		split(p[1], q, ":")
		if (q[1] == "tp") tp[q[2]] = p[2]
		else if (q[1] == "p99") floor99[q[2]] = p[2]
		else if (q[1] == "d0") d0[q[2]] = p[2]
	}
	for (r in tp)
		delta[r] = tp[r] - 1
}
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }

# The starvation regimes (docs/models.md, "Regime rules"): from N, K, B, P
# and the runtime alone.  Sets W (the probe's p99 window, ms), WMAX (its
# worst window, -1: not claimed), PP (the blockers' effective period) and
# returns the regime's name.
function starve_regime(N, K, B, P,   rounds) {
	rounds = ceil(K / N)
	PP = P; WMAX = rounds * B
	if (K * B > N * P) {
		if (rt_name() == "rt") {
			# chains: a late blocker finds its next tick due when the
			# block ends and blocks again, at most ceil(P / (P - B)) times
			W = B >= P ? 1e9 : ceil(P / (P - B)) * B
			WMAX = W
		} else {
			# skipped ticks: one pass of all blockers takes rounds * B
			PP = P * ceil(rounds * B / P)
			W = int(K / N) * B
		}
		return "saturated"
	}
	if (K >= N) {
		# C rt: the probe's driver wake-up goes to the LIFO slot of the
		# first worker whose block ends; Tokio: the rounds with every
		# worker blocked
		W = rt_name() == "rt" ? B : int(K / N) * B
		return "K>=N"
	}
	W = B
	if (N - K == 1)
		return "one free"
	W = 0; WMAX = -1
	return "free workers"
}

shape == "starvation" || shape == "workers" {
	N = g("workers"); K = g("blockers"); B = g("block_ms"); P = g("period_ms")
	if (K == 0)
		next # the calibration rows
	pr = sprintf("N=%d K=%d B=%d P=%d", N, K, B, P)
	fl = floor99[rt_name()]
	if (g("fixed") == 1) {
		# the blocking call on the pool: the probe keeps its floor
		show = N == 2 && B == 20 && K == N
		emit("healthy", pr, "probe_p99_us", fl, "fixed", show)
		emit("healthy", pr, "probe_per_s", 1000 / tp[rt_name()], "fixed", 0)
		next
	}
	regime = starve_regime(N, K, B, P)
	show = shape == "workers" || (N == 2 && (B == 20 || B == 5)) || (N == 4 && B == 20 && (K == 2 || K == 3)) || (N == 1 && B == 20 && K == 2)
	if (W >= 1e9) {
		# B >= P with chains: the blockers never yield, the probe waits
		# for the whole run
		emit("window", pr, "probe_p99_us", g("secs") * 1e6, regime, show)
	} else if (W == 0) {
		emit("window", pr, "probe_p99_us", fl, regime, show)
		emit("window", pr, "probe_per_s", 1000 / tp[rt_name()], regime, 0)
	} else {
		emit("window", pr, "probe_p99_us", lateness_q(0.99, W, PP, fl), regime, show)
		emit("window", pr, "probe_per_s", wakes_per_s(W, PP), regime, show && N == 2 && B == 20 && K <= 2)
	}
	if (WMAX > 0 && WMAX < 1e9)
		emit("window", pr, "probe_max_us", (WMAX + delta[rt_name()]) * 1000, regime, show && N == 2 && B == 5 && K == 4)
	# the victim is woken into its blocker's own LIFO slot
	emit("window", pr, "victim_p50_us", B * 1000, regime, show && B == 20 && K == 2)
	next
}

shape == "starvation_fraction" {
	N = g("workers"); K = g("blockers"); B = g("block_ms"); P = g("period_ms")
	pr = sprintf("N=%d K=%d B=%d P=%d B/P=%s", N, K, B, P, g("fraction"))
	fl = floor99[rt_name()]
	if (g("fixed") == 1) {
		show = P == 100 || P == 10
		emit("healthy", pr, "probe_p99_us", fl, "fixed", show)
		emit("healthy", pr, "probe_per_s", 1000 / tp[rt_name()], "fixed", 0)
		next
	}
	f = late_frac(B, P)
	regime = B >= P ? "saturated" : f > 0.5 ? "p50 late" : f > 0.01 ? "p99 late" : "p99 floor"
	# aligned: the K = N blockers tick on one grid, so all workers block
	# together B of every P ms
	emit("aligned", pr, "probe_p50_us", lateness_q(0.5, B, P, delta[rt_name()] * 1000), regime, P <= 8)
	emit("aligned", pr, "probe_p99_us", lateness_q(0.99, B, P, fl), regime, P >= 100 || P == 25 || P == 10 || P == 6 || P == 5)
	emit("aligned", pr, "probe_max_us", (B + delta[rt_name()]) * 1000, regime, 0)
	emit("aligned", pr, "probe_per_s", wakes_per_s(B, P), regime, P == 25 || P == 10)
	# independent blockers: all N blocked (B/P)^N of the time; a probe
	# wake-up is late with that probability, by ~B/2 on average
	pall = (B / P) ^ N
	emit("independent", pr, "probe_p99_us", pall > 0.01 ? B * 1000 : fl, \
		pall > 0.01 ? "p99 late" : "p99 floor", P == 100 || P == 25)
	next
}

shape == "convoy" {
	N = g("workers"); M = g("contenders"); K = g("pressure"); H = g("hold_us")
	pr = sprintf("N=%d M=%d K=%d H=%d", N, M, K, H)
	if (g("fixed") == 1) {
		# work outside the lock: every worker computes at once; CPU bound
		emit("cpu-bound", pr, "acq_per_s", min(N, cores) * 1e6 / H, "fixed", (K == 0 && H != 1000) || (K == 4 && H == 1000))
		next
	}
	# one holder at a time; it shares its core with floor(K / cores)
	# pressure threads (pinned one per core, round robin), so H of CPU
	# takes H (1 + k) of wall time, plus the hand-off d0
	k = int(K / cores)
	regime = K == 0 ? "no pressure" : k == 0 ? "free core" : "shared core"
	emit("cpu-share", pr, "acq_per_s", 1e6 / (H * (1 + k) + d0[rt_name()]), regime, H == 200 || K == 8)
	# with M >= N contenders one worker holds and the others wait in futex
	emit("cpu-share", pr, "lock_wait_pct", 100 * (min(N, M) - 1) / min(N, M), regime, H == 200 && (K == 0 || K == 1))
	next
}

shape == "suspension" {
	N = g("workers"); M = g("peers"); S = g("await_ms")
	T = 1 # the peers' think time (demo default --think-us 1000)
	pr = sprintf("N=%d M=%d S=%d", N, M, S)
	tt = T + delta[rt_name()] # a 1 ms think sleep, as the probe's
	if (g("fixed") == 1) {
		emit("think-bound", pr, "peer_acq_per_s", M * 1000 / tt, "fixed", M == 4 && S == 20)
		next
	}
	# one coordinator round (S plus the runtime's sleep overshoot) per
	# acquisition; a peer that thinks longer than a round is think-bound
	ss = S + delta[rt_name()]
	regime = ss > 1.2 * tt ? "round-bound" : ss * 1.2 < tt ? "think-bound" : "S~think"
	show = (M == 4 && S != 50) || (S == 1 && M == 1)
	emit("round", pr, "peer_acq_per_s", M * 1000 / max(ss, tt), regime, show)
	if (regime == "round-bound")
		emit("round", pr, "peer_wait_p50_us", (ss - tt) * 1000, regime, show && S == 20)
	next
}

shape == "suspension_all" {
	N = g("workers"); M = g("peers"); S = g("await_ms")
	T = 1 # the peers' think time (demo default --think-us 1000)
	pr = sprintf("N=%d M=%d S=%d all-hold", N, M, S)
	ss = S + delta[rt_name()]; tt = T + delta[rt_name()]
	show = M == 1 || M == 4 || M == 8
	if (g("fixed") == 1) {
		# the await after the unlock: each peer cycles on its own
		emit("all-hold", pr, "peer_acq_per_s", M * 1000 / (ss + tt), "fixed", show && S == 20)
		next
	}
	# every peer holds across its own await; FIFO hand-off: once the
	# others' holds outlast a think, the lock is never free
	if ((M - 1) * ss >= tt) {
		emit("all-hold", pr, "peer_acq_per_s", 1000 / ss, "lock-bound", show)
		emit("all-hold", pr, "peer_wait_p50_us", ((M - 1) * ss - tt) * 1000, "lock-bound", show)
	} else
		emit("all-hold", pr, "peer_acq_per_s", M * 1000 / (ss + tt), "own cycle", show)
	next
}

shape == "server" {
	R = g("rate"); B = g("block_ms"); E = g("block_every"); T = g("timeout_ms")
	secs = g("secs")
	pr = sprintf("R=%d B=%d T=%d every=%d", R, B, T, E)
	show = (B == 20 && R != 500) || (B == 50 && (R == 1000 || R == 4000)) || (B == 10 && (R == 1000 || R == 8000)) || (B == 5 && R == 1000)
	if (B == 0 || g("fixed") == 1) {
		emit("window", pr, "server_timeout_pct", 0, B == 0 ? "no block" : "fixed", show && g("fixed") == 1 && R == 1000)
		next
	}
	# every E-th request blocks B ms; the backend task it woke waits in
	# that worker's LIFO slot, so every request that arrives in the first
	# B - T ms of the block times out, and so does the blocking request
	# itself when B >= T.  Blocks in a run: floor(R secs / E).
	blocks = int(R * secs / E + 1e-9)
	per = (B >= T) + R * max(B - T, 0) / 1000
	pred = 100 * blocks * per / (R * secs)
	regime = R * B / E >= 1000 ? "overlap" : "windows"
	emit("window", pr, "server_timeout_pct", min(pred, 100), regime, show)
	next
}

shape == "lifo" {
	N = g("workers"); K = g("blockers"); L = g("lifo"); B = 20; P = 25
	pr = sprintf("N=%d K=%d lifo=%d B=%d", N, K, L, B)
	fl = floor99[rt_name()]
	show = N == 2 || K == 2
	if (g("fixed") == 1) {
		emit("healthy", pr, "probe_p99_us", fl, "fixed", 0)
		next
	}
	if (L == 1) {
		# the victim waits the whole block in the blocker's LIFO slot;
		# the probe as in the starvation regimes (one free worker or more)
		regime = starve_regime(N, K, B, P)
		emit("lifo-slot", pr, "victim_p50_us", B * 1000, "lifo/" regime, show)
		emit("lifo-slot", pr, "victim_same_worker_pct", 100, "lifo/" regime, 0)
		emit("lifo-slot", pr, "probe_p99_us", W == 0 ? fl : lateness_q(0.99, W, PP, fl), "lifo/" regime, show)
	} else {
		# stealable: a free worker takes both; the probe keeps its floor
		emit("lifo-slot", pr, "victim_same_worker_pct", 0, "no-lifo", 0)
		emit("lifo-slot", pr, "probe_p99_us", fl, "no-lifo", N == 2)
	}
	next
}

shape == "budget" {
	N = g("workers"); K = g("blockers"); B = g("block_ms"); U = g("budget"); P = 25
	pr = sprintf("N=%d K=%d B=%d budget=%d", N, K, B, U)
	fl = floor99[rt_name()]
	show = B == 20 && K == 2
	if (U == 1 || g("fixed") == 1) {
		# polls end after 128 ready receives: greedy tasks share the worker
		emit("budget", pr, "recv_per_poll", 128, U == 1 ? "budget" : "fixed", show && U == 1)
		emit("budget", pr, "probe_p99_us", fl, U == 1 ? "budget" : "fixed", show)
		next
	}
	# without it a drain is one B ms poll: the starvation window model
	emit("budget", pr, "probe_p99_us", lateness_q(0.99, B, P, fl), K < N ? "K<N" : "K=N", show)
	emit("budget", pr, "victim_p50_us", B * 1000, K < N ? "K<N" : "K=N", show)
	next
}
EOF

# median of the numbers on stdin (one a line); empty without input
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
# column CSV NAME WHERE: values of NAME on rows where the awk condition holds
column_of() {
	awk -F, -v name="$2" "NR == 1 { for (i = 1; i <= NF; i++) c[\$i] = i; next } $3 { print \$c[name] }" "$1"
}

# ---- calibration ------------------------------------------------------------
declare -A TP=([rt]=1.0541 [tokio]=2.1186) P99=([rt]=144.9 [tokio]=1261.7) D0=([rt]=14.40 [tokio]=14.01)
CALSRC=default
if [ -s "$DATA/starvation.csv" ]; then
	CALSRC=starvation.csv
	for r in rt tokio; do
		v=$(column_of "$DATA/starvation.csv" probe_per_s_median \
			"\$c[\"blockers\"] == 0 && \$c[\"fixed\"] == 0 && \$c[\"runtime\"] == \"$r\"" | median)
		[ -n "$v" ] && TP[$r]=$(awk -v v="$v" 'BEGIN { printf "%.4f", 1000 / v }')
		v=$(column_of "$DATA/starvation.csv" probe_p99_us_median \
			"\$c[\"blockers\"] == 0 && \$c[\"fixed\"] == 0 && \$c[\"runtime\"] == \"$r\"" | median)
		[ -n "$v" ] && P99[$r]=$v
	done
fi
if [ -s "$DATA/convoy.csv" ]; then
	for r in rt tokio; do
		# shellcheck disable=SC2016 # an awk condition
		hmin=$(column_of "$DATA/convoy.csv" hold_us '$c["pressure"] == 0 && $c["fixed"] == 0' | sort -g | awk "NR == 1")
		[ -n "$hmin" ] || continue
		v=$(column_of "$DATA/convoy.csv" acq_per_s_median \
			"\$c[\"pressure\"] == 0 && \$c[\"fixed\"] == 0 && \$c[\"hold_us\"] == $hmin && \$c[\"runtime\"] == \"$r\"" | median)
		[ -n "$v" ] && D0[$r]=$(awk -v v="$v" -v h="$hmin" 'BEGIN { d = 1e6 / v - h; printf "%.2f", (d > 0 ? d : 0) }')
	done
fi
CAL=
for r in rt tokio; do
	CAL+="tp:$r=${TP[$r]} p99:$r=${P99[$r]} d0:$r=${D0[$r]} "
done

# ---- the models -------------------------------------------------------------
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
{
	echo "shape,model,runtime,variant,parameters,metric,predicted,measured_median,measured_min,measured_max,rel_error,regime,show"
	for r in rt tokio; do
		printf 'calibration,%s,%s,broken,,%s,%s,,,,,,0\n' "$CALSRC" "$r" tp_ms "${TP[$r]}"
		printf 'calibration,%s,%s,broken,,%s,%s,,,,,,0\n' "$CALSRC" "$r" probe_p99_floor_us "${P99[$r]}"
		printf 'calibration,convoy.csv,%s,broken,,%s,%s,,,,,,0\n' "$r" handoff_d0_us "${D0[$r]}"
	done
	for s in $PRESENT; do
		awk -v shape="$s" -v cal="$CAL" -v cores="$CORES" -f <(echo "$AWK") "$DATA/$s.csv"
	done
} >"$TMP"
[ -z "$MISSING" ] || echo "models.sh: not in $DATA (skipped):$MISSING" >&2
# models.csv without the internal `show` column
cut -d, -f1-12 "$TMP" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "models.sh: wrote $OUT ($(($(wc -l <"$OUT") - 1)) rows)" >&2
[ "$QUIET" = 1 ] && exit 0

# ---- markdown ---------------------------------------------------------------
awk -F, -v all="$ALL" '
function abs(x) { return x < 0 ? -x : x }
BEGIN { INF = 1e300 } # the error of a prediction against a measured 0
function pct(e) { return e == "" ? "n/a" : sprintf("%+.0f %%", 100 * e) }
function num(x) { return x == "" ? "" : (x + 0 >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x)) }
NR == 1 { next }
$1 == "calibration" { cal = cal sprintf("%s %s = %s; ", $3, $6, $7); next }
{
	# one summary row per (shape, model, regime, metric): pooling metrics
	# would let a good one hide a bad one
	key = $1 " | " $2 " | " $12 " | " $6
	if (!(key in cnt)) order[++nk] = key
	cnt[key]++
	if ($11 != "" || $8 == 0) {
		# predicted 0 and measured 0 is exact (no relative error); a
		# prediction against a measured 0 has no finite error: a miss,
		# counted as INF (never left out of the count)
		e = $11 != "" ? abs($11) : $7 == 0 ? 0 : INF
		errs[key] = errs[key] " " e; nerr[key]++
		if (!(key in worst) || e > worst[key]) worst[key] = e
		if (e <= 0.15) within[key]++
	}
	if (all || $13 == 1)
		rows[++nr] = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s (%s-%s) | %s | %s |", \
			$1, $2, $3 == "tokio" ? "Tokio" : "C rt", $4, $5, $6, num($7), num($8), num($9), num($10), pct($11), $12)
}
function median(s,   v, n, i, j, t) {
	n = split(s, v, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return n == 0 ? "" : (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
}
END {
	print "Calibration: " cal
	print ""
	# holds: at least 90 % of the rows within 15 % (docs/models.md)
	print "| shape | model | regime | metric | points | within 15 % | holds | median \\|error\\| | worst \\|error\\| |"
	print "|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= nk; i++) {
		k = order[i]; m = median(errs[k]); n = nerr[k] + 0
		printf "| %s | %d | %s | %s | %s | %s |\n", k, cnt[k], \
			(n ? sprintf("%d/%d", within[k], n) : "n/a"), \
			(n ? (within[k] >= 0.9 * n ? "yes" : "no") : "n/a"), \
			(m == "" ? "n/a" : m == INF ? "inf" : sprintf("%.0f %%", 100 * m)), \
			(worst[k] == "" ? "n/a" : worst[k] == INF ? "inf" : sprintf("%.0f %%", 100 * worst[k]))
	}
	print ""
	print "| shape | model | runtime | variant | parameters | metric | predicted | measured median (min-max) | error | regime |"
	print "|---|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= nr; i++) print rows[i]
}' "$TMP"
