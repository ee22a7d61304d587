# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# workers: the worker count N = 1..8 on this 2-CPU box (N > 2
# oversubscribes it, on purpose: a container's CPU quota below its thread
# count), K = 2 tasks each blocking its worker B = 20 ms every P = 25 ms.
# N <= K: every worker blocked most of the time, the probe ~B late; N > K:
# free workers, but only 2 CPUs to run them on.  Broken and --fixed, rt and
# tokio.

workers__params() { echo workers,blockers,block_ms,period_ms; }

workers__metrics() {
	echo 'probe_p99_us=.probe.p99_us'
	echo 'probe_per_s=.probe.count / .secs'
	echo 'victim_p50_us=if .victim_delay_us.count > 0 then .victim_delay_us.p50_us else null end'
}

workers__points() {
	local ns=(1 2 3 4 5 6 7 8) n
	[ "$QUICK" = 1 ] && ns=(1 2 4 8)
	for n in "${ns[@]}"; do
		both starvation "$n,2,20,25" --workers "$n" --blockers 2 \
			--block-ms 20 --period-ms 25
	done
}
