# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# suspension_all: no coordinator, every one of M peers holds the async mutex
# across its own S ms await (--all-hold); the fair FIFO lock queues each
# peer behind the M-1 others, so its wait should grow as (M-1)*S less its
# think time (1 ms).  2 workers; broken and --fixed, rt and tokio.

suspension_all__params() { echo workers,peers,await_ms; }

suspension_all__metrics() {
	echo 'peer_acq_per_s=.peer_acq_per_s'
	echo 'peer_wait_p50_us=.peer_wait_us.p50_us'
	echo 'peer_wait_p99_us=.peer_wait_us.p99_us'
}

suspension_all__points() {
	local ss=(5 20) ms=(1 2 3 4 6 8) s m
	[ "$QUICK" = 1 ] && ss=(20) ms=(2 4)
	for s in "${ss[@]}"; do
		for m in "${ms[@]}"; do
			both suspension "2,$m,$s" --workers 2 --peers "$m" \
				--await-ms "$s" --all-hold
		done
	done
}
