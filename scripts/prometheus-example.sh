#!/bin/bash
# prometheus-example.sh - observe -a --prometheus with a real Prometheus:
# a starving demo and its healthy twin run for SECS (default 30) seconds,
# Debian's prometheus scrapes observe every second, and after 20 s the
# queries of docs/metrics.md run against it.  Needs root and a built tree.
# Output: docs/data/runs/metrics-2026-12-03.txt was made with it.
set -u
cd "$(dirname "$0")/.." || exit 1
SECS=${1:-30}
D=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$D"' EXIT
./demos/demo_starvation --workers 2 --secs "$SECS" >/dev/null 2>&1 &
S=$!
./demos/demo_starvation --workers 2 --fixed --secs "$SECS" >/dev/null 2>&1 &
F=$!
sleep 0.3
./observe -a --prometheus 127.0.0.1:0 -d $((SECS - 5)) -o /dev/null 2>"$D/obs.err" &
O=$!
sleep 0.5
P=$(sed -n 's|.*:\([0-9]*\)/metrics$|\1|p' "$D/obs.err")
cat >"$D/prom.yml" <<CONF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: observe
    static_configs:
      - targets: ['127.0.0.1:$P']
CONF
prometheus --config.file="$D/prom.yml" --storage.tsdb.path="$D/data" \
	--web.listen-address=127.0.0.1:19491 >"$D/prom.log" 2>&1 &
sleep 20
q() {
	echo "\$ promql: $1"
	curl -s 127.0.0.1:19491/api/v1/query --data-urlencode "query=$1" |
		jq -c '.data.result[] | {metric: .metric, value: .value[1]}'
}
echo "# demos: starving $S, fixed $F"
q 'histogram_quantile(0.99, sum by (pid, comm, le) (rate(observe_runqueue_delay_seconds_bucket{role="worker"}[1m])))'
q 'observe_verdict{shape!~"healthy|cpu_overload"} > 0.5'
q 'sum by (pid, comm) (rate(observe_offcpu_seconds_total{role="worker",syscall!~"futex|epoll_wait|epoll_pwait|epoll_pwait2"}[1m]))'
q 'rate(observe_self_cpu_seconds_total[1m]) + observe_bpf_cpu_ratio'
q 'count(count by (__name__, pid, role, syscall, le, shape) ({__name__=~"observe_.*"}))'
echo
echo "# the exposition (curl /metrics), without the _bucket lines:"
curl -s "127.0.0.1:$P/metrics" | grep -v '_bucket'
wait "$O"
