# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# starvation: probe lateness versus blockers K = 0..2N for N = 1, 2, 4 workers
# (4 workers oversubscribe the 2-core box on purpose) and block length B, one
# block every P = 25 ms; broken and --fixed, rt and tokio.  Sourced by
# scripts/sweep.sh, which provides `point`, `both`, QUICK.

starvation__params() { echo workers,blockers,block_ms,period_ms; }

# name=jq expression over one demo's JSON, one per line; null = undefined.
starvation__metrics() {
	echo 'probe_p99_us=.probe.p99_us'
	echo 'probe_max_us=.probe.max_us'
	# probe wake-ups per second: ~1000 healthy (C; ~480 in Tokio, whose 1 ms
	# timer tick makes each 1 ms sleep take ~2 ms), lower when starved
	echo 'probe_per_s=.probe.count / .secs'
	echo 'victim_p50_us=if .victim_delay_us.count > 0 then .victim_delay_us.p50_us else null end'
}

starvation__points() {
	local bs=(1 5 20) ns=(1 2 4) b n k ks
	[ "$QUICK" = 1 ] && bs=(5 20) ns=(1 2)
	for b in "${bs[@]}"; do
		for n in "${ns[@]}"; do
			if [ "$QUICK" = 1 ]; then
				ks=(0 "$n" $((2 * n)))
			else
				mapfile -t ks < <(seq 0 $((2 * n)))
			fi
			for k in "${ks[@]}"; do
				both starvation "$n,$k,$b,25" --workers "$n" \
					--blockers "$k" --block-ms "$b" --period-ms 25
			done
		done
	done
}
