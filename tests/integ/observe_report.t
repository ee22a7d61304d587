#!/bin/bash
# observe_report.t - the output side of the CLI: the text report with -o FILE
# (the launched child keeps stdout), -i interval mode, --threshold-ms.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_target sleep_read spin_threads

plan 10

# ---- text report to -o FILE; the child's stdout is its own --------------------
OUT=$TMPDIR_T/text.out REP=$TMPDIR_T/text.report ERR=$TMPDIR_T/text.err
timeout -k 5 60 "$OBSERVE" -o "$REP" -- "$TARGETS/sleep_read" -n 5 -m 10 >"$OUT" 2>"$ERR"
rc=$?
is "$rc" 0 "text: observe exits 0"
[ "$rc" = 0 ] || diag "stderr: $(head -c 2000 "$ERR")"
ok "$([ -s "$REP" ] && ! jq -e . "$REP" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"text: -o FILE holds a non-empty report that is not JSON"
ok "$(grep -q sleep-ns "$REP" && grep -q pipe-reader "$REP" && echo 1 || echo 0)" \
	"text: the report names the threads (sleep-ns, pipe-reader)"
is "$(grep -vc -e '^pid ' -e '^blocked ' "$OUT")" 0 \
	"text: the child's stdout has only the child's lines"
is "$(grep -c '^blocked ' "$OUT")" 3 "text: the child's lines all reached its stdout"

# ---- --threshold-ms: 0 turns notable spans off; above the spans, none --------
J=$TMPDIR_T/th0.json
timeout -k 5 60 "$OBSERVE" --json --threshold-ms 0 -o "$J" -- "$TARGETS/sleep_read" -n 5 -m 20 \
	>/dev/null 2>"$ERR"
is "$(jq -c '.notable' "$J" 2>/dev/null)" "[]" "--threshold-ms 0: no notable spans"
J=$TMPDIR_T/th1.json
timeout -k 5 60 "$OBSERVE" --json --threshold-ms 1000 -o "$J" -- "$TARGETS/sleep_read" -n 5 -m 20 \
	>"$OUT" 2>"$ERR"
is "$(jq '[.notable[] | select(.kind == "off_cpu" and .ns < 1000000000)] | length' "$J" 2>/dev/null)" 0 \
	"--threshold-ms 1000: no off-CPU span under 1 s is notable"
J=$TMPDIR_T/th2.json
timeout -k 5 60 "$OBSERVE" --json --threshold-ms 15 -o "$J" -- "$TARGETS/sleep_read" -n 5 -m 20 \
	>"$OUT" 2>"$ERR"
tid=$(awk '$1 == "blocked" && $2 == "sleep-cns" { print $3 }' "$OUT")
is "$(jq --argjson t "${tid:-0}" '[.notable[] | select(.tid == $t and .syscall == "clock_nanosleep")] | length' "$J" 2>/dev/null)" 5 \
	"--threshold-ms 15: each 20 ms sleep of sleep-cns is notable (5)"

# ---- -i: interval lines while running, then the final report ------------------
REP=$TMPDIR_T/int.report
timeout -k 5 60 "$OBSERVE" -i 1 -o "$REP" -- "$TARGETS/spin_threads" -t 2 -s 3 \
	>"$OUT" 2>"$ERR"
rc=$?
is "$rc" 0 "-i 1: observe exits 0"
[ "$rc" = 0 ] || diag "stderr: $(head -c 2000 "$ERR")"
ok "$([ -s "$REP" ] && grep -q spin-0 "$REP" && echo 1 || echo 0)" \
	"-i 1: the final report names the threads"
done_testing
