#!/bin/bash
# observe_prometheus.t - a real Prometheus (Debian's) scrapes
# `observe -a --prometheus 127.0.0.1:0` every second while a starving demo
# (demo_starvation) and its healthy twin (--fixed) run side by side:
#  1. the starving demo's observe_verdict series has
#     shape="executor_starvation" by Prometheus's third scrape of observe;
#  2. the twin's is healthy; and the rt tier, attached to each, counts
#     their polls: the starving demo has slow polls, the twin polls;
#  3. every value Prometheus stored for the starving demo's worker
#     run-queue histogram _count is a cumulative sum of the interval lines
#     of observe's own JSON Lines (--json -i 1: the same window, exactly,
#     but for the few waits between the attach and the first read), and
#     the last is within two intervals' worth of the final document (the
#     scrape lags the publish by up to one interval; the demo dies in
#     the next);
#  4. once the starving demo is killed its series go away, from observe's
#     exposition and from Prometheus's instant queries;
#  5. the exposition's families each have HELP and TYPE, and a bad method or
#     path gets 405 / 404;
# and everything it started is stopped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_cmd prometheus
need_cmd curl
[ -x "$TOP/demos/demo_starvation" ] || skip_all "demos/demo_starvation not built"
DEMOS=$TOP/demos

plan 12

PROM_DIR=$TMPDIR_T/prom
mkdir -p "$PROM_DIR"
pids=()
cleanup() {
	kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
}
trap 'cleanup; rm -rf "$TMPDIR_T"' EXIT

# a free port for Prometheus's own web server
free_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 20); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
# q PROMQL: the result array of an instant query
q() { curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" | jq -c '.data.result'; }

"$DEMOS/demo_starvation" --workers 2 --secs 120 >/dev/null 2>&1 &
starve=$!
"$DEMOS/demo_starvation" --workers 2 --fixed --secs 120 >/dev/null 2>&1 &
fixed=$!
pids+=("$starve" "$fixed")
sleep 0.3
# ended by SIGINT, as a user would: the test's steps take what they take
timeout -k 5 120 "$OBSERVE" -a -i 1 --json -o "$TMPDIR_T/host.jsonl" \
	--prometheus 127.0.0.1:0 2>"$TMPDIR_T/obs.err" &
obs=$!
pids+=("$obs")
for _ in $(seq 100); do
	OBS_PORT=$(sed -n 's|^observe: metrics at http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$TMPDIR_T/obs.err")
	[ -n "$OBS_PORT" ] && break
	sleep 0.1
done
PROM_PORT=$(free_port)
cat >"$PROM_DIR/prom.yml" <<CONF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: observe
    static_configs:
      - targets: ['127.0.0.1:$OBS_PORT']
CONF
prometheus --config.file="$PROM_DIR/prom.yml" --storage.tsdb.path="$PROM_DIR/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" >"$PROM_DIR/prom.log" 2>&1 &
prom=$!
pids+=("$prom")

# until Prometheus holds n samples of a query's first series (20 s at most)
wait_samples() {
	local n
	for _ in $(seq 100); do
		n=$(q "count_over_time($1[5m])" | jq -r '.[0].value[1] // 0')
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# ---- 1, 2: the verdicts by the third scrape --------------------------------------
wait_samples 'up{job="observe"}' 4 ||
	diag "observe port ${OBS_PORT:-?}: $(cat "$TMPDIR_T/obs.err")" "$(tail -3 "$PROM_DIR/prom.log")"
# the scrapes' times, and the first sample of the starving demo's verdict
scrapes=$(q 'up{job="observe"}[5m]' | jq -c '[.[0].values[][0]]')
first=$(q "observe_verdict{pid=\"$starve\",shape=\"executor_starvation\"}[5m]" |
	jq -r '.[0].values[0][0] // empty')
third=$(jq -r '.[2] // empty' <<<"$scrapes")
ok "$([ -n "$first" ] && [ -n "$third" ] && awk -v f="$first" -v t="$third" 'BEGIN { exit !(f <= t) }' && echo 1 || echo 0)" \
	"the starving demo's observe_verdict has shape executor_starvation by the third scrape (first at ${first:-never}, scrapes $scrapes)"
is "$(q "observe_verdict{pid=\"$fixed\"}" | jq -r '.[0].metric.shape')" healthy \
	"its --fixed twin's observe_verdict has shape healthy"

slow=$(q "observe_slow_polls_total{pid=\"$starve\"}" | jq -r '.[0].value[1] // 0')
polls=$(q "observe_polls_total{pid=\"$fixed\"}" | jq -r '.[0].value[1] // 0')
ok "$([ "${slow:-0}" -gt 0 ] && [ "${polls:-0}" -gt 0 ] && echo 1 || echo 0)" \
	"the rt tier on each: the starving demo's observe_slow_polls_total $slow, the twin's observe_polls_total $polls"

# ---- 4: the starving demo exits, its series go away -----------------------------
count="observe_runqueue_delay_seconds_count{pid=\"$starve\",role=\"worker\"}"
wait_samples "$count" 3
kill "$starve"
wait "$starve" 2>/dev/null
sleep 3
curl -sf "http://127.0.0.1:$OBS_PORT/metrics" >"$TMPDIR_T/after.txt"
is "$(grep -c "pid=\"$starve\"" "$TMPDIR_T/after.txt")" 0 \
	"after the starving demo exits, observe exports no series of it"
ok "$(grep -q "pid=\"$fixed\"" "$TMPDIR_T/after.txt" && echo 1 || echo 0)" \
	"... and still exports the twin's"
is "$(q "observe_verdict{pid=\"$starve\"}" | jq length)" 0 \
	"Prometheus's instant query of its verdict is empty (stale)"

# ---- 5: the exposition -------------------------------------------------------------
fams=$(grep -c '^# TYPE ' "$TMPDIR_T/after.txt")
helps=$(grep -c '^# HELP ' "$TMPDIR_T/after.txt")
names=$(grep -v '^#' "$TMPDIR_T/after.txt" | sed 's/[{ ].*//; s/_bucket$//; s/_sum$//; s/_count$//' | sort -u | wc -l)
ok "$([ "$fams" -ge 8 ] && [ "$fams" = "$helps" ] && [ "$names" -le "$fams" ] && echo 1 || echo 0)" \
	"every metric family has HELP and TYPE ($fams families, $names metric names)"
codes="$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$OBS_PORT/metrics") $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OBS_PORT/")"
is "$codes" "405 404" "POST /metrics is 405, GET / is 404"

# ---- 3: the histogram's _count against observe's own JSON Lines -----------------
kill -INT "$obs"
wait "$obs"
is "$?" 0 "observe -a --prometheus exits 0 on SIGINT"
# what Prometheus stored of the demo's worker run-queue count, every sample
stored=$(q "$count[5m]" | jq -c '[.[0].values[][1] | tonumber]')
# the interval lines' counts, cumulated, and the final document's
deltas=$(jq -s -c --argjson p "$starve" '[.[] | select(.type == "interval") |
	[.processes[] | select(.pid == $p) | .roles.worker.rq_count] | add // 0]' "$TMPDIR_T/host.jsonl")
sums=$(jq -c 'reduce .[] as $x ([]; . + [(.[-1] // 0) + $x])' <<<"$deltas")
final=$(tail -n 1 "$TMPDIR_T/host.jsonl" | jq --argjson p "$starve" \
	'[.processes[] | select(.pid == $p) | .roles.worker.rq_count] | add')
# The metrics count from the attach, the intervals from the first read
# just after it: one small offset, the same for every stored sample.
ok "$(jq -n --argjson s "$stored" --argjson c "$sums" '($s | length) >= 3 and
	([$s[] as $v | [$c[] | $v - .]] | . as $d |
	 $d[0] | map(select(. >= 0 and . <= 50) | . as $x |
		select(all($d[]; any(.[]; . == $x))))) != [] | if . then 1 else 0 end')" \
	"Prometheus's stored _count values for the demo ($stored) are the cumulative counts of observe's JSON Lines intervals ($sums) plus one offset"
# The last scrape before the kill saw the interval before it at the
# latest; the interval of the kill adds one more: two intervals' worth.
worth=$(jq 'sort | .[-2:] | add' <<<"$deltas")
last=$(jq '.[-1] // 0' <<<"$stored")
ok "$(awk -v l="$last" -v f="$final" -v w="$worth" 'BEGIN { print (l > 0 && l <= f && f - l <= w + 50) ? 1 : 0 }')" \
	"the last stored _count ($last) is within two intervals' worth ($worth) of the final document's ($final)"

kill "$prom" 2>/dev/null
wait "$prom" 2>/dev/null
is "$(pgrep -fc -- "--storage.tsdb.path=$PROM_DIR/data")" 0 \
	"nothing the test started is left running"
done_testing
