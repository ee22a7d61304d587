# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# starvation_fraction: probe lateness and wake-up rate versus the blocking
# fraction B/P at K = N = 2 (every worker blocks): B = 5 ms, the period P
# shrinks from 100 ms (5 %) to 5 ms (100 %: the workers never poll).

starvation_fraction__params() { echo workers,blockers,block_ms,period_ms,fraction; }

starvation_fraction__metrics() {
	echo 'probe_p50_us=.probe.p50_us'
	echo 'probe_p99_us=.probe.p99_us'
	echo 'probe_max_us=.probe.max_us'
	echo 'probe_per_s=.probe.count / .secs'
}

starvation_fraction__points() {
	local ps=(100 50 25 15 10 8 6 5) p f
	[ "$QUICK" = 1 ] && ps=(50 10 6)
	for p in "${ps[@]}"; do
		f=$(awk -v b=5 -v p="$p" 'BEGIN { printf "%.3f", b / p }')
		both starvation "2,2,5,$p,$f" --workers 2 --blockers 2 \
			--block-ms 5 --period-ms "$p"
	done
}

# measured mean seconds per run beyond --secs (--dry-run's estimate): exit waits for a block in progress
starvation_fraction__overhead() { echo 0.07; }
