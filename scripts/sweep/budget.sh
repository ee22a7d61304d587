# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# budget: the cooperative budget (Tokio's coop, 128 ready awaits per poll) on
# and off.  K greedy tasks (demo_starvation / tokio_starvation --mode greedy)
# drain an always-ready channel for B ms every 25 ms: nothing blocks, every
# await is ready, so only the budget ends their polls.  budget=1 is the
# default runtime, budget=0 --no-budget (rt_config_t.disable_budget in C,
# tokio::task::unconstrained around the greedy tasks in Tokio); the --fixed
# run (budget=0, the greedy loop yields by hand every 128 items) is the
# hand-written remedy.  docs/sweeps.md ("budget").

budget__params() { echo workers,blockers,block_ms,budget; }

budget__metrics() {
	echo 'probe_p99_us=.probe.p99_us'
	echo 'probe_max_us=.probe.max_us'
	echo 'probe_per_s=.probe.count / .secs'
	echo 'victim_p50_us=if .victim_delay_us.count > 0 then .victim_delay_us.p50_us else null end'
	# ready receives per poll of the greedy tasks: <= 128 with the budget
	echo 'recv_per_poll=if .injected.polls > 0 then .injected.items / .injected.polls else null end'
}

# has_budget_flags BIN: BIN's --help lists --no-budget and the greedy mode
# (a Tokio peer built before them, or a fake demo, has neither).
has_budget_flags() {
	local help
	help=$("$1" --help 2>/dev/null) || return 1
	grep -q -- '--no-budget' <<<"$help" && grep -q 'greedy' <<<"$help"
}

budget__points() {
	local bs=(5 20) ks=(1 2) rts=() r b k
	has_budget_flags "$DEMO_DIR/demo_starvation" && rts+=(rt)
	has_budget_flags "$BUILD/tokio/release/tokio_starvation" && rts+=(tokio)
	if [ ${#rts[@]} -eq 0 ]; then
		echo "sweep.sh: budget: skipped: no demo has --mode greedy and --no-budget (rebuild: make BUILD=$BUILD)" >&2
		SKIPPED=1
		return 0
	fi
	[ "$QUICK" = 1 ] && bs=(20)
	for b in "${bs[@]}"; do
		for k in "${ks[@]}"; do
			for r in "${rts[@]}"; do
				point "$r" 0 starvation "2,$k,$b,1" --workers 2 \
					--mode greedy --blockers "$k" --block-ms "$b"
				point "$r" 0 starvation "2,$k,$b,0" --workers 2 \
					--mode greedy --blockers "$k" --block-ms "$b" --no-budget
			done
			for r in "${rts[@]}"; do
				point "$r" 1 starvation "2,$k,$b,0" --workers 2 \
					--mode greedy --blockers "$k" --block-ms "$b" --no-budget
			done
		done
	done
}
