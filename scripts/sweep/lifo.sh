# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# lifo: K < N blockers (B = 20 ms every 25 ms, 1 victim each): the victim a
# blocker wakes right before blocking sits in its worker's LIFO slot, which no
# other worker may steal, so it waits ~B although a worker is idle.  lifo=1 is
# the default runtime, lifo=0 --no-lifo; the --fixed run (blocking pool,
# LIFO slot on) is the reference.

lifo__params() { echo workers,blockers,lifo; }

lifo__metrics() {
	echo 'victim_p50_us=if .victim_delay_us.count > 0 then .victim_delay_us.p50_us else null end'
	echo 'victim_p99_us=if .victim_delay_us.count > 0 then .victim_delay_us.p99_us else null end'
	echo 'victim_same_worker_pct=if .victim_delay_us.count > 0 then 100 * .victim_same_worker / .victim_delay_us.count else null end'
	echo 'probe_p99_us=.probe.p99_us'
}

lifo__points() {
	local cases=(2:1 4:1 4:2 4:3) c n k r # N:K
	[ "$QUICK" = 1 ] && cases=(2:1 4:2)
	for c in "${cases[@]}"; do
		n=${c%:*} k=${c#*:}
		for r in rt tokio; do
			point "$r" 0 starvation "$n,$k,1" --workers "$n" --blockers "$k"
			point "$r" 0 starvation "$n,$k,0" --workers "$n" --blockers "$k" --no-lifo
		done
		for r in rt tokio; do
			point "$r" 1 starvation "$n,$k,1" --workers "$n" --blockers "$k"
		done
	done
}
