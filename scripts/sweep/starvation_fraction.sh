# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# starvation_fraction: probe lateness and wake-up rate versus the blocking
# fraction B/P at K = N = 2 (every worker blocks): B = 5 ms, the period P
# shrinks from 700 ms (0.7 %) to 5 ms (100 %: the workers never poll).
# P = 700, 400, 250, 150 bracket the claimed cliff (p99 ~B once more than
# ~1 % of the probe's wake-ups fall in a block) from the healthy side; at
# 1.5 s a run holds only 2-10 of their blocks: run this sweep with
# --secs 6 or more (docs/sweeps.md).

starvation_fraction__params() { echo workers,blockers,block_ms,period_ms,fraction; }

starvation_fraction__metrics() {
	echo 'probe_p50_us=.probe.p50_us'
	echo 'probe_p99_us=.probe.p99_us'
	echo 'probe_max_us=.probe.max_us'
	echo 'probe_per_s=.probe.count / .secs'
}

starvation_fraction__points() {
	local ps=(700 400 250 150 100 50 25 15 10 8 6 5) p f
	[ "$QUICK" = 1 ] && ps=(50 10 6)
	for p in "${ps[@]}"; do
		f=$(awk -v b=5 -v p="$p" 'BEGIN { printf "%.3f", b / p }')
		both starvation "2,2,5,$p,$f" --workers 2 --blockers 2 \
			--block-ms 5 --period-ms "$p"
	done
}

# measured mean seconds per run beyond --secs (--dry-run's estimate): exit waits for a block in progress
starvation_fraction__overhead() { echo 0.07; }
