# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# convoy: the sync-lock convoy (M = 4 contenders on an rt_sync_mutex /
# std::sync::Mutex around H us of CPU work) versus scheduler pressure K
# (CPU-bound threads; 0 = none, 8 = 4 per core) and H, 2 workers.  Note the
# Tokio peer's --fixed also puts the pressure threads under SCHED_IDLE
# (docs/tokio.md), the C demo's keeps them.

convoy__params() { echo workers,contenders,pressure,hold_us; }

convoy__metrics() {
	echo 'acq_per_s=.acq_per_s'
	echo 'hold_p50_us=.hold_us.p50_us'
	echo 'hold_p99_us=.hold_us.p99_us'
	echo 'wait_p99_us=.wait_us.p99_us'
	echo 'lock_wait_pct=.worker_lock_wait_pct'
}

convoy__points() {
	local ks=(0 1 2 4 8) hs=(50 200 1000) k h
	[ "$QUICK" = 1 ] && ks=(0 2 4) hs=(50 1000)
	for h in "${hs[@]}"; do
		for k in "${ks[@]}"; do
			both convoy "2,4,$k,$h" --workers 2 --lock sync \
				--contenders 4 --pressure "$k" --hold-us "$h"
		done
	done
}

# measured mean seconds per run beyond --secs (--dry-run's estimate): the pressure threads slow the exit (up to 2 s with --pressure 4 --fixed)
convoy__overhead() { echo 0.15; }
