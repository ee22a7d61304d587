#!/bin/bash
# selftest.sh - checks scripts/sweep.sh and scripts/figures.sh against fake
# demos whose every output is known, in a few seconds, TAP on stdout (prove
# can run it: `prove scripts/sweep/selftest.sh`).  Not a grid file: sweep.sh
# only sources the names it lists.
#
# The fakes stand in for demo_starvation and tokio_starvation (the lifo
# sweep).  Each prints, on its Nth call with the same arguments, victim p50 =
# 100 N us, p99 = 1000 N us, 5 of 10 victims on the same worker, probe p99 =
# N us (+0.5 for tokio), so the CSV's min/median/max are known exactly.
# Point (4, 3) rt with the LIFO slot always fails; point (4, 2) rt with the
# LIFO slot fails on its first call only (sweep.sh must retry it).
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; printf '#   %s\n' "$@"; }
# check DESC GOT WANT
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}

mkdir -p "$T/demos" "$T/build/tokio/release" "$T/calls"
cat >"$T/demos/demo_starvation" <<'EOF'
#!/bin/bash
rt=${FAKE_RT:-rt}
key=$(printf '%s ' "$rt" "$@" | md5sum | cut -c1-16)
c=$(( $(cat "$FAKE_CALLS/$key" 2>/dev/null || echo 0) + 1 ))
echo $c >"$FAKE_CALLS/$key"
args=" $* "
if [ "$rt" = rt ] && [[ $args != *--fixed* && $args != *--no-lifo* ]]; then
	if [[ $args == *"--workers 4 --blockers 3 "* ]]; then
		echo "fake: boom" >&2; exit 1
	fi
	if [[ $args == *"--workers 4 --blockers 2 "* ]] && [ $c = 1 ]; then
		echo "fake: first call fails" >&2; exit 1
	fi
fi
extra=0
[ "$rt" = tokio ] && extra=0.5
printf '{"scenario":"starvation","secs":0.01,"probe":{"count":10,"p50_us":1,"p99_us":%s,"max_us":9},' \
	"$(awk -v c=$c -v e=$extra 'BEGIN { print c + e }')"
printf '"victim_delay_us":{"count":10,"p50_us":%d,"p99_us":%d,"max_us":1},"victim_same_worker":5}\n' \
	$((100 * c)) $((1000 * c))
EOF
printf '#!/bin/bash\nFAKE_RT=tokio exec "%s/demos/demo_starvation" "$@"\n' "$T" \
	>"$T/build/tokio/release/tokio_starvation"
chmod +x "$T/demos/demo_starvation" "$T/build/tokio/release/tokio_starvation"
export FAKE_CALLS=$T/calls

sweep() { SWEEP_DEMO_DIR=$T/demos BUILD=$T/build scripts/sweep.sh "$@"; }

echo "1..17"

# --dry-run: every point, the estimate, and no run at all
out=$(sweep --dry-run --secs 0.01 lifo 2>/dev/null)
check "dry-run lists the 24 lifo points" "$(grep -vc '^#' <<<"$out")" 24
check "dry-run prints a total estimate" "$(grep -c '^# total: estimated' <<<"$out")" 1
check "dry-run runs nothing" "$(find "$T/calls" -type f | wc -l)" 0

# the sweep itself
sweep --secs 0.01 --out "$T/data" lifo >"$T/out" 2>"$T/err"
rc=$?
check "a point whose runs all fail: exit 1" "$rc" 1
check "the failure is reported with its command" \
	"$(grep -c 'run failed (exit 1): .*demo_starvation --workers 4 --blockers 3 --secs' "$T/err")" 6
check "nothing on stdout" "$(wc -c <"$T/out")" 0
csv=$T/data/lifo.csv
check "header" "$(head -1 "$csv")" \
	"workers,blockers,lifo,runtime,fixed,victim_p50_us_min,victim_p50_us_median,victim_p50_us_max,victim_p99_us_min,victim_p99_us_median,victim_p99_us_max,victim_same_worker_pct_min,victim_same_worker_pct_median,victim_same_worker_pct_max,probe_p99_us_min,probe_p99_us_median,probe_p99_us_max,runs,secs"
check "one row per point" "$(($(wc -l <"$csv") - 1))" 24
check "min/median/max over the 3 repeats (rt)" "$(grep '^2,1,1,rt,0,' "$csv")" \
	"2,1,1,rt,0,100,200,300,1000,2000,3000,50,50,50,1,2,3,3,0.01"
check "min/median/max over the 3 repeats (tokio)" "$(grep '^2,1,1,tokio,0,' "$csv")" \
	"2,1,1,tokio,0,100,200,300,1000,2000,3000,50,50,50,1.5,2.5,3.5,3,0.01"
check "a failed run is retried once" "$(grep '^4,2,1,rt,0,' "$csv" | cut -d, -f6-8,18)" "200,300,400,3"
check "a point with no successful run: empty cells, runs 0" "$(grep '^4,3,1,rt,0,' "$csv")" \
	"4,3,1,rt,0,,,,,,,,,,,,,0,0.01"
check "the --no-lifo point has its own row" "$(grep -c '^4,3,0,rt,0,100,200,300,' "$csv")" 1

# bad input
sweep --repeats 2 lifo >/dev/null 2>"$T/err"
check "--repeats 2: exit 2 and one line" "$?/$(wc -l <"$T/err")" "2/1"
sweep nosuchsweep >/dev/null 2>"$T/err"
check "unknown sweep: exit 2 and one line" "$?/$(wc -l <"$T/err")" "2/1"

# no Tokio peers: the C points alone, said once on stderr
rm -rf "$T/calls"/*
SWEEP_DEMO_DIR=$T/demos BUILD=$T/nobuild scripts/sweep.sh --secs 0.01 --runtimes rt,tokio \
	--out "$T/data2" lifo >/dev/null 2>"$T/err"
check "without Tokio peers: only rt rows, and a note" \
	"$(cut -d, -f4 "$T/data2/lifo.csv" | sort | uniq -c | tr -s ' ' | tr '\n' ';')/$(grep -c 'Tokio peers not built' "$T/err")" \
	" 12 rt; 1 runtime;/1"

# figures from the CSV
if command -v gnuplot >/dev/null; then
	if scripts/figures.sh --data "$T/data" --out "$T/fig" 2>"$T/err" &&
		[ -s "$T/fig/lifo.svg" ] && xmllint --noout "$T/fig/lifo.svg" 2>>"$T/err"; then
		ok "figures.sh renders lifo.svg, well-formed SVG"
	else
		not_ok "figures.sh renders lifo.svg, well-formed SVG" "$(cat "$T/err")"
	fi
else
	ok "# SKIP gnuplot not installed (scripts/deps.sh)"
fi
exit $fail
