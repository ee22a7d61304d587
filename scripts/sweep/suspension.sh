# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# suspension: a coordinator holds the async mutex across an S ms await, M
# peers need it (1 ms think time); peer throughput and wait versus S and M,
# 2 workers.

suspension__params() { echo workers,peers,await_ms; }

suspension__metrics() {
	echo 'peer_acq_per_s=.peer_acq_per_s'
	echo 'peer_acq_per_s_each=.peer_acq_per_s_each'
	echo 'peer_wait_p50_us=.peer_wait_us.p50_us'
	echo 'peer_wait_p99_us=.peer_wait_us.p99_us'
}

suspension__points() {
	local ss=(1 5 20 50) ms=(1 2 4 8) s m
	[ "$QUICK" = 1 ] && ss=(5 20) ms=(1 4)
	for s in "${ss[@]}"; do
		for m in "${ms[@]}"; do
			both suspension "2,$m,$s" --workers 2 --peers "$m" --await-ms "$s"
		done
	done
}
