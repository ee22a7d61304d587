# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# server: demo_server's and tokio_server's client-side latency and timeout
# rates versus offered rate R and the block length B injected in every 200th
# handler (B = 0: none, so no --fixed run), server timeout T = 10 ms, client
# timeout 30 ms, 4 connections, 2 workers.

server__params() { echo workers,rate,block_ms,block_every,timeout_ms; }

server__metrics() {
	echo 'lat_p50_us=.latency_us.p50_us'
	echo 'lat_p99_us=.latency_us.p99_us'
	echo 'lat_p999_us=.latency_us.p999_us'
	echo 'server_timeout_pct=if .requests > 0 then 100 * .server_timeouts / .requests else null end'
	echo 'client_timeout_pct=if .requests > 0 then 100 * .client_timeouts / .requests else null end'
}

server__points() {
	local rates=(250 500 1000 2000 4000 8000) bs=(0 5 10 20 50) r b f rt
	[ "$QUICK" = 1 ] && rates=(500 2000 4000) bs=(0 20)
	for b in "${bs[@]}"; do
		for r in "${rates[@]}"; do
			for f in 0 1; do
				[ "$b" = 0 ] && [ "$f" = 1 ] && continue
				for rt in rt tokio; do
					point "$rt" "$f" server "2,$r,$b,200,10" --workers 2 \
						--rate "$r" --block-ms "$b" --block-every 200 \
						--timeout-ms 10
				done
			done
		done
	done
}

# measured mean seconds per run beyond --secs (--dry-run's estimate): connection set-up and the client-timeout drain
server__overhead() { echo 0.12; }
